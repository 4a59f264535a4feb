import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRaster } from '../../src/raster/types.ts';
import type { Raster } from '../../src/raster/types.ts';
import { writeSafe } from '../../src/sensors/sentinel2/write-safe.ts';
import type { WriteSafeOptions } from '../../src/sensors/sentinel2/write-safe.ts';
import { openSentinel2Safe } from '../../src/sensors/sentinel2/safe.ts';
import { gdalinfoJson, gdalReadBand, hasGdal } from '../helpers/env.ts';

const ULX = 300000;
const ULY = 5900040;
const EPSG = 32633;

function band(res: number, w: number, h: number, seed: number): Raster {
  const d = new Uint16Array(w * h);
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) d[r * w + c] = 1000 + ((c * 37 + r * 101 + seed * 977 + ((c * r) % 13) * 50) % 9000);
  d[0] = 0; // nodata corner
  return makeRaster([d], w, h, { transform: [ULX, res, 0, ULY, 0, -res], crs: { epsg: EPSG } });
}

/** Slanted detector stripes like the MSI's, 0 in the lower-left triangle. */
function detectors(w: number, h: number): Raster {
  const d = new Uint8Array(w * h);
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) d[r * w + c] = c < (h - r) * 0.4 ? 0 : 1 + Math.min(11, Math.floor((c + 0.35 * r) / 55));
  return makeRaster([d], w, h, { transform: [ULX, 10, 0, ULY, 0, -10], crs: { epsg: EPSG } });
}

function options(level: 'L1C' | 'L2A', baseline: string): WriteSafeOptions {
  const bands = [
    { name: 'B02', raster: band(10, 240, 180, 2) },
    { name: 'B04', raster: band(10, 240, 180, 4) },
    { name: 'B08', raster: band(10, 240, 180, 8) },
    { name: 'B05', raster: band(20, 120, 90, 5) },
    { name: 'B8A', raster: band(20, 120, 90, 9) },
    { name: 'B11', raster: band(20, 120, 90, 11) },
    { name: 'B01', raster: band(60, 40, 30, 1) },
  ];
  const o: WriteSafeOptions = {
    level,
    spacecraft: 'Sentinel-2B',
    datetime: '2023-06-15T10:15:59.024Z',
    tileId: '33UUU',
    relativeOrbit: 65,
    processingBaseline: baseline,
    sun: { zenith: 32.5, azimuth: 155.25 },
    view: { zenith: 6.5, azimuth: 104 },
    cloudCover: 12.5,
    bands,
    detectorFootprint: detectors(240, 180),
  };
  if (level === 'L2A') {
    const scl = new Uint8Array(120 * 90);
    for (let i = 0; i < scl.length; i++) scl[i] = i % 12;
    o.scl = makeRaster([scl], 120, 90, { transform: [ULX, 20, 0, ULY, 0, -20], crs: { epsg: EPSG } });
  }
  return o;
}

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gep-safe-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function checkRoundTrip(path: string, o: WriteSafeOptions): Promise<void> {
  const p = await openSentinel2Safe(path);
  try {
    const md = p.metadata;
    assert.equal(md.sensor, 'sentinel-2');
    assert.equal(md.datetime, '2023-06-15T10:15:59.024Z');
    assert.equal(md.tileId, '33UUU');
    assert.equal(md.relativeOrbit, 65);
    assert.equal(md.processingLevel, o.level);
    assert.equal(md.processingBaseline, o.processingBaseline);
    assert.equal(md.platform, 'sentinel-2b');
    assert.equal(md.cloudCover, 12.5);
    assert.deepEqual(md.sun, { zenith: 32.5, azimuth: 155.25 });
    assert.ok(md.view && Math.abs(md.view.zenith - 6.5) < 1e-9 && Math.abs(md.view.azimuth - 104) < 1e-9);
    assert.equal(md.epsg, EPSG);
    assert.match(md.productId, new RegExp(`^S2B_MSIL${o.level.slice(1)}_20230615T101559_N${o.processingBaseline.replace('.', '')}_R065_T33UUU_\\d{8}T\\d{6}$`));
    const ring = md.footprint!.coordinates[0]!;
    assert.ok(ring.every(([lon, lat]) => lon! > 11.9 && lon! < 12.1 && lat! > 53.1 && lat! < 53.3), JSON.stringify(ring[0]));
    assert.deepEqual(p.bands.map((b) => b.name), ['B01', 'B02', 'B04', 'B05', 'B08', 'B8A', 'B11']);
    const newFmt = Number(o.processingBaseline) >= 4;
    for (const src of o.bands) {
      const b = p.bands.find((x) => x.name === src.name)!;
      assert.deepEqual(b.transform, src.raster.transform, b.name);
      assert.equal(b.width, src.raster.width);
      assert.equal(b.scale, 1e-4);
      assert.equal(b.offset, newFmt ? -0.1 : 0);
      const r = await p.readBand(src.name);
      assert.equal(r.dataType, 'uint16');
      assert.deepEqual(r.transform, src.raster.transform);
      assert.equal(r.crs?.epsg, EPSG);
      assert.equal(r.nodata, 0);
      assert.deepEqual(r.bands[0], src.raster.bands[0], `${src.name} pixels`);
    }
    // Window + overview: transform follows.
    const w = await p.readBand('B4', { window: { x0: 10, y0: 20, width: 30, height: 5 } });
    assert.deepEqual(w.transform, [ULX + 100, 10, 0, ULY - 200, 0, -10]);
    assert.equal(w.bands[0]![0], o.bands[1]!.raster.bands[0]![20 * 240 + 10]);
    const ov = await p.readBand('B02', { overview: 1 });
    assert.equal(ov.width, 120);
    assert.deepEqual(ov.transform, [ULX, 20, 0, ULY, 0, -20]);
    await assert.rejects(p.readBand('B09'), { code: 'GEP_ERR_INVALID_INPUT' });
    // Detector footprints on each band's grid.
    const det = o.detectorFootprint!.bands[0]!;
    const m10 = await p.readMask('detector-footprint-B04');
    assert.deepEqual(m10.bands[0], det);
    const m20 = await p.readMask('detector-footprint-B11');
    assert.equal(m20.width, 120);
    assert.deepEqual(m20.transform, [ULX, 20, 0, ULY, 0, -20]);
    for (let r = 0; r < 90; r += 7)
      for (let c = 0; c < 120; c += 5) assert.equal(m20.bands[0]![r * 120 + c], det[(2 * r + 1) * 240 + 2 * c + 1], `${r},${c}`);
    const mw = await p.readMask('detector-footprint-B04', { window: { x0: 100, y0: 50, width: 20, height: 10 } });
    assert.equal(mw.bands[0]![0], det[50 * 240 + 100]);
    if (o.level === 'L2A') {
      const scl = await p.readMask('scl');
      assert.deepEqual(scl.bands[0], o.scl!.bands[0]);
      assert.ok(p.masks.some((m) => m.name === 'scl' && m.kind === 'scene-classification'));
    }
    // Angle grids and per-band offsets.
    assert.equal(p.sentinel2.level, o.level);
    assert.equal(p.sentinel2.sunGrid?.cols, 2);
    assert.equal(p.sentinel2.sunGrid?.zenith[0], 32.5);
    assert.equal(p.sentinel2.offsets.B04, newFmt ? -1000 : 0);
    const item = p.toStacItem();
    assert.equal(item.properties['platform'], 'sentinel-2b');
    assert.deepEqual(item.properties['instruments'], ['msi']);
    assert.equal(item.properties['sat:relative_orbit'], 65);
    assert.equal(item.properties['proj:code'], 'EPSG:32633');
    assert.equal(item.properties['eo:cloud_cover'], 12.5);
    assert.equal(item.properties['view:sun_elevation'], 57.5);
    assert.deepEqual(item.assets['B04']?.roles, ['data']);
    assert.ok(item.assets['detector-footprint-B04']);
  } finally {
    await p.close();
  }
}

describe('writeSafe -> openSentinel2Safe round trip', () => {
  for (const [level, baseline] of [
    ['L1C', '05.10'],
    ['L2A', '05.09'],
    ['L1C', '02.04'],
  ] as const) {
    test(`${level} baseline ${baseline}: folder and zip give the same pixels, grids, angles, time and tile`, async () => {
      const o = options(level, baseline);
      const folder = await writeSafe(join(dir, `${level}-${baseline}`), o);
      assert.match(folder, /S2B_MSIL.._20230615T101559_N\d{4}_R065_T33UUU_\d{8}T\d{6}\.SAFE$/);
      const files = readdirSync(folder, { recursive: true }).map(String);
      assert.ok(files.includes('manifest.safe'));
      assert.ok(files.includes(`MTD_MSIL${level.slice(1)}.xml`));
      if (level === 'L2A') assert.ok(files.some((f) => /IMG_DATA\/R10m\/T33UUU_20230615T101559_B04_10m\.jp2$/.test(f)));
      else assert.ok(files.some((f) => /IMG_DATA\/T33UUU_20230615T101559_B04\.jp2$/.test(f)));
      assert.ok(files.some((f) => (Number(baseline) >= 4 ? /QI_DATA\/MSK_DETFOO_B04\.jp2$/ : /QI_DATA\/MSK_DETFOO_B04\.gml$/).test(f)));
      const manifest = readFileSync(join(folder, 'manifest.safe'), 'utf8');
      assert.match(manifest, /checksumName="SHA3-256"/);
      await checkRoundTrip(folder, o);
      const zip = await writeSafe(join(dir, `${level}-${baseline}-zip`), { ...o, zip: true });
      assert.match(zip, /\.zip$/);
      assert.ok(!existsSync(zip.replace(/\.zip$/, '.SAFE')));
      await checkRoundTrip(zip, o);
      if (hasGdal() && Number(baseline) >= 4) {
        const b04 = files.find((f) => /_B04(_10m)?\.jp2$/.test(f))!;
        assert.deepEqual(gdalinfoJson(join(folder, b04)).geoTransform, [ULX, 10, 0, ULY, 0, -10]);
        // GDAL's SENTINEL2 driver reads the product as ESA's: 10 m subdataset = B4, B3, B2, B8.
        const sub = `SENTINEL2_${level}:${join(folder, `MTD_MSIL${level.slice(1)}.xml`)}:10m:EPSG_${EPSG}`;
        assert.deepEqual(gdalinfoJson(sub).geoTransform, [ULX, 10, 0, ULY, 0, -10]);
        const g = gdalReadBand(sub, 3);
        assert.deepEqual(Array.from(g.data), Array.from(o.bands[0]!.raster.bands[0]!));
      }
    });
  }
});

describe('hostile or broken SAFE products', () => {
  test('missing manifest, missing MTD files, malformed XML, missing elements', async () => {
    const o = options('L1C', '05.10');
    const folder = await writeSafe(join(dir, 'broken'), { ...o, bands: o.bands.slice(0, 1), detectorFootprint: undefined });
    const mtd = join(folder, 'MTD_MSIL1C.xml');
    const good = readFileSync(mtd, 'utf8');
    writeFileSync(mtd, good.replace(/<PROCESSING_BASELINE>.*<\/PROCESSING_BASELINE>/, ''));
    await assert.rejects(openSentinel2Safe(folder), { code: 'GEP_ERR_CORRUPT_FILE', message: /MTD_MSIL1C\.xml.*PROCESSING_BASELINE/ });
    writeFileSync(mtd, good.slice(0, good.length - 40));
    await assert.rejects(openSentinel2Safe(folder), { code: 'GEP_ERR_CORRUPT_FILE', message: /malformed XML/ });
    writeFileSync(mtd, '<!DOCTYPE x [<!ENTITY a "aaaaaaaa">]><x>&a;&a;</x>');
    await assert.rejects(openSentinel2Safe(folder), { code: 'GEP_ERR_CORRUPT_FILE' });
    rmSync(mtd);
    await assert.rejects(openSentinel2Safe(folder), { code: 'GEP_ERR_CORRUPT_FILE', message: /MTD_MSIL1C/ });
    writeFileSync(mtd, good);
    const gran = readdirSync(join(folder, 'GRANULE'))[0]!;
    const tl = join(folder, 'GRANULE', gran, 'MTD_TL.xml');
    const tlGood = readFileSync(tl, 'utf8');
    writeFileSync(tl, tlGood.replace(/<HORIZONTAL_CS_CODE>.*<\/HORIZONTAL_CS_CODE>/, ''));
    await assert.rejects(openSentinel2Safe(folder), { code: 'GEP_ERR_CORRUPT_FILE', message: /MTD_TL\.xml.*HORIZONTAL_CS_CODE/ });
    writeFileSync(tl, tlGood.replace(/<NCOLS>240<\/NCOLS>/, '<NCOLS>250</NCOLS>'));
    const p = await openSentinel2Safe(folder);
    await assert.rejects(p.readBand('B02'), { code: 'GEP_ERR_CORRUPT_FILE', message: /250/ });
    await p.close();
    writeFileSync(tl, tlGood);
    rmSync(join(folder, 'manifest.safe'));
    await assert.rejects(openSentinel2Safe(folder), { code: 'GEP_ERR_CORRUPT_FILE', message: /manifest\.safe/ });
    await assert.rejects(openSentinel2Safe(join(dir, 'nope.SAFE')), { code: 'GEP_ERR_NOT_FOUND' });
  });

  test('writer refuses bad options', async () => {
    const o = options('L1C', '05.10');
    await assert.rejects(writeSafe(dir, { ...o, tileId: 'XYZ' }), { code: 'GEP_ERR_INVALID_INPUT' });
    await assert.rejects(writeSafe(dir, { ...o, bands: [{ name: 'B99', raster: o.bands[0]!.raster }] }), { code: 'GEP_ERR_INVALID_INPUT' });
    await assert.rejects(writeSafe(dir, { ...o, bands: [{ name: 'B05', raster: band(30, 10, 10, 1) }] }), { code: 'GEP_ERR_INVALID_INPUT' });
    await assert.rejects(writeSafe(dir, { ...o, relativeOrbit: 200 }), { code: 'GEP_ERR_INVALID_INPUT' });
  });
});
