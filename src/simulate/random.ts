/**
 * Deterministic randomness for simulated scenes: a seeded sequential generator (xoshiro128**, seeded through
 * splitmix32) for scene parameters, and counter-based hashes for per-pixel values (sensor noise, noise lattice
 * gradients), so that a pixel's value does not depend on the order or the block size in which it is rendered.
 *
 * References: D. Blackman, S. Vigna, "Scrambled linear pseudorandom number generators", ACM TOMS 47(4), 2021,
 * doi:10.1145/3460772 (xoshiro128**); G. Steele, D. Lea, C. Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014, doi:10.1145/2660193.2660195 (splitmix); G. Box, M. Muller, "A note on the
 * generation of random normal deviates", Ann. Math. Stat. 29(2), 1958 (Box-Muller).
 */

/** One splitmix32 step: returns [output, next state]. All arithmetic is 32-bit unsigned. */
function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [z >>> 0, s];
}

/** 32-bit integer hash of up to four integers (a murmur3-like finaliser); result in [0, 2^32). */
export function hash4(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a | 0, 0xcc9e2d51) ^ 0x3c6ef372;
  h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  h ^= Math.imul(b | 0, 0x1b873593);
  h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  h ^= Math.imul(c | 0, 0xcc9e2d51);
  h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  h ^= Math.imul(d | 0, 0x1b873593);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Derives an independent 32-bit seed from a parent seed and a label ("date-3", "clouds" ...). */
export function deriveSeed(seed: number, label: string | number): number {
  let h = hash4(seed, 0x5eed, 0, 0);
  const s = String(label);
  for (let i = 0; i < s.length; i++) h = hash4(h, s.charCodeAt(i), i, 0x1abe1);
  return h;
}

const INV_2_32 = 1 / 4294967296;

/** Uniform in [0, 1) from a hash of four integers (counter-based, order independent). */
export function hashUniform(a: number, b: number, c: number, d: number): number {
  return hash4(a, b, c, d) * INV_2_32;
}

/**
 * Standard normal deviate from a counter (e.g. seed, band, pixel index): Box-Muller on two hashed uniforms.
 * Deterministic per (seed, a, b); independent of evaluation order.
 */
export function hashGaussian(seed: number, a: number, b: number): number {
  const u1 = (hash4(seed, a, b, 0x2545f491) + 0.5) * INV_2_32; // (0, 1): log is finite
  const u2 = hash4(seed, a, b, 0x7a3b9c1d) * INV_2_32;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Sequential seeded generator (xoshiro128**): same seed, same sequence, on every platform. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  constructor(seed: number) {
    let st = seed | 0;
    let out: number;
    [out, st] = splitmix32(st);
    this.s0 = out;
    [out, st] = splitmix32(st);
    this.s1 = out;
    [out, st] = splitmix32(st);
    this.s2 = out;
    [out, st] = splitmix32(st);
    this.s3 = out;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Normal deviate (Box-Muller, the second value of each pair is kept for the next call). */
  normal(mean = 0, sd = 1): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return mean + sd * v;
    }
    let u1 = 0;
    while (u1 === 0) u1 = this.next();
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return mean + sd * r * Math.cos(2 * Math.PI * u2);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** An independent generator for a named sub-task, not consuming this generator's sequence. */
  static derive(seed: number, label: string | number): Rng {
    return new Rng(deriveSeed(seed, label));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
