/**
 * Opens any raster file we read, choosing the format from its first bytes (not its name):
 * TIFF/BigTIFF (either byte order) -> GeoTIFF/COG reader; JP2 signature box or a raw J2K codestream -> JPEG2000.
 * http(s):// URLs are read with HTTP range requests and s3://BUCKET/KEY[?endpoint=..] URLs with S3 ranged
 * GetObject requests (GeoTIFF/COG only; see tiff/http-source.ts, tiff/s3-source.ts and core/s3.ts).
 */
import { open } from 'node:fs/promises';
import { GepError, openFailed } from '../core/errors.ts';
import type { RasterReader } from './types.ts';
import { openGeoTiff } from './tiff/read.ts';
import { openJp2 } from './jp2/read.ts';

export type RasterFormat = 'tiff' | 'jp2' | 'unknown';

export function sniffRasterFormat(head: Uint8Array): RasterFormat {
  const b = (i: number): number => head[i] ?? -1;
  if ((b(0) === 0x49 && b(1) === 0x49 && (b(2) === 42 || b(2) === 43) && b(3) === 0) ||
      (b(0) === 0x4d && b(1) === 0x4d && b(2) === 0 && (b(3) === 42 || b(3) === 43)))
    return 'tiff';
  // JP2 signature box: length 12, type 'jP  ', content 0x0D0A870A; or a bare codestream (SOC + SIZ markers).
  if (b(4) === 0x6a && b(5) === 0x50 && b(6) === 0x20 && b(7) === 0x20) return 'jp2';
  if (b(0) === 0xff && b(1) === 0x4f && b(2) === 0xff && b(3) === 0x51) return 'jp2';
  return 'unknown';
}

async function readHead(path: string): Promise<Uint8Array> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw openFailed(path, e);
  }
  try {
    const buf = new Uint8Array(16);
    const { bytesRead } = await fh.read(buf, 0, 16, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Opens a local raster file, an in-memory file, or an http(s):// or s3:// URL (GeoTIFF/COG only). */
export async function openRaster(source: string | URL | Uint8Array, opts: { signal?: AbortSignal } = {}): Promise<RasterReader> {
  if (source instanceof URL || (typeof source === 'string' && /^(https?|s3):\/\//i.test(source)))
    return openGeoTiff(source, opts);
  const head = typeof source === 'string' ? await readHead(source) : source.subarray(0, 16);
  const name = typeof source === 'string' ? source : '<memory>';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return (await import('./jpeg.ts')).openJpeg(source, { name, ...opts });
  switch (sniffRasterFormat(head)) {
    case 'tiff':
      return openGeoTiff(source, opts);
    case 'jp2':
      return openJp2(source, { name, ...opts });
    default:
      throw new GepError('GEP_ERR_UNSUPPORTED', `${name}: not a raster we read (expected GeoTIFF/COG or JPEG2000)`, {
        file: name,
      });
  }
}
