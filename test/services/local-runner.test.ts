/** Local runner: tile fan-out on worker threads (order, transfer, errors as data, cancellation) and whole runs. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { GepError } from '../../src/core/errors.ts';
import { createServiceContext, tileTask } from '../../src/services/context.ts';
import { closeLocalPools, localTileMapper, runServiceLocally, workerCount } from '../../src/services/local-runner.ts';

const FIXTURE = new URL('./tile-fixture.ts', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'gep-runner-'));

function ctxFor(workers: number, signal = new AbortController().signal) {
  return createServiceContext({ inputs: {}, workspace: dir, signal, mapper: localTileMapper(workers) });
}

async function rejectsWith(p: Promise<unknown>, code: string, re: RegExp): Promise<GepError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof GepError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, re);
    return e;
  }
  assert.fail('expected a rejection');
}

after(async () => {
  await closeLocalPools();
  rmSync(dir, { recursive: true, force: true });
});

describe('ctx.map on worker threads', () => {
  test('tiles run in other threads, results keep tile order, typed arrays come back', async () => {
    const ctx = ctxFor(2);
    const task = tileTask<{ n: number; value: number }, { threadId: number; data: Float32Array }>(FIXTURE, 'fill');
    const tiles = Array.from({ length: 8 }, (_, i) => ({ n: 1000 + i, value: i * 1.5 }));
    let done = 0;
    const res = await ctx.map(tiles, task, { onTileDone: (d, n) => ((done = d), assert.equal(n, 8)) });
    assert.equal(done, 8);
    assert.equal(res.length, 8);
    res.forEach((r, i) => {
      assert.notEqual(r.threadId, threadId, 'a tile ran in the main thread');
      assert.ok(r.data instanceof Float32Array);
      assert.equal(r.data.length, 1000 + i);
      assert.equal(r.data[999], i * 1.5);
    });
    assert.deepEqual(await ctx.map([], task), []);
  });

  test('workers = 0 runs the tiles in this thread', async () => {
    const res = await ctxFor(0).map([{ n: 2, value: 7 }], tileTask<{ n: number; value: number }, { threadId: number; data: Float32Array }>(FIXTURE, 'fill'));
    assert.equal(res[0]!.threadId, threadId);
    assert.deepEqual([...res[0]!.data], [7, 7]);
  });

  test('a tile throwing a plain Error fails the map with its message', async () => {
    for (const w of [2, 0]) {
      const e = await rejectsWith(ctxFor(w).map([0, 1, 2, 3, 4, 5], tileTask<number, number>(FIXTURE, 'boom')), 'GEP_ERR_INTERNAL', /^tile 3: plain failure in tile three$/);
      assert.equal(e.details?.tile, 3);
    }
  });

  test('a GepError in a tile keeps its code, message and details across the thread boundary', async () => {
    const e = await rejectsWith(ctxFor(2).map([0, 1, 2], tileTask<number, number>(FIXTURE, 'gepBoom')), 'GEP_ERR_CORRUPT_FILE', /^x\.tif: tile 1 is truncated$/);
    assert.deepEqual(e.details, { file: 'x.tif', offset: 42, tile: 1 });
  });

  test('bad task modules are reported', async () => {
    await rejectsWith(ctxFor(2).map([1], { module: './relative.ts' }), 'GEP_ERR_INTERNAL', /absolute file URL/);
    await rejectsWith(ctxFor(2).map([1], tileTask<number, number>(FIXTURE, 'nothere')), 'GEP_ERR_INTERNAL', /exports no function 'nothere'/);
  });

  test('aborting stops blocked tiles quickly (workers terminated) and the pool still works after', async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 300);
    await rejectsWith(ctxFor(2, ac.signal).map([5000, 5000, 5000, 5000, 5000], tileTask<number, number>(FIXTURE, 'spin')), 'GEP_ERR_ABORTED', /cancelled/);
    const dt = Date.now() - t0;
    assert.ok(dt < 2000, `abort took ${dt} ms`);
    await rejectsWith(ctxFor(2, ac.signal).map([1], tileTask<number, number>(FIXTURE, 'spin')), 'GEP_ERR_ABORTED', /cancelled/);
    assert.deepEqual(await ctxFor(2).map([1, 2], tileTask<number, number>(FIXTURE, 'spin')), [1, 2]);
  });

  test('pool size: option, GEP_WORKERS, CPU count', () => {
    assert.equal(workerCount(3), 3);
    const saved = process.env.GEP_WORKERS;
    try {
      process.env.GEP_WORKERS = '5';
      assert.equal(workerCount(), 5);
      process.env.GEP_WORKERS = 'many';
      assert.throws(() => workerCount(), /GEP_WORKERS must be an integer from 0 to 1024, got 'many'/);
      delete process.env.GEP_WORKERS;
      assert.ok(workerCount() >= 1);
    } finally {
      if (saved === undefined) delete process.env.GEP_WORKERS;
      else process.env.GEP_WORKERS = saved;
    }
  });
});

describe('runServiceLocally (echo)', () => {
  test('echoes inputs, squares tiles in workers, writes catalog.json with the values', async () => {
    const ws = join(dir, 'ok');
    const fractions: number[] = [];
    const res = await runServiceLocally('echo', { message: 'hi', tiles: 6, values: [4, 5] }, { workspace: ws, workers: 2, progress: (f) => fractions.push(f), jobId: 'job-1' });
    assert.deepEqual(res.outputs.squares, [0, 1, 4, 9, 16, 25]);
    assert.equal(res.outputs.message, 'hi');
    assert.equal(res.inputs.count, 3, 'default applied');
    assert.equal(res.catalog, join(ws, 'catalog.json'));
    assert.equal(fractions.at(-1), 1);
    assert.ok(fractions.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= fractions[i - 1]!)));
    const item = JSON.parse(readFileSync(join(ws, 'job-1', 'job-1.json'), 'utf8')) as { properties: Record<string, Record<string, unknown>> };
    assert.deepEqual(item.properties['gep:outputs']!.values, [4, 5]);
    assert.equal(item.properties['gep:parameters']!.tiles, 6);
  });

  test('invalid inputs fail before the workspace is created', async () => {
    const ws = join(dir, 'never');
    await rejectsWith(runServiceLocally('echo', { message: 'hi', count: 11 }, { workspace: ws }), 'GEP_ERR_INVALID_INPUT', /^input 'count': expected an integer from 1 to 10, got 11$/);
    assert.equal(existsSync(ws), false);
  });

  test('a failing tile fails the job with its message and leaves no catalog', async () => {
    const ws = join(dir, 'fail');
    await rejectsWith(runServiceLocally('echo', { message: 'hi', tiles: 4, failTile: 2 }, { workspace: ws, workers: 2 }), 'GEP_ERR_INVALID_INPUT', /input 'failTile': tile 2 failed on purpose/);
    assert.equal(existsSync(join(ws, 'catalog.json')), false);
  });

  test('cancelling a run (pause, then slow tiles) rejects quickly with GEP_ERR_ABORTED', async () => {
    for (const inputs of [{ message: 'hi', pause: 30 }, { message: 'hi', tiles: 4, delayMs: 20_000 }]) {
      const ac = new AbortController();
      const t0 = Date.now();
      setTimeout(() => ac.abort(), 200);
      await rejectsWith(runServiceLocally('echo', inputs, { workspace: join(dir, 'cancel'), signal: ac.signal, workers: 2 }), 'GEP_ERR_ABORTED', /cancelled/);
      assert.ok(Date.now() - t0 < 2000);
      assert.equal(existsSync(join(dir, 'cancel', 'catalog.json')), false);
    }
  });
});
