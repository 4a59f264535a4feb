/**
 * Tile preparation for the COG writer: cut a tile out of band arrays (pixel-interleaved, PlanarConfiguration 1),
 * pad edge tiles, apply the TIFF predictor, and compress.
 *
 * Predictors: 2 = horizontal differencing of samples of the same band along each tile row (TIFF 6.0 §14), modulo
 * 2^bits; 3 = floating point (Adobe TIFF Technical Note 3, 2005): each row's values are split into bytes, bytes
 * regrouped most-significant first (all first bytes of the row, then all second bytes ...), then the byte
 * stream is differenced with a stride of SamplesPerPixel. Host byte order must be little-endian (checked).
 */
import { endianness } from 'node:os';
import type { TypedArray } from '../types.ts';
import { allocBand, BYTES_PER_SAMPLE, dataTypeOf } from '../types.ts';

if (endianness() !== 'LE') throw new Error('the COG writer needs a little-endian host');

/** One pyramid level: band arrays of `width * height` samples. */
export interface LevelImage {
  width: number;
  height: number;
  bands: TypedArray[];
}

/**
 * Copies tile (tx, ty) of `level` into a new pixel-interleaved array of tileSize*tileSize*bands samples; samples
 * outside the image are `fill`.
 */
export function extractTile(level: LevelImage, tx: number, ty: number, tileSize: number, fill: number): TypedArray {
  const spp = level.bands.length;
  const first = level.bands[0]!;
  const out = allocBand(dataTypeOf(first), tileSize * tileSize * spp);
  const x0 = tx * tileSize;
  const y0 = ty * tileSize;
  const w = Math.min(tileSize, level.width - x0);
  const h = Math.min(tileSize, level.height - y0);
  if ((w < tileSize || h < tileSize) && fill !== 0) out.fill(fill);
  if (spp === 1) {
    for (let r = 0; r < h; r++) {
      const s = (y0 + r) * level.width + x0;
      out.set(first.subarray(s, s + w), r * tileSize);
    }
    return out;
  }
  for (let b = 0; b < spp; b++) {
    const band = level.bands[b]!;
    for (let r = 0; r < h; r++) {
      let s = (y0 + r) * level.width + x0;
      let d = r * tileSize * spp + b;
      for (let c = 0; c < w; c++, s++, d += spp) out[d] = band[s]!;
    }
  }
  return out;
}

/** Horizontal differencing in place (predictor 2); wrap-around comes from the typed array's integer conversion. */
export function horizontalDifference(tile: TypedArray, rowSamples: number, spp: number): void {
  const rows = tile.length / rowSamples;
  for (let r = 0; r < rows; r++) {
    const base = r * rowSamples;
    for (let i = base + rowSamples - 1; i >= base + spp; i--) tile[i] = tile[i]! - tile[i - spp]!;
  }
}

/** Floating-point predictor (3) for a tile of float32/float64 samples; returns the shuffled, differenced bytes. */
export function floatingPointPredict(tile: Float32Array | Float64Array, rowSamples: number, spp: number): Uint8Array {
  const bps = tile.BYTES_PER_ELEMENT;
  const src = new Uint8Array(tile.buffer, tile.byteOffset, tile.byteLength);
  const out = new Uint8Array(tile.byteLength);
  const rowBytes = rowSamples * bps;
  const rows = tile.length / rowSamples;
  for (let r = 0; r < rows; r++) {
    const base = r * rowBytes;
    // Byte k of the output group holds the (bps-1-k)-th little-endian byte, i.e. most significant first.
    for (let k = 0; k < bps; k++) {
      const srcByte = bps - 1 - k;
      let d = base + k * rowSamples;
      for (let i = 0, s = base + srcByte; i < rowSamples; i++, s += bps, d++) out[d] = src[s]!;
    }
    for (let i = base + rowBytes - 1; i >= base + spp; i--) out[i] = (out[i]! - out[i - spp]!) & 0xff;
  }
  return out;
}

/** Uncompressed bytes of the tile after the predictor (1 none, 2 horizontal, 3 floating point). */
export function predictTile(tile: TypedArray, tileSize: number, spp: number, predictor: 1 | 2 | 3): Uint8Array {
  if (predictor === 3) return floatingPointPredict(tile as Float32Array | Float64Array, tileSize * spp, spp);
  if (predictor === 2) horizontalDifference(tile, tileSize * spp, spp);
  return new Uint8Array(tile.buffer, tile.byteOffset, tile.byteLength);
}

/** Bytes of one uncompressed tile. */
export const tileBytes = (tileSize: number, spp: number, dataType: keyof typeof BYTES_PER_SAMPLE): number =>
  tileSize * tileSize * spp * BYTES_PER_SAMPLE[dataType];
