/**
 * Processing engine overhead and fan-out speed-up.
 *
 *   node --import tsx bench/run.ts engine-overhead [--jobs 1000] [--db memory|folder] [--speedup echo|mpic-opt|none]
 *        [--size 1024] [--tiles 32] [--tile-ms 250] [--workers 1,2,4]
 *
 * 1. Overhead: `--jobs` echo jobs (no tiles) submitted to the embedded engine (PGlite in memory, or in a data
 *    folder with --db folder; queue workers in this process, 4 jobs at once), timed from the first submit to the
 *    last job successful. Each job is a full run: queue entry, lease, input validation, workspace, service,
 *    results registered as a STAC collection, end state, logs.
 * 2. Speed-up: one tiled job on a PostgreSQL server (test/helpers/postgres.ts) with 1, 2, 4 `gep worker` processes
 *    (--concurrency 1 each), timed submit -> successful. `--speedup mpic-opt` runs MPIC-OPT on a simulated
 *    `--size`² pair (cloudMask off); `--speedup echo` runs echo with `--tiles` tiles that each wait `--tile-ms`
 *    (no CPU: it measures the queue's fan-out, not the machine's cores).
 * No peer: the goal is the (1,000 jobs < 10 s); speed-up is against the same job on 1 worker.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDb } from '../src/store/db.ts';
import { Engine } from '../src/engine/engine.ts';
import { closeLocalPools } from '../src/services/local-runner.ts';
import { startPostgres } from '../test/helpers/postgres.ts';
import { ended, spawnWorker } from '../test/engine/helpers.ts';

function opt(args: string[], name: string, def: string): string {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? def : args[i + 1] ?? def;
}

async function overhead(n: number, where: 'memory' | 'folder'): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'gep-bench-engine-'));
  const db = await openDb(where === 'memory' ? 'memory://' : `pglite://${join(dir, 'db')}`);
  const engine = await Engine.open({ db, workRoot: dir, jobs: 4, localThreads: 1 });
  try {
    // warm-up: service module, first queries
    await engine.waitFor((await engine.submit({ process: 'echo', inputs: { message: 'warm' } })).id);
    // Ends are counted from the engine's update events (no polling competing for the single PGlite connection).
    let ok = 0;
    let bad = 0;
    let allDone = (): void => {};
    const finished = new Promise<void>((r) => (allDone = r));
    engine.events.on('job', (j: { status: string }) => {
      if (j.status === 'successful') ok++;
      else if (j.status === 'failed' || j.status === 'dismissed') bad++;
      if (ok + bad === n) allDone();
    });
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await engine.submit({ process: 'echo', inputs: { message: `job ${i}` } });
    const tSubmit = performance.now() - t0;
    await finished;
    const total = performance.now() - t0;
    if (bad) throw new Error(`${bad} job(s) did not succeed`);
    console.log(`overhead (${where} PGlite): ${n} echo jobs queued -> successful in ${(total / 1000).toFixed(2)} s ` +
      `(submit ${(tSubmit / 1000).toFixed(2)} s; ${((total / n)).toFixed(2)} ms per job; ${(n / (total / 1000)).toFixed(0)} jobs/s)`);
  } finally {
    await engine.close();
    await closeLocalPools();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function simulatedPair(dir: string, size: number): Promise<string[]> {
  const sim = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'gep.js'), 'simulate', 'displacement', '--out', dir, '--size', String(size), '--dates', '2', '--format', 'cog'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (sim.status !== 0) throw new Error(`simulate failed: ${sim.stderr}`);
  const cog = join(dir, 'cog');
  return (await readdir(cog)).filter((f) => f.endsWith('_10m.tif')).sort().map((f) => join(cog, f));
}

async function speedup(kind: 'echo' | 'mpic-opt', counts: number[], args: string[]): Promise<void> {
  const pg = await startPostgres();
  const storage = await mkdtemp(join(tmpdir(), 'gep-bench-dist-'));
  const db = await openDb(pg.url);
  const engine = await Engine.open({ db, workRoot: storage, jobs: 0, tileThreads: 0 });
  try {
    let inputs: Record<string, unknown>;
    if (kind === 'mpic-opt') {
      const size = Number(opt(args, 'size', '1024'));
      inputs = { images: await simulatedPair(join(storage, 'sim'), size), cloudMask: false };
      console.log(`speed-up job: mpic-opt on a simulated ${size}x${size} pair (cloudMask off)`);
    } else {
      const tiles = Number(opt(args, 'tiles', '32'));
      const ms = Number(opt(args, 'tile-ms', '250'));
      inputs = { message: 'bench', tiles, delayMs: ms };
      console.log(`speed-up job: echo with ${tiles} tiles of ${ms} ms each (waiting, not computing)`);
    }
    let base = 0;
    for (const n of counts) {
      const workers = await Promise.all(Array.from({ length: n }, () => spawnWorker(pg.url, storage, ['--jobs', '1', '--concurrency', '1'])));
      try {
        const t0 = performance.now();
        const j = await ended(engine, (await engine.submit({ process: kind, inputs })).id, 600_000);
        const s = (performance.now() - t0) / 1000;
        if (j.status !== 'successful') throw new Error(`${kind} job ended ${j.status}: ${j.message}`);
        base ||= s;
        console.log(`  ${n} worker process(es): ${s.toFixed(2)} s, speed-up ${(base / s).toFixed(2)}x`);
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
      }
    }
  } finally {
    await engine.close();
    await db.close();
    await pg.stop();
    await rm(storage, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<void> {
  console.log(`machine: ${cpus().length} CPU(s), ${cpus()[0]?.model ?? '?'}, Node ${process.version}`);
  const n = Number(opt(args, 'jobs', '1000'));
  if (n > 0) await overhead(n, opt(args, 'db', 'memory') === 'folder' ? 'folder' : 'memory');
  const kind = opt(args, 'speedup', existsSync(join(import.meta.dirname, '..', 'src', 'services', 'mpic-opt', 'index.ts')) ? 'mpic-opt' : 'echo');
  if (kind === 'echo' || kind === 'mpic-opt') await speedup(kind, opt(args, 'workers', '1,2,4').split(',').map(Number), args);
}
