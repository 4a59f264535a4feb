/**
 * Tile task of the `echo` process: returns the square of the tile index, computed wherever the runner put
 * the tile (the thread id says where). Optional delay (ms) and a deliberate failure let tests exercise
 * cancellation and errors crossing the worker boundary.
 */
import { threadId } from 'node:worker_threads';
import { GepError, throwIfAborted } from '../../core/errors.ts';

export interface SquareTile {
  index: number;
  delayMs: number;
  fail: boolean;
}

export interface SquareResult {
  index: number;
  square: number;
  threadId: number;
}

export async function run(tile: SquareTile, signal?: AbortSignal): Promise<SquareResult> {
  if (tile.delayMs > 0) {
    await new Promise<void>((done) => {
      const t = setTimeout(done, tile.delayMs);
      signal?.addEventListener('abort', () => (clearTimeout(t), done()), { once: true });
    });
    throwIfAborted(signal);
  }
  if (tile.fail) throw new GepError('GEP_ERR_INVALID_INPUT', `input 'failTile': tile ${tile.index} failed on purpose`, { input: 'failTile' });
  return { index: tile.index, square: tile.index * tile.index, threadId };
}
