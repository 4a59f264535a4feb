/**
 * Systematic processing from the command line: `gep ingest` of a folder of products and `gep harvest` into a data
 * folder queue the jobs of matching subscriptions (rows checked in the database), once per item; an engine with a
 * worker on that data folder (what `gep serve` runs) then completes them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCog } from '../../src/raster/cog/write.ts';
import { makeRaster } from '../../src/raster/types.ts';
import { openDb } from '../../src/store/db.ts';
import { Engine } from '../../src/engine/engine.ts';
import { closeLocalPools } from '../../src/services/local-runner.ts';
import { gep } from './subscriptions-helpers.ts';

interface JobRow {
  id: string;
  status: string;
  process_id: string;
  subscription_id: string | null;
  inputs: Record<string, unknown>;
}

describe('gep ingest / gep harvest queue the jobs of subscriptions', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gep-cli-subs-ingest-'));
  const scenes = join(dir, 'scenes');
  const data = join(dir, 'data');
  let server: Server;
  let url: string;

  before(async () => {
    mkdirSync(scenes);
    // Three tiny lon/lat scenes: two inside 5..8 E, 44..47 N, one at 12 E.
    for (const [name, x, y] of [['in_a_20230501', 6, 46], ['in_b_20230601', 7, 45.5], ['out_c_20230701', 12, 46]] as const) {
      const a = new Uint16Array(40 * 30).map((_, i) => ((i * 13) % 3000) + 1);
      await writeCog(join(scenes, `${name}.tif`), makeRaster([a], 40, 30, { transform: [x, 0.001, 0, y, 0, -0.001], crs: { epsg: 4326 }, nodata: 0 }));
    }
    // A one-page STAC search API: r1 at 6.2 E 45.2 N (inside), r2 at 30 E (outside).
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const send = (s: number, b: unknown): void => void res.writeHead(s, { 'content-type': 'application/json' }).end(JSON.stringify(b));
        const path = req.url ?? '';
        if (req.method === 'GET' && path === '/collections/remote')
          return send(200, { type: 'Collection', id: 'remote', description: 'd', license: 'other', extent: { spatial: { bbox: [[0, 0, 40, 50]] }, temporal: { interval: [[null, null]] } }, links: [] });
        if (path.startsWith('/search')) {
          const f = (id: string, x: number, y: number): Record<string, unknown> => ({
            type: 'Feature', stac_version: '1.1.0', id, collection: 'remote', bbox: [x, y, x + 0.1, y + 0.1],
            geometry: { type: 'Polygon', coordinates: [[[x, y], [x + 0.1, y], [x + 0.1, y + 0.1], [x, y + 0.1], [x, y]]] },
            properties: { datetime: '2024-01-01T00:00:00Z' }, links: [], assets: { a: { href: `https://x/${id}.tif`, roles: ['data'] } },
          });
          return send(200, { type: 'FeatureCollection', features: [f('r1', 6.2, 45.2), f('r2', 30, 10)], links: [] });
        }
        send(404, {});
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('ingest queues 2 jobs (2 of 3 scenes inside), none when ingested again; harvest queues 1; a worker completes them', async () => {
    const add = await gep(['subscriptions', 'add', '--process', 'echo', '--collection', 'scenes', '--item-input', 'message', '--bbox', '5,44,8,47',
      '--input', 'count=4', '--data', data, '--json']);
    assert.equal(add.code, 0, add.err);
    const sid = (JSON.parse(add.out) as { id: string }).id;
    const addH = await gep(['subscriptions', 'add', '--process', 'echo', '--collection', 'remote', '--item-input', 'labels', '--input', 'message=h', '--bbox', '5,44,8,47', '--data', data, '--json']);
    assert.equal(addH.code, 0, addH.err);
    const hid = (JSON.parse(addH.out) as { id: string }).id;

    const ing = await gep(['ingest', scenes, '--data', data, '--collection', 'scenes', '--no-thumbnails']);
    assert.equal(ing.code, 0, ing.err);
    assert.match(ing.out, /ingested 3 items \(3 new, 0 updated\)/);
    assert.match(ing.out, /^2 job\(s\) queued by subscriptions$/m);
    const again = await gep(['ingest', scenes, '--data', data, '--collection', 'scenes', '--no-thumbnails', '--json']);
    assert.equal(again.code, 0, again.err);
    const j = JSON.parse(again.out) as { updated: number; jobsQueued: number };
    assert.deepEqual([j.updated, j.jobsQueued], [3, 0], 'ingesting again queues nothing');
    const hv = await gep(['harvest', '--from', url, '--collections', 'remote', '--data', data]);
    assert.equal(hv.code, 0, hv.err);
    assert.match(hv.out, /harvested 2 items in 1 page\n1 job\(s\) queued by subscriptions\n/);

    const db = await openDb(undefined, { dataDir: data });
    let engine: Engine | null = null;
    try {
      const { rows } = await db.query<JobRow>('SELECT id, status, process_id, subscription_id, inputs FROM jobs ORDER BY created');
      assert.equal(rows.length, 3);
      assert.ok(rows.every((r) => r.status === 'accepted' && r.process_id === 'echo'));
      const mine = rows.filter((r) => r.subscription_id === sid);
      assert.deepEqual(mine.map((r) => r.inputs.message).sort(), ['scenes/in_a_20230501', 'scenes/in_b_20230601']);
      assert.ok(mine.every((r) => r.inputs.count === 4));
      assert.deepEqual(rows.filter((r) => r.subscription_id === hid).map((r) => r.inputs.labels), [['remote/r1']]);
      const runs = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM subscription_runs');
      assert.equal(Number(runs.rows[0]!.n), 3);
      // What `gep serve` does on this data folder: its worker takes the queued jobs.
      engine = await Engine.open({ db, workRoot: data, localThreads: 1, pollMs: 50 });
      for (const r of rows) {
        const done = await engine.waitFor(r.id, { timeoutMs: 20_000 });
        assert.equal(done.status, 'successful', done.message ?? '');
        assert.equal(done.outputs?.message, r.inputs.message);
      }
    } finally {
      await engine?.close();
      await closeLocalPools();
      await db.close();
    }
  });
});
