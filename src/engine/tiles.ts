/**
 * Distributed tile fan-out: `ctx.map(tiles, task)` of a job run becomes one `job_tiles` row plus one `gep-tiles`
 * queue entry per tile, which any worker takes (worker.ts `runTileEntries`); the parent polls the rows and merges
 * results in tile order.
 *
 * - Inputs and results travel as V8 structured-clone bytes (typed arrays included) in the database, so workers
 *   need no shared file system for them.
 * - The task module is sent repo-relative (`repo:src/services/echo/square-tile.ts`) so that a worker whose
 *   checkout lives elsewhere resolves it in its own tree; modules outside the repository keep their file URL.
 * - Idempotent: the queue id of a tile is derived from (job, attempt, map call, tile, SHA-256 of its input).
 *   A restarted run of the same job (its worker died) re-sends the same ids, which the queue ignores, and
 *   reuses every tile already `done` with an identical input (and module), wherever it sat in the earlier run
 *   (services may issue several map calls at once, in varying order); deterministic tiles therefore give a
 *   result identical to an undisturbed run.
 */
import { createHash } from 'node:crypto';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { ERROR_TABLE, GepError, throwIfAborted, type GepErrorCode } from '../core/errors.ts';
import type { Db } from '../store/db.ts';
import type { TileMapper } from '../services/context.ts';
import type { MapOptions, TileTask } from '../services/types.ts';
import { TILES_QUEUE, type JobQueue, type TileMessage } from './queue.ts';
import { withRetry } from './retry.ts';

/** AbortSignal reason of a run whose job was taken over by another run (its worker was declared dead). */
export const LEASE_LOST = 'gep:lease-lost';

/** Root of this checkout (src/engine/../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A task module as sent to other machines: `repo:<relative path>` inside this checkout, else the URL. */
export function portableModule(href: string): string {
  if (!href.startsWith('file://')) return href;
  const rel = relative(REPO_ROOT, fileURLToPath(href));
  if (rel.startsWith('..') || isAbsolute(rel)) return href;
  return `repo:${rel.split(sep).join('/')}`;
}

/** The file URL of a portable module name on this machine. */
export function localModule(name: string): string {
  if (!name.startsWith('repo:')) return name;
  const rel = name.slice('repo:'.length);
  if (rel.split('/').includes('..')) throw new GepError('GEP_ERR_INVALID_INPUT', `tile module '${name}' leaves the repository`);
  return pathToFileURL(resolve(REPO_ROOT, ...rel.split('/'))).href;
}

/** A UUID (version 8 layout: custom) from a SHA-256 of `key`. */
export function uuidOf(key: string): string {
  const h = createHash('sha256').update(key).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** A stored tile failure back as a GepError with its original code. */
export function tileFailure(tileIndex: number, err: { code?: string | null; message?: string } | null): GepError {
  const code = err?.code && Object.hasOwn(ERROR_TABLE, err.code) ? (err.code as GepErrorCode) : 'GEP_ERR_INTERNAL';
  return new GepError(code, err?.message ?? `tile ${tileIndex} failed`, { tile: tileIndex });
}

export interface QueueMapperParams {
  db: Db;
  queue: JobQueue;
  jobId: string;
  attempt: number;
  /** Longest pause between two looks at the tiles' rows, in ms (default 250). */
  pollMs?: number;
}

/** Period of the check for tiles whose queue entry ended without a result, in ms. */
const RESEND_CHECK_MS = 5000;

/**
 * Safety net: a tile still `queued` whose queue entry has completed or been cancelled (a worker took it while
 * its job was between runs, say) would never run; it gets a fresh entry. Entries that `failed` past their retry
 * limit are left to the reaper, which fails the tile.
 */
async function resendLost(p: QueueMapperParams, mi: number): Promise<void> {
  const { rows } = await p.db.query<{ tile_index: number; queue_id: string }>(
    `SELECT tile_index, queue_id FROM job_tiles WHERE job_id = $1 AND map_index = $2 AND state = 'queued'
       AND updated < clock_timestamp() - interval '3 seconds'`,
    [p.jobId, mi],
  );
  for (const r of rows) {
    const st = await p.queue.state(TILES_QUEUE, r.queue_id);
    if (st !== 'completed' && st !== 'cancelled') continue;
    const id = uuidOf(`${r.queue_id}|resend`);
    const moved = await p.db.query(
      `UPDATE job_tiles SET queue_id = $4, updated = clock_timestamp() WHERE job_id = $1 AND map_index = $2 AND tile_index = $3 AND state = 'queued' AND queue_id = $5`,
      [p.jobId, mi, r.tile_index, id, r.queue_id],
    );
    if (moved.rowCount > 0) await p.queue.send(TILES_QUEUE, [{ data: { jobId: p.jobId, mapIndex: mi, tileIndex: Number(r.tile_index) }, options: { id } }]);
  }
}

/** A TileMapper that spreads tiles over every worker polling the queue. */
export function queueTileMapper(p: QueueMapperParams): TileMapper {
  let mapIndex = 0;
  const maxPoll = p.pollMs ?? 250;
  return async <T, R>(tiles: T[], task: TileTask<T, R>, signal: AbortSignal, options?: MapOptions): Promise<R[]> => {
    throwIfAborted(signal);
    const mi = mapIndex++;
    const module = portableModule(task.module);
    const exportName = task.export ?? 'run';
    const inputs = tiles.map((t) => serialize(t));
    const hashes = inputs.map((b) => createHash('sha256').update(b).digest('hex'));
    const ids = hashes.map((h, i) => uuidOf(`${p.jobId}|${p.attempt}|${mi}|${i}|${h}`));
    const results = new Array<R>(tiles.length);
    const pending = new Set<number>();
    await withRetry(() => p.db.transaction(async (tx) => {
      pending.clear();
      const { rows } = await tx.query<{ tile_index: number; input_hash: string; state: string }>(
        'SELECT tile_index, input_hash, state FROM job_tiles WHERE job_id = $1 AND map_index = $2',
        [p.jobId, mi],
      );
      const have = new Map(rows.map((r) => [Number(r.tile_index), r]));
      const send: { data: TileMessage; options: { id: string } }[] = [];
      for (let i = 0; i < tiles.length; i++) {
        pending.add(i);
        const old = have.get(i);
        if (old && old.input_hash === hashes[i]) {
          if (old.state === 'queued' || old.state === 'running') send.push({ data: { jobId: p.jobId, mapIndex: mi, tileIndex: i }, options: { id: ids[i]! } });
          continue; // done or failed rows are collected below
        }
        const copied = await tx.query(
          `INSERT INTO job_tiles (job_id, map_index, tile_index, input_hash, queue_id, module, export, input, state, result)
           SELECT $1, $2, $3, $4, $5, $6, $7, NULL, 'done', d.result FROM job_tiles d
           WHERE d.job_id = $1 AND d.input_hash = $4 AND d.module = $6 AND d.export = $7 AND d.state = 'done' LIMIT 1
           ON CONFLICT (job_id, map_index, tile_index) DO UPDATE SET input_hash = EXCLUDED.input_hash, queue_id = EXCLUDED.queue_id,
             module = EXCLUDED.module, export = EXCLUDED.export, input = NULL, state = 'done', result = EXCLUDED.result,
             error = NULL, worker_id = NULL, updated = clock_timestamp()`,
          [p.jobId, mi, i, hashes[i], ids[i], module, exportName],
        );
        if (copied.rowCount > 0) continue; // the same tile (same input) was done at another place of an earlier run
        await tx.query(
          `INSERT INTO job_tiles (job_id, map_index, tile_index, input_hash, queue_id, module, export, input, state)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued')
           ON CONFLICT (job_id, map_index, tile_index) DO UPDATE SET input_hash = EXCLUDED.input_hash, queue_id = EXCLUDED.queue_id,
             module = EXCLUDED.module, export = EXCLUDED.export, input = EXCLUDED.input, state = 'queued', result = NULL,
             error = NULL, worker_id = NULL, updated = clock_timestamp()`,
          [p.jobId, mi, i, hashes[i], ids[i], module, exportName, inputs[i]],
        );
        send.push({ data: { jobId: p.jobId, mapIndex: mi, tileIndex: i }, options: { id: ids[i]! } });
      }
      await p.queue.send(TILES_QUEUE, send, tx);
    }), 60_000, true);
    let wait = 10;
    let done = 0;
    let lastCheck = Date.now();
    try {
      while (pending.size > 0) {
        throwIfAborted(signal);
        const { rows } = await withRetry(
          () =>
            p.db.query<{ tile_index: number; state: string; result: Uint8Array | null; error: { code?: string; message?: string } | null }>(
              `SELECT tile_index, state, result, error FROM job_tiles
               WHERE job_id = $1 AND map_index = $2 AND state IN ('done', 'failed') AND tile_index = ANY($3::int[])`,
              [p.jobId, mi, [...pending]],
            ),
          60_000,
          true,
        );
        for (const r of rows) {
          const i = Number(r.tile_index);
          if (r.state === 'failed') throw tileFailure(i, r.error);
          results[i] = deserialize(r.result ?? new Uint8Array()) as R;
          pending.delete(i);
          options?.onTileDone?.(++done, tiles.length);
        }
        if (pending.size === 0) break;
        if (Date.now() - lastCheck > RESEND_CHECK_MS) {
          lastCheck = Date.now();
          await withRetry(() => resendLost(p, mi), 60_000, true);
        }
        wait = rows.length > 0 ? 10 : Math.min(maxPoll, wait * 2);
        await sleep(wait, undefined, { signal }).catch(() => undefined);
      }
    } catch (e) {
      // Withdraw what has not started (running tiles stop when their worker sees the job end), except when this
      // run lost its lease: the job's new run waits for these very entries.
      if (signal.aborted && signal.reason === LEASE_LOST) throw e;
      const left = [...pending].map((i) => ids[i]!);
      await p.queue.cancel(TILES_QUEUE, left).catch(() => undefined);
      throw e;
    }
    return results;
  };
}
