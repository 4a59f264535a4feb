import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import proj4 from 'proj4';
import { acquisitionTimeFromName, buildStacItem, crsToProj4, epsgFromWkt, footprintWgs84 } from '../../src/sensors/common.ts';
import { isGepError } from '../../src/core/errors.ts';
import type { ProductMetadata } from '../../src/sensors/types.ts';

const WKT_32633 =
  'PROJCS["WGS 84 / UTM zone 33N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4326"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",15],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1],AUTHORITY["EPSG","32633"]]';

describe('crsToProj4', () => {
  test('UTM north/south, 4326, 3857, WKT, proj4', () => {
    assert.equal(crsToProj4({ epsg: 32633 }), '+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs');
    assert.equal(crsToProj4({ epsg: 32740 }), '+proj=utm +zone=40 +south +datum=WGS84 +units=m +no_defs');
    assert.match(crsToProj4({ epsg: 4326 }), /longlat/);
    assert.match(crsToProj4({ epsg: 3857 }), /merc/);
    assert.equal(crsToProj4({ proj4: '+proj=longlat +ellps=GRS80' }), '+proj=longlat +ellps=GRS80');
    assert.equal(epsgFromWkt(WKT_32633), 32633);
    assert.match(crsToProj4({ wkt: WKT_32633 }), /zone=33/);
    // A known answer: 15E 45N in UTM 33N is (500000, 4982950.40).
    const [x, y] = proj4('+proj=longlat +datum=WGS84', crsToProj4({ epsg: 32633 }), [15, 45]);
    assert.ok(Math.abs(x! - 500000) < 1e-6 && Math.abs(y! - 4982950.4002) < 1e-3);
  });
  test('unknown CRS is a GepError', () => {
    assert.throws(
      () => crsToProj4({ epsg: 999999 }),
      (e: unknown) => isGepError(e) && e.code === 'GEP_ERR_UNSUPPORTED' && e.message.includes('EPSG:999999'),
    );
    assert.throws(() => crsToProj4({}), (e: unknown) => isGepError(e));
  });
});

describe('footprintWgs84', () => {
  test('UTM grid: closed, counter-clockwise, corners where proj4 puts them', () => {
    const fp = footprintWgs84(1000, 800, [500000, 10, 0, 5000000, 0, -10], { epsg: 32633 }, 4);
    const ring = fp.coordinates[0]!;
    assert.equal(ring.length, 4 * 4 + 1);
    assert.deepEqual(ring[0], ring[ring.length - 1]);
    let area = 0;
    for (let i = 0; i + 1 < ring.length; i++) area += ring[i]![0]! * ring[i + 1]![1]! - ring[i + 1]![0]! * ring[i]![1]!;
    assert.ok(area > 0, 'counter-clockwise');
    const ul = proj4(crsToProj4({ epsg: 32633 }), '+proj=longlat +datum=WGS84', [500000, 5000000]);
    assert.ok(ring.some((p) => Math.abs(p[0]! - ul[0]!) < 1e-12 && Math.abs(p[1]! - ul[1]!) < 1e-12));
    // Centre meridian 15E: the left edge is at 15E exactly.
    assert.ok(Math.abs(ring[0]![0]! - 15) < 1e-9);
  });
  test('geographic grid with north-up transform', () => {
    const fp = footprintWgs84(10, 10, [5, 0.1, 0, 45, 0, -0.1], { epsg: 4326 }, 1);
    assert.deepEqual(fp.coordinates[0], [
      [5, 45],
      [5, 44],
      [6, 44],
      [6, 45],
      [5, 45],
    ]);
  });
});

describe('acquisitionTimeFromName', () => {
  test('formats', () => {
    assert.equal(acquisitionTimeFromName('S2A_MSIL1C_20230615T101559_N0509_R065_T33UUU_20230615T122126.SAFE'), '2023-06-15T10:15:59Z');
    assert.equal(acquisitionTimeFromName('LC08_L1TP_120038_20200101_20200113_02_T1_B4.TIF'), '2020-01-01T00:00:00Z');
    assert.equal(acquisitionTimeFromName('/data/dem_2019-07-04.tif'), '2019-07-04T00:00:00Z');
    assert.equal(acquisitionTimeFromName('IMG_PHR1B_P_201308051042194_SEN.TIF'), '2013-08-05T10:42:19Z');
    assert.equal(acquisitionTimeFromName('ortho_20210230.tif'), null); // no 30 February
    assert.equal(acquisitionTimeFromName('img_01.tif'), null);
    assert.equal(acquisitionTimeFromName('tile_123456789.tif'), null);
  });
});

describe('buildStacItem', () => {
  test('item with footprint, proj:code, gsd, view and bands', () => {
    const footprint = footprintWgs84(100, 100, [500000, 10, 0, 5000000, 0, -10], { epsg: 32633 });
    const md: ProductMetadata = {
      sensor: 'geotiff',
      productId: 'scene_20200101',
      datetime: '2020-01-01T00:00:00Z',
      platform: 'phr1b',
      instrument: 'PHR',
      epsg: 32633,
      footprint,
      sun: { zenith: 30, azimuth: 150 },
      view: { zenith: 10, azimuth: 100 },
      cloudCover: 5,
    };
    const t: [number, number, number, number, number, number] = [500000, 10, 0, 5000000, 0, -10];
    const item = buildStacItem(
      md,
      [
        { name: 'B1', gsd: 10, width: 100, height: 100, transform: t, crs: { epsg: 32633 }, href: '/x/scene.tif', commonName: 'red' },
        { name: 'B2', gsd: 10, width: 100, height: 100, transform: t, crs: { epsg: 32633 }, href: '/x/scene.tif', scale: 0.0001 },
      ],
      [{ name: 'qa', href: '/x/qa.tif', kind: 'qa' }],
      { collection: 'c1' },
    );
    assert.equal(item.id, 'scene_20200101');
    assert.equal(item.collection, 'c1');
    assert.equal(item.properties['proj:code'], 'EPSG:32633');
    assert.equal(item.properties.gsd, 10);
    assert.equal(item.properties['view:sun_elevation'], 60);
    assert.equal(item.properties['eo:cloud_cover'], 5);
    assert.deepEqual(item.properties.instruments, ['PHR']);
    assert.equal(item.bbox!.length, 4);
    assert.ok(item.bbox![0] >= 14.99 && item.bbox![2] < 15.02);
    const data = item.assets.B1!;
    assert.deepEqual(data.roles, ['data']);
    assert.equal((data.bands as unknown[]).length, 2, 'both bands of the one file listed on one asset');
    assert.deepEqual(data['proj:transform'], [10, 0, 500000, 0, -10, 5000000]);
    assert.deepEqual(item.assets.qa!.roles, ['metadata', 'qa']);
    assert.ok(item.stac_extensions.some((e) => e.includes('projection')));
  });
});
