/**
 * Correlation of one tile of the output grid: the same maths as correlatePair on a sub-rectangle, aggregated
 * with a halo of extra output pixels (thrown away) so that the semi-global paths do not start at the tile's
 * edge. Pure and self-contained (reads the full images, returns the tile): the engine may run tiles in worker
 * threads with the images in SharedArrayBuffers, then paste them with `pasteTile`.
 *
 * Pipeline per tile: local copies and window statistics (local.ts) → when regularising, the box of plausible
 * displacements from a 1-in-64 sample of full-range winner-take-all matches (ncc.ts) → integer cost volume
 * 1 - ZNCC over that box (full range without regularisation) → semi-global aggregation with an L1 jump penalty
 * (sgm.ts; skipped when regularization = 0: winner-take-all) → per pixel, a separable parabola through the data
 * costs as a start, then Gauss–Newton refinement on the B-spline-resampled secondary (subpixel.ts) → threshold,
 * mask, image bounds and (when regularising) the left–right check and the aperture test (MIN_ISOTROPY). correlatePair then removes small segments
 * (speckle.ts). Sign convention: see types.ts
 * (dx east-positive = +columns, dy NORTH-positive = -rows).
 */
import { throwIfAborted } from '../../core/errors.ts';
import { gradients, localCopy, splineCoefficients, windowStats } from './local.ts';
import { costVolume, fullBox, sampleLabelBox, type CostInputs, type Region } from './ncc.ts';
import { aggregate, argminLabels, backwardWinner } from './sgm.ts';
import { refine, refineScratch, TRUST_RADIUS, type RefineInputs } from './subpixel.ts';
import {
  checkInputs,
  emptyResult,
  outputSize,
  resolveOptions,
  type CorrelationOptions,
  type CorrelationResult,
  type CorrelationTuning,
  type ResolvedOptions,
  type TileRect,
} from './types.ts';
import { invalidInput } from '../../core/errors.ts';

export type CorrelateTileOptions = CorrelationOptions & CorrelationTuning & { mask?: Uint8Array };

/** Extra margin of the secondary copy beyond the search, so the spline prefilter has settled (0.268^14 ≈ 1e-8). */
const SPLINE_MARGIN = 14;
/** Sampling interval (output cells) of the search for the plausible displacement box. */
const BOX_SAMPLE = 8;
/** Largest distance (px, per axis) between the backward integer winner and the sub-pixel forward estimate. */
const LR_TOLERANCE = 0.75;
/**
 * Aperture test: smallest λmin/λmax of the template's structure tensor H for a kept match. Near its minimum d*, the
 * cost is q(d) ≈ (d - d*)ᵀH(d - d*)/(2V) (V = template variance sum). The integer label nearest d* is at most
 * 0.5 px off per axis, so q ≤ λmax·0.5/(2V) there; any label scoring better lies within sqrt(0.5·λmax/λmin) px of
 * d*. The refinement recovers d* only from within TRUST_RADIUS (subpixel.ts), which this guarantees when
 * λmin/λmax >= 1/(2·TRUST_RADIUS²) = 2/9. Below it (a window dominated by one straight edge: glacier or lake
 * shores, field borders), the integer search slides along the edge wherever the edge's sub-pixel sampling happens
 * to fit best, the weak texture along it cannot pull it back, and NCC stays high (0.9+) at the wrong place. Same
 * criterion as the minimum-eigenvalue test of trackable windows (Shi & Tomasi 1994, "Good features to track",
 * CVPR, doi:10.1109/CVPR.1994.323794), here made relative so it needs no image statistic.
 */
const MIN_ISOTROPY = 1 / (2 * TRUST_RADIUS * TRUST_RADIUS);

/**
 * Correlates the output-grid rectangle `tile` (output pixel (i, j) = image pixel (i·step, j·step)); the result
 * has the tile's width and height. Options as correlatePair.
 */
export function correlateTile(
  reference: Float32Array,
  secondary: Float32Array,
  width: number,
  height: number,
  tile: TileRect,
  opts: CorrelateTileOptions = {},
): CorrelationResult {
  checkInputs(reference, secondary, width, height, opts.mask);
  return correlateTileResolved(reference, secondary, width, height, tile, resolveOptions(opts), opts.mask);
}

/** correlateTile after the checks (correlatePair checks once for all its tiles). */
export function correlateTileResolved(
  reference: Float32Array,
  secondary: Float32Array,
  width: number,
  height: number,
  tile: TileRect,
  o: ResolvedOptions,
  mask: Uint8Array | undefined,
): CorrelationResult {
  const { r, S, step, signal } = o;
  const grid = outputSize(width, height, step);
  if (
    !Number.isInteger(tile.x) || !Number.isInteger(tile.y) || !Number.isInteger(tile.width) ||
    !Number.isInteger(tile.height) || tile.x < 0 || tile.y < 0 || tile.width < 1 || tile.height < 1 ||
    tile.x + tile.width > grid.width || tile.y + tile.height > grid.height
  ) {
    throw invalidInput(
      `correlation tile ${tile.x},${tile.y} ${tile.width}×${tile.height} must lie in the output grid ${grid.width}×${grid.height}`,
      { input: 'tile' },
    );
  }
  const res = emptyResult(tile.width, tile.height);
  throwIfAborted(signal);
  // region = tile + halo, clipped to the output grid
  const gx0 = Math.max(0, tile.x - o.tileHalo);
  const gy0 = Math.max(0, tile.y - o.tileHalo);
  const gx1 = Math.min(grid.width, tile.x + tile.width + o.tileHalo);
  const gy1 = Math.min(grid.height, tile.y + tile.height + o.tileHalo);
  const region: Region = { gx0, gy0, gw: gx1 - gx0, gh: gy1 - gy0, step };
  const x0 = gx0 * step;
  const y0 = gy0 * step;
  const x1 = (gx1 - 1) * step;
  const y1 = (gy1 - 1) * step;
  const I = localCopy(reference, width, height, x0, y0, x1, y1, r + 2, 2);
  const J = localCopy(secondary, width, height, x0, y0, x1, y1, r + S + SPLINE_MARGIN, 4);
  const sI = windowStats(I, r, width, height, mask);
  const sJ = windowStats(J, r, width, height, mask);
  const ci: CostInputs = { region, I, sI, J, sJ, r, S, imgW: width, imgH: height };
  const regularise = o.regularization > 0 && S > 0;
  // regularised: score densely only the displacements that a sample of confident matches uses (ncc.ts)
  const box = regularise ? sampleLabelBox(ci, BOX_SAMPLE, Math.max(0.5, o.threshold), 5e-3, 1) : fullBox(S);
  const C = costVolume(ci, box, signal);
  const nl = box.du1 - box.du0 + 1;
  const L = nl * (box.dv1 - box.dv0 + 1);
  const N = region.gw * region.gh;
  const best = new Int32Array(N);
  argminLabels(regularise ? aggregate(C, region.gw, region.gh, nl, L / nl, o.regularization, o.directions, signal) : C, N, L, best);
  const checkLr = o.consistencyCheck && step === 1 && S > 0;
  // sub-pixel refinement on the tile's own pixels
  const { gx, gy } = gradients(I);
  const ri: RefineInputs = { I, gx, gy, coef: splineCoefficients(J), J, r, tol: o.subpixelStep / 4, maxIter: 10 };
  const scratch = refineScratch(r);
  const out = scratch.out;
  for (let j = 0; j < tile.height; j++) {
    throwIfAborted(signal);
    const gyy = tile.y + j;
    const y = gyy * step;
    for (let i = 0; i < tile.width; i++) {
      const gxx = tile.x + i;
      const x = gxx * step;
      const pi = (y - I.y0) * I.w + (x - I.x0);
      if (!((sI.inv[pi] as number) > 0)) continue;
      const p = (gyy - gy0) * region.gw + (gxx - gx0);
      const l = best[p] as number;
      const dv = Math.floor(l / nl) + box.dv0;
      const du = (l % nl) + box.du0;
      const qj = (y + dv - J.y0) * J.w + (x + du - J.x0);
      if (!((sJ.inv[qj] as number) > 0)) continue;
      // start: integer label + separable parabola through the data costs
      const cOff = p * L;
      const c0 = C[cOff + l] as number;
      let sc = 0;
      let sr = 0;
      if (du > box.du0 && du < box.du1) sc = parabola(C[cOff + l - 1] as number, c0, C[cOff + l + 1] as number);
      if (dv > box.dv0 && dv < box.dv1) sr = parabola(C[cOff + l - nl] as number, c0, C[cOff + l + nl] as number);
      let pc = du + sc;
      let pr = dv + sr;
      let corr = 1 - c0;
      if (refine(ri, x, y, pc, pr, scratch)) {
        pc = out[0] as number;
        pr = out[1] as number;
        corr = out[2] as number;
      }
      const determined = !o.apertureCheck || (out[3] as number) >= MIN_ISOTROPY;
      const k = j * tile.width + i;
      res.correlation[k] = corr;
      // left-right check: the backward winner must be the integer neighbour of the sub-pixel forward estimate
      let lr = true;
      if (checkLr) {
        const b = backwardWinner(C, region.gw, region.gh, box, p, l);
        if (b >= 0) {
          const bu = (b % nl) + box.du0;
          const bv = Math.floor(b / nl) + box.dv0;
          lr = Math.abs(bu - pc) < LR_TOLERANCE && Math.abs(bv - pr) < LR_TOLERANCE;
        }
      }
      // the displaced template must lie inside the secondary image (beyond it the samples are mirrored), and so
      // must the templates one label around the integer match: at the image edge the true peak may lie outside
      const inside =
        x + pc - r >= 0 && x + pc + r <= width - 1 && y + pr - r >= 0 && y + pr + r <= height - 1 &&
        x + du - r - 1 >= 0 && x + du + r + 1 <= width - 1 && y + dv - r - 1 >= 0 && y + dv + r + 1 <= height - 1;
      if (corr >= o.threshold && inside && lr && determined) {
        res.dx[k] = pc;
        res.dy[k] = -pr; // north positive
        res.valid[k] = 1;
      }
    }
  }
  return res;
}

/** Offset of the minimum of the parabola through (-1, a), (0, b), (1, c), clamped to ±0.5. */
function parabola(a: number, b: number, c: number): number {
  const den = a - 2 * b + c;
  if (!(den > 0)) return 0;
  const d = (0.5 * (a - c)) / den;
  return d > 0.5 ? 0.5 : d < -0.5 ? -0.5 : d;
}
