/**
 * Shared by the scenario writers: the write context, COG/text/truth.json writers that record what they wrote.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GepError, throwIfAborted } from '../core/errors.ts';
import type { ProgressFn } from '../core/progress.ts';
import { writeCog } from '../raster/cog/write.ts';
import type { GeoTransform, RpcModel, TypedArray } from '../raster/types.ts';
import { makeRaster } from '../raster/types.ts';

export type ScenarioKind = 'displacement' | 'landslide' | 'stereo';

/** What each scenario writer gets. */
export interface WriteContext {
  outDir: string;
  seed: number;
  size: number;
  dates: number;
  /** Write plain COGs of the images. */
  cog: boolean;
  /** Write the sensor layout (SAFE / DIMAP). */
  sensor: boolean;
  files: string[];
  progress: ProgressFn;
  signal: AbortSignal | undefined;
  /** Descriptions of written files, relative path -> what it is (goes into truth.json). */
  described: Record<string, string>;
}

export interface CogSpec {
  bands: TypedArray[];
  width: number;
  height: number;
  transform: GeoTransform | null;
  epsg: number | null;
  bandNames: string[];
  nodata?: number | null;
  datetime?: string;
  metadata?: Record<string, string>;
  rpc?: RpcModel | null;
}

/** Writes one COG under ctx.outDir, records it and its description. */
export async function writeCogFile(ctx: WriteContext, rel: string, spec: CogSpec, description: string): Promise<string> {
  throwIfAborted(ctx.signal);
  const path = join(ctx.outDir, rel);
  await mkdir(dirname(path), { recursive: true });
  const raster = makeRaster(spec.bands, spec.width, spec.height, {
    transform: spec.transform,
    crs: spec.epsg === null ? null : { epsg: spec.epsg },
    nodata: spec.nodata ?? null,
    bandNames: spec.bandNames,
  });
  await writeCog(path, raster, {
    datetime: spec.datetime,
    metadata: { ...spec.metadata, DESCRIPTION: description },
    rpc: spec.rpc ?? null,
    software: 'gep simulate',
    signal: ctx.signal,
  });
  ctx.files.push(path);
  ctx.described[rel] = description;
  return path;
}

/** Writes a text/JSON file atomically (temporary name, then rename) and records it. */
export async function writeTextFile(ctx: WriteContext, rel: string, content: string, description: string): Promise<string> {
  const path = join(ctx.outDir, rel);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content);
  await rename(tmp, path);
  ctx.files.push(path);
  ctx.described[rel] = description;
  return path;
}

/** Writes truth.json: the scenario, seed, options, parameters and the description of every file. */
export async function writeTruthJson(ctx: WriteContext, scenario: ScenarioKind, parameters: Record<string, unknown>, conventions: Record<string, string>): Promise<string> {
  const body = {
    scenario,
    seed: ctx.seed,
    size: ctx.size,
    generator: 'gep simulate (src/simulate)',
    conventions,
    files: { ...ctx.described, 'truth.json': 'this file' },
    parameters,
  };
  const path = join(ctx.outDir, 'truth.json');
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(body, roundReplacer, 2)}\n`);
  await rename(tmp, path);
  ctx.files.push(path);
  return path;
}

/** Rounds numbers in truth.json to 12 significant digits (stable, readable). */
function roundReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v) ? Number(v.toPrecision(12)) : v;
}

/** Compact date 'YYYYMMDD' of an ISO time. */
export function ymd(iso: string): string {
  return iso.slice(0, 10).replace(/-/g, '');
}

/** Internal consistency check that should never fire. */
export function internal(message: string): GepError {
  return new GepError('GEP_ERR_INTERNAL', message);
}
