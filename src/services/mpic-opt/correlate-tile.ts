/**
 * Tile task of MPIC-OPT (run by ctx.map, possibly in a worker thread): dense correlation of one tile of the output
 * grid. The caller sends WINDOWS of the two images (the tile plus a halo: tileHalo + SzW + S + 16 pixels, clipped
 * to the image), so a tile costs its own pixels, not the whole image; the tile rectangle is given in the window's
 * coordinates. Because the halo covers everything correlateTile looks at around the tile (aggregation halo,
 * template, search range, spline margin), the result equals that of the full image. Sign convention: the
 * correlator's (dx east +, dy NORTH +, pixels).
 */
import { correlateTile, type CorrelationOptions, type CorrelationResult, type CorrelationTuning, type TileRect } from '../../algorithms/correlation/index.ts';

export interface CorrelateTileInput {
  /** Reference and secondary windows, row-major, NaN = nodata. */
  reference: Float32Array;
  secondary: Float32Array;
  /** Pair usability (1 = usable), same window; absent = all usable. */
  mask?: Uint8Array;
  width: number;
  height: number;
  /** The tile inside the window. */
  tile: TileRect;
  options: Omit<CorrelationOptions, 'signal'> & CorrelationTuning;
}

/** Extra pixels of image around a tile (beyond the aggregation halo) that correlateTile reads. */
export const tileMargin = (o: { tileHalo: number; r: number; S: number }): number => o.tileHalo + o.r + o.S + 16;

export function run(t: CorrelateTileInput, signal?: AbortSignal): CorrelationResult {
  return correlateTile(t.reference, t.secondary, t.width, t.height, t.tile, {
    ...t.options,
    ...(t.mask ? { mask: t.mask } : {}),
    ...(signal ? { signal } : {}),
  });
}
