/**
 * System tests of `gep subscriptions` on a data folder: add with typed `--input K=V`, one-line errors with exit 2,
 * list, disable, rm. (What `gep ingest` / `gep harvest` queue: subscriptions-ingest.test.ts.)
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gep } from './subscriptions-helpers.ts';

describe('gep subscriptions', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gep-cli-subs-'));
  const data = join(dir, 'data');
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('add (typed --input), bad input exits 2 with one line, list, disable, rm', async () => {
    const add = await gep(['subscriptions', 'add', '--process', 'echo', '--collection', 'scenes', '--item-input', 'message', '--bbox', '5,44,8,47',
      '--input', 'count=4', '--input', 'labels=a', '--input', 'labels=b', '--input', 'flag=true', '--title', 'alps', '--data', data, '--json']);
    assert.equal(add.code, 0, add.err);
    const sub = JSON.parse(add.out) as { id: string; inputs: Record<string, unknown>; bbox: number[]; enabled: boolean; itemInput: string };
    assert.deepEqual(sub.inputs, { count: 4, labels: ['a', 'b'], flag: true });
    assert.deepEqual(sub.bbox, [5, 44, 8, 47]);
    assert.equal(sub.itemInput, 'message');
    assert.equal(sub.enabled, true);

    for (const [args, re] of [
      [['--input', 'count=99'], /^gep subscriptions: input 'count': expected an integer from 1 to 10, got 99\n$/],
      [['--input', 'nope=1'], /^gep subscriptions: --input nope: process 'echo' has no input 'nope'/],
      [['--bbox', '1,2'], /^gep subscriptions: --bbox must be W,S,E,N/],
      [['--filter', '[1'], /^gep subscriptions: --filter must be a JSON object/],
      [['--process', 'nope'], /^gep subscriptions: unknown process 'nope'/],
    ] as const) {
      const r = await gep(['subscriptions', 'add', '--process', 'echo', '--collection', 'scenes', '--item-input', 'message', ...args, '--data', data]);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, re);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
    }
    const noProc = await gep(['subscriptions', 'add', '--collection', 'scenes', '--data', data]);
    assert.equal(noProc.code, 2);
    assert.match(noProc.err, /--process is required/);
    const bad = await gep(['subscriptions', 'frobnicate', '--data', data]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /unknown action 'frobnicate'/);
    const help = await gep(['subscriptions', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /gep subscriptions add --process P --collection C/);

    const dis = await gep(['subscriptions', 'disable', sub.id, '--data', data]);
    assert.equal(dis.code, 0, dis.err);
    assert.match(dis.out, new RegExp(`^${sub.id}  disabled  scenes -> echo\\(message=item \\{[^\\n]*"labels":\\["a","b"\\][^\\n]*\\}\\)  bbox 5,44,8,47  "alps"\\n$`));
    const list = await gep(['subscriptions', 'list', '--collection', 'scenes', '--data', data, '--json']);
    assert.equal(list.code, 0, list.err);
    const all = JSON.parse(list.out) as { id: string; enabled: boolean }[];
    assert.deepEqual(all.map((s) => [s.id, s.enabled]), [[sub.id, false]]);
    const rm = await gep(['subscriptions', 'rm', sub.id, sub.id, '--data', data]);
    assert.equal(rm.code, 2, 'the second one is gone');
    assert.equal(rm.out, `removed ${sub.id}\n`);
    assert.match(rm.err, new RegExp(`^gep subscriptions: no subscription '${sub.id}'\n$`));
  });
});
