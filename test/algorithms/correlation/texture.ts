/**
 * Band-limited random textures evaluated at continuous coordinates, for known-answer correlation tests and the
 * peer benchmark: a sum of random 2-D sinusoids with log-uniform wavelengths in [λmin, λmax] px, random
 * orientations and phases. A displaced image is rendered exactly by evaluating at (x - u, y - v).
 */
import { rng } from '../../helpers/random.ts';

export interface Texture {
  kx: Float64Array;
  ky: Float64Array;
  phase: Float64Array;
  amp: number;
}

export function makeTexture(seed: number, count = 200, lmin = 3, lmax = 40): Texture {
  const rand = rng(seed);
  const kx = new Float64Array(count);
  const ky = new Float64Array(count);
  const phase = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const lambda = lmin * Math.exp(rand() * Math.log(lmax / lmin));
    const th = rand() * Math.PI;
    kx[i] = ((2 * Math.PI) / lambda) * Math.cos(th);
    ky[i] = ((2 * Math.PI) / lambda) * Math.sin(th);
    phase[i] = rand() * 2 * Math.PI;
  }
  return { kx, ky, phase, amp: 100 / Math.sqrt(count / 2) }; // std ≈ 100
}

/**
 * Renders texture(x - u, y - v) + offset on a w×h grid; u, v are a constant or per-pixel arrays (u along
 * columns, v along rows = south). Constant shifts use a separable evaluation (fast).
 */
export function render(t: Texture, w: number, h: number, u: number | Float64Array = 0, v: number | Float64Array = 0): Float32Array {
  const out = new Float32Array(w * h);
  const n = t.kx.length;
  if (typeof u === 'number' && typeof v === 'number') {
    const cx = new Float64Array(w);
    const sx = new Float64Array(w);
    for (let i = 0; i < n; i++) {
      const kx = t.kx[i] as number;
      const ky = t.ky[i] as number;
      const ph = t.phase[i] as number;
      for (let x = 0; x < w; x++) {
        const a = kx * (x - u) + ph;
        cx[x] = Math.cos(a);
        sx[x] = Math.sin(a);
      }
      for (let y = 0; y < h; y++) {
        const b = ky * (y - v);
        const cb = Math.cos(b) * t.amp;
        const sb = Math.sin(b) * t.amp;
        const o = y * w;
        for (let x = 0; x < w; x++) out[o + x] = (out[o + x] as number) + (cx[x] as number) * cb - (sx[x] as number) * sb;
      }
    }
    return out;
  }
  const acc = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const k = y * w + x;
      const px = x - (typeof u === 'number' ? u : (u[k] as number));
      const py = y - (typeof v === 'number' ? v : (v[k] as number));
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.cos((t.kx[i] as number) * px + (t.ky[i] as number) * py + (t.phase[i] as number));
      acc[k] = s * t.amp;
    }
  }
  for (let k = 0; k < w * h; k++) out[k] = acc[k] as number;
  return out;
}

/** Adds Gaussian noise of standard deviation sigma (Box–Muller), in place. */
export function addNoise(img: Float32Array, sigma: number, seed: number): Float32Array {
  const rand = rng(seed);
  for (let k = 0; k < img.length; k++) {
    const a = Math.max(rand(), 1e-12);
    const b = rand();
    img[k] = (img[k] as number) + sigma * Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * b);
  }
  return img;
}

/** Standard deviation of an image. */
export function stdOf(img: Float32Array): number {
  let s = 0;
  let s2 = 0;
  for (const v of img) {
    s += v;
    s2 += v * v;
  }
  const m = s / img.length;
  return Math.sqrt(Math.max(0, s2 / img.length - m * m));
}
