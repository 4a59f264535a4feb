/**
 * Local copies of the image pair around a tile, and per-window statistics for zero-mean NCC.
 *
 * A tile reads only a rectangle of each image (clipped to the image): the reference around the tile's template
 * windows, the secondary around every window the search can reach. The copies are Float64 with their mean
 * removed (NCC is invariant to offsets; this keeps the running sums of products well conditioned) and NaN
 * replaced by 0; windows that touch a NaN, leave the image, or are flat get a zero inverse norm, which makes
 * their NCC 0 (cost 1, uninformative) without any branch in the hot loops.
 */

/** Image pixel (x, y) is data[(y - y0)·w + (x - x0)]; the rectangle lies inside the image. */
export interface LocalImage {
  data: Float64Array;
  x0: number;
  y0: number;
  w: number;
  h: number;
  /** 1 where the source pixel was NaN (replaced by 0 in data). */
  nan: Uint8Array;
}

/** Whole-sample mirror of index i into [0, n). */
function mirror(i: number, n: number): number {
  if (n === 1) return 0;
  let k = i;
  if (k < 0) k = -k;
  if (k >= n) k = 2 * (n - 1) - k;
  return k < 0 ? 0 : k >= n ? n - 1 : k;
}

/**
 * Copies image rows/cols [x0-m, x1+m] × [y0-m, y1+m], clipped to the image extended by `pad` mirrored pixels,
 * minus the mean of the finite values. The mirrored border only feeds interpolation and gradients: window
 * statistics test the image bounds themselves.
 */
export function localCopy(
  img: Float32Array,
  width: number,
  height: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  margin: number,
  pad = 0,
): LocalImage {
  const ax = Math.max(-pad, x0 - margin);
  const ay = Math.max(-pad, y0 - margin);
  const bx = Math.min(width - 1 + pad, x1 + margin);
  const by = Math.min(height - 1 + pad, y1 + margin);
  const w = bx - ax + 1;
  const h = by - ay + 1;
  const data = new Float64Array(w * h);
  const nan = new Uint8Array(w * h);
  let sum = 0;
  let cnt = 0;
  for (let y = 0; y < h; y++) {
    const src = mirror(y + ay, height) * width;
    for (let x = 0; x < w; x++) {
      const v = img[src + mirror(x + ax, width)] as number;
      if (Number.isFinite(v)) {
        data[y * w + x] = v;
        sum += v;
        cnt++;
      } else {
        nan[y * w + x] = 1;
      }
    }
  }
  const mean = cnt > 0 ? sum / cnt : 0;
  for (let i = 0; i < w * h; i++) data[i] = nan[i] ? 0 : (data[i] as number) - mean;
  return { data, x0: ax, y0: ay, w, h, nan };
}

/** Box statistics of (2r+1)² windows centred on every pixel of a local image. */
export interface WindowStats {
  /** Sum of the window values (local units). */
  sum: Float64Array;
  /** Mean of the window values. */
  mean: Float64Array;
  /** 1/sqrt(Σ(v - mean)²), or 0 when the window is outside the image, contains NaN/masked pixels, or is flat. */
  inv: Float64Array;
}

/**
 * Window sums through integral images (summed-area tables: Crow 1984, "Summed-area tables for texture mapping",
 * SIGGRAPH, doi:10.1145/800031.808600). `usable` (optional, image-sized) marks pixels allowed as window centres.
 */
export function windowStats(
  li: LocalImage,
  r: number,
  imgW: number,
  imgH: number,
  usable?: Uint8Array,
): WindowStats {
  const { w, h, data, nan } = li;
  const W1 = w + 1;
  const s1 = new Float64Array(W1 * (h + 1));
  const s2 = new Float64Array(W1 * (h + 1));
  const sn = new Float64Array(W1 * (h + 1));
  for (let y = 0; y < h; y++) {
    let a1 = 0;
    let a2 = 0;
    let an = 0;
    for (let x = 0; x < w; x++) {
      const v = data[y * w + x] as number;
      a1 += v;
      a2 += v * v;
      an += nan[y * w + x] as number;
      const o = (y + 1) * W1 + x + 1;
      s1[o] = (s1[o - W1] as number) + a1;
      s2[o] = (s2[o - W1] as number) + a2;
      sn[o] = (sn[o - W1] as number) + an;
    }
  }
  const n = (2 * r + 1) * (2 * r + 1);
  const sum = new Float64Array(w * h);
  const mean = new Float64Array(w * h);
  const inv = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    const iy = y + li.y0;
    if (iy < r || iy >= imgH - r || y < r || y >= h - r) continue;
    for (let x = 0; x < w; x++) {
      const ix = x + li.x0;
      if (ix < r || ix >= imgW - r || x < r || x >= w - r) continue;
      const a = (y - r) * W1 + (x - r);
      const b = (y + r + 1) * W1 + (x - r);
      const c = 2 * r + 1;
      const nn = (sn[b + c] as number) - (sn[b] as number) - (sn[a + c] as number) + (sn[a] as number);
      const t1 = (s1[b + c] as number) - (s1[b] as number) - (s1[a + c] as number) + (s1[a] as number);
      const t2 = (s2[b + c] as number) - (s2[b] as number) - (s2[a + c] as number) + (s2[a] as number);
      const o = y * w + x;
      sum[o] = t1;
      mean[o] = t1 / n;
      const varSum = t2 - (t1 * t1) / n;
      if (nn > 0.5 || !(varSum > 1e-10 * t2 + 1e-300)) continue;
      if (usable !== undefined && usable[iy * imgW + ix] === 0) continue;
      inv[o] = 1 / Math.sqrt(varSum);
    }
  }
  return { sum, mean, inv };
}

/**
 * Image gradient by the fourth-order central difference (-f[k+2] + 8f[k+1] - 8f[k-1] + f[k-2]) / 12, clamped at
 * the rectangle's edges. Used as the (fixed) Jacobian of the inverse-compositional Gauss–Newton refinement.
 */
export function gradients(li: LocalImage): { gx: Float64Array; gy: Float64Array } {
  const { w, h, data } = li;
  const gx = new Float64Array(w * h);
  const gy = new Float64Array(w * h);
  const cx = (x: number): number => (x < 0 ? 0 : x >= w ? w - 1 : x);
  const cy = (y: number): number => (y < 0 ? 0 : y >= h ? h - 1 : y);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      gx[row + x] =
        (-(data[row + cx(x + 2)] as number) +
          8 * (data[row + cx(x + 1)] as number) -
          8 * (data[row + cx(x - 1)] as number) +
          (data[row + cx(x - 2)] as number)) /
        12;
      gy[row + x] =
        (-(data[cy(y + 2) * w + x] as number) +
          8 * (data[cy(y + 1) * w + x] as number) -
          8 * (data[cy(y - 1) * w + x] as number) +
          (data[cy(y - 2) * w + x] as number)) /
        12;
    }
  }
  return { gx, gy };
}

const Z1 = Math.sqrt(3) - 2;

/** In-place cubic B-spline prefilter of n samples at stride s (mirror boundary). */
function prefilter1d(c: Float64Array, off: number, n: number, s: number): void {
  if (n < 2) return;
  const z = Z1;
  // causal initialisation: truncated sum of the mirrored signal (|z|^k < 1e-10 after 18 terms)
  const horizon = Math.min(n, 18);
  let zk = z;
  let acc = c[off] as number;
  for (let k = 1; k < horizon; k++) {
    acc += zk * (c[off + k * s] as number);
    zk *= z;
  }
  c[off] = acc;
  for (let k = 1; k < n; k++) c[off + k * s] = (c[off + k * s] as number) + z * (c[off + (k - 1) * s] as number);
  const last = off + (n - 1) * s;
  c[last] = (z / (z * z - 1)) * ((c[last] as number) + z * (c[last - s] as number));
  for (let k = n - 2; k >= 0; k--) c[off + k * s] = z * ((c[off + (k + 1) * s] as number) - (c[off + k * s] as number));
  for (let k = 0; k < n; k++) c[off + k * s] = 6 * (c[off + k * s] as number);
}

/**
 * Cubic B-spline interpolation coefficients of a local image (separable recursive prefilter: Unser 1999,
 * "Splines: a perfect fit for signal and image processing", IEEE Signal Processing Magazine 16(6):22–38,
 * doi:10.1109/79.799930). Interpolating with these coefficients reproduces the samples exactly.
 */
export function splineCoefficients(li: LocalImage): Float64Array {
  const { w, h } = li;
  const c = Float64Array.from(li.data);
  for (let y = 0; y < h; y++) prefilter1d(c, y * w, w, 1);
  for (let x = 0; x < w; x++) prefilter1d(c, x, h, w);
  return c;
}
