import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { formatDimapRpcXml, parseDimapRpcXml } from '../../src/sensors/pleiades/rpc-xml.ts';
import { rpcLocalize, rpcProject } from '../../src/algorithms/stereo/rpc.ts';
import { isGepError } from '../../src/core/errors.ts';
import type { RpcModel } from '../../src/raster/types.ts';
import { gdalRpcProject, sharedData, skipUnlessGdal, skipUnlessShared } from '../helpers/env.ts';

const SHARELOC = 'pleiades-ventoux-gizeh-shareloc';
const RPC_FILES = [
  'rpc/phr_ventoux/RPC_PHR1B_P_201308051042194_SEN_690908101-001.XML',
  'rpc/RPC_PHR1B_P_201709281038045_SEN_PRG_FC_178608-001.XML',
  'rpc/RPC_PHR1B_P_201709281038393_SEN_PRG_FC_178609-001.XML',
  'rpc/RPC_P1BP--2017092838284574CP.XML',
  'rpc/RPC_P1BP--2017092838319324CP.XML',
];

/** Reads an OTB/OSSIM keyword-list .geom RPC (offsets already 0-based there). */
function readGeom(file: string): RpcModel {
  const kv = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([\w.]+):\s*(.*)$/.exec(line);
    if (m) kv.set(m[1]!, m[2]!.trim());
  }
  const n = (k: string): number => Number(kv.get(k));
  const c = (p: string): number[] => Array.from({ length: 20 }, (_, i) => n(`${p}_${String(i).padStart(2, '0')}`));
  return {
    lineOffset: n('line_off'),
    sampOffset: n('samp_off'),
    latOffset: n('lat_off'),
    longOffset: n('long_off'),
    heightOffset: n('height_off'),
    lineScale: n('line_scale'),
    sampScale: n('samp_scale'),
    latScale: n('lat_scale'),
    longScale: n('long_scale'),
    heightScale: n('height_scale'),
    lineNumCoeff: c('line_num_coeff'),
    lineDenCoeff: c('line_den_coeff'),
    sampNumCoeff: c('samp_num_coeff'),
    sampDenCoeff: c('samp_den_coeff'),
  };
}

/** Ground points spread over a model's validity domain. */
function groundPoints(rpc: RpcModel): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const a of [-0.8, 0, 0.8]) for (const b of [-0.8, 0, 0.8]) for (const c of [-0.5, 0.5]) out.push([rpc.longOffset + a * rpc.longScale, rpc.latOffset + b * rpc.latScale, rpc.heightOffset + c * rpc.heightScale]);
  return out;
}

describe('parseDimapRpcXml on real Pléiades RPC files', skipUnlessShared(SHARELOC), () => {
  test('all RPC_*.XML parse, offsets converted from 1-based', () => {
    for (const f of RPC_FILES) {
      const rpc = parseDimapRpcXml(readFileSync(sharedData(join(SHARELOC, f))!, 'utf8'), basename(f));
      assert.equal(rpc.sampNumCoeff.length, 20);
      assert.equal(rpc.sampDenCoeff[0], 1);
    }
    const left = parseDimapRpcXml(readFileSync(sharedData(join(SHARELOC, RPC_FILES[0]!))!, 'utf8'));
    assert.equal(left.sampOffset, 19207.5);
    assert.equal(left.lineOffset, 21109.49999999999);
    assert.equal(left.sampNumCoeff[1], 1.019154466819689);
  });

  test('projection agrees with the OTB .geom model of the same image to < 0.01 px', () => {
    const rpc = parseDimapRpcXml(readFileSync(sharedData(join(SHARELOC, RPC_FILES[0]!))!, 'utf8'));
    const geom = readGeom(sharedData(join(SHARELOC, 'rpc/phr_ventoux/left_image.geom'))!);
    let worst = 0;
    for (const [lon, lat, h] of groundPoints(rpc)) {
      const a = rpcProject(rpc, lon, lat, h);
      const b = rpcProject(geom, lon, lat, h);
      worst = Math.max(worst, Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1]));
    }
    assert.ok(worst < 0.01, `max difference to OTB .geom ${worst} px`);
    // PROVENANCE check: the left crop centre, full-image px (5250, 5250), is at 5.1950E 44.2069N at h = 500 m.
    const [lon, lat] = rpcLocalize(rpc, 5250, 5250, 500);
    assert.ok(Math.abs(lon - 5.195) < 1e-3 && Math.abs(lat - 44.2069) < 1e-3, `${lon} ${lat}`);
  });

  test('projection agrees with GDAL reading the same XML to < 0.01 px', skipUnlessGdal(), () => {
    const dir = mkdtempSync(join(tmpdir(), 'gep-rpcxml-'));
    try {
      for (const f of RPC_FILES.slice(0, 3)) {
        const src = sharedData(join(SHARELOC, f))!;
        copyFileSync(src, join(dir, basename(f)));
        const img = join(dir, basename(f).replace(/^RPC_/, 'IMG_').replace(/\.XML$/, '_R1C1.TIF'));
        const rpc = parseDimapRpcXml(readFileSync(src, 'utf8'), basename(f));
        const pts = groundPoints(rpc);
        const res = gdalRpcProject(img, pts, true);
        let worst = 0;
        pts.forEach(([lon, lat, h], i) => {
          const [c, r] = rpcProject(rpc, lon, lat, h);
          worst = Math.max(worst, Math.abs(c - res[i]![0]), Math.abs(r - res[i]![1]));
        });
        assert.ok(worst < 0.01, `${f}: max difference to GDAL ${worst} px`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('internal PHR_Dimap_Document RPC matches its own frame vertices', () => {
    const file = sharedData(join(SHARELOC, 'rpc/PHRDIMAP_P1BP--2017030824934340CP.XML'))!;
    const rpc = parseDimapRpcXml(readFileSync(file, 'utf8'), 'PHRDIMAP');
    // Dataset_Frame: image (1,1) [1-based] = 57.21647521538905E 21.95894940469852N; centre (19976, 24914).
    const [c, r] = rpcProject(rpc, 57.35081912309855, 22.02892713224957, rpc.heightOffset);
    // 1-based (19976, 24914) is 0-based centre (19975, 24913) -> Raster convention +0.5. The frame's heights are not
    // given (a DEM's): at the model's mean height the centre lands within 30 px (about 0.15 px per metre of height).
    assert.ok(Math.abs(c - 19975.5) < 30 && Math.abs(r - 24913.5) < 30, `${c} ${r}`);
    const [c0, r0] = rpcProject(rpc, 57.21647521538905, 21.95894940469852, rpc.heightOffset);
    assert.ok(Math.abs(c0 - 0.5) < 30 && Math.abs(r0 - 0.5) < 30, `${c0} ${r0}`);
  });

  test('format -> parse round trip is exact', () => {
    const rpc = parseDimapRpcXml(readFileSync(sharedData(join(SHARELOC, RPC_FILES[1]!))!, 'utf8'));
    const back = parseDimapRpcXml(formatDimapRpcXml(rpc), 'roundtrip');
    assert.deepEqual(back, rpc);
  });
});

describe('parseDimapRpcXml hostile input', () => {
  const good = formatDimapRpcXml({
    lineOffset: 99.5,
    sampOffset: 99.5,
    latOffset: 45,
    longOffset: 6,
    heightOffset: 500,
    lineScale: 100,
    sampScale: 100,
    latScale: 0.01,
    longScale: 0.01,
    heightScale: 500,
    lineNumCoeff: [0, 0, -1, ...new Array<number>(17).fill(0)],
    lineDenCoeff: [1, ...new Array<number>(19).fill(0)],
    sampNumCoeff: [0, 1, ...new Array<number>(18).fill(0)],
    sampDenCoeff: [1, ...new Array<number>(19).fill(0)],
  });
  const rejects = (xml: string, re: RegExp): void => {
    assert.throws(
      () => parseDimapRpcXml(xml, 'RPC_bad.XML'),
      (e: unknown) => isGepError(e) && e.code === 'GEP_ERR_CORRUPT_FILE' && re.test(e.message) && e.message.includes('RPC_bad.XML'),
    );
  };
  test('malformed XML, missing coefficient, NaN and zero scales, entities', () => {
    assert.equal(parseDimapRpcXml(good).sampOffset, 99.5);
    rejects(good.replace('</Global_RFM>', ''), /malformed XML/);
    rejects(good.replace(/<LINE_NUM_COEFF_7>[^<]*<\/LINE_NUM_COEFF_7>/, ''), /LINE_NUM_COEFF_7/);
    rejects(good.replace(/<LAT_SCALE>[^<]*</, '<LAT_SCALE>NaN<'), /LAT_SCALE/);
    rejects(good.replace(/<SAMP_SCALE>[^<]*</, '<SAMP_SCALE>0<'), /sampScale must be non-zero/);
    rejects(good.replace('<Global_RFM>', '<Other>').replace('</Global_RFM>', '</Other>'), /Global_RFM/);
    rejects('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Dimap_Document>&a;</Dimap_Document>', /entity/);
    rejects('<root/>', /not a DIMAP document/);
  });
});
