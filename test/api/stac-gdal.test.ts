/**
 * A real client against a real server: `gep serve` on 127.0.0.1 (a child process on PGlite in a temporary data
 * folder), filled through the Transaction API over HTTP, then read by GDAL's STACIT driver
 * (`STACIT:"http://127.0.0.1:PORT/search?collections=c&limit=1":asset=data`, GDAL >= 3.4 syntax). With limit=1
 * GDAL must follow the `next` links to find both items; the mosaic it builds must hold both tiles' values.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import proj4 from 'proj4';
import { REPO_ROOT, SYSTEM_PYTHON, skipUnlessGdal } from '../helpers/env.ts';

const UTM32 = '+proj=utm +zone=32 +datum=WGS84 +units=m +no_defs';
const X0 = 500000;
const Y0 = 5000000;
const N = 64;
const RES = 10;

/** Writes a 64 × 64 UInt8 GeoTIFF in EPSG:32632 filled with `value`, its upper-left corner at (x0, Y0). */
function writeTile(path: string, x0: number, value: number): void {
  const script = `
import sys
from osgeo import gdal, osr
import numpy as np
path, x0, value = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
ds = gdal.GetDriverByName('GTiff').Create(path, ${N}, ${N}, 1, gdal.GDT_Byte)
ds.SetGeoTransform([x0, ${RES}, 0, ${Y0}, 0, -${RES}])
srs = osr.SpatialReference(); srs.ImportFromEPSG(32632)
ds.SetProjection(srs.ExportToWkt())
ds.GetRasterBand(1).WriteArray(np.full((${N}, ${N}), value, dtype=np.uint8))
ds = None
`;
  execFileSync(SYSTEM_PYTHON, ['-c', script, path, String(x0), String(value)]);
}

function item(id: string, href: string, x0: number, datetime: string): Record<string, unknown> {
  const corners = [[x0, Y0 - N * RES], [x0 + N * RES, Y0 - N * RES], [x0 + N * RES, Y0], [x0, Y0], [x0, Y0 - N * RES]];
  const ring = corners.map((c) => proj4(UTM32, 'EPSG:4326', c as [number, number]));
  return {
    type: 'Feature',
    stac_version: '1.1.0',
    stac_extensions: ['https://stac-extensions.github.io/projection/v1.1.0/schema.json'],
    id,
    geometry: { type: 'Polygon', coordinates: [ring] },
    properties: { datetime, 'proj:epsg': 32632, 'proj:code': 'EPSG:32632', 'proj:shape': [N, N], 'proj:transform': [RES, 0, x0, 0, -RES, Y0, 0, 0, 1] },
    assets: { data: { href, type: 'image/tiff; application=geotiff', roles: ['data'] } },
    links: [],
  };
}

describe('GDAL STACIT reads a search of `gep serve`', skipUnlessGdal(), () => {
  const dir = mkdtempSync(join(tmpdir(), 'gep-stacit-'));
  let server: ChildProcess | undefined;
  let base = '';

  before(async () => {
    writeTile(join(dir, 'a.tif'), X0, 10);
    writeTile(join(dir, 'b.tif'), X0 + N * RES, 20);
    server = spawn(process.execPath, [join(REPO_ROOT, 'bin/gep.js'), 'serve', '--port', '0', '--data', join(dir, 'data')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gep serve did not start: ${out}`)), 45_000);
      server!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /serving (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      server!.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      server!.on('exit', (code) => reject(new Error(`gep serve exited (${code}): ${out}`)));
    });
    const post = async (path: string, payload: unknown): Promise<void> => {
      const r = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
      assert.equal(r.status, 201, await r.text());
    };
    await post('/collections', {
      type: 'Collection', id: 'c', description: 'two UTM tiles', license: 'CC0-1.0',
      extent: { spatial: { bbox: [[8.9, 45.1, 9.1, 45.2]] }, temporal: { interval: [['2023-01-01T00:00:00Z', null]] } }, links: [],
    });
    await post('/collections/c/items', { type: 'FeatureCollection', features: [item('a', join(dir, 'a.tif'), X0, '2023-05-01T10:00:00Z'), item('b', join(dir, 'b.tif'), X0 + N * RES, '2023-05-02T10:00:00Z')] });
  });

  after(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('the mosaic of the items, following next links', () => {
    const conn = `STACIT:"${base}/search?collections=c&limit=1":asset=data`;
    const script = `
import sys, json
from osgeo import gdal
gdal.UseExceptions()
ds = gdal.Open(sys.argv[1])
a = ds.GetRasterBand(1).ReadAsArray()
print(json.dumps({"size": [ds.RasterXSize, ds.RasterYSize], "gt": list(ds.GetGeoTransform()), "left": int(a[:, :${N}].min()), "leftMax": int(a[:, :${N}].max()), "right": int(a[:, ${N}:].min()), "rightMax": int(a[:, ${N}:].max())}))
`;
    const out = JSON.parse(execFileSync(SYSTEM_PYTHON, ['-c', script, conn], { encoding: 'utf8', env: { ...process.env, CPL_DEBUG: 'OFF' } })) as {
      size: number[]; gt: number[]; left: number; leftMax: number; right: number; rightMax: number;
    };
    assert.deepEqual(out.size, [2 * N, N]);
    assert.deepEqual(out.gt, [X0, RES, 0, Y0, 0, -RES]);
    assert.deepEqual([out.left, out.leftMax, out.right, out.rightMax], [10, 10, 20, 20]);
  });

  test('gdalinfo opens the search', () => {
    const info = execFileSync('gdalinfo', ['-json', `STACIT:"${base}/search?collections=c":asset=data`], { encoding: 'utf8' });
    const j = JSON.parse(info) as { driverShortName: string; size: number[] };
    assert.ok(['STACIT', 'VRT'].includes(j.driverShortName), j.driverShortName); // a STACIT dataset is a VRT (GDAL docs)
    assert.deepEqual(j.size, [2 * N, N]);
  });
});
