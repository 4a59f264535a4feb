/**
 * Speed of the dense correlator alone (MPIC-OPT step 3) on one thread, at the service defaults (SzW 3, S = 7 i.e.
 * R = 4, regularisation 0.3, threshold 0.2), through correlatePair (planTiles + tiles in sequence + speckles).
 *
 *   node --import tsx bench/run.ts correlation-speed [--size 1024] [--amp 3] [--cog DIR] [--repeat 1] [--tile 256]
 *
 * Pair: the test texture (200 random sinusoids, wavelengths 3-40 px) and its copy displaced by a smooth field of
 * ±amp px (default 3; noise SNR 100 on both), or with --cog DIR the top-left size×size crop of the B04-like 10 m
 * COGs of a simulated 2-date pair (`gep simulate displacement --dates 2 --format cog --out DIR`). Reported: wall and
 * CPU seconds, Mpx/s, valid fraction and, for the texture pair, the RMSE against the known field.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { correlatePair } from '../src/algorithms/correlation/index.ts';
import { openGeoTiff } from '../src/raster/tiff/read.ts';
import { addNoise, makeTexture, render, stdOf } from '../test/algorithms/correlation/texture.ts';

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} needs a non-negative number`);
  return v;
}

async function cogPair(dir: string, size: number): Promise<[Float32Array, Float32Array]> {
  const cog = join(dir, 'cog');
  const files = (await readdir(cog)).filter((f) => f.endsWith('_10m.tif')).sort();
  const out: Float32Array[] = [];
  for (const f of files.slice(0, 2)) {
    const r = await openGeoTiff(join(cog, f));
    try {
      // band 3 of B02 B03 B04 B08 = B04 (red), as the service's default band
      const ras = await r.read({ window: { x0: 0, y0: 0, width: size, height: size } });
      out.push(Float32Array.from(ras.bands[Math.min(2, ras.bands.length - 1)]!));
    } finally {
      await r.close();
    }
  }
  return [out[0]!, out[1]!];
}

export async function run(args: string[]): Promise<void> {
  const N = arg(args, 'size', 1024);
  const amp = arg(args, 'amp', 3);
  const repeat = Math.max(1, arg(args, 'repeat', 1));
  const tileSize = arg(args, 'tile', 256);
  const ci = args.indexOf('--cog');
  let ref: Float32Array;
  let sec: Float32Array;
  let u: Float64Array | null = null;
  let v: Float64Array | null = null;
  if (ci >= 0) {
    [ref, sec] = await cogPair(args[ci + 1]!, N);
  } else {
    const tex = makeTexture(11);
    u = new Float64Array(N * N);
    v = new Float64Array(N * N);
    for (let y = 0; y < N; y++)
      for (let x = 0; x < N; x++) {
        u[y * N + x] = amp * Math.sin((2 * Math.PI * x) / N) * Math.cos((2 * Math.PI * y) / N);
        v[y * N + x] = 0.7 * amp * Math.cos((3 * Math.PI * x) / N + 0.5);
      }
    ref = render(tex, N, N);
    sec = render(tex, N, N, u, v);
    const sd = stdOf(ref);
    addNoise(ref, sd / 100, 1);
    addNoise(sec, sd / 100, 2);
  }
  for (let k = 0; k < repeat; k++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const res = correlatePair(ref, sec, N, N, { windowRadius: 3, searchRange: 7, regularization: 0.3, threshold: 0.2, tileSize });
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    let nv = 0;
    let se = 0;
    for (let i = 0; i < N * N; i++) {
      if (!res.valid[i]) continue;
      nv++;
      if (u && v) se += ((res.dx[i] as number) - (u[i] as number)) ** 2 + ((res.dy[i] as number) + (v[i] as number)) ** 2;
    }
    const rmse = u ? ` RMSE ${Math.sqrt(se / (2 * nv)).toFixed(4)} px,` : '';
    console.log(
      `correlation ${N}x${N} (${ci >= 0 ? 'simulated S2 crop' : `texture ±${amp} px`}): ${wall.toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU, ` +
        `${((N * N) / 1e6 / cpu).toFixed(3)} Mpx/s per core, valid ${((100 * nv) / (N * N)).toFixed(1)} %,${rmse} one thread`,
    );
  }
}
