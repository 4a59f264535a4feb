// Known-answer accuracy of the dense correlator: sign convention, sub-pixel shifts (RMSE, bias, pixel locking),
// a fault step under regularisation, and a hard pair (gain/offset, noise, decorrelated patch).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { correlatePair } from '../../../src/algorithms/correlation/index.ts';
import { addNoise, makeTexture, render, stdOf } from './texture.ts';

const N = 128;
const tex = makeTexture(7);

interface Stats {
  n: number;
  rmse: number;
  biasX: number;
  biasY: number;
  p99: number;
}

/** Error statistics over valid pixels against a known field (u east, v south; dy expected = -v). */
function stats(res: ReturnType<typeof correlatePair>, u: (k: number) => number, v: (k: number) => number, keep?: (k: number) => boolean): Stats {
  const errs: number[] = [];
  let se = 0;
  let bx = 0;
  let by = 0;
  for (let k = 0; k < res.dx.length; k++) {
    if (!res.valid[k] || (keep && !keep(k))) continue;
    const ex = (res.dx[k] as number) - u(k);
    const ey = (res.dy[k] as number) + v(k);
    se += ex * ex + ey * ey;
    bx += ex;
    by += ey;
    errs.push(Math.hypot(ex, ey));
  }
  errs.sort((a, b) => a - b);
  const n = errs.length;
  return {
    n,
    rmse: Math.sqrt(se / (2 * n)),
    biasX: bx / n,
    biasY: by / n,
    p99: errs[Math.floor(0.99 * (n - 1))] ?? NaN,
  };
}

describe('correlatePair known answers', () => {
  test('sign convention: content moved east and south gives dx > 0 and dy < 0 (north positive)', () => {
    const ref = render(tex, N, N);
    const sec = render(tex, N, N, 2, 1); // moved +2 columns (east) and +1 row (south)
    const res = correlatePair(ref, sec, N, N, { searchRange: 4 });
    const k = 64 * N + 64;
    assert.equal(res.valid[k], 1);
    assert.ok(Math.abs((res.dx[k] as number) - 2) < 0.02, `dx ${res.dx[k]}`);
    assert.ok(Math.abs((res.dy[k] as number) + 1) < 0.02, `dy ${res.dy[k]} should be -1 (north positive)`);
    assert.ok((res.correlation[k] as number) > 0.99);
  });

  test('sub-pixel shifts 0.1 … 0.73 px: RMSE <= 0.03 px with noise (SNR 100), no bias', () => {
    const ref = render(tex, N, N);
    const sd = stdOf(ref);
    addNoise(ref, sd / 100, 1);
    let all = 0;
    let cnt = 0;
    for (const s of [0.1, 0.25, 0.37, 0.5, 0.73]) {
      const u = s;
      const v = -0.6 * s - 1; // a second, different fraction along rows, plus an integer part
      const sec = addNoise(render(tex, N, N, u, v), sd / 100, Math.round(s * 1000));
      const res = correlatePair(ref, sec, N, N, { searchRange: 3 });
      const st = stats(res, () => u, () => v);
      console.log(`# shift (${u}, ${v.toFixed(3)}): valid ${st.n}, RMSE ${st.rmse.toFixed(4)} px, bias (${st.biasX.toFixed(4)}, ${st.biasY.toFixed(4)}), p99 ${st.p99.toFixed(3)}`);
      assert.ok(st.n > 0.95 * (N - 6) * (N - 6), `valid ${st.n}`);
      assert.ok(st.rmse <= 0.03, `RMSE ${st.rmse} at shift ${s}`);
      assert.ok(Math.abs(st.biasX) < 0.01 && Math.abs(st.biasY) < 0.01, `bias ${st.biasX}, ${st.biasY}`);
      all += st.rmse * st.rmse * st.n;
      cnt += st.n;
    }
    assert.ok(Math.sqrt(all / cnt) <= 0.03);
  });

  test('no pixel locking: the mean error does not depend on the fractional part of the shift', () => {
    const ref = render(tex, 96, 96);
    const biases: number[] = [];
    for (let f = 0; f < 1; f += 0.125) {
      const sec = render(tex, 96, 96, f, 0);
      const st = stats(correlatePair(ref, sec, 96, 96, { searchRange: 2, regularization: 0 }), () => f, () => 0);
      biases.push(st.biasX);
      // pixel locking would pull estimates toward the nearest integer: bias of sign opposite to (f - round(f))
      assert.ok(Math.abs(st.biasX) < 0.01, `bias ${st.biasX} at fraction ${f}`);
      assert.ok(st.rmse < 0.02, `RMSE ${st.rmse} at fraction ${f}`);
    }
    console.log(`# bias vs fraction 0, 1/8 … 7/8: ${biases.map((b) => b.toFixed(4)).join(' ')}`);
  });

  test('fault step (+1.5 | -1.5 px) stays sharp under regularisation 0.3', () => {
    const line = 64.5;
    const u = new Float64Array(N * N);
    for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) u[y * N + x] = x < line ? 1.5 : -1.5;
    const ref = render(tex, N, N);
    const sec = render(tex, N, N, u, 0);
    const res = correlatePair(ref, sec, N, N, { searchRange: 4, regularization: 0.3 });
    const r = 3;
    // every row: beyond SzW+1 px of the line the estimate is on its side's value
    let far = 0;
    let bad = 0;
    let widthSum = 0;
    let rows = 0;
    for (let y = 8; y < N - 8; y++) {
      for (let x = 8; x < N - 8; x++) {
        const k = y * N + x;
        if (Math.abs(x - line) <= r + 1) continue;
        far++;
        if (!res.valid[k] || Math.abs((res.dx[k] as number) - (u[k] as number)) > 0.1) bad++;
      }
      // transition width: from the last pixel near +1.5 to the first near -1.5
      let a = -1;
      let b = -1;
      for (let x = 40; x < 90; x++) {
        const d = res.dx[y * N + x] as number;
        if (Math.abs(d - 1.5) < 0.25) a = x;
        if (b < 0 && x > a && a >= 0 && Math.abs(d + 1.5) < 0.25) b = x;
      }
      if (a >= 0 && b >= 0) {
        widthSum += b - a - 1;
        rows++;
      }
    }
    console.log(`# fault: ${bad}/${far} pixels beyond ${r + 1} px of the line off by > 0.1 px or invalid; mean gap between the two sides ${(widthSum / rows).toFixed(2)} px`);
    assert.ok(bad / far < 0.01, `${bad} of ${far}`);
    assert.ok(widthSum / rows <= 2 * (r + 1), `transition width ${widthSum / rows}`);
  });

  test('hard pair: gain/offset + noise + decorrelated patch -> patch invalid or regularised, not wild', () => {
    const W = 160;
    const ref = render(tex, W, W);
    const sd = stdOf(ref);
    addNoise(ref, sd / 100, 5);
    const u = 1.27;
    const v = -0.64;
    const sec = render(tex, W, W, u, v);
    const other = render(makeTexture(99), W, W);
    const inPatch = (x: number, y: number): boolean => x >= 60 && x < 100 && y >= 60 && y < 100;
    for (let y = 0; y < W; y++) {
      for (let x = 0; x < W; x++) {
        const k = y * W + x;
        sec[k] = 0.7 * (inPatch(x, y) ? (other[k] as number) : (sec[k] as number)) + 250;
      }
    }
    addNoise(sec, (0.7 * sd) / 100, 6);
    const res = correlatePair(ref, sec, W, W, { searchRange: 5 });
    const outside = (k: number): boolean => {
      const x = k % W;
      const y = Math.floor(k / W);
      return x < 55 || x >= 105 || y < 55 || y >= 105;
    };
    const good = stats(res, () => u, () => v, outside);
    let patchValid = 0;
    let wild = 0;
    for (let y = 60; y < 100; y++) {
      for (let x = 60; x < 100; x++) {
        const k = y * W + x;
        if (!res.valid[k]) continue;
        patchValid++;
        if (Math.hypot((res.dx[k] as number) - u, (res.dy[k] as number) + v) > 2) wild++;
      }
    }
    console.log(`# hard: outside RMSE ${good.rmse.toFixed(4)} px (${good.n} px); patch: ${patchValid}/1600 valid, ${wild} off by > 2 px`);
    assert.ok(good.rmse < 0.03, `outside RMSE ${good.rmse}`);
    assert.ok(good.n > 0.9 * (W * W - 50 * 50 - 4 * 3 * W), `outside valid ${good.n}`);
    // inside the patch: rejected, or pulled to the surrounding motion (no wild vectors)
    assert.ok(patchValid < 0.25 * 1600, `patch valid ${patchValid}`);
    assert.ok(wild <= 0.03 * 1600, `wild ${wild}`);
    const res0 = correlatePair(ref, sec, W, W, { searchRange: 5, regularization: 0 });
    let wild0 = 0;
    for (let y = 60; y < 100; y++) {
      for (let x = 60; x < 100; x++) {
        const k = y * W + x;
        if (res0.valid[k] && Math.hypot((res0.dx[k] as number) - u, (res0.dy[k] as number) + v) > 2) wild0++;
      }
    }
    console.log(`# hard, plain winner-take-all (regularization 0) for comparison: ${wild0}/1600 patch pixels off by > 2 px`);
  });
});
