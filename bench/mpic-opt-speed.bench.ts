/**
 * MPIC-OPT end to end on a simulated 2-date Sentinel-2 pair through the service (local runner, 2 tile workers).
 *
 *   node --import tsx bench/run.ts mpic-opt-speed [--size N] [--workers W] [--keep]
 *
 * Input: `gep simulate displacement --dates 2 --format cog --size N` (default N = 2048; 10980 = a full S2 10 m tile),
 * written by a child process so that its memory is not counted. Measured here: wall time of runServiceLocally
 * (reading, cloud masks, correlation, corrections, COGs, fusion, catalog), Mpx/s of the working grid, and the peak
 * resident set of this process (main thread and worker threads together, process.resourceUsage().maxRSS).
 * No peer: no other MPIC implementation runs here; the correlator itself is compared with OpenCV and scikit-image in
 * correlation-peers.bench.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { closeLocalPools, runServiceLocally } from '../src/services/local-runner.ts';

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} needs a non-negative integer`);
  return v;
}

export async function run(args: string[]): Promise<void> {
  const size = arg(args, 'size', 2048);
  const workers = arg(args, 'workers', 2);
  const dir = await mkdtemp(join(tmpdir(), 'mpic-bench-'));
  try {
    const t0 = performance.now();
    const sim = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'gep.js'), 'simulate', 'displacement', '--out', dir, '--size', String(size), '--dates', '2', '--format', 'cog'], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    if (sim.status !== 0) throw new Error(`simulate failed: ${sim.stderr}`);
    console.log(`simulated ${size}x${size}, 2 dates in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const images = (await readdir(join(dir, 'cog'))).filter((f) => f.endsWith('_10m.tif')).sort().map((f) => join(dir, 'cog', f));
    const stages: string[] = [];
    let last = '';
    const t1 = performance.now();
    await runServiceLocally('mpic-opt', { images }, {
      workspace: join(dir, 'out'),
      workers,
      progress: (f, m) => {
        const stage = (m ?? '').replace(/: tile \d+\/\d+$/, '').replace(/rows \d+\/\d+/, 'rows');
        if (stage !== last) {
          stages.push(`${((performance.now() - t1) / 1000).toFixed(1)} s ${Math.round(f * 100)} % ${stage}`);
          last = stage;
        }
      },
    });
    const secs = (performance.now() - t1) / 1000;
    const rssGiB = process.resourceUsage().maxRSS / 1024 / 1024;
    console.log(stages.join('\n'));
    console.log(`mpic-opt ${size}x${size}, 1 pair, ${workers} workers: ${secs.toFixed(1)} s, ${((size * size) / 1e6 / secs).toFixed(3)} Mpx/s, peak RSS ${rssGiB.toFixed(2)} GiB`);
    console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, load ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
  } finally {
    await closeLocalPools();
    if (!args.includes('--keep')) await rm(dir, { recursive: true, force: true });
  }
}
