/**
 * Continuous procedural noise that can be evaluated at any real coordinate: 2-D gradient noise (Perlin's
 * improved noise with a quintic fade and hashed gradients) and fractional Brownian motion (fBm) built from
 * rotated, offset octaves of it. Because the field is a function of position, a displaced image is rendered
 * exactly by sampling at the displaced positions; no reference image is interpolated.
 *
 * Spectrum: an fBm with lacunarity 2 and per-octave amplitude ratio `gain` has a 2-D power spectral density
 * close to f^-(2+2·log2(1/gain)): gain 1 gives f^-2, the scale-invariant spectrum of natural images
 * (D. Field, J. Opt. Soc. Am. A 4(12), 1987, doi:10.1364/JOSAA.4.002379); gain 0.5 gives f^-4, smooth terrain.
 *
 * References: K. Perlin, "Improving noise", SIGGRAPH 2002, doi:10.1145/566654.566636; B. Mandelbrot,
 * J. Van Ness, "Fractional Brownian motions, fractional noises and applications", SIAM Review 10(4), 1968.
 */
import { deriveSeed } from './random.ts';

/** 16 unit gradient directions, evenly spaced in angle (no axis bias beyond 16-fold symmetry). */
const GX = new Float64Array(16);
const GY = new Float64Array(16);
for (let k = 0; k < 16; k++) {
  GX[k] = Math.cos((2 * Math.PI * (k + 0.5)) / 16);
  GY[k] = Math.sin((2 * Math.PI * (k + 0.5)) / 16);
}

/** Fast 32-bit lattice hash of (ix, iy, seed); low 4 bits select a gradient. */
function latticeHash(ix: number, iy: number, seed: number): number {
  let h = Math.imul(ix, 0x27d4eb2d) ^ Math.imul(iy, 0x165667b1) ^ seed;
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return h;
}

/** 1 / (max |noise|) for 2-D gradient noise with unit gradients: scales the result to about [-1, 1]. */
const NOISE_SCALE = Math.SQRT2;

/**
 * 2-D gradient noise at (x, y) in lattice units (one lattice cell per unit), value in about [-1, 1], zero at
 * every lattice node, C2-continuous. Deterministic in (x, y, seed).
 */
export function gradientNoise(x: number, y: number, seed: number): number {
  const fx0 = Math.floor(x);
  const fy0 = Math.floor(y);
  const ix = fx0 | 0;
  const iy = fy0 | 0;
  const fx = x - fx0;
  const fy = y - fy0;
  const h00 = latticeHash(ix, iy, seed) & 15;
  const h10 = latticeHash(ix + 1, iy, seed) & 15;
  const h01 = latticeHash(ix, iy + 1, seed) & 15;
  const h11 = latticeHash(ix + 1, iy + 1, seed) & 15;
  const n00 = GX[h00]! * fx + GY[h00]! * fy;
  const n10 = GX[h10]! * (fx - 1) + GY[h10]! * fy;
  const n01 = GX[h01]! * fx + GY[h01]! * (fy - 1);
  const n11 = GX[h11]! * (fx - 1) + GY[h11]! * (fy - 1);
  const u = fx * fx * fx * (fx * (fx * 6 - 15) + 10);
  const v = fy * fy * fy * (fy * (fy * 6 - 15) + 10);
  const a = n00 + u * (n10 - n00);
  const b = n01 + u * (n11 - n01);
  return NOISE_SCALE * (a + v * (b - a));
}

export interface FbmOptions {
  /** Wavelength of the coarsest octave, in the caller's coordinate units (e.g. pixels). */
  wavelength: number;
  /** Number of octaves (>= 1). */
  octaves: number;
  /** Frequency ratio between octaves (default 2). */
  lacunarity?: number;
  /** Amplitude ratio between octaves (default 0.5; 1 = natural-image f^-2 spectrum). */
  gain?: number;
}

/**
 * Fractional Brownian motion: a sum of gradient-noise octaves, each rotated by its own angle and offset so
 * that lattice artefacts of different octaves do not align. `at(x, y)` is normalised so that its standard
 * deviation is about 1/3 (values mostly within [-1, 1]).
 */
export class Fbm {
  readonly wavelength: number;
  readonly octaves: number;
  private readonly freq: Float64Array;
  private readonly amp: Float64Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly ox: Float64Array;
  private readonly oy: Float64Array;
  private readonly seeds: Int32Array;

  constructor(seed: number, opts: FbmOptions) {
    if (!(opts.wavelength > 0) || !(opts.octaves >= 1)) throw new RangeError('fbm needs wavelength > 0 and octaves >= 1');
    const lac = opts.lacunarity ?? 2;
    const gain = opts.gain ?? 0.5;
    this.wavelength = opts.wavelength;
    this.octaves = Math.floor(opts.octaves);
    const n = this.octaves;
    this.freq = new Float64Array(n);
    this.amp = new Float64Array(n);
    this.cos = new Float64Array(n);
    this.sin = new Float64Array(n);
    this.ox = new Float64Array(n);
    this.oy = new Float64Array(n);
    this.seeds = new Int32Array(n);
    let f = 1 / opts.wavelength;
    let a = 1;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const s = deriveSeed(seed, `octave-${i}`);
      this.seeds[i] = s | 0;
      const angle = ((s & 0xffff) / 65536) * 2 * Math.PI;
      this.cos[i] = Math.cos(angle);
      this.sin[i] = Math.sin(angle);
      this.ox[i] = ((s >>> 16) & 0xff) + 0.318;
      this.oy[i] = ((s >>> 24) & 0xff) + 0.727;
      this.freq[i] = f;
      this.amp[i] = a;
      sumSq += a * a;
      f *= lac;
      a *= gain;
    }
    // Single-octave gradient noise scaled by sqrt(2) has a standard deviation of about 0.305; scale the sum so
    // the total standard deviation is about 1/3.
    const norm = 1 / (0.305 * 3 * Math.sqrt(sumSq));
    for (let i = 0; i < n; i++) this.amp[i]! *= norm;
  }

  /** Value at (x, y) (caller's units). */
  at(x: number, y: number): number {
    let sum = 0;
    for (let i = 0; i < this.octaves; i++) {
      const f = this.freq[i]!;
      const c = this.cos[i]!;
      const s = this.sin[i]!;
      const u = (c * x - s * y) * f + this.ox[i]!;
      const v = (s * x + c * y) * f + this.oy[i]!;
      sum += this.amp[i]! * gradientNoise(u, v, this.seeds[i]!);
    }
    return sum;
  }

  /** Value at (x, y) using only octaves [first, last) (e.g. the coarse part of a field). */
  band(x: number, y: number, first: number, last: number): number {
    let sum = 0;
    const end = Math.min(last, this.octaves);
    for (let i = Math.max(0, first); i < end; i++) {
      const f = this.freq[i]!;
      const c = this.cos[i]!;
      const s = this.sin[i]!;
      sum += this.amp[i]! * gradientNoise((c * x - s * y) * f + this.ox[i]!, (s * x + c * y) * f + this.oy[i]!, this.seeds[i]!);
    }
    return sum;
  }
}

/** Smooth step from 0 (x <= e0) to 1 (x >= e1), C1 (Hermite). */
export function smoothstep(e0: number, e1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
}
