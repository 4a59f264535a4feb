import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRaster } from '../../src/raster/types.ts';
import { writeCog } from '../../src/raster/cog/write.ts';
import { openLandsatScene } from '../../src/sensors/landsat/mtl.ts';
import { parseMtlText } from '../../src/sensors/landsat/mtl-parse.ts';

const W = 40;
const H = 30;
const ULX = 199785; // pixel centre, as in the MTL
const ULY = 3577215;

function mtl(level: 'L2SP' | 'L1TP'): string {
  const id = `LC08_${level}_120038_20200315_20200822_02_T1`;
  const l2 = level === 'L2SP';
  const files = [1, 2, 3, 4, 5, 6, 7]
    .map((n) => `    FILE_NAME_BAND_${n} = "${id}_${l2 ? 'SR_' : ''}B${n}.TIF"`)
    .concat(l2 ? [`    FILE_NAME_BAND_ST_B10 = "${id}_ST_B10.TIF"`] : [`    FILE_NAME_BAND_10 = "${id}_B10.TIF"`])
    .concat([`    FILE_NAME_QUALITY_L1_PIXEL = "${id}_QA_PIXEL.TIF"`])
    .join('\n');
  const refl = [1, 2, 3, 4, 5, 6, 7]
    .map((n) => `    REFLECTANCE_MULT_BAND_${n} = 2.75e-05\n    REFLECTANCE_ADD_BAND_${n} = -0.200000`)
    .join('\n');
  const l1refl = [1, 2, 3, 4, 5, 6, 7]
    .map((n) => `    REFLECTANCE_MULT_BAND_${n} = 2.0000E-05\n    REFLECTANCE_ADD_BAND_${n} = -0.100000`)
    .join('\n');
  return `GROUP = LANDSAT_METADATA_FILE
  GROUP = PRODUCT_CONTENTS
    ORIGIN = "Image courtesy of the U.S. Geological Survey"
    LANDSAT_PRODUCT_ID = "${id}"
    PROCESSING_LEVEL = "${level}"
    COLLECTION_NUMBER = 02
    COLLECTION_CATEGORY = "T1"
${files}
  END_GROUP = PRODUCT_CONTENTS
  GROUP = IMAGE_ATTRIBUTES
    SPACECRAFT_ID = "LANDSAT_8"
    SENSOR_ID = "OLI_TIRS"
    WRS_PATH = 120
    WRS_ROW = 38
    DATE_ACQUIRED = 2020-03-15
    SCENE_CENTER_TIME = "02:36:45.1577850Z"
    CLOUD_COVER = 4.52
    CLOUD_COVER_LAND = 4.10
    SUN_AZIMUTH = 135.81062376
    SUN_ELEVATION = 46.83236628
    EARTH_SUN_DISTANCE = 0.9939047
  END_GROUP = IMAGE_ATTRIBUTES
  GROUP = PROJECTION_ATTRIBUTES
    MAP_PROJECTION = "UTM"
    DATUM = "WGS84"
    UTM_ZONE = 50
    GRID_CELL_SIZE_REFLECTIVE = 30.00
    GRID_CELL_SIZE_THERMAL = 30.00
    REFLECTIVE_LINES = ${H}
    REFLECTIVE_SAMPLES = ${W}
    THERMAL_LINES = ${H}
    THERMAL_SAMPLES = ${W}
    CORNER_UL_PROJECTION_X_PRODUCT = ${ULX}.000
    CORNER_UL_PROJECTION_Y_PRODUCT = ${ULY}.000
  END_GROUP = PROJECTION_ATTRIBUTES
${
  l2
    ? `  GROUP = LEVEL2_SURFACE_REFLECTANCE_PARAMETERS
${refl}
  END_GROUP = LEVEL2_SURFACE_REFLECTANCE_PARAMETERS
  GROUP = LEVEL2_SURFACE_TEMPERATURE_PARAMETERS
    TEMPERATURE_MULT_BAND_ST_B10 = 0.00341802
    TEMPERATURE_ADD_BAND_ST_B10 = 149.000000
  END_GROUP = LEVEL2_SURFACE_TEMPERATURE_PARAMETERS
`
    : ''
}  GROUP = LEVEL1_RADIOMETRIC_RESCALING
    RADIANCE_MULT_BAND_10 = 3.3420E-04
    RADIANCE_ADD_BAND_10 = 0.10000
${l1refl}
  END_GROUP = LEVEL1_RADIOMETRIC_RESCALING
  GROUP = LEVEL1_THERMAL_CONSTANTS
    K1_CONSTANT_BAND_10 = 774.8853
    K2_CONSTANT_BAND_10 = 1321.0789
  END_GROUP = LEVEL1_THERMAL_CONSTANTS
END_GROUP = LANDSAT_METADATA_FILE
END
`;
}

/** The same tree as XML (*_MTL.xml), built from the text. */
function toXml(text: string): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    const m = /^(\w+) = "?([^"]*)"?$/.exec(l);
    if (!m) continue;
    if (m[1] === 'GROUP') out.push(`<${m[2]}>`);
    else if (m[1] === 'END_GROUP') out.push(`</${m[2]}>`);
    else out.push(`<${m[1]}>${m[2]}</${m[1]}>`);
  }
  return out.join('\n');
}

let dir = '';
const T: [number, number, number, number, number, number] = [ULX - 15, 30, 0, ULY + 15, 0, -30];
const pixels = (seed: number): Uint16Array => {
  const d = new Uint16Array(W * H);
  for (let i = 0; i < d.length; i++) d[i] = 7000 + ((i * 31 + seed * 1009) % 20000);
  return d;
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gep-landsat-'));
  for (const level of ['L2SP', 'L1TP'] as const) {
    const id = `LC08_${level}_120038_20200315_20200822_02_T1`;
    const l2 = level === 'L2SP';
    const names: [string, number][] = [1, 2, 3, 4, 5, 6, 7].map((n) => [`${l2 ? 'SR_' : ''}B${n}`, n]);
    names.push([l2 ? 'ST_B10' : 'B10', 10], ['QA_PIXEL', 99]);
    const sub = join(dir, level);
    mkdirSync(sub);
    for (const [name, seed] of names)
      await writeCog(join(sub, `${id}_${name}.TIF`), makeRaster([pixels(seed)], W, H, { transform: T, crs: { epsg: 32650 }, nodata: 0 }));
    writeFileSync(join(sub, `${id}_MTL.txt`), mtl(level));
    writeFileSync(join(sub, `${id}_MTL.xml`), toXml(mtl(level)));
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('openLandsatScene', () => {
  test('L2SP from the MTL text: metadata, SR/ST scaling, K1/K2, grid, pixels', async () => {
    const p = await openLandsatScene(join(dir, 'L2SP', 'LC08_L2SP_120038_20200315_20200822_02_T1_MTL.txt'));
    const md = p.metadata;
    assert.equal(md.sensor, 'landsat-8');
    assert.equal(md.productId, 'LC08_L2SP_120038_20200315_20200822_02_T1');
    assert.equal(md.datetime, '2020-03-15T02:36:45.157Z');
    assert.equal(md.tileId, '120038');
    assert.equal(md.epsg, 32650);
    assert.equal(md.cloudCover, 4.52);
    assert.ok(Math.abs(md.sun!.zenith - (90 - 46.83236628)) < 1e-9);
    assert.equal(md.sun!.azimuth, 135.81062376);
    assert.equal(md.processingLevel, 'L2SP');
    assert.deepEqual(p.bands.map((b) => b.name), ['SR_B1', 'SR_B2', 'SR_B3', 'SR_B4', 'SR_B5', 'SR_B6', 'SR_B7', 'ST_B10']);
    const red = p.bands.find((b) => b.name === 'SR_B4')!;
    assert.equal(red.commonName, 'red');
    assert.equal(red.scale, 2.75e-5);
    assert.equal(red.offset, -0.2);
    assert.deepEqual(red.transform, T);
    const st = p.bands.find((b) => b.name === 'ST_B10')!;
    assert.equal(st.scale, 0.00341802);
    assert.equal(st.offset, 149);
    assert.deepEqual(p.landsat.thermal, [{ band: 'ST_B10', k1: 774.8853, k2: 1321.0789, radianceMult: 3.342e-4, radianceAdd: 0.1 }]);
    assert.equal(p.landsat.wrsPath, 120);
    assert.equal(p.landsat.cloudCoverLand, 4.1);
    const r = await p.readBand('SR_B4');
    assert.deepEqual(r.bands[0], pixels(4));
    assert.deepEqual(r.transform, T);
    assert.equal(r.crs?.epsg, 32650);
    const w = await p.readBand('SR_B4', { window: { x0: 5, y0: 6, width: 3, height: 2 } });
    assert.equal(w.bands[0]![0], pixels(4)[6 * W + 5]);
    assert.deepEqual(w.transform, [T[0] + 150, 30, 0, T[3] - 180, 0, -30]);
    const qa = await p.readMask('qa_pixel');
    assert.deepEqual(qa.bands[0], pixels(99));
    await assert.rejects(p.readBand('SR_B9'), { code: 'GEP_ERR_INVALID_INPUT' });
    const item = p.toStacItem();
    assert.deepEqual(item.properties['instruments'], ['oli', 'tirs']);
    assert.equal(item.properties['platform'], 'landsat-8');
    assert.equal(item.properties['proj:code'], 'EPSG:32650');
    assert.equal(item.properties['eo:cloud_cover'], 4.52);
    assert.equal(item.properties['gsd'], 30);
    assert.ok(Math.abs((item.properties['view:sun_elevation'] as number) - 46.832366) < 1e-5);
    assert.deepEqual(item.assets['SR_B4']?.roles, ['data']);
    const lon = item.geometry && item.geometry.type === 'Polygon' ? item.geometry.coordinates[0]![0]![0]! : NaN;
    assert.ok(lon > 113 && lon < 115, `footprint lon ${lon}`);
    await p.close();
  });

  test('L1TP from the folder: TOA reflectance folds 1/sin(sun elevation), thermal radiance', async () => {
    const p = await openLandsatScene(join(dir, 'L1TP'));
    const b4 = p.bands.find((b) => b.name === 'B4')!;
    const s = Math.sin((46.83236628 * Math.PI) / 180);
    assert.ok(Math.abs(b4.scale! - 2e-5 / s) < 1e-15);
    assert.ok(Math.abs(b4.offset! + 0.1 / s) < 1e-12);
    const b10 = p.bands.find((b) => b.name === 'B10')!;
    assert.equal(b10.scale, 3.342e-4);
    assert.equal(b10.offset, 0.1);
    assert.equal(p.landsat.thermal[0]?.band, 'B10');
    assert.deepEqual((await p.readBand('B10')).bands[0], pixels(10));
  });

  test('the XML MTL gives the same product as the text MTL', async () => {
    const a = await openLandsatScene(join(dir, 'L2SP', 'LC08_L2SP_120038_20200315_20200822_02_T1_MTL.txt'));
    const b = await openLandsatScene(join(dir, 'L2SP', 'LC08_L2SP_120038_20200315_20200822_02_T1_MTL.xml'));
    assert.deepEqual(b.metadata, a.metadata);
    assert.deepEqual(b.bands, a.bands);
    assert.deepEqual(b.landsat, a.landsat);
  });

  test('hostile and broken MTL files', async () => {
    const good = mtl('L2SP');
    const bad = (name: string, text: string): string => {
      const p = join(dir, `${name}_MTL.txt`);
      writeFileSync(p, text);
      return p;
    };
    await assert.rejects(openLandsatScene(bad('unterminated', good.replace(/END_GROUP = LANDSAT_METADATA_FILE\nEND\n/, ''))), {
      code: 'GEP_ERR_CORRUPT_FILE',
      message: /unterminated GROUP = LANDSAT_METADATA_FILE/,
    });
    await assert.rejects(openLandsatScene(bad('mismatch', good.replace('END_GROUP = IMAGE_ATTRIBUTES', 'END_GROUP = OTHER'))), {
      code: 'GEP_ERR_CORRUPT_FILE',
      message: /closes GROUP = IMAGE_ATTRIBUTES/,
    });
    await assert.rejects(openLandsatScene(bad('nosun', good.replace(/SUN_ELEVATION = .*\n/, ''))), {
      code: 'GEP_ERR_CORRUPT_FILE',
      message: /SUN_ELEVATION/,
    });
    await assert.rejects(openLandsatScene(bad('garbage', 'hello world\n\x00\x01')), { code: 'GEP_ERR_CORRUPT_FILE' });
    await assert.rejects(openLandsatScene(bad('trav', good.replace(/FILE_NAME_BAND_1 = "[^"]*"/, 'FILE_NAME_BAND_1 = "../../etc/passwd"'))), {
      code: 'GEP_ERR_CORRUPT_FILE',
    });
    const deep = Array.from({ length: 20 }, (_, i) => `GROUP = G${i}`).join('\n');
    assert.throws(() => parseMtlText(deep, 'deep'), { code: 'GEP_ERR_CORRUPT_FILE' });
    assert.throws(() => parseMtlText('GROUP = A\n  K = "open\nEND_GROUP = A\n', 'q'), { code: 'GEP_ERR_CORRUPT_FILE' });
    await assert.rejects(openLandsatScene(join(dir, 'none_MTL.txt')), { code: 'GEP_ERR_NOT_FOUND' });
  });
});
