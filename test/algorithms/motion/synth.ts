/** Deterministic synthetic fields for the motion tests: Gaussian noise from a seeded uniform generator, statistics. */

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
