/**
 * The demo data: the three simulated scenarios (displacement time series, landslide, stereo) with their truth,
 * written under <data>/demo/<kind> when missing (each to a temporary folder renamed when complete, so an
 * interrupted run never looks complete), and the product paths in it that the catalogue ingests.
 * Used by `gep demo` and by anything that wants a populated catalogue on first start.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { ProgressFn } from '../core/progress.ts';
import { DEFAULT_DATA_DIR } from '../store/db.ts';
import { simulateScenario } from '../simulate/write.ts';

export const DEMO_SCENARIOS = [
  { kind: 'displacement', size: 512, dates: 6, title: 'Sentinel-2 time series over a fault, a landslide and a glacier' },
  { kind: 'landslide', size: 512, dates: 2, title: 'Pre/post-event images with landslide scars' },
  { kind: 'stereo', size: 384, dates: 2, title: 'Pléiades-like stereo pair with RPC over a mountain' },
] as const;

export type DemoScenario = (typeof DEMO_SCENARIOS)[number];

export interface DemoData {
  /** <data>/demo */
  root: string;
  scenarios: (DemoScenario & { dir: string; made: boolean })[];
}

/** A progress display per scenario being made (e.g. the CLI's progress bar). */
export type DemoSink = (kind: string) => { progress: ProgressFn; done(): void };

/** Makes the demo scenarios that are missing under `<dataDir>/demo` (all of them with `force`). */
export async function ensureDemoData(dataDir = DEFAULT_DATA_DIR, opts: { force?: boolean; sink?: DemoSink; signal?: AbortSignal } = {}): Promise<DemoData> {
  const root = resolve(dataDir, 'demo');
  if (opts.force) await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  const scenarios: DemoData['scenarios'] = [];
  for (const s of DEMO_SCENARIOS) {
    const dir = join(root, s.kind);
    const made = !existsSync(join(dir, '.complete'));
    if (made) {
      const tmp = `${dir}.tmp`;
      await rm(tmp, { recursive: true, force: true });
      const sink = opts.sink?.(s.kind);
      await simulateScenario(s.kind, {
        outDir: tmp,
        seed: 1,
        size: s.size,
        dates: s.dates,
        format: 'all',
        ...(sink ? { progress: sink.progress } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      sink?.done();
      await writeFile(join(tmp, '.complete'), new Date().toISOString());
      await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
    }
    scenarios.push({ ...s, dir, made });
  }
  return { root, scenarios };
}

/** The GeoTIFFs under `dir` (not inside SAFE folders), sorted. */
export async function listTifs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && !e.name.endsWith('.SAFE')) out.push(...(await listTifs(p)));
    else if (e.isFile() && /\.tif$/i.test(e.name)) out.push(p);
  }
  return out.sort();
}

/**
 * What the catalogue ingests from the demo data: the sensor layouts (SAFE and DIMAP folders) and the plain COGs,
 * not the truth files (no acquisition time; they are answers, not inputs).
 */
export async function demoProductPaths(demo: DemoData): Promise<string[]> {
  const out: string[] = [];
  for (const s of demo.scenarios) {
    for (const sub of ['safe', 'dimap']) if (existsSync(join(s.dir, sub))) out.push(join(s.dir, sub));
    if (existsSync(join(s.dir, 'cog'))) out.push(...(await listTifs(join(s.dir, 'cog'))).filter((f) => !/truth/i.test(basename(f))));
  }
  return out;
}
