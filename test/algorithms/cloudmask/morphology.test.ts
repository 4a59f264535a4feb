import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dilateSquare,
  fillHoles,
  labelComponents,
  percentileWhere,
  percentilesWhere,
} from '../../../src/algorithms/cloudmask/morphology.ts';

/** Parses rows of '0'/'1' characters into a flat mask. */
function grid(rows: string[]): { m: Uint8Array; w: number; h: number } {
  const w = rows[0]!.length;
  return { m: Uint8Array.from(rows.join(''), (c) => (c === '1' ? 1 : 0)), w, h: rows.length };
}
function show(m: Uint8Array, w: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < m.length; i += w) out.push(Array.from(m.subarray(i, i + w)).join(''));
  return out;
}

describe('dilateSquare', () => {
  test('a single pixel grows into a (2r+1)² square, clipped at the border', () => {
    const { m, w, h } = grid(['000000', '000000', '000100', '000000', '000000']);
    assert.deepEqual(show(dilateSquare(m, w, h, 1), w), ['000000', '001110', '001110', '001110', '000000']);
    assert.deepEqual(show(dilateSquare(m, w, h, 2), w), ['011111', '011111', '011111', '011111', '011111']);
    assert.deepEqual(dilateSquare(m, w, h, 0), m);
  });
});

describe('fillHoles (grey-level, 4-connected)', () => {
  test('a pit enclosed by a ring fills to the ring’s lowest pass; an open pit does not', () => {
    const w = 7;
    const h = 5;
    // Plateau 0.30; ring of 0.50 with one pass at 0.40 around a pit of 0.10; an open pit at the border (0.05).
    const v = new Float32Array(w * h).fill(0.3);
    const set = (x: number, y: number, val: number): void => {
      v[y * w + x] = val;
    };
    for (let y = 0; y <= 4; y++) for (let x = 1; x <= 5; x++) if (y === 0 || y === 4 || x === 1 || x === 5) set(x, y, 0.5);
    set(3, 0, 0.4);
    for (let y = 1; y <= 3; y++) for (let x = 2; x <= 4; x++) set(x, y, 0.1);
    set(0, 2, 0.05);
    const f = fillHoles(v, w, h, 0);
    for (let y = 1; y <= 3; y++) for (let x = 2; x <= 4; x++) assert.ok(Math.abs(f[y * w + x]! - 0.4) < 1e-6);
    assert.ok(Math.abs(f[2 * w]! - 0.05) < 1e-6, 'open pit stays');
    assert.ok(Math.abs(f[0]! - 0.3) < 1e-6);
    for (let i = 0; i < w * h; i++) assert.ok(f[i]! >= v[i]! - 1e-4);
  });

  test('no-data pixels act as border at the background value', () => {
    const w = 5;
    const h = 5;
    const v = new Float32Array(w * h).fill(0.5);
    v[12] = 0.1; // centre pit
    const closed = fillHoles(v, w, h, 0.2);
    assert.ok(Math.abs(closed[12]! - 0.5) < 1e-6);
    const seed = new Uint8Array(w * h);
    seed[7] = 1; // a no-data pixel next to the pit, background 0.2
    const opened = fillHoles(v, w, h, 0.2, seed);
    assert.ok(Math.abs(opened[12]! - 0.2) < 1e-6);
    v[7] = NaN; // NaN behaves the same
    assert.ok(Math.abs(fillHoles(v, w, h, 0.2)[12]! - 0.2) < 1e-6);
  });
});

describe('labelComponents', () => {
  test('8-connectivity joins diagonals; sizes are counted', () => {
    const { m, w, h } = grid(['1100', '0010', '0000', '1001']);
    const { labels, count, sizes } = labelComponents(m, w, h);
    assert.equal(count, 3);
    assert.equal(labels[0], labels[6]);
    assert.notEqual(labels[12], labels[15]);
    assert.deepEqual(Array.from(sizes), [0, 3, 1, 1]);
    assert.equal(labels[2], 0);
  });
});

describe('percentiles', () => {
  test('nearest rank over the selected finite values', () => {
    const v = Float32Array.from([5, 1, 4, 2, 3, NaN, 100]);
    const sel = Uint8Array.from([1, 1, 1, 1, 1, 1, 0]);
    assert.equal(percentileWhere(v, sel, 0), 1);
    assert.equal(percentileWhere(v, sel, 50), 3);
    assert.equal(percentileWhere(v, sel, 100), 5);
    assert.deepEqual(percentilesWhere(v, sel, [25, 75]), [2, 4]);
    assert.ok(Number.isNaN(percentileWhere(v, new Uint8Array(7), 50)));
  });
});
