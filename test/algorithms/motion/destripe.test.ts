import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { destripe, estimateStripeGeometry, stripesFromAzimuth } from '../../../src/algorithms/motion/destripe.ts';
import { isGepError } from '../../../src/core/errors.ts';
import { gauss } from './synth.ts';
import { rng } from '../../helpers/random.ts';

const W = 200;
const H = 120;
const OFFSETS = [0.3, -0.2, 0.5, 0, -0.4]; // stripes 1..5; their median is 0
/** Smooth field varying along track only (rows): every stripe holds the same values, so its statistic is equal. */
const smooth = (row: number): number => 0.05 * Math.sin((2 * Math.PI * row) / H) + 0.02 * (row / H);

function striped(level = 0): { values: Float32Array; stripes: Int32Array; base: Float32Array } {
  const stripes = stripesFromAzimuth(W, H, { azimuthDeg: 0, stripeWidthPx: 40 }); // columns 0-39 -> 1, ...
  const values = new Float32Array(W * H);
  const base = new Float32Array(W * H);
  for (let i = 0; i < W * H; i++) {
    base[i] = smooth(Math.floor(i / W));
    values[i] = base[i]! + OFFSETS[stripes[i]! - 1]! + level;
  }
  return { values, stripes, base };
}

const maxDiff = (a: Float32Array, b: Float32Array, d = 0): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]! - d));
  return m;
};

describe('destripe', () => {
  for (const method of ['mean', 'median'] as const) {
    test(`${method}: the five injected offsets are recovered (relative to the median stripe) and removed`, () => {
      const { values, stripes, base } = striped();
      const { corrected, offsets } = destripe(values, W, H, { stripes, method });
      assert.deepEqual([...offsets.keys()], [1, 2, 3, 4, 5]);
      [...offsets.values()].forEach((o, k) => assert.ok(Math.abs(o - OFFSETS[k]!) < 1e-6, `stripe ${k + 1}: ${o}`));
      assert.ok(maxDiff(corrected, base) < 1e-6, 'corrected = smooth field');
    });
  }

  test('offsets are relative to the median stripe: a common level is kept', () => {
    const { values, stripes, base } = striped(1);
    const { corrected, offsets } = destripe(values, W, H, { stripes });
    [...offsets.values()].forEach((o, k) => assert.ok(Math.abs(o - OFFSETS[k]!) < 1e-6, `stripe ${k + 1}: ${o}`));
    assert.ok(maxDiff(corrected, base, 1) < 1e-6, 'corrected = smooth field + 1');
  });

  test('median is robust to a moving patch inside one stripe; mean is not; a stable mask fixes the mean', () => {
    const { values, stripes } = striped();
    const g = gauss(rng(5));
    const stable = new Uint8Array(W * H).fill(1);
    for (let i = 0; i < W * H; i++) {
      values[i]! += 0.01 * g();
      const col = i % W;
      const row = Math.floor(i / W);
      if (col >= 45 && col < 71 && row >= 20 && row < 61) {
        values[i]! += 3; // 26×41 = 1066 px, 22 % of stripe 2
        stable[i] = 0;
      }
    }
    const med = destripe(values, W, H, { stripes, method: 'median' }).offsets;
    const mean = destripe(values, W, H, { stripes, method: 'mean' }).offsets;
    const masked = destripe(values, W, H, { stripes, method: 'mean', stable }).offsets;
    for (let s = 1; s <= 5; s++) {
      assert.ok(Math.abs(med.get(s)! - OFFSETS[s - 1]!) < 0.05, `median stripe ${s}: ${med.get(s)}`);
      assert.ok(Math.abs(masked.get(s)! - OFFSETS[s - 1]!) < 0.01, `masked mean stripe ${s}: ${masked.get(s)}`);
    }
    // the patch adds 3 × 22 % = 0.66 to stripe 2's mean, which also moves the median reference to stripe 1
    assert.ok(Math.abs(mean.get(2)! - OFFSETS[1]!) > 0.3, `mean is dragged by the patch: ${mean.get(2)}`);
  });

  test('unknown stripe (0), NaN pixels and empty stripes', () => {
    const { values, stripes } = striped();
    for (let i = 0; i < W * H; i++) if (stripes[i] === 5) values[i] = NaN; // stripe 5 has no valid pixel
    stripes[W - 1] = 0; // a pixel of stripe 5 made unknown: neither used nor corrected
    values[W - 1] = 42;
    const { corrected, offsets } = destripe(values, W, H, { stripes });
    assert.deepEqual([...offsets.keys()], [1, 2, 3, 4]);
    // median of (0.3, -0.2, 0.5, 0) = 0.15
    [0.15, -0.35, 0.35, -0.15].forEach((o, k) => assert.ok(Math.abs(offsets.get(k + 1)! - o) < 1e-6, `stripe ${k + 1}`));
    assert.equal(corrected[W - 1], 42);
    assert.ok(Number.isNaN(corrected[W - 2]!), 'NaN stays NaN');
  });

  test('errors', () => {
    const { values, stripes } = striped();
    const bad = (fn: () => unknown, re: RegExp): void =>
      assert.throws(fn, (e: unknown) => isGepError(e) && e.code === 'GEP_ERR_INVALID_INPUT' && re.test(e.message));
    bad(() => destripe(values, W, H, { stripes: new Int32Array(5) }), /destripe: stripes has 5 elements/);
    bad(() => destripe(values.subarray(1), W, H, { stripes }), /destripe: values has/);
    bad(() => destripe(values, W, H, { stripes, method: 'mode' as 'mean' }), /method must be "mean" or "median"/);
    bad(() => destripe(values, W, H, { stripes: new Int32Array(W * H).fill(1 << 21) }), /stripe ids must be <=/);
  });
});

describe('stripesFromAzimuth', () => {
  const rows = (ids: Int32Array, w: number): string[] => {
    const out: string[] = [];
    for (let r = 0; r < ids.length / w; r++) out.push([...ids.subarray(r * w, (r + 1) * w)].join(''));
    return out;
  };

  test('azimuth 0: vertical stripes numbered eastward; phase shifts the boundaries', () => {
    assert.deepEqual(rows(stripesFromAzimuth(10, 2, { azimuthDeg: 0, stripeWidthPx: 4 }), 10), ['1111222233', '1111222233']);
    // boundaries at u = 1, 5, 9 with u = col + 0.5
    assert.deepEqual(rows(stripesFromAzimuth(10, 1, { azimuthDeg: 0, stripeWidthPx: 4, phasePx: 1 }), 10), ['1222233334']);
    assert.deepEqual(rows(stripesFromAzimuth(10, 1, { azimuthDeg: 0, stripeWidthPx: 4, phasePx: 5 }), 10), ['1222233334']);
  });

  test('azimuth 12°: boundaries move west going down (u = (c+.5)cos θ + (r+.5)sin θ, hand-computed)', () => {
    // u >= 4 from col 4 in rows 0-2 (row 2: c >= (4 - 2.5 sin12)/cos12 - 0.5 = 3.058) and col 3 in rows 3-4;
    // u >= 8 from col 8 in rows 0-2 (row 2: 7.147) and col 7 in rows 3-4 (row 3: 6.935)
    assert.deepEqual(rows(stripesFromAzimuth(10, 5, { azimuthDeg: 12, stripeWidthPx: 4 }), 10), [
      '1111222233',
      '1111222233',
      '1111222233',
      '1112222333',
      '1112222333',
    ]);
  });

  test('azimuth 90: horizontal stripes; azimuth 180: numbered westward', () => {
    assert.deepEqual(rows(stripesFromAzimuth(2, 5, { azimuthDeg: 90, stripeWidthPx: 2 }), 2), ['11', '11', '22', '22', '33']);
    assert.deepEqual(rows(stripesFromAzimuth(8, 1, { azimuthDeg: 180, stripeWidthPx: 4 }), 8), ['22221111']);
  });

  test('errors', () => {
    assert.throws(() => stripesFromAzimuth(10, 5, { azimuthDeg: 0, stripeWidthPx: 0 }), /stripeWidthPx must be a positive finite/);
    assert.throws(() => stripesFromAzimuth(10, 5, { azimuthDeg: NaN, stripeWidthPx: 3 }), /azimuthDeg/);
  });
});

describe('estimateStripeGeometry', () => {
  const EW = 400;
  const EH = 300;
  function scene(widthPx: number, phasePx: number, withStripes = true, patch = 0): { values: Float32Array; truth: Int32Array } {
    const truth = stripesFromAzimuth(EW, EH, { azimuthDeg: 12, stripeWidthPx: widthPx, phasePx });
    const g = gauss(rng(9));
    const values = new Float32Array(EW * EH);
    for (let i = 0; i < EW * EH; i++) {
      const col = i % EW;
      const row = Math.floor(i / EW);
      const off = withStripes ? 0.25 * Math.sin(2.1 * truth[i]!) : 0; // neighbours differ by >= 0.1
      const moving = col >= 130 && col < 250 && row >= 40 && row < 200 ? patch : 0;
      values[i] = off + moving + 0.05 * Math.sin(col / 60) * Math.cos(row / 45) + 0.03 * g();
    }
    return { values, truth };
  }

  test('recovers width and phase at azimuth 12°: the stripes it implies match the truth', () => {
    const { values, truth } = scene(57.3, 20.4);
    const est = estimateStripeGeometry(values, EW, EH, { azimuthDeg: 12 });
    assert.ok(est.boundaries.length >= 6, `boundaries ${est.boundaries}`);
    assert.ok(Math.abs(est.stripeWidthPx - 57.3) < 0.5, `width ${est.stripeWidthPx}`);
    const dphase = Math.abs(est.phasePx - 20.4);
    assert.ok(Math.min(dphase, est.stripeWidthPx - dphase) < 1, `phase ${est.phasePx}`);
    const ids = stripesFromAzimuth(EW, EH, { azimuthDeg: 12, ...est });
    let agree = 0;
    for (let i = 0; i < ids.length; i++) if (ids[i] === truth[i]) agree++;
    assert.ok(agree / ids.length > 0.98, `agreement ${agree / ids.length}`);
  });

  test('the edges of a moving area (spurious steps) do not change the fitted lattice', () => {
    for (const patch of [0.4, 3]) {
      const { values, truth } = scene(57.3, 20.4, true, patch);
      const est = estimateStripeGeometry(values, EW, EH, { azimuthDeg: 12 });
      assert.ok(Math.abs(est.stripeWidthPx - 57.3) < 0.5, `patch ${patch}: width ${est.stripeWidthPx}, boundaries ${est.boundaries}`);
      const ids = stripesFromAzimuth(EW, EH, { azimuthDeg: 12, ...est });
      let agree = 0;
      for (let i = 0; i < ids.length; i++) if (ids[i] === truth[i]) agree++;
      assert.ok(agree / ids.length > 0.98, `patch ${patch}: agreement ${agree / ids.length}`);
    }
  });

  test('no stripes: no boundary, a single stripe', () => {
    const { values } = scene(57.3, 20.4, false);
    const est = estimateStripeGeometry(values, EW, EH, { azimuthDeg: 12 });
    assert.deepEqual(est.boundaries, []);
    const ids = stripesFromAzimuth(EW, EH, { azimuthDeg: 12, ...est });
    assert.ok(ids.every((s) => s === 1), 'one stripe');
  });

  /** Correlated noise like a 7×7-template correlator's: white noise box-filtered over 5×5 px, sd about `sd`. */
  function correlatedNoise(sd: number, seed: number): Float32Array {
    const g = gauss(rng(seed));
    const w = new Float32Array(EW * EH).map(() => g());
    const out = new Float32Array(EW * EH);
    for (let row = 0; row < EH; row++)
      for (let col = 0; col < EW; col++) {
        let a = 0;
        let n = 0;
        for (let dr = -2; dr <= 2; dr++)
          for (let dc = -2; dc <= 2; dc++) {
            const r = row + dr;
            const c = col + dc;
            if (r < 0 || c < 0 || r >= EH || c >= EW) continue;
            a += w[r * EW + c]!;
            n++;
          }
        out[row * EW + col] = (sd * a) / Math.sqrt(n);
      }
    return out;
  }

  test('two components with correlated noise, 30 % masked: the stripes (0.1 px steps) are found, confidently', () => {
    const truth = stripesFromAzimuth(EW, EH, { azimuthDeg: 192, stripeWidthPx: 80, phasePx: 31 });
    const nx = correlatedNoise(0.06, 21);
    const ny = correlatedNoise(0.06, 22);
    const dx = new Float32Array(EW * EH);
    const dy = new Float32Array(EW * EH);
    const ox = [0, 0.1, -0.05, 0.08, -0.04, 0.06, 0];
    const oy = [0, -0.08, 0.04, -0.06, 0.07, -0.05, 0];
    for (let i = 0; i < EW * EH; i++) {
      const col = i % EW;
      const row = Math.floor(i / EW);
      // round clouds (NaN) over 30 % of the scene
      const cloud = Math.hypot(col - 120, row - 90) < 70 || Math.hypot(col - 300, row - 220) < 60;
      dx[i] = cloud ? NaN : ox[truth[i]!]! + nx[i]!;
      dy[i] = cloud ? NaN : oy[truth[i]!]! + ny[i]!;
    }
    const est = estimateStripeGeometry(dx, EW, EH, { azimuthDeg: 192, second: dy });
    assert.ok(est.confident, est.reason);
    assert.ok(Math.abs(est.stripeWidthPx - 80) < 1.5, `width ${est.stripeWidthPx}, boundaries ${est.boundaries}`);
    const ids = stripesFromAzimuth(EW, EH, { azimuthDeg: 192, ...est });
    let agree = 0;
    for (let i = 0; i < ids.length; i++) if (ids[i]! - ids[0]! === truth[i]! - truth[0]!) agree++;
    assert.ok(agree / ids.length > 0.97, `agreement ${agree / ids.length}`);
  });

  test('not confident without real stripes: the edge of a moving area, a step at another azimuth, or noise alone', () => {
    const nx = correlatedNoise(0.06, 31);
    const ny = correlatedNoise(0.06, 32);
    const cases: [string, (col: number, row: number) => number][] = [
      ['moving area over half the track length', (col, row) => (col > 200 && row < 150 ? 0.4 : 0)],
      ['a straight step across the image at 40° (a fault)', (col, row) => ((col - 200) * Math.cos((40 * Math.PI) / 180) + (row - 150) * Math.sin((40 * Math.PI) / 180) > 0 ? 0.3 : 0)],
      ['noise only', () => 0],
    ];
    for (const [name, f] of cases) {
      const dx = new Float32Array(EW * EH);
      const dy = new Float32Array(EW * EH);
      for (let i = 0; i < EW * EH; i++) {
        const v = f(i % EW, Math.floor(i / EW));
        dx[i] = v + nx[i]!;
        dy[i] = -0.5 * v + ny[i]!;
      }
      for (const second of [dy, undefined]) {
        const est = estimateStripeGeometry(dx, EW, EH, { azimuthDeg: 192, ...(second ? { second } : {}) });
        assert.equal(est.confident, false, `${name}${second ? '' : ' (dx only)'}: boundaries ${est.boundaries}`);
        assert.deepEqual(est.boundaries, []);
        assert.match(est.reason, /not destriping/);
      }
    }
  });

  test('errors', () => {
    const nan = new Float32Array(EW * EH).fill(NaN);
    assert.throws(() => estimateStripeGeometry(nan, EW, EH, { azimuthDeg: 12 }), /values has no finite pixel/);
    const { values } = scene(57.3, 20.4);
    assert.throws(() => estimateStripeGeometry(values, EW, EH, { azimuthDeg: 12, minWidthPx: 50, maxWidthPx: 20 }), /maxWidthPx 20 < minWidthPx 50/);
    assert.throws(() => estimateStripeGeometry(values, EW, EH, { azimuthDeg: 12, second: new Float32Array(3) }), /second/);
    assert.throws(() => estimateStripeGeometry(values, EW, EH, { azimuthDeg: 12, segments: 1 }), /segments/);
  });
});
