/**
 * Integer-displacement cost volume: C(p, d) = 1 - ZNCC_p(d) for every output pixel p of a region and every
 * displacement d = (du, dv) in [-S, S]² (du along columns, dv along rows, image convention).
 *
 * ZNCC_p(d) = Σ_w (I(q) - Ī)(J(q + d) - J̄) / sqrt(Σ_w (I - Ī)² · Σ_w (J(q+d) - J̄)²) over the (2r+1)² window w
 * centred on p (Lewis 1995, "Fast normalized cross-correlation", Vision Interface; the box-filter form is
 * O(pixels) per displacement, independent of the window size). Per displacement, the products I·J(·+d) are
 * box-summed with running column and row sums; window sums and norms come from integral images (local.ts).
 *
 * The volume covers a box of displacements du in [du0, du1], dv in [dv0, dv1] (all of [-S, S]² unless narrowed by
 * sampleLabelBox). Layout: C[(row·gw + col)·L + l], L = bw·bh, l = (dv - dv0)·bw + (du - du0): the labels of a
 * pixel are contiguous, rows of the label grid are dv. Displacements whose window leaves the image, and windows
 * that are flat, NaN or masked, cost 1 (NCC 0), i.e. they carry no information.
 */
import { throwIfAborted } from '../../core/errors.ts';
import type { LocalImage, WindowStats } from './local.ts';

/** Output cells of a region: grid columns [gx0, gx0+gw), rows [gy0, gy0+gh); image pixel = cell·step. */
export interface Region {
  gx0: number;
  gy0: number;
  gw: number;
  gh: number;
  step: number;
}

export interface CostInputs {
  region: Region;
  /** Reference copy, and statistics of its windows (indexed like the copy). */
  I: LocalImage;
  sI: WindowStats;
  /** Secondary copy (must cover every window reachable by the search), and its window statistics. */
  J: LocalImage;
  sJ: WindowStats;
  r: number;
  S: number;
  imgW: number;
  imgH: number;
}

/** A box of integer displacements (inclusive bounds, image convention: du along columns, dv along rows). */
export interface LabelBox {
  du0: number;
  du1: number;
  dv0: number;
  dv1: number;
}

export const fullBox = (S: number): LabelBox => ({ du0: -S, du1: S, dv0: -S, dv1: S });

/** Builds the cost volume over the displacements of `box` (Float32, N·L values, see the layout above). */
export function costVolume(ci: CostInputs, box: LabelBox, signal?: AbortSignal): Float32Array {
  const { region, r, imgW, imgH } = ci;
  const { gx0, gy0, gw, gh, step } = region;
  const bw = box.du1 - box.du0 + 1;
  const L = bw * (box.dv1 - box.dv0 + 1);
  const C = new Float32Array(gw * gh * L);
  // cost 1 where some displacement of the box cannot be scored (near the image edges); elsewhere all are written
  const xa = r + Math.max(0, -box.du0);
  const xb = imgW - 1 - r - Math.max(0, box.du1);
  const ya = r + Math.max(0, -box.dv0);
  const yb = imgH - 1 - r - Math.max(0, box.dv1);
  for (let j = 0; j < gh; j++) {
    const y = (gy0 + j) * step;
    for (let i = 0; i < gw; i++) {
      const x = (gx0 + i) * step;
      if (x < xa || x > xb || y < ya || y > yb) C.fill(1, (j * gw + i) * L, (j * gw + i + 1) * L);
    }
  }
  if (step === 1) denseVolume(ci, box, C, signal);
  else sparseVolume(ci, box, C, signal);
  return C;
}

/**
 * Displacements worth scoring densely when regularising: on a sample of the region (every `q` cells), the
 * winner-take-all displacement of each cell over all of [-S, S]² (direct window sums); the box bounding the
 * winners that are confident (ZNCC >= minNcc) and frequent (at least minFrac of the samples, and 2), grown by
 * `grow` and clipped. Chance winners (decorrelated areas) are scattered over the whole range and rarely frequent.
 * Returns the full range when nothing is confident.
 */
export function sampleLabelBox(ci: CostInputs, q: number, minNcc: number, minFrac: number, grow: number): LabelBox {
  const { region, I, sI, J, sJ, r, S, imgW, imgH } = ci;
  const { gx0, gy0, gw, gh, step } = region;
  const nl = 2 * S + 1;
  const count = new Int32Array(nl * nl);
  let samples = 0;
  const w2 = 2 * r + 1;
  const Id = I.data;
  const Jd = J.data;
  const jw = J.w;
  // per sample: the template, and Σ template·J(· + d) for every displacement d (label l = (dv+S)·nl + du+S)
  const tpl = new Float64Array(w2 * w2);
  const acc = new Float64Array(nl * nl);
  for (let j = Math.floor(q / 2); j < gh; j += q) {
    const y = (gy0 + j) * step;
    if (y < r || y > imgH - 1 - r) continue;
    for (let i = Math.floor(q / 2); i < gw; i += q) {
      const x = (gx0 + i) * step;
      if (x < r || x > imgW - 1 - r) continue;
      const pi = (y - I.y0) * I.w + (x - I.x0);
      const iInv = sI.inv[pi] as number;
      if (!(iInv > 0)) continue;
      samples++;
      const iSum = sI.sum[pi] as number;
      for (let v = 0; v < w2; v++) {
        const ia = (y - r + v - I.y0) * I.w + (x - r - I.x0);
        for (let u = 0; u < w2; u++) tpl[v * w2 + u] = Id[ia + u] as number;
      }
      acc.fill(0);
      // rows of the displaced windows that lie in the image: dv in [dvLo, dvHi], du in [duLo, duHi]
      const dvLo = Math.max(-S, r - y);
      const dvHi = Math.min(S, imgH - 1 - r - y);
      const duLo = Math.max(-S, r - x);
      const duHi = Math.min(S, imgW - 1 - r - x);
      // row by row 1-D correlations: template row v against secondary row y - r + v + dv, for every du
      for (let v = 0; v < w2; v++) {
        const t = v * w2;
        for (let dv = dvLo; dv <= dvHi; dv++) {
          const ja = (y - r + v + dv - J.y0) * jw + (x - r - J.x0);
          const a = (dv + S) * nl + S;
          for (let du = duLo; du <= duHi; du++) {
            let s1 = 0;
            const jb = ja + du;
            for (let u = 0; u < w2; u++) s1 += (tpl[t + u] as number) * (Jd[jb + u] as number);
            acc[a + du] = (acc[a + du] as number) + s1;
          }
        }
      }
      let best = -2;
      let bl = -1;
      for (let dv = dvLo; dv <= dvHi; dv++) {
        const qRow = (y + dv - J.y0) * jw + (x - J.x0);
        for (let du = duLo; du <= duHi; du++) {
          const qj = qRow + du;
          const jInv = sJ.inv[qj] as number;
          if (!(jInv > 0)) continue;
          const l = (dv + S) * nl + du + S;
          const ncc = ((acc[l] as number) - iSum * (sJ.mean[qj] as number)) * iInv * jInv;
          if (ncc > best) {
            best = ncc;
            bl = l;
          }
        }
      }
      if (bl >= 0 && best >= minNcc) count[bl] = (count[bl] as number) + 1;
    }
  }
  const minCount = Math.max(2, Math.ceil(samples * minFrac));
  let c0 = nl;
  let c1 = -1;
  let r0 = nl;
  let r1 = -1;
  for (let l = 0; l < nl * nl; l++) {
    if ((count[l] as number) < minCount) continue;
    const rr = Math.floor(l / nl);
    const cc = l % nl;
    if (cc < c0) c0 = cc;
    if (cc > c1) c1 = cc;
    if (rr < r0) r0 = rr;
    if (rr > r1) r1 = rr;
  }
  if (c1 < 0) return fullBox(S);
  return {
    du0: Math.max(0, c0 - grow) - S,
    du1: Math.min(nl - 1, c1 + grow) - S,
    dv0: Math.max(0, r0 - grow) - S,
    dv1: Math.min(nl - 1, r1 + grow) - S,
  };
}

/**
 * step = 1: row by row (so the writes of a row stay in cache), and for each row every displacement, with one
 * running column-sum vector per displacement slid down one row at a time, then a running sum along the row.
 */
function denseVolume(ci: CostInputs, box: LabelBox, C: Float32Array, signal: AbortSignal | undefined): void {
  const { region, I, sI, J, sJ, r, imgW, imgH } = ci;
  const { gx0, gy0, gw, gh } = region;
  const nl = box.du1 - box.du0 + 1; // labels per row of the box
  const L = nl * (box.dv1 - box.dv0 + 1);
  const w2 = 2 * r + 1;
  const Id = I.data;
  const Jd = J.data;
  const iw = I.w;
  const jw = J.w;
  const ix0 = I.x0;
  const iy0 = I.y0;
  const jx0 = J.x0;
  const jy0 = J.y0;
  const iSum = sI.sum;
  const iInv = sI.inv;
  const jMean = sJ.mean;
  const jInv = sJ.inv;
  // per displacement: centre ranges whose template and displaced template are inside the image
  const xlo = new Int32Array(L);
  const xhi = new Int32Array(L);
  const ylo = new Int32Array(L);
  const yhi = new Int32Array(L);
  for (let l = 0; l < L; l++) {
    const dv = Math.floor(l / nl) + box.dv0;
    const du = (l % nl) + box.du0;
    xlo[l] = Math.max(r, r - du, gx0);
    xhi[l] = Math.min(imgW - 1 - r, imgW - 1 - r - du, gx0 + gw - 1);
    ylo[l] = Math.max(r, r - dv, gy0);
    yhi[l] = Math.min(imgH - 1 - r, imgH - 1 - r - dv, gy0 + gh - 1);
  }
  const ncolMax = gw + 2 * r;
  const colSums = new Float64Array(L * ncolMax);
  for (let y = gy0; y < gy0 + gh; y++) {
    throwIfAborted(signal);
    const pRow = (y - gy0) * gw - gx0;
    const iRow = (y - iy0) * iw - ix0;
    for (let l = 0; l < L; l++) {
      const ya = ylo[l] as number;
      const xa = xlo[l] as number;
      const xb = xhi[l] as number;
      if (y < ya || y > (yhi[l] as number) || xa > xb) continue;
      const dv = Math.floor(l / nl) + box.dv0;
      const du = (l % nl) + box.du0;
      const cs = l * ncolMax; // colSums[cs + k] is the column x = xa - r + k
      const ncol = xb - xa + w2;
      const cx0 = xa - r;
      if (y === ya) {
        for (let k = 0; k < ncol; k++) colSums[cs + k] = 0;
        for (let yy = y - r; yy <= y + r; yy++) {
          const ia = (yy - iy0) * iw + (cx0 - ix0);
          const ja = (yy + dv - jy0) * jw + (cx0 + du - jx0);
          for (let k = 0; k < ncol; k++) {
            colSums[cs + k] = (colSums[cs + k] as number) + (Id[ia + k] as number) * (Jd[ja + k] as number);
          }
        }
      } else {
        const ia = (y + r - iy0) * iw + (cx0 - ix0);
        const ja = (y + r + dv - jy0) * jw + (cx0 + du - jx0);
        const ib = ia - w2 * iw;
        const jb = ja - w2 * jw;
        for (let k = 0; k < ncol; k++) {
          colSums[cs + k] =
            (colSums[cs + k] as number) +
            (Id[ia + k] as number) * (Jd[ja + k] as number) -
            (Id[ib + k] as number) * (Jd[jb + k] as number);
        }
      }
      let run = 0;
      for (let k = 0; k < w2 - 1; k++) run += colSums[cs + k] as number;
      const jRow = (y + dv - jy0) * jw - jx0 + du;
      for (let x = xa, k = cs; x <= xb; x++, k++) {
        run += colSums[k + w2 - 1] as number;
        const pi = iRow + x;
        const qj = jRow + x;
        let ncc = (run - (iSum[pi] as number) * (jMean[qj] as number)) * (iInv[pi] as number) * (jInv[qj] as number);
        if (ncc > 1) ncc = 1;
        else if (ncc < -1) ncc = -1;
        C[(pRow + x) * L + l] = 1 - ncc;
        run -= colSums[k] as number;
      }
    }
  }
}

/** step > 1: direct window sums at the sampled centres, displacement by displacement. */
function sparseVolume(ci: CostInputs, box: LabelBox, C: Float32Array, signal: AbortSignal | undefined): void {
  const { region, I, sI, J, sJ, r, imgW, imgH } = ci;
  const { gx0, gy0, gw, gh, step } = region;
  const nl = box.du1 - box.du0 + 1;
  const L = nl * (box.dv1 - box.dv0 + 1);
  for (let dv = box.dv0; dv <= box.dv1; dv++) {
    throwIfAborted(signal);
    for (let du = box.du0; du <= box.du1; du++) {
      const l = (dv - box.dv0) * nl + (du - box.du0);
      const xlo = Math.max(r, r - du, gx0 * step);
      const xhi = Math.min(imgW - 1 - r, imgW - 1 - r - du, (gx0 + gw - 1) * step);
      const ylo = Math.max(r, r - dv, gy0 * step);
      const yhi = Math.min(imgH - 1 - r, imgH - 1 - r - dv, (gy0 + gh - 1) * step);
      if (xlo > xhi || ylo > yhi) continue;
      sparseLabel(C, l, L, xlo, xhi, ylo, yhi, du, dv, r, region, I.data, I.w, I.x0, I.y0, J.data, J.w, J.x0, J.y0, sI, sJ);
    }
  }
}

/** step > 1: direct window sums at the sampled centres. */
function sparseLabel(
  C: Float32Array,
  l: number,
  L: number,
  xlo: number,
  xhi: number,
  ylo: number,
  yhi: number,
  du: number,
  dv: number,
  r: number,
  region: Region,
  Id: Float64Array,
  iw: number,
  ix0: number,
  iy0: number,
  Jd: Float64Array,
  jw: number,
  jx0: number,
  jy0: number,
  sI: WindowStats,
  sJ: WindowStats,
): void {
  const { gx0, gy0, gw, step } = region;
  const gxa = Math.ceil(xlo / step);
  const gxb = Math.floor(xhi / step);
  const gya = Math.ceil(ylo / step);
  const gyb = Math.floor(yhi / step);
  for (let gy = gya; gy <= gyb; gy++) {
    const y = gy * step;
    for (let gx = gxa; gx <= gxb; gx++) {
      const x = gx * step;
      let acc = 0;
      for (let v = -r; v <= r; v++) {
        const ia = (y + v - iy0) * iw + (x - r - ix0);
        const ja = (y + v + dv - jy0) * jw + (x - r + du - jx0);
        for (let u = 0; u <= 2 * r; u++) acc += (Id[ia + u] as number) * (Jd[ja + u] as number);
      }
      const pi = (y - iy0) * iw + (x - ix0);
      const qj = (y + dv - jy0) * jw + (x + du - jx0);
      let ncc = (acc - (sI.sum[pi] as number) * (sJ.mean[qj] as number)) * (sI.inv[pi] as number) * (sJ.inv[qj] as number);
      if (ncc > 1) ncc = 1;
      else if (ncc < -1) ncc = -1;
      C[((gy - gy0) * gw + (gx - gx0)) * L + l] = 1 - ncc;
    }
  }
}
