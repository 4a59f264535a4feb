import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deramp, fitPlane } from '../../../src/algorithms/motion/deramp.ts';
import { stripesFromAzimuth } from '../../../src/algorithms/motion/stripes.ts';
import { isGepError } from '../../../src/core/errors.ts';
import { gauss, stats } from './synth.ts';
import { rng } from '../../helpers/random.ts';

const W = 300;
const H = 240;
const A = 0.7;
const B = 0.004; // per column
const C = -0.003; // per row
const PATCH = 1.5; // moving area, same unit as the field
/** Moving patch: columns 150..299 × rows 48..191 = 150×144 = 30 % of the pixels. */
const inPatch = (i: number): boolean => {
  const col = i % W;
  const row = Math.floor(i / W);
  return col >= 150 && row >= 48 && row < 192;
};

function field(noise: number, seed = 1): Float32Array {
  const g = gauss(rng(seed));
  const f = new Float32Array(W * H);
  for (let row = 0; row < H; row++) {
    for (let col = 0; col < W; col++) {
      const i = row * W + col;
      f[i] = A + B * col + C * row + (inPatch(i) ? PATCH : 0) + noise * g();
    }
  }
  return f;
}

function assertGep(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => isGepError(e) && e.code === 'GEP_ERR_INVALID_INPUT' && re.test(e.message));
}

describe('fitPlane / deramp', () => {
  test('the patch covers 30 % of the pixels', () => {
    let n = 0;
    for (let i = 0; i < W * H; i++) if (inPatch(i)) n++;
    assert.equal(n / (W * H), 0.3);
  });

  test('robust fit (default) recovers a, b, c under a 30 % moving patch; the patch survives deramping', () => {
    const f = field(0.02);
    const { corrected, plane } = deramp(f, W, H);
    assert.ok(Math.abs(plane.a - A) < 1e-3, `a = ${plane.a}`);
    assert.ok(Math.abs(plane.b - B) < 1e-5, `b = ${plane.b}`);
    assert.ok(Math.abs(plane.c - C) < 1e-5, `c = ${plane.c}`);
    assert.equal(plane.n, W * H);
    assert.ok(Math.abs(plane.inliers / (W * H) - 0.7) < 0.01, `inliers ${plane.inliers}`);
    assert.ok(Math.abs(plane.rms - 0.02) < 0.002, `rms ${plane.rms}`);
    const moving = stats(corrected, inPatch);
    const still = stats(corrected, (i) => !inPatch(i));
    assert.ok(Math.abs(moving.mean - PATCH) < 2e-3, `patch mean ${moving.mean}`);
    assert.ok(Math.abs(still.mean) < 2e-3, `stable mean ${still.mean}`);
  });

  test('noisier field (σ = 0.2, patch = 7.5σ): still within the noise', () => {
    const f = field(0.2, 2);
    const { corrected, plane } = deramp(f, W, H);
    // standard error of a (the corner value) is about σ·sqrt(7/n_inliers) = 2.4e-3
    assert.ok(Math.abs(plane.a - A) < 6e-3 && Math.abs(plane.b - B) < 3e-5 && Math.abs(plane.c - C) < 3e-5, JSON.stringify(plane));
    assert.ok(Math.abs(plane.rms - 0.2) < 0.01, `rms ${plane.rms}`);
    assert.ok(Math.abs(stats(corrected, inPatch).mean - PATCH) < 0.01, 'patch survives');
  });

  test('a 45 % moving band, itself tilted, does not capture the robust fit', () => {
    const g = gauss(rng(4));
    const f = new Float32Array(W * H);
    for (let row = 0; row < H; row++) {
      for (let col = 0; col < W; col++) {
        const moving = col < 0.45 * W ? 50 + 0.05 * (col - row) : 0;
        f[row * W + col] = A + B * col + C * row + moving + 0.05 * g();
      }
    }
    const plane = fitPlane(f, W, H);
    assert.ok(Math.abs(plane.a - A) < 3e-3 && Math.abs(plane.b - B) < 2e-5 && Math.abs(plane.c - C) < 2e-5, JSON.stringify(plane));
    assert.ok(Math.abs(plane.inliers / (W * H) - 0.55) < 0.01, `inliers ${plane.inliers}`);
  });

  test('with stripe ids the plane is fitted together with one offset per stripe (Sentinel-2 detectors)', () => {
    // 7 stripes 60 px wide at azimuth 12°, offsets ±0.17 (much larger than the noise) plus the 30 % patch
    const stripes = stripesFromAzimuth(W, H, { azimuthDeg: 12, stripeWidthPx: 60, phasePx: 20 });
    const off = [0, 0.17, -0.17, 0.17, -0.17, 0.17, -0.17, 0.17, -0.17];
    const f = field(0.02, 3);
    for (let i = 0; i < f.length; i++) f[i]! += off[stripes[i]!]!;
    const joint = fitPlane(f, W, H, { stripes });
    // across track only the within-stripe variation informs b: standard error ≈ σ / sqrt(n · 60²/12) ≈ 5e-6
    assert.ok(Math.abs(joint.b - B) < 2.5e-5 && Math.abs(joint.c - C) < 1e-5, JSON.stringify(joint));
    assert.ok(Math.abs(joint.rms - 0.02) < 0.002, `rms ${joint.rms}`);
    // offsets relative to the median stripe; a is the level of the median stripe
    const ids = [...joint.stripeOffsets!.keys()].sort((p, q) => p - q);
    const med = [...ids.map((id) => off[id]!)].sort((p, q) => p - q)[ids.length >> 1]!;
    const moving = new Map<number, number>();
    const total = new Map<number, number>();
    for (let i = 0; i < f.length; i++) {
      total.set(stripes[i]!, (total.get(stripes[i]!) ?? 0) + 1);
      if (inPatch(i)) moving.set(stripes[i]!, (moving.get(stripes[i]!) ?? 0) + 1);
    }
    for (const id of ids) {
      // a stripe mostly covered by the moving patch has its offset at the patch level: skip it
      if ((moving.get(id) ?? 0) / total.get(id)! > 0.4) continue;
      assert.ok(Math.abs(joint.stripeOffsets!.get(id)! - (off[id]! - med)) < 2e-3, `stripe ${id}: ${joint.stripeOffsets!.get(id)}`);
    }
    // without the stripe ids, the same data gives a tilt that is off by far more
    const alone = fitPlane(f, W, H);
    assert.ok(Math.abs(alone.b - B) > 5 * Math.abs(joint.b - B), `b without stripes ${alone.b}, with ${joint.b}`);
  });

  test('plain least squares is dragged by the patch, but recovers the plane on a stable mask', () => {
    const f = field(0.02);
    const plain = fitPlane(f, W, H, { robust: false });
    assert.ok(Math.abs(plain.a - A) > 0.1, `plain LSQ should be biased, a = ${plain.a}`);
    const stable = new Uint8Array(W * H);
    for (let i = 0; i < W * H; i++) stable[i] = inPatch(i) ? 0 : 1;
    const masked = fitPlane(f, W, H, { robust: false, stable });
    assert.ok(Math.abs(masked.a - A) < 1e-3, `a = ${masked.a}`);
    assert.ok(Math.abs(masked.b - B) < 1e-5 && Math.abs(masked.c - C) < 1e-5, JSON.stringify(masked));
    assert.equal(masked.n, 0.7 * W * H);
    assert.equal(masked.inliers, masked.n);
    assert.ok(Math.abs(masked.rms - 0.02) < 0.001, `rms ${masked.rms}`);
  });

  test('exact plane (no noise): every method returns it', () => {
    const f = new Float32Array(W * H);
    for (let i = 0; i < W * H; i++) f[i] = A + B * (i % W) + C * Math.floor(i / W);
    for (const robust of [true, false]) {
      const p = fitPlane(f, W, H, { robust });
      assert.ok(Math.abs(p.a - A) < 1e-6 && Math.abs(p.b - B) < 1e-8 && Math.abs(p.c - C) < 1e-8, JSON.stringify(p));
      assert.ok(p.rms < 1e-6, `rms ${p.rms}`);
    }
  });

  test('NaN and infinite pixels are ignored and stay NaN', () => {
    const f = field(0.02, 7);
    const u = rng(3);
    let nan = 0;
    for (let i = 0; i < f.length; i++) {
      if (u() < 0.1 || (i % W < 40 && Math.floor(i / W) < 60)) {
        f[i] = NaN;
        nan++;
      }
    }
    const inf = 100 * W + 100;
    if (!Number.isNaN(f[inf])) nan++;
    f[inf] = Infinity;
    const { corrected, plane } = deramp(f, W, H);
    assert.equal(plane.n, W * H - nan);
    assert.ok(Math.abs(plane.a - A) < 1e-3 && Math.abs(plane.b - B) < 1e-5 && Math.abs(plane.c - C) < 1e-5, JSON.stringify(plane));
    assert.ok(Number.isNaN(corrected[W + 1]!), 'NaN stays NaN');
  });

  test('errors: all NaN, fewer than 3 points, collinear points, sizes', () => {
    const f = new Float32Array(W * H).fill(NaN);
    assertGep(() => fitPlane(f, W, H), /fitPlane: values has no valid pixel/);
    assertGep(() => deramp(f, W, H, { name: 'dx of pair 3' }), /dx of pair 3 has no valid pixel/);
    f[0] = 1;
    f[W + 1] = 2;
    assertGep(() => fitPlane(f, W, H), /values has 2 valid pixel\(s\).*at least 3/);
    const row = new Float32Array(W * H).fill(NaN);
    for (let c = 0; c < W; c++) row[10 * W + c] = c;
    assertGep(() => fitPlane(row, W, H), /lie on one line/);
    const ok = field(0);
    assertGep(() => fitPlane(ok, W, H, { stable: new Uint8Array(W * H) }), /no valid pixel that is finite and flagged stable/);
    assertGep(() => fitPlane(ok, W + 1, H), /values has 72000 elements, expected width\*height/);
    assertGep(() => fitPlane(ok, W, H, { stable: new Uint8Array(3) }), /stable mask of values has 3 elements/);
    assertGep(() => fitPlane(ok, 0, H), /width and height must be positive integers/);
  });
});
