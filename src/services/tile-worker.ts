/**
 * Runs one tile task: imports the task module (cached per thread), calls its export and returns the outcome
 * AS DATA: `{ ok: true, value }` or `{ ok: false, error: { code, message, details } }`, so a GepError's code
 * and message cross the thread boundary intact (geotiff.js worker pool convention). The default export is the
 * piscina worker entry; `executeTile` is the same logic for in-thread runs.
 *
 * ArrayBuffers found in a result (typed arrays at the top level, in arrays or in plain objects, 3 levels
 * deep) are transferred rather than copied, so a tile must return fresh arrays, not a buffer it keeps.
 */
import { isMainThread } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { ERROR_TABLE, type GepErrorCode } from '../core/errors.ts';

/** What the runner posts to a worker for one tile. */
export interface TileMessage {
  module: string;
  export: string;
  index: number;
  tile: unknown;
}

export interface TileError {
  code: GepErrorCode | null;
  message: string;
  details?: Record<string, unknown>;
}

export type TileOutcome = { ok: true; value: unknown } | { ok: false; error: TileError };

type TileFn = (tile: unknown, signal?: AbortSignal) => unknown;

/**
 * In a worker, `--import tsx` (execArgv) installs tsx's CommonJS hook, but on Node 20 tsx registers its ESM
 * hooks in the main thread only: piscina `require`s this file fine, yet `import()` of a .ts task module fails
 * with ERR_UNKNOWN_FILE_EXTENSION (and Node caches that failure). So before the first task module, a
 * harmless .ts module (types.ts, path from workerData) is imported as a probe; if it fails that way the ESM
 * hooks are registered through tsx's API (its ES module build, hence the dynamic import). Where tsx already
 * covers workers the probe passes and nothing is registered twice.
 */
let tsReady: Promise<void> | undefined;
const ensureTypeScript = (): Promise<void> =>
  (tsReady ??= (async () => {
    const probe = (workerData as { tsProbe?: string } | undefined)?.tsProbe;
    if (isMainThread || !probe) return;
    try {
      await import(probe);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e;
      (await import('tsx/esm/api')).register();
    }
  })());

const modules = new Map<string, Promise<Record<string, unknown>>>();

async function loadTileFn(module: string, name: string): Promise<TileFn> {
  let m = modules.get(module);
  if (!m) {
    m = ensureTypeScript().then(() => import(module) as Promise<Record<string, unknown>>);
    modules.set(module, m);
    m.catch(() => modules.delete(module));
  }
  const fn = (await m)[name];
  if (typeof fn !== 'function') throw new Error(`tile module ${module} exports no function '${name}'`);
  return fn as TileFn;
}

/** Turns anything thrown by a tile into plain data, keeping GepError codes (checked by shape across threads). */
export function tileErrorOf(e: unknown): TileError {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    const details = (e as { details?: unknown }).details;
    if (typeof code === 'string' && Object.hasOwn(ERROR_TABLE, code))
      return { code: code as GepErrorCode, message: e.message, ...(details && typeof details === 'object' ? { details: structuredClone(details) as Record<string, unknown> } : {}) };
    return { code: null, message: e.message };
  }
  return { code: null, message: String(e) };
}

/** Imports the task module and runs the tile, returning the outcome as data (never throws). */
export async function executeTile(msg: TileMessage, signal?: AbortSignal): Promise<TileOutcome> {
  try {
    const fn = await loadTileFn(msg.module, msg.export);
    return { ok: true, value: await fn(msg.tile, signal) };
  } catch (e) {
    return { ok: false, error: tileErrorOf(e) };
  }
}

/** ArrayBuffers reachable in a result (not SharedArrayBuffers), for the transfer list. */
function collectBuffers(v: unknown, out: Set<ArrayBuffer>, depth: number): void {
  if (v === null || typeof v !== 'object' || depth > 3) return;
  if (ArrayBuffer.isView(v)) {
    if (v.buffer instanceof ArrayBuffer) out.add(v.buffer);
  } else if (v instanceof ArrayBuffer) out.add(v);
  else if (Array.isArray(v)) for (const x of v) collectBuffers(x, out, depth + 1);
  else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collectBuffers(x, out, depth + 1);
}

/** piscina entry: one tile in this worker thread; the result's ArrayBuffers are moved to the caller. */
export default async function runTileInWorker(msg: TileMessage): Promise<unknown> {
  const outcome = await executeTile(msg);
  const buffers = new Set<ArrayBuffer>();
  if (outcome.ok) collectBuffers(outcome.value, buffers, 0);
  if (buffers.size === 0) return outcome;
  return move({ [transferableSymbol]: [...buffers], [valueSymbol]: outcome } as unknown as ArrayBuffer);
}
