/**
 * The run context a service receives. The runner (local-runner.ts here, the engine later) supplies the
 * sinks and the tile mapper; this module only assembles them and guards the service from misuse
 * (progress clamped to [0, 1], map refused after cancellation).
 */
import { pathToFileURL } from 'node:url';
import { throwIfAborted } from '../core/errors.ts';
import type { ProgressFn } from '../core/progress.ts';
import type { LogLevel, MapOptions, ServiceContext, TileTask } from './types.ts';

export type LogFn = (level: LogLevel, message: string) => void;

/** Runs a tile task over tiles; implemented by the local worker pool and, later, by the engine's queue. */
export type TileMapper = <T, R>(tiles: T[], task: TileTask<T, R>, signal: AbortSignal, options?: MapOptions) => Promise<R[]>;

export interface ContextParams {
  inputs: Record<string, unknown>;
  workspace: string;
  signal: AbortSignal;
  mapper: TileMapper;
  log?: LogFn;
  progress?: ProgressFn;
  provenance?: Record<string, unknown>;
}

/**
 * A tile task for a module next to the caller: `tileTask<Tile, Out>(new URL('./tile.ts', import.meta.url))`.
 * Accepts a URL, a file URL string or an absolute path.
 */
export function tileTask<T, R>(module: URL | string, exportName = 'run'): TileTask<T, R> {
  const href = module instanceof URL ? module.href : /^file:/.test(module) ? module : pathToFileURL(module).href;
  return { module: href, export: exportName };
}

export function createServiceContext(p: ContextParams): ServiceContext {
  const log = p.log ?? (() => {});
  const progress = p.progress ?? (() => {});
  return {
    inputs: p.inputs,
    workspace: p.workspace,
    signal: p.signal,
    provenance: p.provenance ?? {},
    log(level, message) {
      try {
        log(level, message);
      } catch {
        // a failing log sink must not fail the job
      }
    },
    progress(fraction, message) {
      const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
      try {
        progress(f, message);
      } catch {
        // idem
      }
    },
    async map(tiles, task, options) {
      throwIfAborted(p.signal);
      return p.mapper(tiles, task, p.signal, options);
    },
  };
}
