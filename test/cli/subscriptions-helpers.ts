/** Runs the `gep` command in a child process (shared by the subscriptions CLI tests). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/env.ts';

/** Runs gep asynchronously; GEP_TIMING=1 prints each run's duration. */
export function gep(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(REPO_ROOT, 'bin/gep.js'), ...args], { cwd: REPO_ROOT, env: { ...process.env, GEP_DEBUG: '' } });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const t = setTimeout(() => p.kill(), 25_000);
    p.on('close', (code) => {
      clearTimeout(t);
      if (process.env.GEP_TIMING) console.log(`# ${Date.now() - t0} ms: gep ${args.slice(0, 2).join(' ')}`);
      resolve({ code: code ?? -1, out, err });
    });
  });
}
