/**
 * openGeoTiff: GeoTIFF / Cloud-Optimized GeoTIFF reader (TIFF 6.0, BigTIFF, OGC GeoTIFF 1.1, GDAL private
 * tags). Opening reads the header and IFDs only; pixels are read per window, decoding only the blocks that
 * intersect it. Sources: a local path, an http(s) URL (range requests, see http-source.ts), an s3:// URL
 * (s3-source.ts), or bytes in memory.
 *
 * Every failure is a GepError: GEP_ERR_NOT_FOUND (missing file), GEP_ERR_CORRUPT_FILE (malformed or hostile
 * content), GEP_ERR_TOO_LARGE (sizes beyond TiffLimits), GEP_ERR_UNSUPPORTED (e.g. JPEG/ZSTD/LERC/WEBP
 * compression, thrown by read(); info stays available), GEP_ERR_REMOTE, GEP_ERR_ABORTED.
 */
import { fileURLToPath } from 'node:url';
import { GepError, invalidInput, throwIfAborted, toGepError } from '../../core/errors.ts';
import {
  makeRaster,
  windowTransform,
  type GeoTransform,
  type PixelWindow,
  type Raster,
  type RasterInfo,
  type RasterReadOptions,
  type RasterReader,
} from '../types.ts';
import { TAG } from './tags.ts';
import { parseTiff, tagNumbers, tagString, type TiffFile } from './ifd.ts';
import { makeImage, type TiffImage } from './image.ts';
import { compressionName, SUPPORTED_COMPRESSIONS } from './decode.ts';
import { crsFromGeoKeys, isPixelIsPoint, readGeoKeys, transformFromTags } from './geokeys.ts';
import { acquisitionTime, parseGdalMetadata, parseNodata } from './metadata.ts';
import { rpcFromTag } from './rpc-tag.ts';
import { readWindow } from './blocks.ts';
import { FileSource, MemorySource, type ByteSource } from './source.ts';
import { HttpSource } from './http-source.ts';

/** Limits applied to every file before allocating (hostile-input guards). */
export interface TiffLimits {
  /** IFDs in the main chain (default 1024). */
  maxIfds: number;
  /** Entries per IFD (default 1024). */
  maxTags: number;
  /** Width, height, tile width and tile height, in pixels (default 2^20). */
  maxDimension: number;
  /** Pixels of one image (width x height), and samples of one read (window pixels x bands) (default 2^32). */
  maxPixels: number;
  /** Bytes of one tag's value, block-index arrays included (default 16 MiB: 2M blocks). */
  maxTagBytes: number;
  /** Compressed and decompressed bytes of one tile or strip (default 256 MiB). */
  maxBlockBytes: number;
}

export const DEFAULT_TIFF_LIMITS: Readonly<TiffLimits> = Object.freeze({
  maxIfds: 1024,
  maxTags: 1024,
  maxDimension: 1 << 20,
  maxPixels: 2 ** 32,
  maxTagBytes: 16 * 1024 * 1024,
  maxBlockBytes: 256 * 1024 * 1024,
});

export interface OpenGeoTiffOptions {
  limits?: Partial<TiffLimits>;
  signal?: AbortSignal;
  /** Name used in messages (defaults to the path or URL). */
  name?: string;
}

/** NewSubfileType bits (TIFF 6.0 §8): reduced-resolution image, transparency mask. */
const SUBFILE_REDUCED = 1;
const SUBFILE_MASK = 4;

async function openSource(source: string | URL | Uint8Array, name: string | undefined, signal?: AbortSignal): Promise<ByteSource> {
  if (source instanceof Uint8Array) return new MemorySource(name ?? 'in-memory TIFF', source);
  const s = source instanceof URL ? source.href : source;
  if (/^https?:\/\//i.test(s)) return HttpSource.open(s, { name: name ?? s, signal });
  if (/^s3:\/\//i.test(s)) return (await import('./s3-source.ts')).openS3Source(s, { name: name ?? s, signal });
  const path = s.startsWith('file:') ? fileURLToPath(s) : s;
  return FileSource.open(path, name ?? path);
}

/** Opens a GeoTIFF / COG and reads its metadata; pixels are read on demand with `read()`. */
export async function openGeoTiff(source: string | URL | Uint8Array, opts: OpenGeoTiffOptions = {}): Promise<RasterReader> {
  const limits: TiffLimits = { ...DEFAULT_TIFF_LIMITS, ...opts.limits };
  for (const [k, v] of Object.entries(limits))
    if (typeof v !== 'number' || !(v > 0)) throw invalidInput(`TIFF limit ${k} must be a positive number, got ${String(v)}`);
  const src = await openSource(source, opts.name, opts.signal);
  try {
    const file = await parseTiff(src, limits, opts.signal);
    return new GeoTiffReader(file);
  } catch (e) {
    await src.close().catch(() => undefined);
    if (e instanceof GepError) throw e;
    // Anything else from parsing hostile bytes is a malformed file, not a bug of the caller.
    throw new GepError('GEP_ERR_CORRUPT_FILE', `${src.name}: cannot parse TIFF (${(e as Error).message})`, { file: src.name }, { cause: e });
  }
}

class GeoTiffReader implements RasterReader {
  readonly info: RasterInfo;
  /** Full resolution first, then overviews largest first. */
  private readonly levels: TiffImage[];

  constructor(private readonly file: TiffFile) {
    const ifd0 = file.ifds[0]!;
    const main = makeImage(file, ifd0);
    const overviews: TiffImage[] = [];
    for (const ifd of file.ifds.slice(1)) {
      const t = ifd.values.get(TAG.NewSubfileType);
      const st = Array.isArray(t) ? (t[0] ?? 0) : 0;
      if ((st & SUBFILE_REDUCED) === 0 || (st & SUBFILE_MASK) !== 0) continue;
      let img: TiffImage;
      try {
        img = makeImage(file, ifd);
      } catch {
        continue; // an unreadable overview is skipped; the full-resolution image is still usable
      }
      if (img.bands !== main.bands || img.dataType !== main.dataType) continue;
      if (img.width >= main.width && img.height >= main.height) continue;
      overviews.push(img);
    }
    overviews.sort((a, b) => b.width - a.width);
    this.levels = [main, ...overviews];

    const keys = readGeoKeys(ifd0);
    const gdal = parseGdalMetadata(tagString(ifd0, TAG.GdalMetadata));
    const metadata: Record<string, string> = { ...gdal.metadata };
    const dateTime = tagString(ifd0, TAG.DateTime);
    const texts: [string, number][] = [
      ['TIFFTAG_DATETIME', TAG.DateTime],
      ['TIFFTAG_SOFTWARE', TAG.Software],
      ['TIFFTAG_IMAGEDESCRIPTION', TAG.ImageDescription],
    ];
    for (const [k, tag] of texts) {
      const v = tagString(ifd0, tag);
      if (v !== null && metadata[k] === undefined) metadata[k] = v;
    }
    if (keys.size > 0) metadata.AREA_OR_POINT = isPixelIsPoint(keys) ? 'Point' : 'Area';
    const bandNames = Array.from({ length: main.bands }, (_, i) => gdal.descriptions.get(i) ?? '');
    this.info = {
      width: main.width,
      height: main.height,
      bandCount: main.bands,
      dataType: main.dataType,
      transform: transformFromTags(ifd0, isPixelIsPoint(keys)),
      crs: crsFromGeoKeys(keys),
      nodata: parseNodata(tagString(ifd0, TAG.GdalNodata)),
      bandNames,
      overviews: overviews.map((o) => ({ width: o.width, height: o.height })),
      tiled: main.tiled,
      blockWidth: main.blockWidth,
      blockHeight: main.blockHeight,
      compression: compressionName(main.compression),
      rpc: rpcFromTag(tagNumbers(ifd0, TAG.RpcCoefficients)),
      acquisitionTime: acquisitionTime(metadata, dateTime),
      metadata,
    };
  }

  async read(opts: RasterReadOptions = {}): Promise<Raster> {
    const { file, info } = this;
    const level = opts.overview ?? 0;
    if (!Number.isInteger(level) || level < 0 || level >= this.levels.length)
      throw invalidInput(`${file.name}: overview ${level} does not exist (the file has ${this.levels.length - 1} overviews)`);
    const img = this.levels[level]!;
    const win: PixelWindow = opts.window ?? { x0: 0, y0: 0, width: img.width, height: img.height };
    const ok = [win.x0, win.y0, win.width, win.height].every(Number.isInteger);
    if (!ok || win.x0 < 0 || win.y0 < 0 || win.width < 1 || win.height < 1 || win.x0 + win.width > img.width || win.y0 + win.height > img.height)
      throw invalidInput(
        `${file.name}: window ${JSON.stringify(win)} is not inside the ${img.width}x${img.height} image of level ${level}`,
      );
    const bands = opts.bands ?? Array.from({ length: img.bands }, (_, i) => i);
    if (bands.length === 0 || !bands.every((b) => Number.isInteger(b) && b >= 0 && b < img.bands))
      throw invalidInput(`${file.name}: bands ${JSON.stringify(bands)} must be indices in [0, ${img.bands - 1}]`);
    const pixels = win.width * win.height;
    const maxLen = Math.floor(2 ** 32 / img.bytesPerSample);
    if (pixels * bands.length > file.limits.maxPixels || pixels > maxLen)
      throw new GepError(
        'GEP_ERR_TOO_LARGE',
        `${file.name}: reading ${bands.length} band(s) of ${win.width}x${win.height} pixels exceeds the limit of ${file.limits.maxPixels} samples`,
        { file: file.name },
      );
    if (!SUPPORTED_COMPRESSIONS.has(img.compression))
      throw new GepError('GEP_ERR_UNSUPPORTED', `${file.name}: compression ${compressionName(img.compression)} is not supported`, {
        file: file.name,
        compression: img.compression,
      });
    if (img.predictor !== 1 && img.predictor !== 2 && img.predictor !== 3)
      throw new GepError('GEP_ERR_UNSUPPORTED', `${file.name}: predictor ${img.predictor} is not supported`, { file: file.name });
    throwIfAborted(opts.signal);
    let data;
    try {
      data = await readWindow(file, img, win, bands, info.nodata, opts.signal);
    } catch (e) {
      if (e instanceof GepError) throw e;
      throw toGepError(e);
    }
    let transform: GeoTransform | null = null;
    if (info.transform) {
      const t = info.transform;
      const sx = info.width / img.width;
      const sy = info.height / img.height;
      transform = windowTransform([t[0], t[1] * sx, t[2] * sy, t[3], t[4] * sx, t[5] * sy], win);
    }
    return makeRaster(data, win.width, win.height, {
      transform,
      crs: info.crs,
      nodata: info.nodata,
      bandNames: bands.map((b) => info.bandNames[b] ?? ''),
      metadata: { ...info.metadata },
    });
  }

  async close(): Promise<void> {
    await this.file.src.close();
  }
}
