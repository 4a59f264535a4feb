/** Shared helpers of the engine tests: spawned `gep worker` processes and waits that ride out a database restart. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/env.ts';
import type { Engine } from '../../src/engine/engine.ts';
import type { Job } from '../../src/engine/types.ts';

export interface WorkerProc {
  id: string;
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Spawns `gep worker` and resolves once it printed its ready line (with its worker id). `storage`: a blob store
 * URL (s3://..., file://...) or a folder; `env`: more environment variables (S3 credentials).
 */
export async function spawnWorker(database: string, storage: string, extra: string[] = [], env: Record<string, string> = {}): Promise<WorkerProc> {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(storage) ? storage : `file://${storage}`;
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'gep.js'), 'worker', '--database', database, '--storage', url, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GEP_DEBUG: '', ...env },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const id = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker did not start in 30 s:\n${out}`));
    }, 30_000);
    const check = (): void => {
      const m = /gep worker (\S+) ready/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(t);
      reject(new Error(`worker exited (${code}) before it was ready:\n${out}`));
    });
  });
  return {
    id,
    child,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls until `fn` returns a value (not undefined), retrying through errors (database restarts). */
export async function until<T>(fn: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  while (Date.now() - t0 < timeoutMs) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

/** Waits for a job to end, through database restarts. */
export function ended(engine: Engine, id: string, timeoutMs = 60_000): Promise<Job> {
  return until(async () => {
    const j = await engine.get(id);
    return j && ['successful', 'failed', 'dismissed'].includes(j.status) ? j : undefined;
  }, timeoutMs, `job ${id} to end`);
}
