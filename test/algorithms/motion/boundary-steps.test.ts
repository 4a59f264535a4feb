import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { destripe, stripeOffsetsFromBoundaries, stripesFromAzimuth, subtractStripeOffsets } from '../../../src/algorithms/motion/index.ts';

const W = 200;
const H = 160;
const OFF = [0, 0.1, -0.05, 0.2, 0, -0.1, 0.03, 0.08];

/** Stripes 40 px wide along azimuth 192° with offsets OFF[id], a plane, noise, NaN rows, and a glacier flowing
 * east across the stripes in rows 20-140 (75 % of every stripe): 1 px at its centre line, a parabolic profile
 * across the flow and none along it, so the motion is continuous across the stripe boundaries. b: plane gradient
 * per column (px/col). Stripe 3's stable ground is under a cloud (NaN). */
function scene(b = 0): { v: Float32Array; stripes: Int32Array } {
  const stripes = stripesFromAzimuth(W, H, { azimuthDeg: 192, stripeWidthPx: 40, phasePx: 3 });
  const v = new Float32Array(W * H);
  let seed = 7;
  const noise = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return ((seed >>> 8) / 2 ** 24 - 0.5) * 0.1;
  };
  for (let r = 0; r < H; r++) {
    const q = (r - 80) / 60;
    const glacier = Math.abs(q) < 1 ? 1 - q * q : 0;
    for (let c = 0; c < W; c++) {
      const i = r * W + c;
      // a cloud over stripe 3's stable ground: only glacier is left there
      const cloud = r % 17 === 0 || (stripes[i] === 3 && glacier === 0);
      v[i] = cloud ? NaN : 0.2 + b * c - 0.0005 * r + glacier + OFF[stripes[i]!]! + noise();
    }
  }
  return { v, stripes };
}

/** Largest |estimated - true| offset over the stripes, gauge removed (offsets relative to stripe ids[0]). */
function worst(offsets: Map<number, number>): number {
  const ids = [...offsets.keys()];
  const d0 = offsets.get(ids[0]!)! - OFF[ids[0]!]!;
  return Math.max(...ids.map((s) => Math.abs(offsets.get(s)! - OFF[s]! - d0)));
}

describe('stripeOffsetsFromBoundaries', () => {
  test('recovers the offsets where a glacier fills most of every stripe (a per-stripe median does not)', () => {
    const { v, stripes } = scene();
    const res = stripeOffsetsFromBoundaries(v, W, H, { stripes });
    assert.equal(res.steps.length, [...res.offsets.keys()].length - 1, 'every boundary measured');
    assert.deepEqual(res.levelled, []);
    assert.ok(worst(res.offsets) < 0.02, `boundary steps: ${worst(res.offsets)}`);
    subtractStripeOffsets(v, stripes, res.offsets);
    const again = stripeOffsetsFromBoundaries(v, W, H, { stripes, method: 'mean' });
    for (const o of again.offsets.values()) assert.ok(Math.abs(o) < 0.02);
    // a gradient b per column adds b·(2·gap + band) = 0.001·16 px to every step (deramp first, as the service does)
    const tilted = stripeOffsetsFromBoundaries(scene(0.001).v, W, H, { stripes });
    const s0 = tilted.steps[0]!;
    const s1 = res.steps[0]!;
    assert.ok(Math.abs(Math.abs(s0.step - s1.step) - 0.016) < 0.005, `${s0.step - s1.step}`); // ids grow westward here
    const med = destripe(scene().v, W, H, { stripes });
    assert.ok(worst(med.offsets) > 0.05, `the per-stripe median takes up the motion (${worst(med.offsets)})`);
  });

  test('a stripe no boundary reaches is levelled by its median; bad options throw', () => {
    const stripes = new Int32Array(W * H);
    const v = new Float32Array(W * H);
    for (let i = 0; i < v.length; i++) {
      const c = i % W;
      stripes[i] = c < 100 ? 1 : 2;
      v[i] = c < 100 ? 0 : c < 120 ? NaN : 0.3; // the boundary's right band has no data
    }
    const res = stripeOffsetsFromBoundaries(v, W, H, { stripes });
    assert.equal(res.steps.length, 0);
    assert.deepEqual(res.levelled, [2]);
    assert.ok(Math.abs(res.offsets.get(2)! - res.offsets.get(1)! - 0.3) < 1e-6);
    assert.throws(() => stripeOffsetsFromBoundaries(v, W, H, { stripes, gapPx: -1 }), /gapPx/);
    assert.throws(() => stripeOffsetsFromBoundaries(v.subarray(1), W, H, { stripes }), /elements/);
  });
});
