import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fitRpc, rpcLocalize, rpcProject, rpcProjectMany, validateRpc } from '../../../src/algorithms/stereo/rpc.ts';
import { isGepError } from '../../../src/core/errors.ts';
import type { RpcModel } from '../../../src/raster/types.ts';
import { gdalRpcProject, sharedData, skipUnlessGdal, skipUnlessShared } from '../../helpers/env.ts';

/** RPC of the s2p test image img_01.tif (GeoTIFF RPC tag, as GDAL reports it). */
const S2P_RPC: RpcModel = {
  lineOffset: 19403.5,
  sampOffset: 19999.5,
  latOffset: -21.2316081288,
  longOffset: 55.7119698801,
  heightOffset: 1295,
  lineScale: 512,
  sampScale: 512,
  latScale: 0.0911805852907,
  longScale: 0.0985353286675,
  heightScale: 1315,
  lineNumCoeff: '-37.284870906 -0.389307964671 -39.0126569672 0.756244483967 0.0365724832883 -0.000699590543671 5.69148667027e-05 0.00488795358124 -0.0493487209079 -0.00486335415172 6.61460426948e-05 -4.3251938614e-05 -0.00106436732503 -5.45489448461e-05 -0.00330149225713 -0.0169088089294 -0.00493745513823 6.47041405124e-05 0.000507944645931 9.58883770134e-05'
    .split(' ')
    .map(Number),
  lineDenCoeff: '1 0.000997771806716 0.000893795146776 -2.56359129684e-05 -1.70851501528e-05 -3.21867506534e-07 2.1532776166e-05 8.13369760723e-05 -0.000270733342464 0.000126355623049 -3.65549547543e-07 1.73348528132e-07 1.0566912918e-05 2.48524027091e-07 5.68010228875e-07 -3.14981737526e-06 -1.46513589459e-07 -1.44200775386e-08 1.59078686184e-06 -3.43796798432e-09'
    .split(' ')
    .map(Number),
  sampNumCoeff: '-13.5564562154 39.3860841344 -0.0427740622694 0.275292011929 0.0209037688985 0.0398356057957 -0.0178925782936 -0.0421615828479 0.0241060371425 0.000605633181358 8.44134747117e-05 -0.000310265910803 -0.000334358203674 -9.98841387442e-05 0.00150262989976 0.00587427322315 -6.15040098618e-06 -0.000108287671902 -0.000380016064247 -5.97860985933e-07'
    .split(' ')
    .map(Number),
  sampDenCoeff: '1 -0.000284860254189 -0.00052978538308 -0.00103796003315 -1.31064144938e-05 1.15489105827e-06 -4.43060264739e-07 2.9975738656e-06 2.01322436172e-06 -4.17753982621e-06 -1.26431542483e-07 -7.81727809737e-09 -1.16012565638e-07 3.82954839127e-09 1.99730782682e-07 2.12670502991e-06 2.63893880667e-09 2.15736481798e-08 -7.45465130415e-08 5.17836239128e-09'
    .split(' ')
    .map(Number),
};

/**
 * A synthetic pushbroom camera: a line sensor looking down from a platform at `alt` metres moving north at
 * constant speed; row = time, col = across-track pixel. Local tangent-plane geometry around (lon0, lat0), with
 * a 5° roll and a 10° pitch so that heights shift the image position (parallax).
 */
function pushbroom(lon: number, lat: number, h: number): [number, number] {
  const lon0 = 6.1;
  const lat0 = 45.2;
  const R = 6378137;
  const x = ((lon - lon0) * Math.PI * R * Math.cos((lat0 * Math.PI) / 180)) / 180; // east, m
  const y = ((lat - lat0) * Math.PI * R) / 180; // north, m
  const alt = 694000;
  const pitch = (10 * Math.PI) / 180;
  const roll = (5 * Math.PI) / 180;
  const f = alt / 0.7; // focal length in pixels: 0.7 m GSD at nadir
  const v = 0.7; // m of ground track per image line
  // The platform at (0, v t, alt) looks forward by `pitch`: a point is imaged when y - v t = (alt - h) tan(pitch).
  const row = (y - (alt - h) * Math.tan(pitch)) / v + 5000;
  // Across track the detector line is rolled by `roll`.
  const col = f * Math.tan(Math.atan2(x, alt - h) - roll) + 4000;
  return [col, row];
}

describe('rpcProject / rpcLocalize', () => {
  test('project then localize round trip < 1e-6 px', () => {
    let worst = 0;
    for (let i = 0; i <= 10; i++)
      for (let j = 0; j <= 10; j++)
        for (const h of [500, 2320, 3000]) {
          const col = i * 102.4;
          const row = j * 102.4;
          const [lon, lat] = rpcLocalize(S2P_RPC, col, row, h);
          const [c2, r2] = rpcProject(S2P_RPC, lon, lat, h);
          worst = Math.max(worst, Math.abs(c2 - col), Math.abs(r2 - row));
        }
    assert.ok(worst < 1e-6, `round trip error ${worst} px`);
  });

  test('rpcProjectMany equals rpcProject', () => {
    const lon = Float64Array.from([55.64, 55.65, 55.66]);
    const lat = Float64Array.from([-21.24, -21.23, -21.22]);
    const h = Float64Array.from([2000, 2300, 2600]);
    const c = new Float64Array(3);
    const r = new Float64Array(3);
    rpcProjectMany(S2P_RPC, lon, lat, h, c, r);
    for (let i = 0; i < 3; i++) {
      const [ci, ri] = rpcProject(S2P_RPC, lon[i]!, lat[i]!, h[i]!);
      assert.equal(c[i], ci);
      assert.equal(r[i], ri);
    }
  });

  test('centre of img_01 at 2320 m is 55.6503E 21.2306S (s2p PROVENANCE check)', () => {
    const [lon, lat] = rpcLocalize(S2P_RPC, 512, 512, 2320);
    assert.ok(Math.abs(lon - 55.6503) < 1e-4 && Math.abs(lat + 21.2306) < 1e-4, `${lon} ${lat}`);
  });

  test('agrees with GDAL RPC transformer on img_01.tif to < 0.01 px', { ...skipUnlessGdal(), ...skipUnlessShared('pleiades-s2p/input_pair/img_01.tif') }, () => {
    const path = sharedData('pleiades-s2p/input_pair/img_01.tif')!;
    const pts: [number, number, number][] = [];
    for (const lon of [55.64, 55.65, 55.66]) for (const lat of [-21.24, -21.231, -21.222]) for (const h of [2000, 2320, 2700]) pts.push([lon, lat, h]);
    const res = gdalRpcProject(path, pts);
    let worst = 0;
    pts.forEach(([lon, lat, h], i) => {
      const [c, r] = rpcProject(S2P_RPC, lon, lat, h);
      worst = Math.max(worst, Math.abs(c - res[i]![0]), Math.abs(r - res[i]![1]));
    });
    assert.ok(worst < 0.01, `max difference to GDAL ${worst} px`);
  });
});

describe('validateRpc', () => {
  test('zero or NaN scale and short coefficient lists are named', () => {
    const bad = (patch: Partial<RpcModel>, field: string): void => {
      assert.throws(
        () => validateRpc({ ...S2P_RPC, ...patch }, 'x.XML'),
        (e: unknown) => isGepError(e) && e.code === 'GEP_ERR_INVALID_INPUT' && e.message.includes(field) && e.message.includes('x.XML'),
      );
    };
    bad({ latScale: 0 }, 'latScale');
    bad({ sampScale: NaN }, 'sampScale');
    bad({ lineNumCoeff: [1, 2, 3] }, 'lineNumCoeff');
    bad({ sampDenCoeff: new Array<number>(20).fill(0) }, 'sampDenCoeff');
    validateRpc(S2P_RPC);
  });
});

/** Samples of a camera function on a lon/lat/h grid. */
function sampleCamera(cam: (lon: number, lat: number, h: number) => [number, number], lon0: number, lat0: number, dlon: number, dlat: number, hs: number[], n: number, jitter = 0) {
  const lon: number[] = [];
  const lat: number[] = [];
  const h: number[] = [];
  const col: number[] = [];
  const row: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      for (const hh of hs) {
        const a = lon0 + (dlon * (i + jitter)) / (n - 1);
        const b = lat0 + (dlat * (j + jitter)) / (n - 1);
        const [c, r] = cam(a, b, hh);
        lon.push(a);
        lat.push(b);
        h.push(hh);
        col.push(c);
        row.push(r);
      }
  const f = (x: number[]) => Float64Array.from(x);
  return { lon: f(lon), lat: f(lat), h: f(h), col: f(col), row: f(row) };
}

describe('fitRpc', () => {
  test('recovers a known rational model (residual and check points < 1e-3 px)', () => {
    const cam = (lon: number, lat: number, h: number) => rpcProject(S2P_RPC, lon, lat, h);
    const fit = sampleCamera(cam, 55.63, -21.25, 0.04, 0.04, [1500, 2000, 2500, 3000], 12);
    const { rpc, rmsPx } = fitRpc(fit);
    assert.ok(rmsPx < 1e-3, `fit rms ${rmsPx}`);
    const chk = sampleCamera(cam, 55.63, -21.25, 0.04, 0.04, [1750, 2750], 9, 0.37);
    let worst = 0;
    for (let i = 0; i < chk.lon.length; i++) {
      const [c, r] = rpcProject(rpc, chk.lon[i]!, chk.lat[i]!, chk.h[i]!);
      worst = Math.max(worst, Math.abs(c - chk.col[i]!), Math.abs(r - chk.row[i]!));
    }
    assert.ok(worst < 1e-3, `check-point error ${worst} px`);
  });

  test('fits a synthetic pushbroom camera (check points < 0.01 px)', () => {
    const fit = sampleCamera(pushbroom, 6.07, 45.18, 0.06, 0.05, [0, 700, 1400, 2100], 15);
    const { rpc, rmsPx } = fitRpc(fit);
    assert.ok(rmsPx < 0.01, `fit rms ${rmsPx}`);
    const chk = sampleCamera(pushbroom, 6.07, 45.18, 0.06, 0.05, [350, 1750], 11, 0.41);
    let worst = 0;
    for (let i = 0; i < chk.lon.length; i++) {
      const [c, r] = rpcProject(rpc, chk.lon[i]!, chk.lat[i]!, chk.h[i]!);
      worst = Math.max(worst, Math.abs(c - chk.col[i]!), Math.abs(r - chk.row[i]!));
    }
    assert.ok(worst < 0.01, `check-point error ${worst} px`);
    // And localisation inverts the fitted model.
    const [lon, lat] = rpcLocalize(rpc, chk.col[5]!, chk.row[5]!, chk.h[5]!);
    assert.ok(Math.abs(lon - chk.lon[5]!) < 1e-7 && Math.abs(lat - chk.lat[5]!) < 1e-7);
  });

  test('rejects too few or non-finite samples', () => {
    const s = sampleCamera((a, b) => [a, b], 0, 0, 1, 1, [0], 3);
    assert.throws(() => fitRpc(s), /at least 39/);
    const t = sampleCamera((a, b) => [a, b], 0, 0, 1, 1, [0, 1], 6);
    t.col[3] = NaN;
    assert.throws(() => fitRpc(t), /samples\.col\[3\]/);
  });
});
