import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LAND_COVER_NAMES,
  N_CLASSES,
  ndvi,
  reflectance,
  reflectanceTable,
  s2FromDn,
  s2NoiseSd,
  s2Reflectance,
  s2ToDn,
} from '../../src/simulate/spectra.ts';

describe('spectra', () => {
  test('NDVI: vegetation > 0.6, water < 0, soil 0.05..0.3 (S2, Landsat-8, Pléiades)', () => {
    const cases: [Parameters<typeof reflectance>[0], string, string][] = [
      ['sentinel-2', 'B04', 'B08'],
      ['landsat-8', 'B4', 'B5'],
      ['pleiades', 'B2', 'B3'],
    ];
    for (const [sensor, red, nir] of cases) {
      const n = (c: (typeof LAND_COVER_NAMES)[number]) => ndvi(reflectance(sensor, c, red), reflectance(sensor, c, nir));
      assert.ok(n('vegetation') > 0.6, `${sensor} vegetation ${n('vegetation')}`);
      assert.ok(n('water') < 0, `${sensor} water ${n('water')}`);
      assert.ok(n('soil') >= 0.05 && n('soil') <= 0.3, `${sensor} soil ${n('soil')}`);
    }
  });

  test('typical values: vegetation red ~0.04 NIR ~0.35, snow bright visible and dark SWIR, clouds bright', () => {
    assert.ok(Math.abs(s2Reflectance('vegetation', 'B04') - 0.04) < 0.01);
    assert.ok(Math.abs(s2Reflectance('vegetation', 'B08') - 0.35) < 0.03);
    assert.ok(s2Reflectance('snow', 'B03') > 0.85 && s2Reflectance('snow', 'B11') < 0.15);
    for (const b of ['B02', 'B04', 'B08', 'B11']) assert.ok(s2Reflectance('cloud', b) > 0.4);
  });

  test('TOA table adds path reflectance except for clouds', () => {
    const bands = ['B02', 'B04'];
    const sr = reflectanceTable('sentinel-2', bands);
    const toa = reflectanceTable('sentinel-2', bands, true);
    assert.equal(sr.length, N_CLASSES * 2);
    assert.ok(toa[3 * 2]! > sr[3 * 2]!); // water blue brighter at TOA
    assert.equal(toa[6 * 2]!, sr[6 * 2]!); // cloud unchanged
  });

  test('quantisation and noise', () => {
    assert.equal(s2ToDn(0.2), 3000);
    assert.equal(s2ToDn(-0.5), 1);
    assert.equal(s2ToDn(10), 65535);
    assert.equal(s2FromDn(3000), 0.2);
    const sd = s2NoiseSd('B04', 0.12);
    assert.ok(sd > 0.0005 && sd < 0.002, `sd ${sd}`);
    assert.ok(s2NoiseSd('B04', 0.5) > sd);
  });
});
