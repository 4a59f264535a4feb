/**
 * COG georeferencing and metadata against gdalinfo: UTM 33N, WGS 84, Lambert-93, Web Mercator, a rotated
 * transform, a WKT-only CRS, RPC tag 50844, GDAL_METADATA items, Software and DateTime.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCog } from '../../src/raster/cog/write.ts';
import { epsgFromProj4, epsgFromWkt, resolveCrs } from '../../src/raster/cog/geokeys-encode.ts';
import { makeRaster, type Crs, type GeoTransform, type RpcModel } from '../../src/raster/types.ts';
import { gdalinfoJson, skipUnlessGdal, validateCog } from '../helpers/env.ts';

const ramp = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i % 251);

const RPC: RpcModel = {
  errBias: 0.5,
  errRand: 0.25,
  lineOffset: 4521,
  sampOffset: 5012.5,
  latOffset: 43.61,
  longOffset: 1.44,
  heightOffset: 250,
  lineScale: 4600,
  sampScale: 5100,
  latScale: 0.075,
  longScale: 0.11,
  heightScale: 500,
  lineNumCoeff: Array.from({ length: 20 }, (_, i) => (i === 2 ? -1.02 : i / 1000)),
  lineDenCoeff: Array.from({ length: 20 }, (_, i) => (i === 0 ? 1 : i / 1e5)),
  sampNumCoeff: Array.from({ length: 20 }, (_, i) => (i === 1 ? 1.01 : -i / 1000)),
  sampDenCoeff: Array.from({ length: 20 }, (_, i) => (i === 0 ? 1 : -i / 1e5)),
};

type Info = Record<string, unknown> & {
  geoTransform?: number[];
  stac?: Record<string, unknown>;
  coordinateSystem?: { wkt: string };
  metadata: Record<string, Record<string, string>>;
};

describe('resolveCrs (no GDAL)', () => {
  test('projected / geographic decisions and citations', () => {
    assert.deepEqual(resolveCrs({ epsg: 4326 }), { kind: 'geographic', epsg: 4326, citation: 'WGS 84', linearUnit: null });
    const utm = resolveCrs({ epsg: 32633 });
    assert.equal(utm.kind, 'projected');
    assert.equal(utm.citation, 'WGS 84 / UTM zone 33N');
    assert.equal(utm.linearUnit, 9001);
    assert.equal(resolveCrs({ epsg: 32733 }).citation, 'WGS 84 / UTM zone 33S');
    assert.equal(resolveCrs({ epsg: 3857 }).kind, 'projected');
    assert.equal(resolveCrs({ epsg: 2154 }).kind, 'projected');
    assert.equal(resolveCrs({ epsg: 4258 }).kind, 'geographic');
    assert.equal(resolveCrs({ epsg: 4326, wkt: 'PROJCS["x",GEOGCS["y"]]' }).kind, 'projected', 'WKT root wins');
  });
  test('EPSG codes from proj4 strings and WKT authorities', () => {
    assert.equal(epsgFromProj4('+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs'), 32633);
    assert.equal(epsgFromProj4('+proj=utm +zone=18 +south +ellps=WGS84'), 32718);
    assert.equal(epsgFromProj4('+proj=longlat +datum=WGS84 +no_defs'), 4326);
    assert.equal(epsgFromProj4('+proj=lcc +lat_1=49 +ellps=GRS80'), null);
    assert.equal(epsgFromWkt('PROJCS["a",GEOGCS["b",AUTHORITY["EPSG","4326"]],AUTHORITY["EPSG","32633"]]'), 32633);
    assert.equal(epsgFromWkt('PROJCRS["a",BASEGEOGCRS["b"],ID["EPSG",2154]]'), 2154);
    assert.equal(epsgFromWkt('PROJCS["a",GEOGCS["b",AUTHORITY["EPSG","4326"]]]'), null);
  });
});

describe('writeCog georeferencing vs gdalinfo', skipUnlessGdal(), () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gep-cog-geo-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function roundTrip(name: string, transform: GeoTransform, crs: Crs | null, opts = {}): Promise<[Info, string]> {
    const path = join(dir, `${name}.tif`);
    await writeCog(path, makeRaster([ramp(700 * 600)], 700, 600, { transform, crs }), opts);
    assert.deepEqual(validateCog(path).errors, [], name);
    return [gdalinfoJson(path) as Info, path];
  }

  test('UTM 33N (EPSG:32633), north-up', async () => {
    const t: GeoTransform = [399960, 10, 0, 5000040, 0, -10];
    const [info] = await roundTrip('utm', t, { epsg: 32633 });
    assert.deepEqual(info.geoTransform, t);
    assert.equal(info.stac?.['proj:epsg'], 32633);
    assert.match(info.coordinateSystem!.wkt, /ID\["EPSG",32633\]\]$/);
    assert.equal(info.metadata['']!.AREA_OR_POINT, 'Area');
    assert.match(info.metadata['']!.TIFFTAG_SOFTWARE ?? '', /^gep\/\d/, 'default Software tag');
  });

  test('WGS 84 (EPSG:4326)', async () => {
    const t: GeoTransform = [12.5, 0.0001, 0, 41.9, 0, -0.0001];
    const [info] = await roundTrip('wgs84', t, { epsg: 4326 });
    assert.deepEqual(info.geoTransform, t);
    assert.equal(info.stac?.['proj:epsg'], 4326);
    assert.match(info.coordinateSystem!.wkt, /^GEOGCRS\["WGS 84"/);
  });

  test('Lambert-93 (2154) and Web Mercator (3857)', async () => {
    const [l93] = await roundTrip('l93', [700000, 5, 0, 6600000, 0, -5], { epsg: 2154 });
    assert.equal(l93.stac?.['proj:epsg'], 2154);
    const [wm] = await roundTrip('wm', [1e6, 5, 0, 5e6, 0, -5], { epsg: 3857 });
    assert.equal(wm.stac?.['proj:epsg'], 3857);
  });

  test('rotated transform is written as ModelTransformation', async () => {
    const t: GeoTransform = [500000, 8.66, 5, 4000000, 5, -8.66];
    const [info] = await roundTrip('rot', t, { epsg: 32633 });
    const g = info.geoTransform!;
    t.forEach((v, i) => assert.ok(Math.abs(g[i]! - v) < 1e-9, `geotransform[${i}] ${g[i]} != ${v}`));
    assert.equal(info.stac?.['proj:epsg'], 32633);
  });

  test('WKT-only CRS comes back with its parameters', async () => {
    const wkt =
      'PROJCS["Custom LCC",GEOGCS["GRS 1980",DATUM["unknown",SPHEROID["GRS80",6378137,298.257222101]],' +
      'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic_2SP"],' +
      'PARAMETER["latitude_of_origin",46.5],PARAMETER["central_meridian",3],PARAMETER["standard_parallel_1",49],' +
      'PARAMETER["standard_parallel_2",44],PARAMETER["false_easting",700000],PARAMETER["false_northing",6600000],' +
      'UNIT["metre",1]]';
    const [, path] = await roundTrip('wkt', [700000, 10, 0, 6600000, 0, -10], { wkt });
    const p4 = execFileSync('gdalsrsinfo', ['-o', 'proj4', path], { encoding: 'utf8' }).trim();
    for (const k of ['+proj=lcc', '+lat_0=46.5', '+lon_0=3', '+lat_1=49', '+lat_2=44', '+x_0=700000', '+y_0=6600000', '+ellps=GRS80'])
      assert.ok(p4.includes(k), `${k} missing in ${p4}`);
  });

  test('RPC tag 50844, metadata items, Software and DateTime', async () => {
    const path = join(dir, 'rpc.tif');
    const r = makeRaster([ramp(300 * 200)], 300, 200, { metadata: { SENSOR: 'PHR1A' }, bandNames: ['Température °C'] });
    await writeCog(path, r, { rpc: RPC, software: 'gep test', datetime: '2023-07-14T10:31:02.5Z', metadata: { LEVEL: 'L1' } });
    assert.deepEqual(validateCog(path).errors, []);
    const info = gdalinfoJson(path, ['-mdd', 'RPC']) as Info;
    const md = info.metadata;
    assert.equal(md['']!.SENSOR, 'PHR1A');
    assert.equal(md['']!.LEVEL, 'L1');
    assert.equal(md['']!.TIFFTAG_SOFTWARE, 'gep test');
    assert.equal(md['']!.TIFFTAG_DATETIME, '2023:07:14 10:31:02');
    assert.equal((info.bands as { description?: string }[])[0]!.description, 'Température °C', 'UTF-8 description');
    const rpc = md.RPC!;
    const num = (k: string): number => Number(rpc[k]);
    assert.equal(num('ERR_BIAS'), 0.5);
    assert.equal(num('ERR_RAND'), 0.25);
    assert.equal(num('LINE_OFF'), 4521);
    assert.equal(num('SAMP_OFF'), 5012.5);
    assert.equal(num('LAT_OFF'), 43.61);
    assert.equal(num('LONG_OFF'), 1.44);
    assert.equal(num('HEIGHT_OFF'), 250);
    assert.equal(num('LINE_SCALE'), 4600);
    assert.equal(num('SAMP_SCALE'), 5100);
    assert.equal(num('LAT_SCALE'), 0.075);
    assert.equal(num('LONG_SCALE'), 0.11);
    assert.equal(num('HEIGHT_SCALE'), 500);
    const coeffs = (k: string): number[] => rpc[k]!.trim().split(/\s+/).map(Number);
    const close = (a: number[], b: number[], k: string): void =>
      b.forEach((v, i) => assert.ok(Math.abs(a[i]! - v) <= 1e-12 * Math.max(1, Math.abs(v)), `${k}[${i}] ${a[i]} != ${v}`));
    close(coeffs('LINE_NUM_COEFF'), RPC.lineNumCoeff, 'LINE_NUM_COEFF');
    close(coeffs('LINE_DEN_COEFF'), RPC.lineDenCoeff, 'LINE_DEN_COEFF');
    close(coeffs('SAMP_NUM_COEFF'), RPC.sampNumCoeff, 'SAMP_NUM_COEFF');
    close(coeffs('SAMP_DEN_COEFF'), RPC.sampDenCoeff, 'SAMP_DEN_COEFF');
  });
});
