/**
 * MPIC-OPT end to end on a simulated 2-date Sentinel-2 pair through the service (local runner, 2 tile workers).
 *
 *   node --import tsx bench/run.ts mpic-opt-speed [--size N] [--workers W] [--cloud-mask 0|1] [--data DIR] [--keep]
 *
 * Input: `gep simulate displacement --dates 2 --format cog --size N` (default N = 2048; 10980 = a full S2 10 m tile),
 * written by a child process so that its memory is not counted. With --data DIR the simulation is written there
 * once and reused by later runs (a 10980² pair takes ~20 min to simulate; only the service is timed).
 * --cloud-mask 0 runs the service with cloudMask false (every pixel correlated: the worst case for speed).
 * Measured here: wall time of runServiceLocally (reading, cloud masks, correlation, corrections, COGs, fusion,
 * catalog) split by the service's progress stages, Mpx/s of the working grid, and the peak resident set of this
 * process (worker threads share it): VmHWM of /proc/self/status (= process.resourceUsage().maxRSS) and the largest
 * process.memoryUsage().rss sampled every 250 ms; CPU seconds of the process (all threads) per stage and in total, the
 * fairer figure when other work shares the machine.
 * No peer: no other MPIC implementation runs here; the correlator itself is compared with OpenCV and scikit-image in
 * correlation-peers.bench.ts, and timed alone in correlation-speed.bench.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
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

function argStr(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? undefined : args[i + 1];
}

/** Peak resident set of this process so far (bytes), from /proc (Linux), else resourceUsage. */
function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

/** Simulates the pair into `dir` unless its 10 m COGs are already there; returns their paths. */
async function simulated(dir: string, size: number): Promise<string[]> {
  const cog = join(dir, 'cog');
  const list = async (): Promise<string[]> => (await readdir(cog)).filter((f) => f.endsWith('_10m.tif')).sort().map((f) => join(cog, f));
  if (existsSync(join(dir, 'truth.json')) && existsSync(cog) && (await list()).length === 2) {
    console.log(`using the simulated ${size}x${size} pair in ${dir}`);
    return list();
  }
  await mkdir(dir, { recursive: true });
  const t0 = performance.now();
  const sim = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'gep.js'), 'simulate', 'displacement', '--out', dir, '--size', String(size), '--dates', '2', '--format', 'cog'], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (sim.status !== 0) throw new Error(`simulate failed: ${sim.stderr}`);
  console.log(`simulated ${size}x${size}, 2 dates in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return list();
}

export async function run(args: string[]): Promise<void> {
  const size = arg(args, 'size', 2048);
  const workers = arg(args, 'workers', 2);
  const cloudMask = arg(args, 'cloud-mask', 1) !== 0;
  const data = argStr(args, 'data');
  const tmp = await mkdtemp(join(tmpdir(), 'mpic-bench-'));
  let maxSampled = 0;
  let stagePeak = 0;
  const sampler = setInterval(() => {
    const rss = process.memoryUsage().rss;
    maxSampled = Math.max(maxSampled, rss);
    stagePeak = Math.max(stagePeak, rss);
  }, 250);
  try {
    const images = await simulated(data ?? join(tmp, 'sim'), size);
    const stages: string[] = [];
    const logs: string[] = [];
    let last = '';
    let lastT = 0;
    let lastCpu = 0;
    const t1 = performance.now();
    const c1 = process.cpuUsage();
    /** CPU seconds of this process (main thread and worker threads) since the start of the run. */
    const cpuNow = (): number => {
      const c = process.cpuUsage(c1);
      return (c.user + c.system) / 1e6;
    };
    const mark = (stage: string): void => {
      const t = (performance.now() - t1) / 1000;
      const c = cpuNow();
      stagePeak = Math.max(stagePeak, process.memoryUsage().rss);
      const rss = `${(stagePeak / 2 ** 30).toFixed(2)} GiB`;
      if (last) stages.push(`${(t - lastT).toFixed(1).padStart(7)} s wall ${(c - lastCpu).toFixed(1).padStart(7)} s CPU  max RSS ${rss}  ${last}`);
      stagePeak = 0;
      last = stage;
      lastT = t;
      lastCpu = c;
    };
    await runServiceLocally('mpic-opt', { images, cloudMask }, {
      workspace: join(tmp, 'out'),
      workers,
      log: (level, m) => logs.push(`${level}: ${m}`),
      progress: (_f, m) => {
        const stage = (m ?? '').replace(/: tile \d+\/\d+$/, '').replace(/rows \d+\/\d+/, 'rows');
        if (stage !== last) mark(stage);
      },
    });
    mark('');
    clearInterval(sampler);
    const secs = (performance.now() - t1) / 1000;
    const cpu = cpuNow();
    console.log(logs.join('\n'));
    console.log(stages.join('\n'));
    const gib = (b: number): string => (b / 2 ** 30).toFixed(2);
    console.log(
      `mpic-opt ${size}x${size}, 1 pair, ${workers} workers, cloudMask ${cloudMask}: ${secs.toFixed(1)} s, ` +
        `${((size * size) / 1e6 / secs).toFixed(3)} Mpx/s, peak RSS ${gib(peakRss())} GiB (sampled max ${gib(maxSampled)} GiB); ` +
        `CPU ${cpu.toFixed(1)} s (main + workers) = ${(cpu / ((size * size) / 1e6)).toFixed(2)} CPU-s/Mpx`,
    );
    console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, load ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
  } finally {
    clearInterval(sampler);
    await closeLocalPools();
    if (!args.includes('--keep')) await rm(tmp, { recursive: true, force: true });
    else console.log(`kept ${tmp}`);
  }
}
