/**
 * The one seeded uniform generator for tests and benchmarks (mulberry32, Tommy Ettinger's 32-bit generator):
 * small, fast, and the same sequence on every platform, so a test's expected values stay fixed for its seed.
 * Tests whose known answers were computed from this stream must keep using it; scene simulation itself uses
 * src/simulate/random.ts (xoshiro128**), which is a different stream.
 */

/** Returns a generator of uniform numbers in [0, 1) with 32 random bits, seeded with `seed` (taken mod 2^32). */
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
