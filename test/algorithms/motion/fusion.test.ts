import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fusePairs } from '../../../src/algorithms/motion/fusion.ts';
import type { PairField } from '../../../src/algorithms/motion/fusion.ts';
import { isGepError } from '../../../src/core/errors.ts';

const f32 = (...v: number[]): Float32Array => Float32Array.from(v);

/**
 * Three pixels, three pairs (metres, east/north positive):
 *   pixel 0 "aligned":  P1 (1,2)/10 d, P2 (2,4)/20 d, P3 backward (-1,-2)/-10 d  -> every v = (0.1, 0.2) m/day
 *   pixel 1 "opposite": P1 (1,0)/10 d -> (0.1,0), P2 (-2,0)/20 d -> (-0.1,0), P3 correlation 0.1 < 0.2: invalid
 *   pixel 2 "one NaN":  P1 (3,4)/10 d -> (0.3,0.4), P2 NaN, P3 (-1,0)/-10 d -> (0.1,0)
 */
const FIELDS: PairField[] = [
  { dx: f32(1, 1, 3), dy: f32(2, 0, 4), correlation: f32(0.9, 0.9, 0.9), days: 10 },
  { dx: f32(2, -2, NaN), dy: f32(4, 0, NaN), correlation: f32(0.9, 0.9, 0.9), days: 20 },
  { dx: f32(-1, -1, -1), dy: f32(-2, 0, 0), correlation: f32(0.9, 0.1, 0.9), days: -10 },
];

function close(actual: Float32Array | Uint16Array, expected: number[], what: string, tol = 1e-6): void {
  expected.forEach((e, i) => {
    const a = actual[i]!;
    if (Number.isNaN(e)) assert.ok(Number.isNaN(a), `${what}[${i}] = ${a}, expected NaN`);
    else assert.ok(Math.abs(a - e) <= tol, `${what}[${i}] = ${a}, expected ${e}`);
  });
}

describe('fusePairs', () => {
  test('3×1 pixels, hand-computed', () => {
    const r = fusePairs(FIELDS, 3, 1);
    close(r.count, [3, 2, 2], 'count');
    close(r.quality, [1, 2 / 3, 2 / 3], 'quality');
    close(r.velocityEw, [0.1, 0, 0.2], 'velocityEw');
    close(r.velocityNs, [0.2, 0, 0.2], 'velocityNs');
    // mean of |d_i|: (√5 + 2√5 + √5)/3; (1 + 2)/2; (5 + 1)/2
    close(r.displacementMagnitude, [(4 * Math.sqrt(5)) / 3, 1.5, 3], 'displacementMagnitude');
    // |Σv| / Σ|v|: aligned 1; opposite 0; |(0.4,0.4)| / (0.5 + 0.1)
    close(r.vectorCoherence, [1, 0, Math.sqrt(0.32) / 0.6], 'vectorCoherence');
    // s/√n with s the sample std: pixel 1 EW values ±0.1 -> s = √0.02, se = 0.1; pixel 2 EW 0.3, 0.1 -> 0.1, NS 0.4, 0 -> 0.2
    close(r.uncertaintyEw, [0, 0.1, 0.1], 'uncertaintyEw');
    close(r.uncertaintyNs, [0, 0, 0.2], 'uncertaintyNs');
  });

  test('threshold and minPairs', () => {
    const low = fusePairs(FIELDS, 3, 1, { threshold: 0.05 }); // pixel 1, P3 now valid: v = (0.1, 0)
    close(low.count, [3, 3, 2], 'count');
    close(low.quality, [1, 1, 2 / 3], 'quality');
    close(low.velocityEw, [0.1, 0.1 / 3, 0.2], 'velocityEw');
    close(low.vectorCoherence, [1, 1 / 3, Math.sqrt(0.32) / 0.6], 'vectorCoherence');
    const strict = fusePairs(FIELDS, 3, 1, { minPairs: 3 });
    close(strict.velocityEw, [0.1, NaN, NaN], 'velocityEw');
    close(strict.displacementMagnitude, [(4 * Math.sqrt(5)) / 3, NaN, NaN], 'displacementMagnitude');
    close(strict.vectorCoherence, [1, NaN, NaN], 'vectorCoherence');
    close(strict.uncertaintyNs, [0, NaN, NaN], 'uncertaintyNs');
    close(strict.quality, [1, 2 / 3, 2 / 3], 'quality');
    close(strict.count, [3, 2, 2], 'count');
  });

  test('a backward pair (−d, −days) agrees with its forward pair', () => {
    const d = { dx: f32(3, 0.5), dy: f32(-4, 0.25) };
    const r = fusePairs(
      [
        { ...d, days: 12 },
        { dx: d.dx.map((v) => -v), dy: d.dy.map((v) => -v), days: -12 },
      ],
      2,
      1,
    );
    close(r.velocityEw, [0.25, 0.5 / 12], 'velocityEw');
    close(r.velocityNs, [-4 / 12, 0.25 / 12], 'velocityNs');
    close(r.vectorCoherence, [1, 1], 'vectorCoherence');
    close(r.displacementMagnitude, [5, Math.hypot(0.5, 0.25)], 'displacementMagnitude');
    close(r.uncertaintyEw, [0, 0], 'uncertaintyEw');
  });

  test('no correlation map: every finite pair counts; one pair: uncertainty NaN; no valid pair: NaN, quality 0', () => {
    const r = fusePairs([{ dx: f32(2, NaN), dy: f32(0, 1), days: 4 }], 2, 1);
    close(r.count, [1, 0], 'count');
    close(r.quality, [1, 0], 'quality');
    close(r.velocityEw, [0.5, NaN], 'velocityEw');
    close(r.uncertaintyEw, [NaN, NaN], 'uncertaintyEw');
    close(r.vectorCoherence, [1, NaN], 'vectorCoherence');
    const zero = fusePairs([{ dx: f32(0), dy: f32(0), days: 4 }, { dx: f32(0), dy: f32(0), days: 8 }], 1, 1);
    close(zero.vectorCoherence, [1], 'vectorCoherence of zero vectors');
  });

  test('errors name the input', () => {
    const bad = (fn: () => unknown, re: RegExp): void =>
      assert.throws(fn, (e: unknown) => isGepError(e) && e.code === 'GEP_ERR_INVALID_INPUT' && re.test(e.message));
    bad(() => fusePairs([], 3, 1), /at least one pair/);
    bad(() => fusePairs([{ ...FIELDS[0]!, days: 0 }], 3, 1), /fields\[0\]\.days must be a finite non-zero/);
    bad(() => fusePairs([FIELDS[0]!, { ...FIELDS[1]!, dy: f32(1) }], 3, 1), /fields\[1\]\.dy has 1 elements/);
    bad(() => fusePairs(FIELDS, 3, 1, { minPairs: 0 }), /minPairs/);
  });
});
