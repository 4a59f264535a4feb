/**
 * Catalogue inputs and systematic processing: `collection/itemId` and STAC item URLs resolve to the item's data
 * asset before the service runs; a subscription runs its service once per newly ingested matching item.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../src/store/db.ts';
import { upsertCollection, upsertItems } from '../../src/store/items.ts';
import { STAC_VERSION, type StacItem } from '../../src/core/stac.ts';
import { Engine } from '../../src/engine/engine.ts';
import { contains, matches } from '../../src/engine/subscriptions.ts';
import { registerService, serviceIds } from '../../src/services/registry.ts';
import type { Service } from '../../src/services/types.ts';

const probe: Service = {
  description: {
    id: 'probe-item',
    version: '0.0.1',
    title: 'Probe',
    description: 'Returns the path its product input resolved to.',
    keywords: ['test'],
    inputs: {
      scene: { title: 'Scene', description: 'A product.', schema: { type: 'string' }, kind: 'product' },
      gain: { title: 'Gain', description: 'A number.', schema: { type: 'number', default: 1 } },
    },
    outputs: {
      path: { title: 'Path', description: 'Resolved path.', schema: { type: 'string' } },
      item: { title: 'Item', description: 'The item JSON when the path is a copy of it (read while the job runs).', schema: { type: 'object' } },
    },
  },
  async run(ctx) {
    const path = String(ctx.inputs.scene);
    return { outputs: { path, ...(path.endsWith('.json') ? { item: JSON.parse(await readFile(path, 'utf8')) as unknown } : {}) } };
  },
};

function item(id: string, bbox: [number, number, number, number], href: string, extra: Record<string, unknown> = {}): StacItem {
  const [x0, y0, x1, y1] = bbox;
  return {
    type: 'Feature',
    stac_version: STAC_VERSION,
    stac_extensions: [],
    id,
    collection: 's2',
    bbox,
    geometry: { type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] },
    properties: { datetime: '2024-05-01T10:00:00Z', ...extra },
    links: [],
    assets: { image: { href, type: 'image/tiff', roles: ['data'] }, thumb: { href: 'thumb.png', roles: ['thumbnail'] } },
  };
}

describe('catalogue inputs and subscriptions', { timeout: 60_000 }, () => {
  let db: Db;
  let engine: Engine;
  let dir: string;

  before(async () => {
    if (!serviceIds().includes('probe-item')) registerService(probe);
    dir = mkdtempSync(join(tmpdir(), 'gep-subs-'));
    db = await openDb('memory://');
    engine = await Engine.open({ db, workRoot: dir, localThreads: 1 });
    await upsertCollection(db, {
      type: 'Collection', stac_version: STAC_VERSION, stac_extensions: [], id: 's2', description: 'test', license: 'other',
      extent: { spatial: { bbox: [[-180, -90, 180, 90]] }, temporal: { interval: [[null, null]] } }, links: [],
    });
  });

  after(async () => {
    await engine.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('collection/itemId and a STAC item URL resolve to the data asset; provenance names the item', async () => {
    const tif = join(dir, 'a.tif');
    writeFileSync(tif, 'x');
    await upsertItems(db, [item('A', [6, 45, 7, 46], tif)]);
    const j1 = await engine.waitFor((await engine.submit({ process: 'probe-item', inputs: { scene: 's2/A' } })).id);
    assert.equal(j1.status, 'successful', j1.message ?? '');
    assert.equal(j1.outputs?.path, tif);
    assert.deepEqual(j1.provenance?.['gep:inputs'], ['s2/A']);
    const j2 = await engine.waitFor((await engine.submit({ process: 'probe-item', inputs: { scene: 'https://gep.example/collections/s2/items/A' } })).id);
    assert.equal(j2.outputs?.path, tif);
    const j3 = await engine.waitFor((await engine.submit({ process: 'probe-item', inputs: { scene: 's2/missing' } })).id);
    assert.equal(j3.status, 'failed');
    assert.match(j3.message ?? '', /input 'scene': 's2\/missing' is neither a file nor an item/);
  });

  test('an item with several data assets resolves to a copy of its JSON with absolute hrefs', async () => {
    const it = item('B', [6, 45, 7, 46], 'https://data.example/b04.tif');
    it.assets.b08 = { href: 'https://data.example/b08.tif', roles: ['data'] };
    await upsertItems(db, [it]);
    const j = await engine.waitFor((await engine.submit({ process: 'probe-item', inputs: { scene: 's2/B' } })).id);
    assert.equal(j.status, 'successful', j.message ?? '');
    const copy = j.outputs?.item as StacItem;
    assert.equal(copy.id, 'B');
    assert.equal(copy.assets.b08!.href, 'https://data.example/b08.tif');
    assert.equal(copy.assets.thumb!.href, join(process.cwd(), 'thumb.png'));
  });

  test('a subscription runs its service once per newly ingested matching item', async () => {
    await assert.rejects(engine.createSubscription({ collection: 's2', process: 'echo' }), /has no input/);
    const sub = await engine.createSubscription({ collection: 's2', bbox: [5, 44, 8, 47], process: 'probe-item', inputs: { gain: 2 }, filter: { platform: 'sentinel-2a' }, title: 'alps' });
    assert.equal(sub.itemInput, 'scene');
    const items = [
      item('in', [6, 45, 6.5, 45.5], 'https://x/in.tif', { platform: 'sentinel-2a' }),
      item('out', [20, 10, 21, 11], 'https://x/out.tif', { platform: 'sentinel-2a' }),
      item('other-platform', [6, 45, 6.5, 45.5], 'https://x/o.tif', { platform: 'landsat-8' }),
    ];
    await upsertItems(db, items);
    const jobs = await engine.onItemsIngested(items);
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0]!.subscriptionId, sub.id);
    assert.deepEqual(jobs[0]!.inputs, { gain: 2, scene: 's2/in' });
    const done = await engine.waitFor(jobs[0]!.id);
    assert.equal(done.status, 'successful');
    assert.equal(done.outputs?.path, 'https://x/in.tif');
    assert.equal((await engine.onItemsIngested(items)).length, 0, 'ingesting again starts nothing');
    await engine.setSubscriptionEnabled(sub.id, false);
    assert.equal((await engine.onItemsIngested([item('in2', [6, 45, 6.5, 45.5], 'https://x/2.tif', { platform: 'sentinel-2a' })])).length, 0);
    assert.equal((await engine.list({ subscriptionId: sub.id })).total, 1);
    assert.equal(await engine.deleteSubscription(sub.id), true);
  });

  test('matching rules', () => {
    assert.equal(contains({ a: { b: [1, 2] }, c: 1 }, { a: { b: [2] } }), true);
    assert.equal(contains({ a: 1 }, { a: 2 }), false);
    const s = { enabled: true, collection: 's2', bbox: [0, 0, 1, 1], geometry: null, filter: null } as unknown as Parameters<typeof matches>[0];
    assert.equal(matches(s, item('x', [0.5, 0.5, 2, 2], 'h')), true);
    assert.equal(matches(s, item('y', [1.5, 1.5, 2, 2], 'h')), false);
  });
});
