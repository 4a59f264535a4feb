/** Tile task modules for the runner tests (loaded by URL in worker threads). */
import { threadId } from 'node:worker_threads';
import { GepError } from '../../src/core/errors.ts';

/** Fills a Float32Array of `n` values with `value` and says which thread did it. */
export function fill(tile: { n: number; value: number }): { threadId: number; data: Float32Array } {
  const data = new Float32Array(tile.n).fill(tile.value);
  return { threadId, data };
}

/** Throws a plain Error for tile 3, else returns the value. */
export function boom(tile: number): number {
  if (tile === 3) throw new Error('plain failure in tile three');
  return tile;
}

/** Throws a GepError with details for tile 1. */
export function gepBoom(tile: number): number {
  if (tile === 1) throw new GepError('GEP_ERR_CORRUPT_FILE', 'x.tif: tile 1 is truncated', { file: 'x.tif', offset: 42 });
  return tile;
}

/** Blocks its thread for `ms` (as CPU-bound work does): only terminating the worker stops it. */
export function spin(ms: number): number {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return ms;
}
