/**
 * simulateScenario: writes a simulated scene with its truth as real files — plain COGs (georeferenced, with
 * acquisition time) and the sensor layouts (Sentinel-2 SAFE, Pléiades DIMAP) — plus truth rasters, GeoJSON
 * and truth.json (parameters, seed, and what each file is). Same seed and options -> same files.
 *
 * Layout under outDir: cog/ (plain COGs), safe/ (SAFE folders), dimap/ (DIMAP folders), truth/ (truth files,
 * every name starting with "truth"), training-*.geojson for the landslide scenario, and truth.json.
 */
import { mkdir } from 'node:fs/promises';
import { invalidInput, throwIfAborted } from '../core/errors.ts';
import { noProgress } from '../core/progress.ts';
import type { ProgressFn } from '../core/progress.ts';
import type { ScenarioKind, WriteContext } from './write-common.ts';
import { writeDisplacement } from './write-displacement.ts';
import { writeLandslide } from './write-landslide.ts';
import { writeStereo } from './write-stereo.ts';

export type { ScenarioKind };
export type ScenarioFormat = 'cog' | 'safe' | 'dimap' | 'all';

export interface SimulateOptions {
  outDir: string;
  /** Random seed, integer 0..2^31-1 (default 1). */
  seed?: number;
  /** Scene width and height in pixels, 64..10980 (default 512; 384 for stereo). */
  size?: number;
  /** Acquisitions of the displacement time series, 2..60 (default 4). Other scenarios have fixed dates. */
  dates?: number;
  /** 'cog' plain COGs, 'safe'/'dimap' the sensor layout (SAFE for Sentinel-2, DIMAP for Pléiades), 'all' both. */
  format?: ScenarioFormat;
  progress?: ProgressFn;
  signal?: AbortSignal;
}

export interface SimulateResult {
  /** Every file or product folder written (SAFE folders and DIMAP XML files count as one). */
  files: string[];
  /** Path of truth.json. */
  truth: string;
}

const KINDS: readonly ScenarioKind[] = ['displacement', 'landslide', 'stereo'];
const FORMATS: readonly ScenarioFormat[] = ['cog', 'safe', 'dimap', 'all'];

function intIn(name: string, v: number | undefined, def: number, lo: number, hi: number): number {
  const x = v ?? def;
  if (!Number.isInteger(x) || x < lo || x > hi) throw invalidInput(`${name} must be an integer in ${lo}..${hi}, got ${String(v)}`, { input: name });
  return x;
}

/** Writes a scenario; see the file header for the layout. */
export async function simulateScenario(kind: ScenarioKind, opts: SimulateOptions): Promise<SimulateResult> {
  if (!KINDS.includes(kind)) throw invalidInput(`scenario must be one of ${KINDS.join(', ')}, got '${String(kind)}'`, { input: 'kind' });
  if (typeof opts.outDir !== 'string' || opts.outDir === '') throw invalidInput('outDir is required', { input: 'outDir' });
  const format = opts.format ?? 'all';
  if (!FORMATS.includes(format)) throw invalidInput(`format must be one of ${FORMATS.join(', ')}, got '${String(format)}'`, { input: 'format' });
  const ctx: WriteContext = {
    outDir: opts.outDir,
    seed: intIn('seed', opts.seed, 1, 0, 2 ** 31 - 1),
    size: intIn('size', opts.size, kind === 'stereo' ? 384 : 512, 64, 10980),
    dates: intIn('dates', opts.dates, 4, 2, 60),
    cog: format === 'cog' || format === 'all',
    sensor: format !== 'cog',
    files: [],
    progress: opts.progress ?? noProgress,
    signal: opts.signal,
    described: {},
  };
  throwIfAborted(ctx.signal);
  await mkdir(ctx.outDir, { recursive: true });
  const truth =
    kind === 'displacement' ? await writeDisplacement(ctx) : kind === 'landslide' ? await writeLandslide(ctx) : await writeStereo(ctx);
  ctx.progress(1, 'done');
  return { files: ctx.files, truth };
}
