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

/**
 * In place; returns the number of pixels invalidated. Memory: O(minSize + largest flood-fill stack), not O(pixels):
 * visited pixels are marked in `valid` itself (bit 1, cleared at the end), the stack grows on demand, and only the
 * first minSize members of a segment are remembered (a segment that reaches minSize is kept anyway).
 */
export function removeSpeckles(res: CorrelationResult, minSize: number, maxJump = 1): number {
  if (minSize <= 1) return 0;
  const { width: w, dx, dy, valid } = res;
  const n = dx.length;
  const VISITED = 2;
  let stack = new Int32Array(Math.min(n, 1 << 16));
  const members = new Int32Array(minSize);
  let removed = 0;
  for (let s = 0; s < n; s++) {
    if (valid[s] !== 1) continue; // invalid, or already in a segment
    // flood fill
    let top = 0;
    let count = 0;
    stack[top++] = s;
    valid[s] = 1 | VISITED;
    while (top > 0) {
      const p = stack[--top] as number;
      if (count < minSize) members[count] = p;
      count++;
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
        if (valid[q] !== 1) continue;
        if (Math.abs((dx[q] as number) - ax) > maxJump || Math.abs((dy[q] as number) - ay) > maxJump) continue;
        valid[q] = 1 | VISITED;
        if (top === stack.length) {
          const grown = new Int32Array(Math.min(n, 2 * stack.length));
          grown.set(stack);
          stack = grown;
        }
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
  }
  for (let i = 0; i < n; i++) valid[i] = (valid[i] as number) & 1;
  return removed;
}
