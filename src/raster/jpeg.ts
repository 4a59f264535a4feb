/**
 * Plain JPEG (JFIF/EXIF, ITU-T T.81) reader through the `jpeg-js` decoder: 8-bit greyscale or colour images as a
 * Raster of uint8 bands (1 band for greyscale, 3 for colour: R, G, B after the decoder's YCbCr -> RGB transform).
 * A JPEG carries no georeferencing: transform and CRS are null and there are no overviews.
 *
 * Bounded: the frame header (SOF) is parsed first and an image larger than `maxPixels` (default 100 Mpx) or a file
 * larger than `maxBytes` (default 256 MiB) is refused with GEP_ERR_TOO_LARGE before any decoding; the decoder's
 * own memory cap is set to `maxMemoryMiB` (default 1024). The pixels are decoded once, on the first read, and kept
 * until close(). Corrupt or truncated files -> GEP_ERR_CORRUPT_FILE naming the file; 12-bit, arithmetic-coded and
 * lossless JPEGs -> GEP_ERR_UNSUPPORTED.
 */
import { readFile, stat } from 'node:fs/promises';
import jpeg from 'jpeg-js';
import { GepError, corruptFile, throwIfAborted, unsupported } from '../core/errors.ts';
import type { Raster, RasterInfo, RasterReadOptions, RasterReader } from './types.ts';
import { makeRaster } from './types.ts';

export interface JpegLimits {
  /** Largest width*height accepted, default 100e6. */
  maxPixels?: number;
  /** Largest file accepted, bytes, default 256 MiB. */
  maxBytes?: number;
  /** Memory cap handed to the decoder, MiB, default 1024. */
  maxMemoryMiB?: number;
}

export interface JpegFrame {
  width: number;
  height: number;
  components: number;
  precision: number;
}

/** True when the bytes start with a JPEG SOI marker followed by another marker (FF D8 FF). */
export const isJpeg = (head: Uint8Array): boolean => head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;

/**
 * Reads the frame header (first SOF marker) without decoding: size, components, sample precision.
 * Throws GEP_ERR_CORRUPT_FILE when the marker structure is broken, GEP_ERR_UNSUPPORTED for non-baseline/progressive
 * Huffman frames (lossless, arithmetic coding, hierarchical).
 */
export function readJpegFrame(bytes: Uint8Array, name: string): JpegFrame {
  if (!isJpeg(bytes)) throw corruptFile(name, 'not a JPEG file (no FF D8 start-of-image marker)');
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) throw corruptFile(name, `JPEG marker expected at byte ${p}`);
    const m = bytes[p + 1]!;
    if (m === 0xff) {
      p++; // fill byte
      continue;
    }
    if (m === 0xd8 || (m >= 0xd0 && m <= 0xd7) || m === 0x01) {
      p += 2;
      continue;
    }
    if (m === 0xd9 || m === 0xda) break; // end of image / start of scan before any frame header
    const len = (bytes[p + 2]! << 8) | bytes[p + 3]!;
    if (len < 2 || p + 2 + len > bytes.length) throw corruptFile(name, `JPEG segment 0xFF${m.toString(16).toUpperCase()} at byte ${p} is truncated`);
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (m !== 0xc0 && m !== 0xc1 && m !== 0xc2)
        throw unsupported(name, `JPEG frame type 0xFF${m.toString(16).toUpperCase()} (only baseline and progressive Huffman JPEGs are read)`);
      if (len < 8) throw corruptFile(name, 'JPEG frame header is too short');
      const precision = bytes[p + 4]!;
      const height = (bytes[p + 5]! << 8) | bytes[p + 6]!;
      const width = (bytes[p + 7]! << 8) | bytes[p + 8]!;
      const components = bytes[p + 9]!;
      if (precision !== 8) throw unsupported(name, `${precision}-bit JPEG (only 8-bit samples are read)`);
      if (width === 0 || height === 0) throw corruptFile(name, `JPEG frame size ${width}x${height} (a zero height needs a DNL marker, not supported)`);
      if (components !== 1 && components !== 3) throw unsupported(name, `JPEG with ${components} components (1 or 3 expected)`);
      return { width, height, components, precision };
    }
    p += 2 + len;
  }
  throw corruptFile(name, 'no JPEG frame header (SOF marker) found');
}

/** Decodes a JPEG held in memory into a Raster (1 or 3 uint8 bands, no georeferencing). */
export function decodeJpeg(bytes: Uint8Array, name = '<memory>', limits: JpegLimits = {}): Raster {
  const frame = readJpegFrame(bytes, name);
  const maxPixels = limits.maxPixels ?? 100e6;
  if (frame.width * frame.height > maxPixels)
    throw new GepError('GEP_ERR_TOO_LARGE', `${name}: JPEG of ${frame.width}x${frame.height} pixels is more than the ${maxPixels} accepted`, { file: name });
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: Math.ceil(maxPixels / 1e6),
      maxMemoryUsageInMB: limits.maxMemoryMiB ?? 1024,
    });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/memory|allocate/i.test(msg)) throw new GepError('GEP_ERR_TOO_LARGE', `${name}: decoding the JPEG needs too much memory (${msg})`, { file: name });
    throw corruptFile(name, `JPEG decoding failed (${msg})`);
  }
  const { width, height, data } = img;
  if (width !== frame.width || height !== frame.height || data.length !== width * height * 3)
    throw corruptFile(name, `JPEG decoded to ${width}x${height}, the frame header says ${frame.width}x${frame.height}`);
  const n = width * height;
  const nb = frame.components === 1 ? 1 : 3;
  const bands = Array.from({ length: nb }, () => new Uint8Array(n));
  for (let b = 0; b < nb; b++) {
    const out = bands[b]!;
    for (let i = 0, k = b; i < n; i++, k += 3) out[i] = data[k]!;
  }
  return makeRaster(bands, width, height, { bandNames: nb === 1 ? ['grey'] : ['red', 'green', 'blue'] });
}

/**
 * Opens a JPEG file (or bytes) as a RasterReader: metadata from the frame header, pixels decoded on the first read.
 * Windows and band subsets are cut from the decoded image; overviews do not exist (overview > 0 is refused).
 */
export async function openJpeg(source: string | Uint8Array, opts: { name?: string; signal?: AbortSignal } & JpegLimits = {}): Promise<RasterReader> {
  const name = opts.name ?? (typeof source === 'string' ? source : '<memory>');
  const maxBytes = opts.maxBytes ?? 256 * 1024 * 1024;
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    let size: number;
    try {
      size = (await stat(source)).size;
    } catch {
      throw new GepError('GEP_ERR_NOT_FOUND', `${name}: no such file`, { file: name });
    }
    if (size > maxBytes) throw new GepError('GEP_ERR_TOO_LARGE', `${name}: JPEG file of ${size} bytes is more than the ${maxBytes} accepted`, { file: name });
    bytes = new Uint8Array(await readFile(source));
  } else bytes = source;
  if (bytes.length > maxBytes) throw new GepError('GEP_ERR_TOO_LARGE', `${name}: JPEG of ${bytes.length} bytes is more than the ${maxBytes} accepted`, { file: name });
  throwIfAborted(opts.signal);
  const frame = readJpegFrame(bytes, name);
  const nb = frame.components === 1 ? 1 : 3;
  const info: RasterInfo = {
    width: frame.width,
    height: frame.height,
    bandCount: nb,
    dataType: 'uint8',
    transform: null,
    crs: null,
    nodata: null,
    bandNames: nb === 1 ? ['grey'] : ['red', 'green', 'blue'],
    overviews: [],
    tiled: false,
    blockWidth: frame.width,
    blockHeight: frame.height,
    compression: 'jpeg',
    rpc: null,
    acquisitionTime: null,
    metadata: {},
  };
  let decoded: Raster | null = null;
  let held: Uint8Array | null = bytes;
  return {
    info,
    async read(o: RasterReadOptions = {}): Promise<Raster> {
      throwIfAborted(o.signal);
      if ((o.overview ?? 0) !== 0) throw new GepError('GEP_ERR_INVALID_INPUT', `${name}: a JPEG has no overview ${o.overview}`, { file: name });
      if (!decoded) {
        if (!held) throw new GepError('GEP_ERR_INVALID_INPUT', `${name}: reader is closed`, { file: name });
        decoded = decodeJpeg(held, name, opts);
        held = null;
      }
      const w = o.window ?? { x0: 0, y0: 0, width: info.width, height: info.height };
      if (!Number.isInteger(w.x0) || !Number.isInteger(w.y0) || !Number.isInteger(w.width) || !Number.isInteger(w.height) ||
          w.x0 < 0 || w.y0 < 0 || w.width < 1 || w.height < 1 || w.x0 + w.width > info.width || w.y0 + w.height > info.height)
        throw new GepError('GEP_ERR_INVALID_INPUT', `${name}: window ${w.x0},${w.y0} ${w.width}x${w.height} is outside the ${info.width}x${info.height} image`, { file: name });
      const idx = o.bands ?? info.bandNames.map((_, i) => i);
      for (const b of idx) if (!Number.isInteger(b) || b < 0 || b >= nb) throw new GepError('GEP_ERR_INVALID_INPUT', `${name}: no band index ${b} (${nb} bands)`, { file: name });
      const src = decoded;
      const bands = idx.map((b) => {
        const full = src.bands[b] as Uint8Array;
        if (w.x0 === 0 && w.y0 === 0 && w.width === info.width && w.height === info.height) return full.slice();
        const out = new Uint8Array(w.width * w.height);
        for (let j = 0; j < w.height; j++) {
          const s = (w.y0 + j) * info.width + w.x0;
          out.set(full.subarray(s, s + w.width), j * w.width);
        }
        return out;
      });
      return makeRaster(bands, w.width, w.height, { bandNames: idx.map((b) => info.bandNames[b]!) });
    },
    async close(): Promise<void> {
      decoded = null;
      held = null;
    },
  };
}
