/**
 * Runs a service in this process: validate inputs, create the workspace, fan tiles out over worker threads,
 * write the STAC catalog of the outputs.
 *
 * Worker threads come from piscina rather than a pool of our own on node:worker_threads: it gives a tested
 * task queue, per-task AbortSignal (queued tasks are dropped, running ones have their worker terminated and
 * replaced), idle-timeout of threads (idle threads do not keep the process alive) and transfer lists, which
 * is all the fan-out needs. Workers load TypeScript through tsx (`--import` of its resolved URL, so any cwd
 * works). Pool size: `workers` option, else GEP_WORKERS, else os.availableParallelism(); 0 runs tiles in
 * this thread, one after the other (debugging, profiling).
 */
import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Piscina } from 'piscina';
import { GepError, invalidInput, throwIfAborted } from '../core/errors.ts';
import type { ProgressFn } from '../core/progress.ts';
import { createServiceContext, type LogFn, type TileMapper } from './context.ts';
import { provenanceProperties, resultItem, writeStacCatalog } from './outputs.ts';
import { getService } from './registry.ts';
import { executeTile, type TileMessage, type TileOutcome } from './tile-worker.ts';
import type { Service, ServiceResult } from './types.ts';
import { validateInputs } from './validate.ts';

/** Number of tile workers: explicit, else GEP_WORKERS, else the machine's available parallelism. */
export function workerCount(explicit?: number): number {
  if (explicit !== undefined) {
    if (!Number.isInteger(explicit) || explicit < 0 || explicit > 1024) throw invalidInput(`workers must be an integer from 0 to 1024, got ${explicit}`);
    return explicit;
  }
  const env = process.env.GEP_WORKERS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 0 || n > 1024) throw invalidInput(`GEP_WORKERS must be an integer from 0 to 1024, got '${env}'`);
    return n;
  }
  return availableParallelism();
}

const pools = new Map<number, Piscina>();

function pool(size: number): Piscina {
  let p = pools.get(size);
  if (!p) {
    p = new Piscina({
      filename: new URL('./tile-worker.ts', import.meta.url).href,
      execArgv: ['--import', import.meta.resolve('tsx')],
      minThreads: 0,
      maxThreads: size,
      idleTimeout: 30_000,
      workerData: { tsProbe: new URL('./types.ts', import.meta.url).href },
    });
    // Piscina reports a tile that finishes just after its map call was aborted (a sibling tile failed) as an
    // 'error' event ("Unexpected message from Worker"); the map call has already failed with the real error, so
    // this late message is dropped instead of becoming an uncaught exception.
    p.on('error', () => undefined);
    pools.set(size, p);
  }
  return p;
}

/** Closes the worker pools (tests, shutdown). Running tasks are aborted. */
export async function closeLocalPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.destroy()));
}

function failure(index: number, o: Extract<TileOutcome, { ok: false }>): GepError {
  const { code, message, details } = o.error;
  if (code) return new GepError(code, message, { ...details, tile: index });
  return new GepError('GEP_ERR_INTERNAL', `tile ${index}: ${message}`, { tile: index });
}

/** A TileMapper on local worker threads (or in this thread when workers = 0). */
export function localTileMapper(workers?: number): TileMapper {
  const size = workerCount(workers);
  return async <T, R>(tiles: T[], task: { module: string; export?: string }, signal: AbortSignal, options?: { onTileDone?: (d: number, t: number) => void }): Promise<R[]> => {
    throwIfAborted(signal);
    if (!/^file:\/\//.test(task.module)) throw new GepError('GEP_ERR_INTERNAL', `tile task module must be an absolute file URL, got '${task.module}'`);
    const name = task.export ?? 'run';
    const results = new Array<R>(tiles.length);
    let done = 0;
    const finished = (): void => options?.onTileDone?.(++done, tiles.length);
    if (size === 0) {
      for (let i = 0; i < tiles.length; i++) {
        throwIfAborted(signal);
        const o = await executeTile({ module: task.module, export: name, index: i, tile: tiles[i] }, signal);
        if (!o.ok) throw failure(i, o);
        results[i] = o.value as R;
        finished();
      }
      return results;
    }
    // One controller per map call: the caller's signal, or the first failing tile, cancels the others.
    const local = new AbortController();
    setMaxListeners(0, local.signal); // piscina adds one listener per queued tile
    const onAbort = (): void => local.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let firstError: GepError | undefined;
    const p = pool(size);
    try {
      await Promise.all(
        tiles.map(async (tile, index) => {
          const msg: TileMessage = { module: task.module, export: name, index, tile };
          let o: TileOutcome;
          try {
            o = (await p.run(msg, { signal: local.signal })) as TileOutcome;
          } catch (e) {
            if (local.signal.aborted) return; // cancelled: reported below
            o = { ok: false, error: { code: null, message: `worker failed (${(e as Error).message})` } };
          }
          if (!o.ok) {
            firstError ??= failure(index, o);
            local.abort();
            return;
          }
          results[index] = o.value as R;
          finished();
        }),
      );
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (firstError) throw firstError;
    throwIfAborted(signal);
    return results;
  };
}

export interface LocalRunOptions {
  /** Output folder (created). */
  workspace: string;
  signal?: AbortSignal;
  progress?: ProgressFn;
  log?: LogFn;
  /** Tile workers (see workerCount). */
  workers?: number;
  /** Id of the run (catalog and item id); default `<process>-<UTC time>`. */
  jobId?: string;
  /** processing:lineage text, e.g. the command line. */
  lineage?: string;
}

export interface LocalRunOutcome {
  jobId: string;
  /** Validated inputs, defaults applied. */
  inputs: Record<string, unknown>;
  outputs: ServiceResult['outputs'];
  /** Path of catalog.json. */
  catalog: string;
  durationMs: number;
}

const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

/**
 * Runs a service (or a registered id) on raw inputs. Invalid inputs throw GEP_ERR_INVALID_INPUT before the
 * workspace is touched; a failed or cancelled run leaves no catalog.json.
 */
export async function runServiceLocally(service: Service | string, rawInputs: Record<string, unknown>, opts: LocalRunOptions): Promise<LocalRunOutcome> {
  const svc = typeof service === 'string' ? await getService(service) : service;
  const desc = svc.description;
  const inputs = validateInputs(desc, rawInputs);
  const signal = opts.signal ?? new AbortController().signal;
  throwIfAborted(signal);
  const start = new Date();
  const jobId = opts.jobId ?? `${desc.id}-${stamp(start)}`;
  const workspace = resolve(opts.workspace);
  await mkdir(workspace, { recursive: true });
  const provenance = provenanceProperties(desc, inputs, opts.lineage, start);
  const ctx = createServiceContext({ inputs, workspace, signal, mapper: localTileMapper(opts.workers), log: opts.log, progress: opts.progress, provenance });
  const result = await svc.run(ctx);
  throwIfAborted(signal);
  for (const key of Object.keys(result.outputs))
    if (!Object.hasOwn(desc.outputs, key)) throw new GepError('GEP_ERR_INTERNAL', `service '${desc.id}' returned undeclared output '${key}'`);
  const catalog =
    result.stac?.catalog ??
    (await writeStacCatalog(workspace, { id: jobId, title: `${desc.title} (${jobId})`, description: `Outputs of ${desc.title} (${desc.id} ${desc.version})` }, [
      resultItem(jobId, desc, result.outputs, provenance, start),
    ]));
  ctx.progress(1);
  return { jobId, inputs, outputs: result.outputs, catalog, durationMs: Date.now() - start.getTime() };
}
