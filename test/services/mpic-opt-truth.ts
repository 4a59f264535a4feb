/**
 * Known-answer helpers for the MPIC-OPT tests: the ground-motion truth of a simulated displacement scenario
 * (truth displacement minus the injected ramp and stripes), and the comparison of a pair's dx/dy with it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openGeoTiff } from '../../src/raster/tiff/read.ts';

interface DateErrors {
  rampDx: number[];
  rampDy: number[];
  stripeDx: number[];
  stripeDy: number[];
}
export interface TruthJson {
  size: number;
  parameters: { gsd: number; dates: { index: number; datetime: string; days: number; errors: DateErrors | null; clouds: unknown }[]; model: { fault: { afterDate: number } } };
}

export async function readBand(path: string, band = 0): Promise<Float32Array> {
  const r = await openGeoTiff(path);
  try {
    const ras = await r.read({ bands: [band] });
    const b = ras.bands[0]!;
    return b instanceof Float32Array ? b : Float32Array.from(b);
  } finally {
    await r.close();
  }
}

export interface SceneTruth {
  json: TruthJson;
  size: number;
  /** Ground displacement of each date relative to date 0 (px, east/north +): no ramp, no stripes. */
  ground: { dx: Float32Array; dy: Float32Array }[];
  /** Apparent displacement (ground + ramp + stripes). */
  apparent: { dx: Float32Array; dy: Float32Array }[];
  velocity: { ew: Float32Array; ns: Float32Array };
  stable: Float32Array;
  clouds: Float32Array[];
}

export async function loadTruth(dir: string): Promise<SceneTruth> {
  const json = JSON.parse(await readFile(join(dir, 'truth.json'), 'utf8')) as TruthJson;
  const size = json.size;
  const n = size * size;
  const det = await readBand(join(dir, 'truth/truth-detector.tif'));
  const ground: SceneTruth['ground'] = [];
  const apparent: SceneTruth['apparent'] = [];
  const clouds: Float32Array[] = [];
  for (const d of json.parameters.dates) {
    const k = String(d.index).padStart(2, '0');
    clouds.push(await readBand(join(dir, `truth/truth-cloud-${k}.tif`)));
    if (d.index === 0) {
      ground.push({ dx: new Float32Array(n), dy: new Float32Array(n) });
      apparent.push({ dx: new Float32Array(n), dy: new Float32Array(n) });
      continue;
    }
    const path = join(dir, `truth/truth-displacement-${k}.tif`);
    const ax = await readBand(path, 0);
    const ay = await readBand(path, 1);
    const gx = new Float32Array(n);
    const gy = new Float32Array(n);
    const e = d.errors!;
    for (let row = 0; row < size; row++)
      for (let col = 0; col < size; col++) {
        const i = row * size + col;
        const s = det[i]!;
        gx[i] = ax[i]! - (e.rampDx[0]! + e.rampDx[1]! * col + e.rampDx[2]! * row) - (e.stripeDx[s] ?? 0);
        gy[i] = ay[i]! - (e.rampDy[0]! + e.rampDy[1]! * col + e.rampDy[2]! * row) - (e.stripeDy[s] ?? 0);
      }
    ground.push({ dx: gx, dy: gy });
    apparent.push({ dx: ax, dy: ay });
  }
  const vp = join(dir, 'truth/truth-velocity.tif');
  return { json, size, ground, apparent, velocity: { ew: await readBand(vp, 0), ns: await readBand(vp, 1) }, stable: await readBand(join(dir, 'truth/truth-stable.tif')), clouds };
}

export interface PairStats {
  valid: number;
  rmse: number;
  /** Median and 90th percentile of |error|. */
  median: number;
  p90: number;
  /** Largest |residual plane| over the compared pixels (px), fitted on the residuals within 0.3 px of their median. */
  plane: number;
  /** Mean residual over the valid pixels. */
  bias: number;
}

/** Least-squares plane of r over the finite pixels, and its largest magnitude over the image corners. */
function planeMax(r: Float64Array, w: number, h: number): number {
  const A = new Float64Array(9);
  const B = new Float64Array(3);
  for (let i = 0; i < r.length; i++) {
    const v = r[i]!;
    if (!Number.isFinite(v)) continue;
    const x = (i % w) / w - 0.5;
    const y = Math.floor(i / w) / h - 0.5;
    const f = [1, x, y];
    for (let a = 0; a < 3; a++) {
      B[a]! += f[a]! * v;
      for (let b = 0; b < 3; b++) A[a * 3 + b]! += f[a]! * f[b]!;
    }
  }
  // Cramer
  const det = (m: ArrayLike<number>): number => m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) - m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) + m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!);
  const D = det(A);
  const sol = [0, 1, 2].map((c) => {
    const m = Float64Array.from(A);
    for (let k = 0; k < 3; k++) m[k * 3 + c] = B[k]!;
    return det(m) / D;
  });
  let mx = 0;
  for (let i = 0; i < r.length; i++) {
    if (!Number.isFinite(r[i]!)) continue;
    const x = (i % w) / w - 0.5;
    const y = Math.floor(i / w) / h - 0.5;
    mx = Math.max(mx, Math.abs(sol[0]! + sol[1]! * x + sol[2]! * y));
  }
  return mx;
}

/** Compares a measured component with the truth on the pixels where `use` is 1 and the measure is finite. */
export function compare(measured: Float32Array, truth: Float32Array, use: Uint8Array | null, w: number, h: number): PairStats {
  const r = new Float64Array(measured.length).fill(NaN);
  let n = 0;
  let ss = 0;
  let s = 0;
  for (let i = 0; i < measured.length; i++) {
    const v = measured[i]!;
    if (!Number.isFinite(v) || (use && !use[i])) continue;
    const d = v - truth[i]!;
    r[i] = d;
    n++;
    ss += d * d;
    s += d;
  }
  const abs = Float64Array.from([...r].filter(Number.isFinite).map(Math.abs)).sort();
  const sorted = Float64Array.from([...r].filter(Number.isFinite)).sort();
  const med = sorted[sorted.length >> 1] ?? NaN;
  const trimmed = r.map((v) => (Math.abs(v - med) <= 0.3 ? v : NaN));
  const q = (p: number): number => abs[Math.floor(p * (abs.length - 1))] ?? NaN;
  return { valid: n, rmse: Math.sqrt(ss / n), median: q(0.5), p90: q(0.9), plane: planeMax(trimmed, w, h), bias: s / n };
}

/**
 * Pixels within r of a discontinuity of any of `fields` (a jump above `jump` between 4-neighbours), 0/1: the band of
 * SzW+1 px around the fault, the glacier and landslide margins and the cloud edges, where a (2·SzW+1)² template
 * straddles two motions or a cloud rim.
 */
export function edgeBand(fields: ArrayLike<number>[], jump: number, r: number, w: number, h: number): Uint8Array {
  const j = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      for (const f of fields) {
        if (x + 1 < w && Math.abs(f[i + 1]! - f[i]!) > jump) j[i] = j[i + 1] = 1;
        if (y + 1 < h && Math.abs(f[i + w]! - f[i]!) > jump) j[i] = j[i + w] = 1;
      }
    }
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      if (!j[y * w + x]) continue;
      for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) out.fill(1, yy * w + Math.max(0, x - r), yy * w + Math.min(w - 1, x + r) + 1);
    }
  return out;
}
