import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MASK,
  QA_BIT,
  combinePairMask,
  maskFromLandsatQa,
  maskFromScl,
} from '../../../src/algorithms/cloudmask/index.ts';
import { GepError } from '../../../src/core/errors.ts';

describe('maskFromScl', () => {
  // Every Sen2Cor class, then every undefined code.
  const table: [number, string, number][] = [
    [0, 'NO_DATA', MASK.NODATA],
    [1, 'SATURATED_OR_DEFECTIVE', MASK.NODATA],
    [2, 'DARK_AREA_PIXELS / topographic shadow', MASK.CLEAR],
    [3, 'CLOUD_SHADOWS', MASK.SHADOW],
    [4, 'VEGETATION', MASK.CLEAR],
    [5, 'NOT_VEGETATED', MASK.CLEAR],
    [6, 'WATER', MASK.WATER],
    [7, 'UNCLASSIFIED', MASK.CLEAR],
    [8, 'CLOUD_MEDIUM_PROBABILITY', MASK.CLOUD],
    [9, 'CLOUD_HIGH_PROBABILITY', MASK.CLOUD],
    [10, 'THIN_CIRRUS', MASK.CLOUD],
    [11, 'SNOW', MASK.SNOW],
  ];
  for (const [code, name, expected] of table) {
    test(`SCL ${code} (${name}) -> ${expected}`, () => {
      assert.deepEqual(Array.from(maskFromScl(Uint8Array.of(code))), [expected]);
    });
  }
  test('codes 12..255 -> NODATA; output has the input length', () => {
    const scl = Uint8Array.from({ length: 244 }, (_, i) => i + 12);
    const out = maskFromScl(scl);
    assert.equal(out.length, 244);
    assert.ok(out.every((v) => v === MASK.NODATA));
  });
  test('a mixed array maps element-wise', () => {
    assert.deepEqual(Array.from(maskFromScl(Uint8Array.of(4, 9, 3, 6, 11, 0))), [0, 1, 2, 4, 3, 255]);
  });
  test('wrong type is rejected', () => {
    assert.throws(() => maskFromScl(new Uint16Array(3) as unknown as Uint8Array), GepError);
  });
});

describe('maskFromLandsatQa (Collection 2 QA_PIXEL)', () => {
  const bit = (b: number): number => 1 << b;
  const table: [string, number, number][] = [
    ['no flag', 0, MASK.CLEAR],
    ['bit 0 fill', bit(QA_BIT.FILL), MASK.NODATA],
    ['bit 1 dilated cloud', bit(QA_BIT.DILATED_CLOUD), MASK.CLOUD],
    ['bit 2 cirrus', bit(QA_BIT.CIRRUS), MASK.CLOUD],
    ['bit 3 cloud', bit(QA_BIT.CLOUD), MASK.CLOUD],
    ['bit 4 cloud shadow', bit(QA_BIT.CLOUD_SHADOW), MASK.SHADOW],
    ['bit 5 snow', bit(QA_BIT.SNOW), MASK.SNOW],
    ['bit 6 clear', bit(QA_BIT.CLEAR), MASK.CLEAR],
    ['bit 7 water', bit(QA_BIT.WATER), MASK.WATER],
    ['bits 8-15 confidences only', 0xff00, MASK.CLEAR],
    ['fill wins over everything', 0xffff, MASK.NODATA],
    ['cloud wins over shadow, snow, water', bit(3) | bit(4) | bit(5) | bit(7), MASK.CLOUD],
    ['shadow wins over snow and water', bit(4) | bit(5) | bit(7), MASK.SHADOW],
    ['snow wins over water', bit(5) | bit(7), MASK.SNOW],
    ['typical clear land 21824 (0x5540)', 21824, MASK.CLEAR],
    ['typical water 21952 (0x55C0)', 21952, MASK.WATER],
    ['typical high-confidence cloud 22280 (0x5708)', 22280, MASK.CLOUD],
    ['typical fill 1', 1, MASK.NODATA],
  ];
  for (const [name, qa, expected] of table) {
    test(`${name} -> ${expected}`, () => {
      assert.deepEqual(Array.from(maskFromLandsatQa(Uint16Array.of(qa))), [expected]);
    });
  }
  test('wrong type is rejected', () => {
    assert.throws(() => maskFromLandsatQa(new Uint8Array(3) as unknown as Uint16Array), GepError);
  });
});

describe('combinePairMask', () => {
  const codes = [MASK.CLEAR, MASK.CLOUD, MASK.SHADOW, MASK.SNOW, MASK.WATER, MASK.NODATA, 7];
  const usable = new Set<number>([MASK.CLEAR, MASK.SNOW]);
  test('truth table: usable (CLEAR or SNOW) in both -> 1', () => {
    const a: number[] = [];
    const b: number[] = [];
    const expected: number[] = [];
    for (const x of codes) {
      for (const y of codes) {
        a.push(x);
        b.push(y);
        expected.push(usable.has(x) && usable.has(y) ? 1 : 0);
      }
    }
    assert.deepEqual(Array.from(combinePairMask(Uint8Array.from(a), Uint8Array.from(b))), expected);
    // Spot checks of the documented choices.
    assert.deepEqual(Array.from(combinePairMask(Uint8Array.of(0, 4, 3, 0), Uint8Array.of(0, 4, 0, 2))), [1, 0, 1, 0]);
  });
  test('different lengths: GepError naming both masks', () => {
    assert.throws(
      () => combinePairMask(new Uint8Array(3), new Uint8Array(4)),
      (e: unknown) => e instanceof GepError && e.code === 'GEP_ERR_INVALID_INPUT' && /'a'.*'b'/.test(e.message),
    );
  });
});
