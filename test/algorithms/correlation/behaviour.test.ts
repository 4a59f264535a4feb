// Contract of the dense correlator: winner-take-all equivalence with a brute-force ZNCC, threshold, mask, NaN
// input, output sampling, tiling, the L1 distance transform of the aggregation, input checks and cancellation.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { correlatePair, correlateTile, planTiles, pasteTile, removeSpeckles } from '../../../src/algorithms/correlation/index.ts';
import { aggregate } from '../../../src/algorithms/correlation/sgm.ts';
import { emptyResult } from '../../../src/algorithms/correlation/types.ts';
import { isGepError } from '../../../src/core/errors.ts';
import { addNoise, makeTexture, render, stdOf } from './texture.ts';

const N = 96;
const tex = makeTexture(3);
const ref = render(tex, N, N);
const sec = render(tex, N, N, 1.4, 0.6);

/** Brute-force zero-mean NCC of the (2r+1)² windows at (x, y) in a and (x+du, y+dv) in b. */
function zncc(a: Float32Array, b: Float32Array, w: number, x: number, y: number, du: number, dv: number, r: number): number {
  let sa = 0;
  let sb = 0;
  const n = (2 * r + 1) ** 2;
  for (let j = -r; j <= r; j++) {
    for (let i = -r; i <= r; i++) {
      sa += a[(y + j) * w + x + i] as number;
      sb += b[(y + j + dv) * w + x + i + du] as number;
    }
  }
  const ma = sa / n;
  const mb = sb / n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let j = -r; j <= r; j++) {
    for (let i = -r; i <= r; i++) {
      const p = (a[(y + j) * w + x + i] as number) - ma;
      const q = (b[(y + j + dv) * w + x + i + du] as number) - mb;
      ab += p * q;
      aa += p * p;
      bb += q * q;
    }
  }
  return ab / Math.sqrt(aa * bb);
}

describe('correlatePair contract', () => {
  test('regularization 0 is winner-take-all ZNCC: integer peak equals a brute-force search', () => {
    const r = 2;
    const S = 3;
    const res = correlatePair(ref, sec, N, N, { windowRadius: r, searchRange: S, regularization: 0, threshold: -1 });
    for (const [x, y] of [[10, 10], [40, 57], [80, 33], [60, 85]] as const) {
      let best = -2;
      let bu = 0;
      let bv = 0;
      for (let dv = -S; dv <= S; dv++) {
        for (let du = -S; du <= S; du++) {
          const c = zncc(ref, sec, N, x, y, du, dv, r);
          if (c > best) {
            best = c;
            bu = du;
            bv = dv;
          }
        }
      }
      const k = y * N + x;
      assert.equal(res.valid[k], 1);
      // the sub-pixel estimate stays within the cell of the brute-force integer peak
      assert.ok(Math.abs((res.dx[k] as number) - bu) <= 0.5 + 1e-6, `dx ${res.dx[k]} vs ${bu}`);
      assert.ok(Math.abs(-(res.dy[k] as number) - bv) <= 0.5 + 1e-6, `dy ${res.dy[k]} vs ${-bv}`);
      assert.ok((res.correlation[k] as number) >= best - 1e-4, `refined ZNCC ${res.correlation[k]} < integer ${best}`);
    }
  });

  test('threshold: weak matches are NaN and invalid, their correlation is still reported', () => {
    const sd = stdOf(ref);
    const noisy = addNoise(render(tex, N, N, 1.4, 0.6), sd * 0.8, 4);
    const res = correlatePair(ref, noisy, N, N, { searchRange: 3, threshold: 0.8 });
    let below = 0;
    for (let k = 0; k < N * N; k++) {
      const c = res.correlation[k] as number;
      if (Number.isNaN(c)) continue;
      if (c < 0.8) {
        below++;
        assert.equal(res.valid[k], 0);
        assert.ok(Number.isNaN(res.dx[k] as number) && Number.isNaN(res.dy[k] as number));
      }
      if (res.valid[k]) assert.ok(c >= 0.8);
    }
    assert.ok(below > 100, `${below} pixels below the threshold`);
  });

  test('mask, NaN input and image borders give NaN / invalid, and do not spoil their neighbours', () => {
    const mask = new Uint8Array(N * N).fill(1);
    for (let y = 20; y < 40; y++) for (let x = 20; x < 40; x++) mask[y * N + x] = 0;
    const withNan = Float32Array.from(sec);
    withNan[70 * N + 70] = NaN;
    const res = correlatePair(ref, withNan, N, N, { searchRange: 3, mask });
    for (let y = 20; y < 40; y++) {
      for (let x = 20; x < 40; x++) {
        const k = y * N + x;
        assert.equal(res.valid[k], 0);
        assert.ok(Number.isNaN(res.correlation[k] as number) && Number.isNaN(res.dx[k] as number));
      }
    }
    assert.equal(res.valid[70 * N + 70], 0, 'template on a NaN');
    assert.ok(Number.isNaN(res.dx[0] as number) && res.valid[0] === 0, 'border');
    let good = 0;
    for (let y = 50; y < 90; y++) {
      for (let x = 5; x < 60; x++) {
        const k = y * N + x;
        if (res.valid[k] && Math.abs((res.dx[k] as number) - 1.4) < 0.05 && Math.abs((res.dy[k] as number) + 0.6) < 0.05) good++;
      }
    }
    assert.ok(good > 0.97 * 40 * 55, `${good}`);
  });

  test('step: output grid ceil(W/step) × ceil(H/step) sampling image pixels (i·step, j·step)', () => {
    const full = correlatePair(ref, sec, N, N, { searchRange: 3, regularization: 0 });
    const half = correlatePair(ref, sec, N, N, { searchRange: 3, regularization: 0, step: 3 });
    assert.equal(half.width, 32);
    assert.equal(half.height, 32);
    for (const [i, j] of [[5, 5], [10, 20], [25, 12]] as const) {
      const k = j * 32 + i;
      const kf = j * 3 * N + i * 3;
      assert.equal(half.valid[k], 1);
      assert.ok(Math.abs((half.dx[k] as number) - (full.dx[kf] as number)) < 1e-4);
      assert.ok(Math.abs((half.dy[k] as number) - (full.dy[kf] as number)) < 1e-4);
    }
  });

  test('tiles: pasting correlateTile results reproduces correlatePair (exactly without regularisation)', () => {
    const opts = { searchRange: 3, regularization: 0, tileSize: 40 };
    const whole = correlatePair(ref, sec, N, N, opts);
    const tiles = planTiles(N, N, opts);
    assert.equal(tiles.length, 9);
    const merged = emptyResult(N, N);
    for (const t of tiles) pasteTile(merged, t, correlateTile(ref, sec, N, N, t, opts));
    assert.deepEqual(merged.valid, whole.valid);
    assert.deepEqual(merged.dx, whole.dx);
    // with regularisation, the halo keeps tiles consistent with one big tile
    const reg = { searchRange: 3, regularization: 0.3 };
    const a = correlatePair(ref, sec, N, N, { ...reg, tileSize: 32, tileHalo: 16 });
    const b = correlatePair(ref, sec, N, N, { ...reg, tileSize: 256 });
    let diff = 0;
    for (let k = 0; k < N * N; k++) if (a.valid[k] !== b.valid[k] || Math.abs((a.dx[k] as number) - (b.dx[k] as number)) > 1e-3) diff++;
    assert.ok(diff < 0.01 * N * N, `${diff} pixels differ`);
  });

  test('aggregation: one path step is the exact 2-D L1 distance transform (vs brute force)', () => {
    const nl = 5;
    const L = nl * nl;
    const P = 0.3;
    // 2 pixels in a row: the horizontal paths of pixel 1 see pixel 0's costs through the distance transform
    const C = new Float32Array(2 * L);
    for (let l = 0; l < L; l++) C[l] = Math.abs(Math.sin(l * 1.7)) * 2;
    const A = aggregate(C, 2, 1, nl, nl, P, 4);
    // pixel 1 with zero own cost: A = 4·0 (vertical paths start) + left path [DT(C0) - min C0]; right path = 0
    let m = Infinity;
    for (let l = 0; l < L; l++) m = Math.min(m, C[l] as number);
    for (let l = 0; l < L; l++) {
      let dt = Infinity;
      for (let k = 0; k < L; k++) {
        const d = Math.abs((l % nl) - (k % nl)) + Math.abs(Math.floor(l / nl) - Math.floor(k / nl));
        dt = Math.min(dt, (C[k] as number) + P * d);
      }
      assert.ok(Math.abs((A[L + l] as number) - (dt - m)) < 1e-5, `label ${l}`);
    }
  });

  test('speckle removal drops small isolated segments and keeps large ones', () => {
    const res = emptyResult(20, 20);
    res.valid.fill(1);
    res.dx.fill(1);
    res.dy.fill(0);
    for (let y = 5; y < 8; y++) for (let x = 5; x < 8; x++) res.dx[y * 20 + x] = 6; // a 3×3 wild blob
    assert.equal(removeSpeckles(res, 20), 9);
    assert.equal(res.valid[6 * 20 + 6], 0);
    assert.equal(res.valid[0], 1);
  });

  test('bad inputs are rejected with GEP_ERR_INVALID_INPUT; an aborted signal stops the work', () => {
    const bad = (f: () => unknown, re: RegExp): void =>
      assert.throws(f, (e: unknown) => isGepError(e) && e.code === 'GEP_ERR_INVALID_INPUT' && re.test(e.message));
    bad(() => correlatePair(ref, sec.subarray(1), N, N), /secondary/);
    bad(() => correlatePair(ref, sec, N, N, { windowRadius: 8 }), /windowRadius/);
    bad(() => correlatePair(ref, sec, N, N, { searchRange: 2.5 }), /searchRange/);
    bad(() => correlatePair(ref, sec, N, N, { regularization: -1 }), /regularization/);
    bad(() => correlatePair(ref, sec, N, N, { mask: new Uint8Array(3) }), /mask/);
    bad(() => correlateTile(ref, sec, N, N, { x: 90, y: 0, width: 10, height: 10 }), /tile/);
    const ac = new AbortController();
    ac.abort();
    assert.throws(
      () => correlatePair(ref, sec, N, N, { signal: ac.signal }),
      (e: unknown) => isGepError(e) && e.code === 'GEP_ERR_ABORTED',
    );
  });
});
