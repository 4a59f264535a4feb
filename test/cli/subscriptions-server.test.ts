/**
 * `gep subscriptions --server` and `gep ingest --server` against a running server (STAC API + processes on an
 * embedded engine, on loopback): the items arrive through STAC transactions, whose hook starts the jobs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.ts';
import { processesPlugin } from '../../src/api/plugins/processes.ts';
import { stacPlugin } from '../../src/api/plugins/stac.ts';
import { Engine } from '../../src/engine/engine.ts';
import { writeCog } from '../../src/raster/cog/write.ts';
import { makeRaster } from '../../src/raster/types.ts';
import { closeLocalPools } from '../../src/services/local-runner.ts';
import { openDb, type Db } from '../../src/store/db.ts';
import { gep } from './subscriptions-helpers.ts';

describe('gep subscriptions / ingest --server', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gep-cli-subs-server-'));
  const scenes = join(dir, 'scenes');
  let db: Db;
  let engine: Engine;
  let app: FastifyInstance;
  let url: string;

  before(async () => {
    mkdirSync(scenes);
    for (const [name, x, y] of [['in_a_20230501', 6, 46], ['in_b_20230601', 7, 45.5], ['out_c_20230701', 12, 46]] as const) {
      const a = new Uint16Array(40 * 30).map((_, i) => ((i * 13) % 3000) + 1);
      await writeCog(join(scenes, `${name}.tif`), makeRaster([a], 40, 30, { transform: [x, 0.001, 0, y, 0, -0.001], crs: { epsg: 4326 }, nodata: 0 }));
    }
    db = await openDb('memory://');
    engine = await Engine.open({ db, workRoot: join(dir, 'work'), localThreads: 1, pollMs: 50 });
    app = await buildServer({ plugins: [stacPlugin({ db, onItemsIngested: (items) => engine.onItemsIngested(items) }), processesPlugin({ engine })] });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await app.close();
    await engine.close();
    await closeLocalPools();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('add through the API; ingest --server starts 2 jobs that complete; again: none; list, rm', async () => {
    const add = await gep(['subscriptions', 'add', '--server', url, '--process', 'echo', '--collection', 'scenes', '--item-input', 'message', '--bbox', '5,44,8,47', '--json']);
    assert.equal(add.code, 0, add.err);
    const id = (JSON.parse(add.out) as { id: string }).id;
    const ing = await gep(['ingest', scenes, '--server', url, '--collection', 'scenes', '--no-thumbnails']);
    assert.equal(ing.code, 0, ing.err);
    assert.match(ing.out, /ingested 3 items \(3 new, 0 updated\)/);
    const page = await engine.list({ subscriptionId: id });
    assert.equal(page.total, 2);
    for (const j of page.jobs) {
      const done = await engine.waitFor(j.id, { timeoutMs: 20_000 });
      assert.equal(done.status, 'successful', done.message ?? '');
      assert.match(String(done.outputs?.message), /^scenes\/in_[ab]_2023/);
    }
    const again = await gep(['ingest', scenes, '--server', url, '--collection', 'scenes', '--no-thumbnails']);
    assert.match(again.out, /\(0 new, 3 updated\)/, again.err);
    assert.equal((await engine.list({ subscriptionId: id })).total, 2, 'PUT of the same items starts nothing');
    const list = await gep(['subscriptions', 'list', '--server', url]);
    assert.match(list.out, new RegExp(`^${id}  enabled   scenes -> echo`));
    const bad = await gep(['subscriptions', 'rm', 'nope', '--server', url]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^gep subscriptions: no subscription 'nope'\n$/);
    assert.equal((await gep(['subscriptions', 'rm', id, '--server', url])).code, 0);
    assert.equal((await engine.listSubscriptions()).length, 0);
  });
});
