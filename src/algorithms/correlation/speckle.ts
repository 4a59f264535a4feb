/**
 * Removal of small isolated segments of the displacement field ("peak removal", Hirschmüller 2008, §4.1,
 * doi:10.1109/TPAMI.2007.1166): valid pixels are grouped into 4-connected segments whose neighbours differ by at
 * most `maxJump` pixels in both dx and dy; segments smaller than `minSize` pixels are set invalid (NaN).
 *
 * In decorrelated areas (clouds, changes), chance matches of a small template form coherent blobs a few
 * template widths across, separated by jumps of several pixels; the true motion field (faults included, whose
 * transition is gradual over the template width) forms large segments. Run on the whole merged result: a
 * segment cut by a tile edge would look smaller than it is.
 */
import type { CorrelationResult } from './types.ts';

/** In place; returns the number of pixels invalidated. */
export function removeSpeckles(res: CorrelationResult, minSize: number, maxJump = 1): number {
  if (minSize <= 1) return 0;
  const { width: w, dx, dy, valid } = res;
  const n = dx.length;
  const seg = new Int32Array(n).fill(-1);
  const stack = new Int32Array(n);
  const members = new Int32Array(n);
  let removed = 0;
  let id = 0;
  for (let s = 0; s < n; s++) {
    if (!valid[s] || (seg[s] as number) >= 0) continue;
    // flood fill
    let top = 0;
    let count = 0;
    stack[top++] = s;
    seg[s] = id;
    while (top > 0) {
      const p = stack[--top] as number;
      members[count++] = p;
      const x = p % w;
      const ax = dx[p] as number;
      const ay = dy[p] as number;
      for (let k = 0; k < 4; k++) {
        let q: number;
        if (k === 0) {
          if (x === 0) continue;
          q = p - 1;
        } else if (k === 1) {
          if (x === w - 1) continue;
          q = p + 1;
        } else if (k === 2) {
          if (p < w) continue;
          q = p - w;
        } else {
          if (p + w >= n) continue;
          q = p + w;
        }
        if (!valid[q] || (seg[q] as number) >= 0) continue;
        if (Math.abs((dx[q] as number) - ax) > maxJump || Math.abs((dy[q] as number) - ay) > maxJump) continue;
        seg[q] = id;
        stack[top++] = q;
      }
    }
    if (count < minSize) {
      for (let k = 0; k < count; k++) {
        const p = members[k] as number;
        valid[p] = 0;
        dx[p] = NaN;
        dy[p] = NaN;
      }
      removed += count;
    }
    id++;
  }
  return removed;
}
