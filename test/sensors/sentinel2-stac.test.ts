import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRaster } from '../../src/raster/types.ts';
import { writeCog } from '../../src/raster/cog/write.ts';
import { openSentinel2StacItem } from '../../src/sensors/sentinel2/stac.ts';
import { writeSafe } from '../../src/sensors/sentinel2/write-safe.ts';
import { openSentinel2Safe } from '../../src/sensors/sentinel2/safe.ts';

const EPSG = 32633;
const T10: [number, number, number, number, number, number] = [300000, 10, 0, 5900040, 0, -10];
const T20: [number, number, number, number, number, number] = [300000, 20, 0, 5900040, 0, -20];
const px = (n: number, seed: number): Uint16Array => Uint16Array.from({ length: n }, (_, i) => 1000 + ((i * 13 + seed * 71) % 5000));

let dir = '';
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gep-s2stac-'));
  mkdirSync(join(dir, 'cogs'));
  await writeCog(join(dir, 'cogs', 'B04.tif'), makeRaster([px(64 * 48, 4)], 64, 48, { transform: T10, crs: { epsg: EPSG }, nodata: 0 }));
  await writeCog(join(dir, 'cogs', 'B8A.tif'), makeRaster([px(32 * 24, 9)], 32, 24, { transform: T20, crs: { epsg: EPSG }, nodata: 0 }));
  const scl = Uint8Array.from({ length: 32 * 24 }, (_, i) => i % 12);
  await writeCog(join(dir, 'cogs', 'SCL.tif'), makeRaster([scl], 32, 24, { transform: T20, crs: { epsg: EPSG }, nodata: 0 }));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('openSentinel2StacItem', () => {
  test('Earth Search style: common-name keys, raster:bands scaling, view/mgrs properties, relative hrefs', async () => {
    const item = {
      type: 'Feature',
      stac_version: '1.0.0',
      stac_extensions: [],
      id: 'S2B_33UUU_20230615_0_L2A',
      collection: 'sentinel-2-l2a',
      geometry: null,
      properties: {
        datetime: '2023-06-15T10:26:35.123Z',
        platform: 'sentinel-2b',
        'eo:cloud_cover': 3.25,
        'view:sun_elevation': 57.5,
        'view:sun_azimuth': 155,
        'mgrs:utm_zone': 33,
        'mgrs:latitude_band': 'U',
        'mgrs:grid_square': 'UU',
        'proj:epsg': EPSG,
        's2:processing_baseline': '05.09',
        'sat:relative_orbit': 65,
      },
      links: [],
      assets: {
        red: { href: './cogs/B04.tif', roles: ['data'], 'raster:bands': [{ scale: 0.0001, offset: -0.1 }] },
        nir08: { href: 'cogs/B8A.tif', roles: ['data'], 'proj:shape': [24, 32], 'proj:transform': [20, 0, 300000, 0, -20, 5900040] },
        scl: { href: 'cogs/SCL.tif', roles: ['data'] },
        thumbnail: { href: 'https://example.invalid/t.jpg', roles: ['thumbnail'] },
      },
    };
    const path = join(dir, 'item.json');
    writeFileSync(path, JSON.stringify(item));
    const p = await openSentinel2StacItem(path);
    assert.deepEqual(p.bands.map((b) => b.name), ['B04', 'B8A']);
    const b04 = p.bands[0]!;
    assert.equal(b04.commonName, 'red');
    assert.deepEqual(b04.transform, T10);
    assert.equal(b04.width, 64);
    assert.equal(b04.scale, 1e-4);
    assert.equal(b04.offset, -0.1);
    assert.deepEqual(p.bands[1]!.transform, T20);
    assert.equal(p.metadata.tileId, '33UUU');
    assert.equal(p.metadata.processingLevel, 'L2A');
    assert.equal(p.metadata.relativeOrbit, 65);
    assert.deepEqual(p.metadata.sun, { zenith: 32.5, azimuth: 155 });
    assert.equal(p.metadata.epsg, EPSG);
    assert.ok(p.metadata.footprint);
    const r = await p.readBand('red');
    assert.deepEqual(r.bands[0], px(64 * 48, 4));
    assert.deepEqual(r.transform, T10);
    const scl = await p.readMask('scl');
    assert.equal(scl.bands[0]![13], 1);
    const out = p.toStacItem();
    assert.equal(out.id, 'S2B_33UUU_20230615_0_L2A');
    assert.equal(out.properties['proj:code'], 'EPSG:32633');
    assert.deepEqual(out.properties['instruments'], ['msi']);
    await assert.rejects(p.readBand('B12'), { code: 'GEP_ERR_INVALID_INPUT' });
  });

  test('Planetary Computer style: B04 keys, s2:* angles, offset from the baseline', async () => {
    const item = {
      type: 'Feature',
      stac_version: '1.0.0',
      stac_extensions: [],
      id: 'S2A_MSIL1C_20230615T101559_R065_T33UUU_20230615T122233',
      collection: 'sentinel-2-l1c',
      geometry: null,
      properties: {
        datetime: '2023-06-15T10:15:59.024000Z',
        platform: 'Sentinel-2A',
        's2:mgrs_tile': '33UUU',
        's2:mean_solar_zenith': 30,
        's2:mean_solar_azimuth': 150,
        's2:processing_baseline': '02.14',
        'proj:epsg': EPSG,
      },
      links: [],
      assets: { B04: { href: join(dir, 'cogs', 'B04.tif'), roles: ['data'] } },
    };
    const p = await openSentinel2StacItem(item as never);
    assert.equal(p.bands[0]!.offset, 0);
    assert.equal(p.metadata.platform, 'sentinel-2a');
    assert.equal(p.metadata.processingLevel, 'L1C');
    assert.deepEqual(p.metadata.sun, { zenith: 30, azimuth: 150 });
  });

  test('the item of a SAFE product reopens with the same pixels (JP2 hrefs, zip:// hrefs)', async () => {
    const r04 = makeRaster([px(64 * 48, 7)], 64, 48, { transform: T10, crs: { epsg: EPSG } });
    for (const zip of [false, true]) {
      const out = await writeSafe(join(dir, `safe-${zip}`), {
        level: 'L1C',
        spacecraft: 'Sentinel-2A',
        datetime: '2023-06-15T10:15:59Z',
        tileId: '33UUU',
        relativeOrbit: 65,
        processingBaseline: '05.10',
        sun: { zenith: 30, azimuth: 150 },
        bands: [{ name: 'B04', raster: r04 }],
        zip,
      });
      const safe = await openSentinel2Safe(out);
      const p = await openSentinel2StacItem(safe.toStacItem());
      assert.equal(p.metadata.tileId, '33UUU');
      assert.equal(p.bands[0]!.offset, -0.1);
      assert.deepEqual((await p.readBand('B04')).bands[0], r04.bands[0]);
      await safe.close();
    }
  });

  test('broken items', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    await assert.rejects(openSentinel2StacItem(bad), { code: 'GEP_ERR_CORRUPT_FILE' });
    writeFileSync(bad, JSON.stringify({ type: 'FeatureCollection', features: [] }));
    await assert.rejects(openSentinel2StacItem(bad), { code: 'GEP_ERR_CORRUPT_FILE' });
    writeFileSync(bad, JSON.stringify({ type: 'Feature', id: 'x', properties: { datetime: '2023-01-01T00:00:00Z' }, assets: {} }));
    await assert.rejects(openSentinel2StacItem(bad), { code: 'GEP_ERR_CORRUPT_FILE', message: /no Sentinel-2 band/ });
    await assert.rejects(openSentinel2StacItem(join(dir, 'missing.json')), { code: 'GEP_ERR_NOT_FOUND' });
  });
});
