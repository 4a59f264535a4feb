import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Fbm, gradientNoise } from '../../src/simulate/noise.ts';
import { Rng, hashGaussian } from '../../src/simulate/random.ts';
import { imageTexture } from '../../src/simulate/landcover.ts';
import { renderScene } from '../../src/simulate/render.ts';
import type { Scene, Warp } from '../../src/simulate/render.ts';

/** The image texture as a one-band scene. */
function textureScene(seed: number): Scene {
  const t = imageTexture(seed);
  return {
    nBands: 1,
    sample(xs, ys, n, out) {
      for (let i = 0; i < n; i++) out[0]![i] = t.at(xs[i]!, ys[i]!);
    },
  };
}

describe('random', () => {
  test('same seed gives the same sequence, another seed another', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 20 }, () => a.next());
    const sb = Array.from({ length: 20 }, () => b.next());
    const sc = Array.from({ length: 20 }, () => c.next());
    assert.deepEqual(sa, sb);
    assert.notDeepEqual(sa, sc);
    for (const v of sa) assert.ok(v >= 0 && v < 1);
  });

  test('normal deviates have mean 0 and sd 1', () => {
    const r = new Rng(7);
    let s = 0;
    let s2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const v = r.normal();
      s += v;
      s2 += v * v;
    }
    assert.ok(Math.abs(s / n) < 0.03);
    assert.ok(Math.abs(Math.sqrt(s2 / n) - 1) < 0.03);
    let h = 0;
    for (let i = 0; i < n; i++) h += hashGaussian(5, 1, i) ** 2;
    assert.ok(Math.abs(Math.sqrt(h / n) - 1) < 0.03);
  });
});

describe('noise', () => {
  test('gradient noise is continuous and zero at lattice nodes', () => {
    assert.equal(gradientNoise(3, -7, 11), 0);
    const a = gradientNoise(3.5, 2.25, 11);
    const b = gradientNoise(3.5 + 1e-7, 2.25, 11);
    assert.ok(Math.abs(a - b) < 1e-5);
  });

  test('fbm is deterministic in seed and position', () => {
    const f = new Fbm(9, { wavelength: 50, octaves: 5 });
    const g = new Fbm(9, { wavelength: 50, octaves: 5 });
    const h = new Fbm(10, { wavelength: 50, octaves: 5 });
    assert.equal(f.at(12.3, 45.6), g.at(12.3, 45.6));
    assert.notEqual(f.at(12.3, 45.6), h.at(12.3, 45.6));
  });
});

describe('texture rendering', () => {
  test('a displaced rendering equals a rendering with shifted origin (exact truth)', () => {
    const scene = textureScene(3);
    const grid = { x0: 10, y0: 20, step: 1, width: 48, height: 40 };
    // Content moved by +5.37 px east and +2.63 px north: image shows the scene at (x - 5.37, y + 2.63).
    const warp: Warp = {
      displacement(_xs, _ys, n, de, dn) {
        de.fill(5.37, 0, n);
        dn.fill(2.63, 0, n);
      },
    };
    const [warped] = renderScene(scene, grid, { warp });
    const [shifted] = renderScene(scene, { ...grid, x0: grid.x0 - 5.37, y0: grid.y0 + 2.63 });
    let max = 0;
    for (let i = 0; i < warped!.length; i++) max = Math.max(max, Math.abs(warped![i]! - shifted![i]!));
    assert.ok(max < 1e-6, `max difference ${max}`);
    // And integer + 0.37 shifts are not mere pixel copies: the images differ from the unshifted one.
    const [plain] = renderScene(scene, grid);
    let diff = 0;
    for (let i = 0; i < plain!.length; i++) diff += Math.abs(plain![i]! - warped![i]!);
    assert.ok(diff / plain!.length > 0.05);
  });

  test('autocorrelation falls below 0.5 within 4 pixels, stays high at 1 px', () => {
    const W = 192;
    const [img] = renderScene(textureScene(5), { x0: 0, y0: 0, step: 1, width: W, height: W });
    const a = img!;
    let m = 0;
    for (const v of a) m += v;
    m /= a.length;
    let v0 = 0;
    for (const v of a) v0 += (v - m) ** 2;
    v0 /= a.length;
    const rho = (lag: number): number => {
      let c = 0;
      let k = 0;
      for (let y = 0; y < W; y++)
        for (let x = 0; x + lag < W; x++) {
          c += (a[y * W + x]! - m) * (a[y * W + x + lag]! - m);
          k++;
        }
      return c / k / v0;
    };
    const r1 = rho(1);
    const r4 = rho(4);
    assert.ok(r1 > 0.6, `rho(1) = ${r1}`);
    assert.ok(r4 < 0.5, `rho(4) = ${r4}`);
  });
});
