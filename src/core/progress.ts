/** Progress reporting shared by long operations: fraction in [0, 1] and a short message. */
export type ProgressFn = (fraction: number, message?: string) => void;

export const noProgress: ProgressFn = () => {};

/** Maps progress of a sub-step onto [start, end] of the parent's range. */
export function subProgress(parent: ProgressFn, start: number, end: number): ProgressFn {
  return (f, m) => parent(start + (end - start) * Math.min(1, Math.max(0, f)), m);
}
