/**
 * Shared helpers of the motion-field corrections: input checks and an in-place selection (quickselect) for
 * medians and quantiles. Pure functions, no I/O.
 */
import { GepError } from '../../core/errors.ts';

/** Throws GEP_ERR_INVALID_INPUT unless width and height are positive integers. */
export function checkSize(fn: string, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new GepError('GEP_ERR_INVALID_INPUT', `${fn}: width and height must be positive integers, got ${width}×${height}`, {
      width,
      height,
    });
  }
}

/** Throws GEP_ERR_INVALID_INPUT unless `arr` holds exactly width*height elements. */
export function checkLength(fn: string, name: string, arr: ArrayLike<number>, width: number, height: number): void {
  if (arr.length !== width * height) {
    throw new GepError(
      'GEP_ERR_INVALID_INPUT',
      `${fn}: ${name} has ${arr.length} elements, expected width*height = ${width}*${height} = ${width * height}`,
      { input: name, length: arr.length, width, height },
    );
  }
}

/**
 * Rearranges a[lo..hi] (inclusive) so that a[k] holds the value it would have if the range were sorted, with
 * smaller-or-equal values before it and greater-or-equal after (Hoare's selection, median-of-three pivot).
 * Values must be finite. O(n) on average.
 */
export function selectInPlace(a: Float32Array | Float64Array, k: number, lo = 0, hi = a.length - 1): number {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // median of three to a[mid]
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k]!;
}

function swap(a: Float32Array | Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/**
 * Quantile q in [0,1] of a[lo..lo+n-1] (finite values), by linear interpolation between order statistics
 * (type 7 of Hyndman & Fan 1996, the default of R and numpy). Reorders that range. NaN when n = 0.
 */
export function quantileInPlace(a: Float32Array | Float64Array, q: number, lo = 0, n = a.length - lo): number {
  if (n <= 0) return NaN;
  const h = (n - 1) * q;
  const k = Math.floor(h);
  const hi = lo + n - 1;
  const v0 = selectInPlace(a, lo + k, lo, hi);
  if (h === k || k + 1 >= n) return v0;
  // the next order statistic is the minimum of the upper part
  let v1 = Infinity;
  for (let i = lo + k + 1; i <= hi; i++) if (a[i]! < v1) v1 = a[i]!;
  return v0 + (h - k) * (v1 - v0);
}

/** Median of a[lo..lo+n-1] (reorders that range); NaN when n = 0. */
export function medianInPlace(a: Float32Array | Float64Array, lo = 0, n = a.length - lo): number {
  return quantileInPlace(a, 0.5, lo, n);
}
