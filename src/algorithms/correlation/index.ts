/**
 * Dense sub-pixel image correlation of an optical image pair (MPIC-OPT step 3).
 *
 * For every output pixel: zero-mean NCC of a (2·SzW+1)² template over all integer displacements in [-S, S]²
 * (box-filter running sums, O(pixels) per displacement), an SGM-like regularisation with an L1 penalty on
 * displacement jumps (multi-direction dynamic programming with 2-D L1 distance transforms), then sub-pixel
 * Gauss–Newton refinement on a cubic-B-spline-resampled secondary (continuous, well below 1/20 px). Matches
 * below the correlation threshold, masked pixels and templates that leave the image are NaN; when regularising,
 * so are matches failing the left–right check and segments smaller than 4·(2·SzW+1)² px (chance matches in
 * decorrelated areas).
 *
 * SIGN CONVENTION: if secondary(x, y) = reference(x - u, y - v) (content moved +u columns = east, +v rows =
 * south), then dx = +u and dy = -v: dx is east-positive, dy is NORTH-positive (opposite to the row axis).
 *
 * Work is tiled (planTiles / correlateTile / pasteTile) so memory stays bounded and the engine can spread tiles
 * over worker threads; correlatePair runs the tiles in sequence.
 */
import { throwIfAborted } from '../../core/errors.ts';
import { removeSpeckles } from './speckle.ts';
import { correlateTileResolved } from './tile.ts';
import {
  checkInputs,
  emptyResult,
  outputSize,
  resolveOptions,
  type CorrelationOptions,
  type CorrelationResult,
  type CorrelationTuning,
  type TileRect,
} from './types.ts';

export type { CorrelationOptions, CorrelationResult, CorrelationTuning, TileRect } from './types.ts';
export { correlateTile, type CorrelateTileOptions } from './tile.ts';
export { outputSize } from './types.ts';
export { removeSpeckles } from './speckle.ts';

/** Memory allowed for one tile's cost volume and aggregated volume together (bytes). */
const TILE_BUDGET_BYTES = 192 * 1024 * 1024;

/**
 * Splits the output grid (ceil(width/step) × ceil(height/step)) into tiles of at most tileSize² output pixels,
 * shrunk so that (tile + 2·halo)² · (2S+1)² · 8 bytes stays within 192 MiB.
 */
export function planTiles(width: number, height: number, opts: CorrelationOptions & CorrelationTuning = {}): TileRect[] {
  const o = resolveOptions(opts);
  const grid = outputSize(width, height, o.step);
  const L = (2 * o.S + 1) ** 2;
  const maxSide = Math.floor(Math.sqrt(TILE_BUDGET_BYTES / (8 * L)));
  const size = Math.max(16, Math.min(o.tileSize, maxSide - 2 * o.tileHalo));
  const tiles: TileRect[] = [];
  for (let y = 0; y < grid.height; y += size) {
    for (let x = 0; x < grid.width; x += size) {
      tiles.push({ x, y, width: Math.min(size, grid.width - x), height: Math.min(size, grid.height - y) });
    }
  }
  return tiles;
}

/** Copies a tile's result into the full result at the tile's place. */
export function pasteTile(dst: CorrelationResult, tile: TileRect, part: CorrelationResult): void {
  for (let j = 0; j < tile.height; j++) {
    const s = j * part.width;
    const d = (tile.y + j) * dst.width + tile.x;
    dst.dx.set(part.dx.subarray(s, s + tile.width), d);
    dst.dy.set(part.dy.subarray(s, s + tile.width), d);
    dst.correlation.set(part.correlation.subarray(s, s + tile.width), d);
    dst.valid.set(part.valid.subarray(s, s + tile.width), d);
  }
}

/**
 * Dense correlation of `secondary` against `reference` (same size, row-major Float32, NaN = nodata).
 * `mask` (optional, 1 = usable, e.g. cloud-free in both images) excludes pixels as template centres.
 * Returns dx (east +), dy (NORTH +), the ZNCC at the retained match, and the valid flags, on the output grid.
 */
export function correlatePair(
  reference: Float32Array,
  secondary: Float32Array,
  width: number,
  height: number,
  opts: CorrelationOptions & CorrelationTuning & { mask?: Uint8Array } = {},
): CorrelationResult {
  checkInputs(reference, secondary, width, height, opts.mask);
  const o = resolveOptions(opts);
  const grid = outputSize(width, height, o.step);
  const res = emptyResult(grid.width, grid.height);
  for (const t of planTiles(width, height, opts)) {
    throwIfAborted(o.signal);
    pasteTile(res, t, correlateTileResolved(reference, secondary, width, height, t, o, opts.mask));
  }
  removeSpeckles(res, o.minSegment);
  return res;
}
