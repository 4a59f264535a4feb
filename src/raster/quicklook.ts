/**
 * Quicklooks: 1 or 3 bands stretched to 8 bits between per-band percentiles (default 2-98 %), nodata/NaN
 * transparent, optionally down-sampled so the longer side is at most `maxSize` pixels (nearest: a preview,
 * not a measurement).
 */
import type { Raster, TypedArray } from './types.ts';
import { encodePng } from './png.ts';

export interface QuicklookOptions {
  bands?: number[]; // zero-based; default [0] or [0,1,2] for >= 3 bands
  percentiles?: [number, number];
  maxSize?: number;
}

/** Value at percentile p (0..100) of the valid samples, from a 4096-sample systematic subset. */
function percentile(a: TypedArray, nodata: number | null, p: number): number {
  const step = Math.max(1, Math.floor(a.length / 4096));
  const vals: number[] = [];
  for (let i = 0; i < a.length; i += step) {
    const v = a[i]!;
    if (Number.isFinite(v) && v !== nodata) vals.push(v);
  }
  if (vals.length === 0) return 0;
  vals.sort((x, y) => x - y);
  return vals[Math.min(vals.length - 1, Math.max(0, Math.round((p / 100) * (vals.length - 1))))]!;
}

export function quicklookPng(r: Raster, opts: QuicklookOptions = {}): Uint8Array {
  const bands = opts.bands ?? (r.bands.length >= 3 ? [0, 1, 2] : [0]);
  const [plo, phi] = opts.percentiles ?? [2, 98];
  const max = opts.maxSize ?? 1024;
  const scale = Math.max(1, Math.max(r.width, r.height) / max);
  const w = Math.max(1, Math.floor(r.width / scale));
  const h = Math.max(1, Math.floor(r.height / scale));
  const out = new Uint8Array(w * h * 4);
  bands.forEach((bi, c) => {
    const a = r.bands[bi];
    if (!a) throw new RangeError(`quicklook: band ${bi} does not exist (raster has ${r.bands.length})`);
    const lo = percentile(a, r.nodata, plo);
    const hi = percentile(a, r.nodata, phi);
    const k = hi > lo ? 255 / (hi - lo) : 0;
    for (let y = 0; y < h; y++) {
      const sy = Math.min(r.height - 1, Math.floor((y + 0.5) * scale));
      for (let x = 0; x < w; x++) {
        const v = a[sy * r.width + Math.min(r.width - 1, Math.floor((x + 0.5) * scale))]!;
        const o = (y * w + x) * 4;
        const valid = Number.isFinite(v) && v !== r.nodata;
        const g = valid ? Math.max(0, Math.min(255, Math.round((v - lo) * k))) : 0;
        if (bands.length === 1) out[o] = out[o + 1] = out[o + 2] = g;
        else out[o + c] = g;
        if (c === 0) out[o + 3] = valid ? 255 : 0;
        else if (!valid) out[o + 3] = 0;
      }
    }
  });
  return encodePng(out, w, h, 4);
}
