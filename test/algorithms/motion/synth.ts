/** Deterministic synthetic fields for the motion tests (seeded PRNG, Gaussian noise). */

/** mulberry32: a small seeded uniform generator in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box-Muller) from a uniform generator. */
export function gauss(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Mean and max |.| of the finite values of f at the pixels where sel(i) is true. */
export function stats(f: Float32Array, sel: (i: number) => boolean): { mean: number; maxAbs: number; n: number } {
  let s = 0;
  let m = 0;
  let n = 0;
  for (let i = 0; i < f.length; i++) {
    const v = f[i]!;
    if (!sel(i) || Number.isNaN(v)) continue;
    s += v;
    n++;
    if (Math.abs(v) > m) m = Math.abs(v);
  }
  return { mean: s / n, maxAbs: m, n };
}
