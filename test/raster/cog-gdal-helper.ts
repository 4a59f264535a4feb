/**
 * One Python/GDAL process inspecting many files at once (spawning GDAL per file and per check would not fit the
 * 30 s budget of a test file): COG validation, size, types, CRS, geotransform, nodata, descriptions, overview
 * sizes, and a SHA-256 of each band's bytes as GDAL reads them (full resolution and overviews).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import type { TypedArray } from '../../src/raster/types.ts';
import { SYSTEM_PYTHON } from '../helpers/env.ts';

export interface GdalReport {
  errors: string[];
  warnings: string[];
  width: number;
  height: number;
  bands: number;
  types: string[];
  epsg: string | null;
  wkt: string;
  geotransform: number[];
  nodata: (number | string | null)[];
  descriptions: string[];
  overviews: [number, number][];
  sha: string[];
  ovrSha: string[][];
  metadata: Record<string, string>;
  imageStructure: Record<string, string>;
  rpc: Record<string, string>;
}

const SCRIPT = `
import hashlib, json, math, sys
from osgeo import gdal
from osgeo_utils.samples.validate_cloud_optimized_geotiff import validate
gdal.UseExceptions()
out = []
for p in json.loads(sys.stdin.read()):
    w, e, _ = validate(p, full_check=True)
    ds = gdal.Open(p)
    srs = ds.GetSpatialRef()
    b1 = ds.GetRasterBand(1)
    def nd(b):
        v = b.GetNoDataValue()
        return None if v is None else ('nan' if math.isnan(v) else v)
    out.append({
        'errors': e, 'warnings': w, 'width': ds.RasterXSize, 'height': ds.RasterYSize, 'bands': ds.RasterCount,
        'types': [gdal.GetDataTypeName(ds.GetRasterBand(i + 1).DataType) for i in range(ds.RasterCount)],
        'epsg': srs.GetAuthorityCode(None) if srs is not None else None,
        'wkt': srs.ExportToWkt() if srs is not None else '',
        'geotransform': list(ds.GetGeoTransform(can_return_null=True) or []),
        'nodata': [nd(ds.GetRasterBand(i + 1)) for i in range(ds.RasterCount)],
        'descriptions': [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)],
        'overviews': [[b1.GetOverview(k).XSize, b1.GetOverview(k).YSize] for k in range(b1.GetOverviewCount())],
        'sha': [hashlib.sha256(ds.GetRasterBand(i + 1).ReadRaster()).hexdigest() for i in range(ds.RasterCount)],
        'ovrSha': [[hashlib.sha256(ds.GetRasterBand(i + 1).GetOverview(k).ReadRaster()).hexdigest()
                    for k in range(b1.GetOverviewCount())] for i in range(ds.RasterCount)],
        'metadata': ds.GetMetadata() or {},
        'imageStructure': ds.GetMetadata('IMAGE_STRUCTURE') or {},
        'rpc': ds.GetMetadata('RPC') or {},
    })
print(json.dumps(out))
`;

/** Inspects every path with GDAL in one process. */
export function gdalReports(paths: string[]): GdalReport[] {
  const out = execFileSync(SYSTEM_PYTHON, ['-c', SCRIPT], {
    input: JSON.stringify(paths),
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  return JSON.parse(out) as GdalReport[];
}

/** SHA-256 of a typed array's bytes (little-endian host = GDAL's native buffer layout). */
export function sha256(a: TypedArray): string {
  return createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
}

/** Reads overview `level` (0 = largest reduced level) of band `band` (1-based) with GDAL as float64. */
export function gdalReadOverview(path: string, band: number, level: number): { width: number; height: number; data: Float64Array } {
  const script = `
import sys
from osgeo import gdal
import numpy as np
ds = gdal.Open(sys.argv[1])  # keep the dataset alive while its band is used
b = ds.GetRasterBand(int(sys.argv[2])).GetOverview(int(sys.argv[3]))
a = b.ReadAsArray().astype('<f8')
sys.stdout.buffer.write(np.array([a.shape[1], a.shape[0]], dtype='<f8').tobytes() + a.tobytes())
`;
  const buf = execFileSync(SYSTEM_PYTHON, ['-c', script, path, String(band), String(level)], { maxBuffer: 1 << 30 });
  const all = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return { width: all[0]!, height: all[1]!, data: all.slice(2) };
}
