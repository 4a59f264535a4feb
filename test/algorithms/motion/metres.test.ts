import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pixelsToMetres } from '../../../src/algorithms/motion/metres.ts';

const f32 = (...v: number[]): Float32Array => Float32Array.from(v);

function close(actual: Float32Array, expected: number[], what: string): void {
  expected.forEach((e, i) => {
    const a = actual[i]!;
    if (Number.isNaN(e)) assert.ok(Number.isNaN(a), `${what}[${i}] = ${a}, expected NaN`);
    else assert.ok(Math.abs(a - e) <= 1e-6, `${what}[${i}] = ${a}, expected ${e}`);
  });
}

describe('pixelsToMetres', () => {
  test('scales by the positive pixel size, keeps signs and NaN', () => {
    const { dxM, dyM } = pixelsToMetres(f32(0.5, -0.1, NaN), f32(-0.25, 2, 1), 10, 20);
    close(dxM, [5, -1, NaN], 'dxM');
    close(dyM, [-5, 40, 20], 'dyM');
  });
  test('refuses a negative or zero pixel size (GeoTransform[5] passed as is)', () => {
    assert.throws(() => pixelsToMetres(f32(1), f32(1), 10, -10), /gsdY must be a positive pixel size in metres, got -10/);
    assert.throws(() => pixelsToMetres(f32(1), f32(1), 0, 10), /gsdX/);
    assert.throws(() => pixelsToMetres(f32(1), f32(1, 2), 10, 10), /dxPx has 1 elements but dyPx has 2/);
  });
});
