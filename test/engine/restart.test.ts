/**
 * Embedded deployment restarted: the server process (engine on a PGlite folder, queue workers inside) is killed
 * with SIGKILL while jobs are running and queued; a new engine on the same folder resumes and ends every one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/env.ts';
import { openDb } from '../../src/store/db.ts';
import { Engine } from '../../src/engine/engine.ts';
import { closeLocalPools } from '../../src/services/local-runner.ts';

test('embedded engine killed with jobs running and queued: none lost after restart', { timeout: 60_000 }, async () => {
  const base = mkdtempSync(join(tmpdir(), 'gep-restart-'));
  const dbDir = join(base, 'db');
  const work = join(base, 'work');
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test', 'engine', 'embedded-server.ts'), dbDir, work, '6', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  const ids = await new Promise<string[]>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not queue its jobs:\n${out}`)), 30_000);
    child.stdout.on('data', () => {
      const line = out.split('\n').find((l) => l.startsWith('['));
      if (line) {
        clearTimeout(t);
        resolve(JSON.parse(line) as string[]);
      }
    });
  });
  assert.equal(ids.length, 6);
  await new Promise((r) => setTimeout(r, 800)); // two jobs are running (pause 2 s), four queued
  child.kill('SIGKILL');
  await exited;
  const db = await openDb(`pglite://${dbDir}`);
  const engine = await Engine.open({ db, workRoot: work, jobs: 3, localThreads: 1 });
  try {
    const before = await Promise.all(ids.map((id) => engine.get(id)));
    assert.ok(before.every((j) => j !== null), 'every queued job survived the kill');
    const done = await Promise.all(ids.map((id) => engine.waitFor(id, { timeoutMs: 40_000 })));
    for (const j of done) {
      assert.equal(j.status, 'successful', `${j.id}: ${j.message}`);
      assert.deepEqual(j.outputs?.squares, [0, 1]);
    }
  } finally {
    await engine.close();
    await closeLocalPools();
    await db.close();
    rmSync(base, { recursive: true, force: true });
  }
});
