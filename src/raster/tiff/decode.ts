/**
 * Block decoding: decompression (none, DEFLATE through node:zlib on the libuv thread pool, LZW, PackBits),
 * byte order, and the TIFF predictors: 2 = horizontal differencing of integer samples (TIFF 6.0 §14) and
 * 3 = floating-point predictor (Adobe TIFF Technical Note 3, 2005: byte-wise differencing of samples split
 * into byte planes, most significant plane first).
 * The output is always native (little-endian) samples in a fresh, aligned buffer owned by the caller.
 */
import { inflate, type InputType, type ZlibOptions } from 'node:zlib';
import { corruptFile, GepError, unsupported } from '../../core/errors.ts';
import { COMPRESSION, COMPRESSION_NAME, PREDICTOR } from './tags.ts';
import { lzwDecode, packBitsDecode } from './codecs.ts';

const inflateAsync = (buf: InputType, opts: ZlibOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => inflate(buf, opts, (err, out) => (err ? reject(err) : resolve(out))));

/** Compressions this module decodes. */
export const SUPPORTED_COMPRESSIONS = new Set<number>([
  COMPRESSION.NONE,
  COMPRESSION.LZW,
  COMPRESSION.ADOBE_DEFLATE,
  COMPRESSION.DEFLATE,
  COMPRESSION.PACKBITS,
]);

export function compressionName(c: number): string {
  return COMPRESSION_NAME[c] ?? `code ${c}`;
}

/** How the samples of one block are laid out. */
export interface BlockLayout {
  compression: number;
  predictor: number;
  /** Bytes per sample: 1, 2, 4 or 8. */
  bytesPerSample: number;
  /** Samples per pixel inside the block: SamplesPerPixel when chunky, 1 when planar-separate. */
  samplesPerPixel: number;
  /** Pixels per block row (tile width, or image width for strips). */
  blockWidth: number;
  littleEndian: boolean;
}

/**
 * Decodes one block. `fullBytes` is the size of a complete block, `minBytes` the bytes the caller needs
 * (smaller for a short last strip); a block that decodes to fewer than `minBytes` is GEP_ERR_CORRUPT_FILE.
 */
export async function decodeBlock(
  raw: Uint8Array,
  lay: BlockLayout,
  fullBytes: number,
  minBytes: number,
  name: string,
  /** Leave horizontal differencing to the caller (it fuses the predictor with its copy). */
  skipHorizontalPredictor = false,
): Promise<Uint8Array> {
  let out: Uint8Array;
  let produced: number;
  switch (lay.compression) {
    case COMPRESSION.NONE:
      produced = Math.min(raw.length, fullBytes);
      out = new Uint8Array(fullBytes);
      out.set(raw.subarray(0, produced));
      break;
    case COMPRESSION.ADOBE_DEFLATE:
    case COMPRESSION.DEFLATE: {
      let buf: Buffer;
      try {
        // One output chunk of the whole block: node's default 16 KiB chunks cost a main-thread round trip each.
        buf = await inflateAsync(raw, { maxOutputLength: Math.max(fullBytes, 64), chunkSize: Math.max(fullBytes, 64) });
      } catch (e) {
        throw corruptFile(name, `DEFLATE block does not decompress to at most ${fullBytes} bytes: ${(e as Error).message}`);
      }
      produced = buf.length;
      out = buf.byteOffset % 8 === 0 ? new Uint8Array(buf.buffer, buf.byteOffset, buf.length) : new Uint8Array(buf);
      break;
    }
    case COMPRESSION.LZW:
      out = new Uint8Array(fullBytes);
      produced = lzwDecode(raw, out);
      if (produced < 0) throw corruptFile(name, 'malformed LZW block');
      break;
    case COMPRESSION.PACKBITS:
      out = new Uint8Array(fullBytes);
      produced = packBitsDecode(raw, out);
      break;
    default:
      throw unsupported(name, `compression ${compressionName(lay.compression)} is not supported`);
  }
  if (produced < minBytes)
    throw corruptFile(name, `block decodes to ${produced} bytes, expected ${minBytes}`, { produced, expected: minBytes });
  const bps = lay.bytesPerSample;
  const rowBytes = lay.blockWidth * lay.samplesPerPixel * bps;
  const rows = Math.floor(produced / rowBytes);
  if (lay.predictor === PREDICTOR.FLOATING_POINT) {
    floatPredictor(out, rows, rowBytes, bps, lay.samplesPerPixel);
    return out;
  }
  if (!lay.littleEndian && bps > 1) swapBytes(out, rows * rowBytes, bps);
  if (lay.predictor === PREDICTOR.HORIZONTAL) {
    if (!skipHorizontalPredictor) horizontalPredictor(out, rows, lay.blockWidth * lay.samplesPerPixel, bps, lay.samplesPerPixel);
  } else if (lay.predictor !== PREDICTOR.NONE) throw unsupported(name, `predictor ${lay.predictor} is not supported`);
  return out;
}

/** Reverses the byte order of every `bps`-byte sample in the first `n` bytes. */
export function swapBytes(b: Uint8Array, n: number, bps: number): void {
  if (bps === 2) {
    for (let i = 0; i + 1 < n; i += 2) {
      const t = b[i]!;
      b[i] = b[i + 1]!;
      b[i + 1] = t;
    }
  } else {
    for (let i = 0; i + bps <= n; i += bps) {
      for (let a = i, z = i + bps - 1; a < z; a++, z--) {
        const t = b[a]!;
        b[a] = b[z]!;
        b[z] = t;
      }
    }
  }
}

/** Undoes horizontal differencing in place on native-order samples: s[i] += s[i - spp] along each row. */
function horizontalPredictor(b: Uint8Array, rows: number, rowSamples: number, bps: number, spp: number): void {
  const n = rows * rowSamples;
  if (bps === 1) {
    for (let r = 0; r < rows; r++) {
      const o = r * rowSamples;
      for (let i = o + spp; i < o + rowSamples; i++) b[i] = (b[i]! + b[i - spp]!) & 0xff;
    }
  } else if (bps === 2) {
    const v = new Uint16Array(b.buffer, b.byteOffset, n);
    if (spp === 1) {
      for (let r = 0; r < rows; r++) {
        const o = r * rowSamples;
        let acc = v[o]!;
        for (let i = o + 1; i < o + rowSamples; i++) {
          acc = (acc + v[i]!) & 0xffff;
          v[i] = acc;
        }
      }
    } else {
      for (let r = 0; r < rows; r++) {
        const o = r * rowSamples;
        for (let i = o + spp; i < o + rowSamples; i++) v[i] = v[i]! + v[i - spp]!;
      }
    }
  } else if (bps === 4) {
    const v = new Uint32Array(b.buffer, b.byteOffset, n);
    for (let r = 0; r < rows; r++) {
      const o = r * rowSamples;
      for (let i = o + spp; i < o + rowSamples; i++) v[i] = v[i]! + v[i - spp]!;
    }
  } else if (bps === 8) {
    const v = new BigUint64Array(b.buffer, b.byteOffset, n);
    for (let r = 0; r < rows; r++) {
      const o = r * rowSamples;
      for (let i = o + spp; i < o + rowSamples; i++) v[i] = BigInt.asUintN(64, v[i]! + v[i - spp]!);
    }
  } else throw new GepError('GEP_ERR_INTERNAL', `horizontal predictor on ${bps}-byte samples`);
}

/**
 * Undoes the floating-point predictor in place: byte-wise accumulation with stride `spp` along each row,
 * then re-interleaving of the byte planes (plane 0 holds the most significant bytes) into little-endian samples.
 */
function floatPredictor(b: Uint8Array, rows: number, rowBytes: number, bps: number, spp: number): void {
  const tmp = new Uint8Array(rowBytes);
  const wc = rowBytes / bps;
  for (let r = 0; r < rows; r++) {
    const o = r * rowBytes;
    for (let i = o + spp; i < o + rowBytes; i++) b[i] = (b[i]! + b[i - spp]!) & 0xff;
    tmp.set(b.subarray(o, o + rowBytes));
    for (let k = 0; k < wc; k++) {
      const d = o + k * bps;
      for (let j = 0; j < bps; j++) b[d + j] = tmp[(bps - 1 - j) * wc + k]!;
    }
  }
}
