/**
 * Cloud Displacement Index (Frantz et al. 2018): the windowed variances against a brute-force computation, CDI ≈ -1
 * on a textured layer displaced between B08 and B8A and >= 0 on a parallax-free spectral mixture, the core/region
 * growing rules on a hand-made CDI grid, and the band checks of fmaskLike.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MASK, fmaskLike } from '../../../src/algorithms/cloudmask/index.ts';
import type { CloudMaskBands } from '../../../src/algorithms/cloudmask/index.ts';
import { cdiRadius, cloudDisplacementIndex, parallaxClouds } from '../../../src/algorithms/cloudmask/parallax.ts';
import { GepError } from '../../../src/core/errors.ts';
import { rng } from '../../helpers/random.ts';

/** Brute-force CDI at one pixel: population variances of the two ratios over selected pixels of the window. */
function bruteCdi(b07: Float32Array, b08: Float32Array, b8a: Float32Array, sel: Uint8Array, W: number, H: number, r: number, x: number, y: number): number {
  const a: number[] = [];
  const b: number[] = [];
  for (let yy = Math.max(0, y - r); yy <= Math.min(H - 1, y + r); yy++)
    for (let xx = Math.max(0, x - r); xx <= Math.min(W - 1, x + r); xx++) {
      const j = yy * W + xx;
      if (!sel[j]) continue;
      a.push(b07[j]! / b8a[j]!);
      b.push(b08[j]! / b8a[j]!);
    }
  if (a.length < 3) return NaN;
  const v = (l: number[]): number => {
    const m = l.reduce((s, t) => s + t, 0) / l.length;
    return l.reduce((s, t) => s + (t - m) ** 2, 0) / l.length;
  };
  const va = v(a);
  const vb = v(b);
  return (va - vb) / (va + vb);
}

describe('cloudDisplacementIndex', () => {
  test('matches a brute-force windowed variance ratio (random bands, random selection)', () => {
    const W = 37;
    const H = 23;
    const rnd = rng(5);
    const n = W * H;
    const b07 = Float32Array.from({ length: n }, () => 0.2 + 0.5 * rnd());
    const b08 = Float32Array.from({ length: n }, () => 0.2 + 0.5 * rnd());
    const b8a = Float32Array.from({ length: n }, () => 0.2 + 0.5 * rnd());
    const sel = Uint8Array.from({ length: n }, () => (rnd() < 0.6 ? 1 : 0));
    for (const r of [1, 3]) {
      const cdi = cloudDisplacementIndex(b07, b08, b8a, sel, W, H, r);
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const i = y * W + x;
          const want = sel[i] ? bruteCdi(b07, b08, b8a, sel, W, H, r, x, y) : NaN;
          if (Number.isNaN(want)) assert.ok(Number.isNaN(cdi[i]!), `pixel ${x},${y} should be NaN`);
          else assert.ok(Math.abs(cdi[i]! - want) < 1e-5, `r=${r} pixel ${x},${y}: ${cdi[i]} vs ${want}`);
        }
    }
  });

  test('window: 7×7 at 20 m, scaled to 140 m elsewhere', () => {
    assert.equal(cdiRadius(20), 3);
    assert.equal(cdiRadius(10), 6);
    assert.equal(cdiRadius(30), 2);
  });

  test('known answers: displaced textured cloud -> CDI near -1; parallax-free ground mixture -> CDI >= 0', () => {
    const W = 60;
    const H = 60;
    const n = W * H;
    const tex = (x: number, y: number): number => 0.6 * (1 + 0.12 * Math.sin(x * 0.9 + 0.3 * y) * Math.cos(y * 0.7));
    const rnd = rng(9);
    const noise = (): number => 0.002 * (rnd() - 0.5);
    // cloud: B8A and B07 see the texture at nearly the same place (0.1 px apart), B08 2 px away
    const c07 = new Float32Array(n);
    const c08 = new Float32Array(n);
    const c8a = new Float32Array(n);
    // ground: vegetation / rock mosaic, no parallax (TOA-like spectra of the simulator)
    const g07 = new Float32Array(n);
    const g08 = new Float32Array(n);
    const g8a = new Float32Array(n);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const i = y * W + x;
        c8a[i] = tex(x, y) + noise();
        c07[i] = tex(x + 0.1, y) + noise();
        c08[i] = tex(x + 2, y) + noise();
        const veg = Math.sin(x * 0.5) * Math.cos(y * 0.4) > 0;
        const t = 1 + 0.28 * Math.sin(x * 1.3 + y);
        g07[i] = (veg ? 0.329 : 0.259) * t + noise();
        g08[i] = (veg ? 0.348 : 0.269) * t + noise();
        g8a[i] = (veg ? 0.357 : 0.272) * t + noise();
      }
    const all = new Uint8Array(n).fill(1);
    const cc = cloudDisplacementIndex(c07, c08, c8a, all, W, H, 3);
    const cg = cloudDisplacementIndex(g07, g08, g8a, all, W, H, 3);
    let cloudMean = 0;
    let groundNeg = 0;
    for (let i = 0; i < n; i++) {
      cloudMean += cc[i]! / n;
      if (cg[i]! < -0.25) groundNeg++;
    }
    assert.ok(cloudMean < -0.8, `mean CDI on the displaced cloud ${cloudMean}`);
    assert.ok(groundNeg / n < 0.01, `ground pixels with CDI < -0.25: ${groundNeg}`);
  });
});

describe('parallaxClouds', () => {
  test('cores need all 8 neighbours <= -0.5; growth into CDI < -0.25; isolated pixels and NaN neighbours stop it', () => {
    const W = 20;
    const H = 12;
    const cdi = new Float32Array(W * H).fill(0.2);
    const set = (x0: number, y0: number, x1: number, y1: number, v: number): void => {
      for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) cdi[y * W + x] = v;
    };
    set(1, 1, 7, 7, -0.3); // grow zone
    set(2, 2, 6, 6, -0.9); // core block (inner 3×3 are cores)
    cdi[5 * W + 15] = -0.9; // isolated strong pixel: not a core
    set(12, 8, 14, 10, -0.9); // 3×3 block whose centre has a NaN neighbour
    cdi[8 * W + 12] = NaN;
    const out = parallaxClouds(cdi, W, H);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const inBlock = x >= 1 && x <= 7 && y >= 1 && y <= 7;
        assert.equal(out[y * W + x], inBlock ? 1 : 0, `pixel ${x},${y}`);
      }
  });
});

describe('fmaskLike with the NIR trio', () => {
  const W = 30;
  const H = 20;
  const flat = (v: number): Float32Array => new Float32Array(W * H).fill(v);
  const base = (): CloudMaskBands => ({ blue: flat(0.1), green: flat(0.1), red: flat(0.1), nir: flat(0.3), swir1: flat(0.2), swir2: flat(0.1) });

  test('a partial trio is refused, naming the missing bands', () => {
    const b = base();
    b.b07 = flat(0.3);
    b.b8a = flat(0.3);
    assert.throws(
      () => fmaskLike(b, W, H, { sensor: 'sentinel-2' }),
      (e: unknown) => e instanceof GepError && e.code === 'GEP_ERR_INVALID_INPUT' && /'b08'/.test(e.message),
    );
    assert.throws(() => fmaskLike(base(), W, H, { sensor: 'sentinel-2', parallaxTest: 'yes' as unknown as boolean }), /parallaxTest/);
  });

  test('NaN in a trio band makes the pixel NODATA', () => {
    const b = base();
    b.b07 = flat(0.3);
    b.b08 = flat(0.3);
    b.b8a = flat(0.3);
    b.b08[7] = NaN;
    const r = fmaskLike(b, W, H, { sensor: 'sentinel-2' });
    assert.equal(r.mask[7], MASK.NODATA);
    assert.equal(r.mask[8], MASK.CLEAR);
  });
});
