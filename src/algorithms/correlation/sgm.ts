/**
 * Semi-global aggregation of a 2-D displacement cost volume with an L1 jump penalty.
 *
 * Energy (per region): E(d) = Σ_p C(p, d_p) + P · Σ_{p~q} (|du_p - du_q| + |dv_p - dv_q|), C = 1 - NCC, P the
 * regularisation weight (cost units per pixel of jump). As in semi-global matching (Hirschmüller 2008, "Stereo
 * processing by semiglobal matching and mutual information", IEEE TPAMI 30(2):328–341,
 * doi:10.1109/TPAMI.2007.1166) it is minimised approximately by summing 1-D dynamic programmes along 4 or 8
 * directions r:
 *   L_r(p, d) = C(p, d) + min_d' [L_r(p - r, d') + P·|d - d'|₁] - min_d' L_r(p - r, d'),   A(p, d) = Σ_r L_r(p, d)
 * and taking argmin_d A(p, d) (MicMac's MM2DPosSism applies the same multi-direction programme to 2-D
 * displacements). The inner minimisation is the L1 distance transform of the previous vector on the 2-D label
 * grid, computed exactly in O(labels) by a forward and a backward 1-D pass along each label axis (Felzenszwalb &
 * Huttenlocher 2012, "Distance transforms of sampled functions", Theory of Computing 8:415–428,
 * doi:10.4086/toc.2012.v008a019), instead of the O(labels²) brute force.
 */
import { throwIfAborted } from '../../core/errors.ts';
import type { LabelBox } from './ncc.ts';

/**
 * One step of a path: out = C(p) + DT_P(prev) - min(prev), and acc += out. `tmp` is scratch of L values.
 * Labels are an nr×nc grid, row-major (rows = dv, columns = du).
 */
function pathStep(
  C: Float32Array,
  cOff: number,
  prev: Float32Array,
  pOff: number,
  out: Float32Array,
  oOff: number,
  acc: Float32Array,
  aOff: number,
  tmp: Float64Array,
  nc: number,
  nr: number,
  P: number,
): void {
  let mn = Infinity;
  const L = nc * nr;
  // along du (rows of the label grid): copy + forward pass, then backward pass
  for (let b = 0; b < L; b += nc) {
    let v = prev[pOff + b] as number;
    if (v < mn) mn = v;
    tmp[b] = v;
    for (let c = 1; c < nc; c++) {
      const w = prev[pOff + b + c] as number;
      if (w < mn) mn = w;
      v += P;
      if (w < v) v = w;
      tmp[b + c] = v;
    }
    for (let c = nc - 2; c >= 0; c--) {
      v += P;
      const w = tmp[b + c] as number;
      if (w < v) v = w;
      else tmp[b + c] = v;
    }
  }
  // along dv: forward pass over label rows
  for (let b = nc; b < L; b += nc) {
    for (let c = 0; c < nc; c++) {
      const v = (tmp[b - nc + c] as number) + P;
      if (v < (tmp[b + c] as number)) tmp[b + c] = v;
    }
  }
  // backward pass fused with the output of each finished label row
  const last = L - nc;
  for (let c = 0; c < nc; c++) {
    const v = (C[cOff + last + c] as number) + (tmp[last + c] as number) - mn;
    out[oOff + last + c] = v;
    acc[aOff + last + c] = (acc[aOff + last + c] as number) + v;
  }
  for (let b = last - nc; b >= 0; b -= nc) {
    for (let c = 0; c < nc; c++) {
      let t = tmp[b + c] as number;
      const u = (tmp[b + nc + c] as number) + P;
      if (u < t) {
        t = u;
        tmp[b + c] = u;
      }
      const v = (C[cOff + b + c] as number) + t - mn;
      out[oOff + b + c] = v;
      acc[aOff + b + c] = (acc[aOff + b + c] as number) + v;
    }
  }
}

/** Start of a path (no predecessor inside the region): L_r(p) = C(p). */
function pathStart(C: Float32Array, cOff: number, out: Float32Array, oOff: number, acc: Float32Array, aOff: number, L: number): void {
  for (let l = 0; l < L; l++) {
    const v = C[cOff + l] as number;
    out[oOff + l] = v;
    acc[aOff + l] = (acc[aOff + l] as number) + v;
  }
}

/**
 * Aggregated cost A (same layout as C: [(row·gw + col)·L + l]) over a gw×gh grid of nr×nc labels (L = nr·nc,
 * rows = dv, columns = du), jump penalty P per label step.
 * Two raster sweeps: top-left → bottom-right for the directions coming from the left, top, top-left, top-right,
 * then the reverse sweep for the four opposite directions (4-direction mode keeps left/top and right/bottom).
 */
export function aggregate(
  C: Float32Array,
  gw: number,
  gh: number,
  nc: number,
  nr: number,
  P: number,
  directions: 4 | 8,
  signal?: AbortSignal,
): Float32Array {
  const L = nc * nr;
  const A = new Float32Array(gw * gh * L);
  const tmp = new Float64Array(L);
  // per sweep: horizontal path (previous pixel), and up to 3 paths from the previous row
  let hPrev = new Float32Array(L);
  let hCur = new Float32Array(L);
  const nv = directions === 8 ? 3 : 1;
  const rowPrev: Float32Array[] = [];
  const rowCur: Float32Array[] = [];
  for (let k = 0; k < nv; k++) {
    rowPrev.push(new Float32Array(gw * L));
    rowCur.push(new Float32Array(gw * L));
  }
  for (let sweep = 0; sweep < 2; sweep++) {
    const fwd = sweep === 0;
    const dx = fwd ? 1 : -1; // column advance along the sweep
    for (let j = 0; j < gh; j++) {
      throwIfAborted(signal);
      const y = fwd ? j : gh - 1 - j;
      for (let i = 0; i < gw; i++) {
        const x = fwd ? i : gw - 1 - i;
        const cOff = (y * gw + x) * L;
        // horizontal path, from (x - dx, y)
        if (i === 0) pathStart(C, cOff, hCur, 0, A, cOff, L);
        else pathStep(C, cOff, hPrev, 0, hCur, 0, A, cOff, tmp, nc, nr, P);
        const sw = hPrev;
        hPrev = hCur;
        hCur = sw;
        // vertical and diagonal paths, from the previous row at x, x - dx, x + dx
        for (let k = 0; k < nv; k++) {
          const px = k === 0 ? x : k === 1 ? x - dx : x + dx;
          const out = rowCur[k] as Float32Array;
          if (j === 0 || px < 0 || px >= gw) pathStart(C, cOff, out, x * L, A, cOff, L);
          else pathStep(C, cOff, rowPrev[k] as Float32Array, px * L, out, x * L, A, cOff, tmp, nc, nr, P);
        }
      }
      for (let k = 0; k < nv; k++) {
        const sw = rowPrev[k] as Float32Array;
        rowPrev[k] = rowCur[k] as Float32Array;
        rowCur[k] = sw;
      }
    }
  }
  return A;
}

/** Index of the minimum of each pixel's L values (first minimum on ties), into `best`. */
export function argminLabels(V: Float32Array, n: number, L: number, best: Int32Array): void {
  for (let p = 0; p < n; p++) {
    const o = p * L;
    let bi = 0;
    let bv = V[o] as number;
    for (let l = 1; l < L; l++) {
      const v = V[o + l] as number;
      if (v < bv) {
        bv = v;
        bi = l;
      }
    }
    best[p] = bi;
  }
}

/**
 * Left–right consistency (Hirschmüller 2008, §3.4, on the data cost): the secondary pixel q = p + d matched by
 * region cell p (label l) searches back over all displacements d' of the box for the reference pixel q - d' of
 * lowest cost C(q - d', d'). Returns that backward winner's label (in `box` layout), or -1 when none can be
 * scored. The caller compares it with the forward estimate: occluded or decorrelated areas, where the forward
 * match is chosen by the regularisation or by chance, disagree. step = 1 grids only.
 */
export function backwardWinner(C: Float32Array, gw: number, gh: number, box: LabelBox, p: number, l: number): number {
  const nl = box.du1 - box.du0 + 1;
  const L = nl * (box.dv1 - box.dv0 + 1);
  const px = p % gw;
  const py = (p - px) / gw;
  const qx = px + (l % nl) + box.du0;
  const qy = py + (l - (l % nl)) / nl + box.dv0;
  let bv = Infinity;
  let bl = -1;
  for (let dv2 = box.dv0; dv2 <= box.dv1; dv2++) {
    const y2 = qy - dv2;
    if (y2 < 0 || y2 >= gh) continue;
    const row = y2 * gw;
    const lRow = (dv2 - box.dv0) * nl - box.du0;
    for (let du2 = box.du0; du2 <= box.du1; du2++) {
      const x2 = qx - du2;
      if (x2 < 0 || x2 >= gw) continue;
      const v = C[(row + x2) * L + lRow + du2] as number;
      if (v < bv) {
        bv = v;
        bl = lRow + du2;
      }
    }
  }
  return bl;
}
