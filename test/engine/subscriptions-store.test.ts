/**
 * Subscription rules without HTTP: the choice of the item input, validation before storing, paging, updates,
 * claimRun (one job per subscription and item), and subscriptionTrigger, which queues jobs without running them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STAC_VERSION, type StacItem } from '../../src/core/stac.ts';
import { Engine } from '../../src/engine/engine.ts';
import * as subs from '../../src/engine/subscriptions.ts';
import { closeLocalPools } from '../../src/services/local-runner.ts';
import { registerService, serviceIds } from '../../src/services/registry.ts';
import type { Service, ServiceDescription } from '../../src/services/types.ts';
import { openDb, type Db } from '../../src/store/db.ts';

const twoProducts: Service = {
  description: {
    id: 'two-products',
    version: '0.0.1',
    title: 'Two products',
    description: 'Takes a pair.',
    keywords: ['test'],
    inputs: {
      before: { title: 'Before', description: 'A product.', schema: { type: 'string' }, kind: 'product' },
      after: { title: 'After', description: 'A product.', schema: { type: 'string' }, kind: 'product' },
    },
    outputs: {},
  },
  async run() {
    return { outputs: {} };
  },
};

const item = (id: string, x: number, y: number, props: Record<string, unknown> = {}): StacItem => ({
  type: 'Feature',
  stac_version: STAC_VERSION,
  stac_extensions: [],
  id,
  collection: 'c',
  bbox: [x, y, x + 1, y + 1],
  geometry: { type: 'Polygon', coordinates: [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]] },
  properties: { datetime: '2024-01-01T00:00:00Z', ...props },
  links: [],
  assets: {},
});

describe('subscription store and queue-only trigger', { timeout: 60_000 }, () => {
  let db: Db;
  let dir: string;
  before(async () => {
    if (!serviceIds().includes('two-products')) registerService(twoProducts);
    dir = mkdtempSync(join(tmpdir(), 'gep-subs-store-'));
    db = await openDb('memory://');
  });
  after(async () => {
    await closeLocalPools();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('chooseItemInput: named, the only product input, or an error listing the candidates', () => {
    const d = twoProducts.description;
    assert.equal(subs.chooseItemInput(d, 'after'), 'after');
    assert.throws(() => subs.chooseItemInput(d), /several inputs that take items \(before, after\); name one with itemInput/);
    assert.throws(() => subs.chooseItemInput(d, 'x'), /has no input "x"/);
    const one: ServiceDescription = { ...d, inputs: { a: d.inputs.before!, n: { title: 'N', description: 'n', schema: { type: 'number', default: 1 } } } };
    assert.equal(subs.chooseItemInput(one), 'a');
  });

  test('checkSubscription refuses bad members before storing; create, page, update, delete', async () => {
    const ok = { collection: 'c', process: 'two-products', itemInput: 'before' };
    await assert.rejects(subs.checkSubscription(ok), /input 'after' is required/, 'the other product is a required fixed input');
    await assert.rejects(subs.checkSubscription({ ...ok, inputs: { after: 'c/x' }, bbox: [0, 0, 1] }), (e: Error & { details?: { input?: string } }) => e.details?.input === 'bbox');
    await assert.rejects(subs.checkSubscription({ ...ok, inputs: { after: 'c/x' }, bbox: [0, 0, 1, 1], geometry: { type: 'Point', coordinates: [0, 0] } }), /not both/);
    await assert.rejects(subs.checkSubscription({ ...ok, inputs: { after: 'c/x' }, geometry: { type: 'Point', coordinates: [0, 95] } }), /geometry/);
    const made: subs.Subscription[] = [];
    for (let i = 0; i < 5; i++)
      made.push(await subs.createSubscription(db, { ...ok, inputs: { after: 'c/ref' }, bbox: [i, 0, i + 0.5, 0.5], owner: i % 2 ? 'bob' : 'ann', title: `s${i}` }));
    assert.deepEqual(made[2]!.bbox, [2, 0, 2.5, 0.5]);
    // Pages follow (created, id): disjoint, and together every subscription once.
    const pages = await Promise.all([0, 2, 4].map((offset) => subs.pageSubscriptions(db, { collection: 'c', limit: 2, offset })));
    assert.deepEqual(pages.map((p) => [p.total, p.subscriptions.length]), [[5, 2], [5, 2], [5, 1]]);
    assert.deepEqual(pages.flatMap((p) => p.subscriptions.map((s) => s.title)).sort(), ['s0', 's1', 's2', 's3', 's4']);
    assert.equal((await subs.pageSubscriptions(db, { owner: 'bob' })).total, 2);
    const u = await subs.updateSubscription(db, made[0]!.id, { enabled: false, title: null });
    assert.deepEqual([u.enabled, u.title], [false, null]);
    assert.equal((await subs.pageSubscriptions(db, { enabled: false })).total, 1);
    await assert.rejects(subs.updateSubscription(db, 'nope', { enabled: true }), /not found/);
    assert.equal(await subs.claimRun(db, made[1]!.id, 'c', 'i1', 'job-1'), true);
    assert.equal(await subs.claimRun(db, made[1]!.id, 'c', 'i1', 'job-2'), false, 'one run per subscription and item');
    assert.equal(await subs.countRuns(db, made[1]!.id), 1);
    for (const s of made) assert.equal(await subs.deleteSubscription(db, s.id), true);
    assert.equal(await subs.countRuns(db, made[1]!.id), 0, 'runs go with their subscription');
  });

  test('subscriptionTrigger queues accepted jobs without running them, once per item, and opens nothing without a match', async () => {
    const s = await subs.createSubscription(db, { collection: 'c', process: 'echo', itemInput: 'message', bbox: [10, 10, 12, 12], filter: { platform: 'a' } });
    const t = subs.subscriptionTrigger(db, { workRoot: dir });
    assert.deepEqual(await t.onItems([item('far', 50, 50, { platform: 'a' }), item('other', 10.5, 10.5, { platform: 'b' })]), []);
    const jobs = await t.onItems([item('near', 10.5, 10.5, { platform: 'a' }), item('edge', 12, 12, { platform: 'a' })]);
    assert.deepEqual(jobs.map((j) => j.inputs.message).sort(), ['c/edge', 'c/near']);
    assert.equal((await t.onItems([item('near', 10.5, 10.5, { platform: 'a' })])).length, 0);
    assert.equal(t.queued, 2);
    await new Promise((r) => setTimeout(r, 300));
    const { rows } = await db.query<{ status: string }>('SELECT status FROM jobs WHERE subscription_id = $1', [s.id]);
    assert.deepEqual(rows.map((r) => r.status), ['accepted', 'accepted'], 'no worker here');
    await t.close();
    // A worker (gep serve) takes them.
    const engine = await Engine.open({ db, workRoot: dir, localThreads: 1, pollMs: 50 });
    try {
      for (const j of jobs) assert.equal((await engine.waitFor(j.id, { timeoutMs: 20_000 })).status, 'successful');
    } finally {
      await engine.close();
    }
  });
});
