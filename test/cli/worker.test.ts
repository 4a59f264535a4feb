/**
 * `gep worker` and `gep serve` storage options: bad blob store URLs and scratch folders end with exit code 2 and
 * one readable line naming the option, before any database connection; credentials in a URL are not echoed.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/env.ts';

function gep(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/gep.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, GEP_DEBUG: '' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** A database nobody listens on: reaching it would hang or fail differently, so exit 2 proves the early check. */
const NO_DB = 'postgres://nobody@127.0.0.1:1/none';

describe('gep worker / gep serve: --storage and --scratch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gep-cli-worker-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const oneLine = (r: { code: number; err: string }, re: RegExp): void => {
    assert.equal(r.code, 2, r.err);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
    assert.match(r.err, re);
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  };

  test('worker: unknown scheme, empty file:// and s3:// without a bucket -> exit 2, one line naming --storage', () => {
    oneLine(gep(['worker', '--database', NO_DB, '--storage', 'ftp://host/dir']), /^gep worker: --storage "ftp:\/\/host\/dir": expected s3:\/\/BUCKET/);
    oneLine(gep(['worker', '--database', NO_DB, '--storage', 'file://']), /--storage/);
    oneLine(gep(['worker', '--database', NO_DB, '--storage', 's3://']), /--storage/);
    oneLine(gep(['worker', '--database', NO_DB, '--storage', '/plain/folder']), /--storage "\/plain\/folder": expected s3:\/\/BUCKET\[\/PREFIX\]\[\?endpoint=URL\] or file:\/\/DIR/);
  });

  test('worker: a password in a bad storage URL is not echoed; an empty --scratch is refused', () => {
    const r = gep(['worker', '--database', NO_DB, '--storage', 'minio://admin:hunter2@host/bucket']);
    oneLine(r, /--storage/);
    assert.doesNotMatch(r.err, /hunter2/);
    oneLine(gep(['worker', '--database', NO_DB, '--storage', `file://${dir}`, '--scratch', ' ']), /--scratch: expected a folder/);
  });

  test('serve: bad --storage -> exit 2 with one line, nothing served', () => {
    const r = gep(['serve', '--data', join(dir, 'data'), '--port', '0', '--storage', 'ftp://x']);
    oneLine(r, /^gep serve: --storage "ftp:\/\/x": expected file:\/\/DIR or s3:\/\/BUCKET/);
    assert.equal(r.out, '');
    oneLine(gep(['serve', '--data', join(dir, 'data'), '--port', '0', '--storage', 'file://']), /file:\/\//);
    oneLine(gep(['serve', '--data', join(dir, 'data'), '--port', '0', '--storage', 's3://']), /s3:\/\//);
  });
});
