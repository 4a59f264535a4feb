/**
 * Test environment helpers: where the shared real-data crops are, and the GDAL command-line peers used to
 * validate what we write. Tests needing ../shared/data skip with a printed reason when it is absent. GDAL is
 * installed by .ci/run, so under CI its absence is a failure, not a skip.
 */
import { existsSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED_DATA = process.env.GEP_SHARED_DATA ?? resolve(REPO_ROOT, '..', 'shared', 'data');

/** Path inside ../shared/data, or null (with a printed reason) when the folder is absent. */
export function sharedData(rel: string): string | null {
  const p = join(SHARED_DATA, rel);
  if (!existsSync(p)) {
    console.log(`# skipping: shared data ${p} is absent`);
    return null;
  }
  return p;
}

/** Skip option for node:test when the shared data path is absent. */
export function skipUnlessShared(rel: string): { skip: string | false } {
  const p = join(SHARED_DATA, rel);
  return { skip: existsSync(p) ? false : `shared data ${p} is absent` };
}

/** Debian's python3 (with python3-gdal); pyenv's python3 on PATH lacks osgeo. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

let gdalChecked: boolean | undefined;
export function hasGdal(): boolean {
  if (gdalChecked === undefined) {
    gdalChecked =
      spawnSync('gdalinfo', ['--version']).status === 0 &&
      spawnSync(SYSTEM_PYTHON, ['-c', 'import osgeo.gdal']).status === 0;
  }
  return gdalChecked;
}

/** Skip option for tests that need GDAL: skipped locally when missing, a failure under CI. */
export function skipUnlessGdal(): { skip: string | false } {
  if (hasGdal()) return { skip: false };
  if (process.env.CI) throw new Error('GDAL (gdal-bin, python3-gdal) is required under CI: .ci/run must install it');
  return { skip: 'gdal-bin / python3-gdal not installed' };
}

export function gdalinfoJson(path: string, extra: string[] = []): Record<string, unknown> {
  const out = execFileSync('gdalinfo', ['-json', ...extra, path], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(out) as Record<string, unknown>;
}

/** Runs GDAL's COG validator; returns its errors and warnings (empty errors = valid COG). */
export function validateCog(path: string): { errors: string[]; warnings: string[] } {
  const script = `
import json, sys
from osgeo_utils.samples.validate_cloud_optimized_geotiff import validate
w, e, _ = validate(sys.argv[1], full_check=True)
print(json.dumps({"errors": e, "warnings": w}))
`;
  const out = execFileSync(SYSTEM_PYTHON, ['-c', script, path], { encoding: 'utf8' });
  return JSON.parse(out) as { errors: string[]; warnings: string[] };
}

/** Reads band `band` (1-based) of a raster with GDAL into a Float64Array (via a Python one-liner). */
export function gdalReadBand(path: string, band = 1): { width: number; height: number; data: Float64Array } {
  const script = `
import sys
from osgeo import gdal
import numpy as np
ds = gdal.Open(sys.argv[1])
a = ds.GetRasterBand(int(sys.argv[2])).ReadAsArray().astype('<f8')
sys.stdout.buffer.write(np.array([a.shape[1], a.shape[0]], dtype='<f8').tobytes() + a.tobytes())
`;
  const buf = execFileSync(SYSTEM_PYTHON, ['-c', script, path, String(band)], { maxBuffer: 1 << 30 });
  const all = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
  return { width: all[0]!, height: all[1]!, data: all.slice(2) };
}

/**
 * Projects ground points [lon °, lat °, h m above the WGS 84 ellipsoid] to image [col, row] (pixel-corner
 * convention, as GDAL reports) with GDAL's RPC transformer, using the RPC GDAL finds for `path` (the GeoTIFF RPC
 * tag, or a side-car RPC_*.XML / _RPC.TXT next to it). With `create`, an empty 8×8 GeoTIFF is first written at
 * `path` so that GDAL picks up a side-car copied beside it. Throws when GDAL finds no RPC.
 */
export function gdalRpcProject(path: string, pts: readonly (readonly [number, number, number])[], create = false): [number, number][] {
  const script = `
import sys, json
from osgeo import gdal
if sys.argv[3] == '1':
    ds = gdal.GetDriverByName('GTiff').Create(sys.argv[1], 8, 8, 1, gdal.GDT_UInt16)
    ds = None
ds = gdal.Open(sys.argv[1])
assert ds.GetMetadata('RPC'), 'GDAL found no RPC'
out = []
for lon, lat, h in json.loads(sys.argv[2]):
    tr = gdal.Transformer(ds, None, ['METHOD=RPC', 'RPC_HEIGHT=%r' % h])
    ok, p = tr.TransformPoint(1, lon, lat, 0)
    out.append([p[0], p[1]])
print(json.dumps(out))
`;
  const out = execFileSync(SYSTEM_PYTHON, ['-c', script, path, JSON.stringify(pts), create ? '1' : '0'], { encoding: 'utf8' });
  return JSON.parse(out) as [number, number][];
}
