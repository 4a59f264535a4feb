/**
 * COG write and read against GDAL on the same pixels, in one run.
 *
 *   node --import tsx bench/run.ts cog-io [--size N] [--runs R]
 *
 * Input: an N x N (default 10980, a Sentinel-2 10 m tile) uint16 band with a Sentinel-2-like texture: fractal
 * value noise (6 octaves), flat areas (10 % at 0, as outside a swath) and per-pixel sensor noise, so that
 * DEFLATE + predictor 2 reaches a realistic ratio (~2x).
 * (a) write: our writeCog (deflate 6, predictor 2, overviews auto) from the in-memory raster, vs
 *     `gdal_translate -of COG -co COMPRESS=DEFLATE -co PREDICTOR=2 -co BLOCKSIZE=512 -co NUM_THREADS=ALL_CPUS`
 *     from the same pixels as raw ENVI (only the translate is timed; it includes GDAL reading the raw file from
 *     the page cache).
 * (b) read full resolution of our COG: openGeoTiff(path).read() into memory, vs `gdal_translate -of ENVI` of the
 *     same COG (GDAL's time includes writing the raw output to the page cache).
 * Each measure is the median of R runs (default 3). MB/s are uncompressed raster bytes per second.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { deflate } from 'node:zlib';
import { Piscina } from 'piscina';
import { runTiles, type Sink } from '../src/raster/cog/pipeline.ts';
import { extractTile, predictTile } from '../src/raster/cog/tile-encode.ts';
import { writeCog } from '../src/raster/cog/write.ts';
import { openGeoTiff } from '../src/raster/tiff/read.ts';
import { makeRaster, type Raster } from '../src/raster/types.ts';

const PY = '/usr/bin/python3';

function argNum(args: string[], name: string, def: number): number {
  const i = args.indexOf(name);
  if (i < 0) return def;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} expects a positive integer`);
  return v;
}

/** Deterministic xorshift32 in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** Adds one octave of bilinear value noise of cell `cell` px and amplitude `amp` into `acc` (n x n). */
function addOctave(acc: Float32Array, n: number, cell: number, amp: number, rand: () => number): void {
  const g = Math.ceil(n / cell) + 2;
  const grid = new Float32Array(g * g);
  for (let i = 0; i < grid.length; i++) grid[i] = rand() * amp;
  const fx = new Float32Array(n);
  const ix = new Int32Array(n);
  for (let x = 0; x < n; x++) {
    ix[x] = Math.floor(x / cell);
    const t = (x % cell) / cell;
    fx[x] = t * t * (3 - 2 * t); // smoothstep weights
  }
  for (let y = 0; y < n; y++) {
    const gy = ix[y]!;
    const ty = fx[y]!;
    const r0 = gy * g;
    const r1 = r0 + g;
    const o = y * n;
    for (let x = 0; x < n; x++) {
      const gx = ix[x]!;
      const tx = fx[x]!;
      const a = grid[r0 + gx]! + (grid[r0 + gx + 1]! - grid[r0 + gx]!) * tx;
      const b = grid[r1 + gx]! + (grid[r1 + gx + 1]! - grid[r1 + gx]!) * tx;
      acc[o + x]! += a + (b - a) * ty;
    }
  }
}

/** Sentinel-2-like uint16 texture (see the module comment). */
export function sentinelLikeBand(n: number, seed = 7): Uint16Array {
  const rand = rng(seed);
  const acc = new Float32Array(n * n);
  let amp = 1;
  for (const cell of [2048, 512, 128, 32, 8, 3]) {
    addOctave(acc, n, cell, amp, rand);
    amp *= 0.4;
  }
  const flat = new Float32Array(n * n);
  addOctave(flat, n, 1500, 1, rand);
  const out = new Uint16Array(n * n);
  for (let i = 0; i < out.length; i++) {
    if (flat[i]! < 0.1) continue; // flat area: 0 (no data)
    const v = 300 + 2200 * acc[i]! + (rand() - 0.5) * 10;
    out[i] = v < 1 ? 1 : v > 65535 ? 65535 : v;
  }
  return out;
}

interface Timed {
  seconds: number;
  /** user + system CPU seconds, all threads. */
  cpu: number;
  maxRssMB: number;
}

/** Runs a command under /usr/bin/time to get its wall time and peak RSS. */
function timedCommand(cmd: string, args: string[]): Timed {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', cmd, ...args], { encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  const [user, sys, rss] = lines[lines.length - 1]!.split(' ').map(Number);
  return { seconds, cpu: user! + sys!, maxRssMB: rss! / 1024 };
}

let peakRss = 0;
const sampleRss = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects garbage (backing stores are freed on a background thread: wait a little) and restarts the peak-RSS
 * watermark; returns the RSS after collection (bytes). */
async function resetPeak(): Promise<number> {
  gc();
  await new Promise((r) => setTimeout(r, 300));
  peakRss = process.memoryUsage().rss;
  return peakRss;
}

/** Wall and CPU (user + system, every thread of this process: zlib's threadpool included) seconds of fn. */
async function timed(fn: () => Promise<void>): Promise<{ seconds: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  sampleRss();
  const c = process.cpuUsage(c0);
  return { seconds: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

function validate(path: string): string[] {
  const code =
    'import sys,json\nfrom osgeo_utils.samples.validate_cloud_optimized_geotiff import validate\n' +
    'w,e,_=validate(sys.argv[1],full_check=True)\nprint(json.dumps(e))';
  return JSON.parse(spawnSync(PY, ['-c', code, path], { encoding: 'utf8' }).stdout) as string[];
}

export async function run(args: string[]): Promise<void> {
  const n = argNum(args, '--size', 10980);
  const runs = argNum(args, '--runs', 3);
  const timer = setInterval(sampleRss, 20);
  timer.unref();
  const dir = await mkdtemp(join(tmpdir(), 'gep-bench-cog-'));
  try {
    const tGen = performance.now();
    const band = sentinelLikeBand(n);
    const transform: [number, number, number, number, number, number] = [399960, 10, 0, 5000040, 0, -10];
    const raster: Raster = makeRaster([band], n, n, { transform, crs: { epsg: 32633 }, nodata: 0 });
    const raw = join(dir, 'input.raw');
    await writeFile(raw, band);
    await writeFile(
      join(dir, 'input.hdr'),
      `ENVI\nsamples = ${n}\nlines = ${n}\nbands = 1\nheader offset = 0\nfile type = ENVI Standard\n` +
        `data type = 12\ninterleave = bsq\nbyte order = 0\n` +
        `map info = {UTM, 1, 1, 399960, 5000040, 10, 10, 33, North, WGS-84}\ndata ignore value = 0\n`,
    );
    console.error(`input ${n}x${n} uint16 generated in ${((performance.now() - tGen) / 1000).toFixed(1)} s`);
    const bytes = n * n * 2;
    const ours = join(dir, 'ours.tif');
    const gdal = join(dir, 'gdal.tif');
    const back = join(dir, 'back.raw');
    const r = { ow: [] as number[], gw: [] as number[], or: [] as number[], gr: [] as number[], grss: [] as number[] };
    const cpu = { ow: [] as number[], gw: [] as number[], or: [] as number[], gr: [] as number[] };
    const base = await resetPeak();
    let writePeak = 0;
    let readPeak = 0;
    for (let k = 0; k < runs; k++) {
      await rm(ours, { force: true });
      await rm(gdal, { force: true });
      await resetPeak();
      const w = await timed(() => writeCog(ours, raster, { compression: 'deflate', level: 6, overviews: 'auto' }));
      r.ow.push(w.seconds);
      cpu.ow.push(w.cpu);
      writePeak = Math.max(writePeak, peakRss);
      const g = timedCommand('gdal_translate', ['-q', '-of', 'COG', '-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=2',
        '-co', 'BLOCKSIZE=512', '-co', 'NUM_THREADS=ALL_CPUS', raw, gdal]);
      r.gw.push(g.seconds);
      cpu.gw.push(g.cpu);
      r.grss.push(g.maxRssMB);
      await resetPeak();
      const rd = await timed(async () => {
          const reader = await openGeoTiff(ours);
          const img = await reader.read();
          sampleRss();
          if (img.bands[0]!.length !== n * n) throw new Error('reader returned a wrong size');
          await reader.close();
      });
      r.or.push(rd.seconds);
      cpu.or.push(rd.cpu);
      readPeak = Math.max(readPeak, peakRss);
      await rm(back, { force: true });
      const gr = timedCommand('gdal_translate', ['-q', '-of', 'ENVI', ours, back]);
      r.gr.push(gr.seconds);
      cpu.gr.push(gr.cpu);
      r.grss.push(gr.maxRssMB);
      console.error(`run ${k + 1}: write ours ${r.ow[k]!.toFixed(2)} s, gdal ${r.gw[k]!.toFixed(2)} s; ` +
        `read ours ${r.or[k]!.toFixed(2)} s, gdal ${r.gr[k]!.toFixed(2)} s`);
    }
    // Correctness of this run's outputs.
    const errs = [...validate(ours), ...validate(gdal)];
    if (errs.length) throw new Error(`COG validation failed: ${errs.join('; ')}`);
    const reader = await openGeoTiff(ours);
    const img = await reader.read();
    await reader.close();
    const a = img.bands[0]!;
    for (let i = 0; i < a.length; i++) if (a[i] !== band[i]) throw new Error(`pixel ${i} differs after round trip`);
    const oursSize = (await stat(ours)).size;
    const gdalSize = (await stat(gdal)).size;
    const gdalReader = await openGeoTiff(gdal);
    const ovr = gdalReader.info.overviews.length;
    await gdalReader.close();

    const row = (what: string, o: number, g: number, oc: number, gc: number): string => {
      const mb = (s: number): string => (bytes / 1e6 / s).toFixed(0);
      const mpx = (s: number): string => ((n * n) / 1e6 / s).toFixed(1);
      return `| ${what} | ${o.toFixed(2)} | ${mb(o)} | ${mpx(o)} | ${oc.toFixed(2)} | ${g.toFixed(2)} | ${mb(g)} | ${mpx(g)} | ` +
        `${gc.toFixed(2)} | ${(o / g).toFixed(2)} | ${(oc / gc).toFixed(2)} |`;
    };
    const cpuModel = cpus()[0]?.model ?? 'unknown';
    console.log(`### cog-io, ${n}x${n} uint16, median of ${runs} runs`);
    console.log(`machine: ${cpus().length} CPUs (${cpuModel}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM ` +
      `(${(freemem() / 2 ** 30).toFixed(1)} GiB free), node ${process.version}, ${new Date().toISOString().slice(0, 10)}, ` +
      `load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    console.log('');
    console.log('| step | ours s | ours MB/s | ours Mpx/s | ours CPU s | GDAL s | GDAL MB/s | GDAL Mpx/s | GDAL CPU s | ' +
      'ours/GDAL wall | ours/GDAL CPU |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    console.log(row('write COG (deflate 6, predictor 2, overviews)', median(r.ow), median(r.gw), median(cpu.ow), median(cpu.gw)));
    console.log(row('read full resolution', median(r.or), median(r.gr), median(cpu.or), median(cpu.gr)));
    console.log('');
    console.log(`COG sizes: ours ${(oursSize / 1e6).toFixed(1)} MB (ratio ${(bytes / oursSize).toFixed(2)}), ` +
      `GDAL ${(gdalSize / 1e6).toFixed(1)} MB (ratio ${(bytes / gdalSize).toFixed(2)}); GDAL overview levels ${ovr}; ` +
      `both pass GDAL's COG validator; our read-back equals the input.`);
    const mib = (b: number): string => (b / 2 ** 20).toFixed(0);
    console.log(`peak RSS (process.memoryUsage().rss max, sampled every 20 ms, whole bench process holding the ` +
      `${mib(bytes)} MB input raster): during our write ${mib(writePeak)} MB, during our read ${mib(readPeak)} MB ` +
      `(after gc: ${mib(base)} MB); gdal_translate (its own process, /usr/bin/time %M) ${Math.max(...r.grss).toFixed(0)} MB.`);
    console.log(`all runs (s): write ours ${r.ow.map((x) => x.toFixed(2)).join(', ')}; gdal ${r.gw.map((x) => x.toFixed(2)).join(', ')}; ` +
      `read ours ${r.or.map((x) => x.toFixed(2)).join(', ')}; gdal ${r.gr.map((x) => x.toFixed(2)).join(', ')}`);
    if (args.includes('--engines')) await compareEngines(raster, runs);
  } finally {
    clearInterval(timer);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Compression engines for the writer's tile pipeline, on the full-resolution tiles of the input (no file):
 * node's async zlib (libuv threadpool, what writeCog uses) vs piscina worker threads running deflateSync.
 */
async function compareEngines(raster: Raster, runs: number): Promise<void> {
  const lvl = { width: raster.width, height: raster.height, bands: raster.bands };
  const across = Math.ceil(raster.width / 512);
  const jobs = Array.from({ length: across * Math.ceil(raster.height / 512) }, (_, i) => ({ level: 0, index: i }));
  const prepare = (j: { index: number }): Uint8Array =>
    predictTile(extractTile(lvl, j.index % across, Math.floor(j.index / across), 512, 0), 512, 1, 2);
  const sink: Sink = { append: async () => {}, patch: async () => {} };
  const zlibEnc = (raw: Uint8Array): Promise<Uint8Array> =>
    new Promise((res, rej) => deflate(raw, { level: 6 }, (e, o) => (e ? rej(e) : res(o))));
  const threads = cpus().length;
  const pool = new Piscina({
    filename: new URL('../src/raster/cog/encode-worker.ts', import.meta.url).href,
    execArgv: ['--import', 'tsx'],
    minThreads: threads,
    maxThreads: threads,
  });
  const pisEnc = (raw: Uint8Array): Promise<Uint8Array> =>
    pool.run({ data: raw, level: 6 }, { transferList: [raw.buffer as ArrayBuffer] }) as Promise<Uint8Array>;
  await pisEnc(prepare(jobs[0]!)); // start the workers before timing
  const res: Record<string, number[]> = {};
  for (let k = 0; k < runs; k++)
    for (const [name, enc] of [['zlib async (libuv threadpool)', zlibEnc], [`piscina (${threads} workers)`, pisEnc]] as const) {
      const t0 = performance.now();
      await runTiles(sink, { jobs, prepare, encode: enc, start: 0, window: Math.max(4, 2 * threads), maxPos: 2 ** 52, signal: undefined, progress: () => {} });
      (res[name] ??= []).push((performance.now() - t0) / 1000);
    }
  await pool.destroy();
  const bytes = raster.width * raster.height * 2;
  console.log('');
  console.log('| compression engine (full-resolution tiles, deflate 6 + predictor 2) | s (median) | MB/s |');
  console.log('|---|---|---|');
  for (const [name, t] of Object.entries(res))
    console.log(`| ${name} | ${median(t).toFixed(2)} | ${(bytes / 1e6 / median(t)).toFixed(0)} |`);
}
