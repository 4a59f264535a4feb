/**
 * A quick scale check, not a benchmark: 20,000 items in PGlite (memory) and 100 random bbox + datetime +
 * collection searches; prints p50 / p95 (no timing assertion: the machine is shared).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDb } from '../../src/store/db.ts';
import { upsertCollection, upsertItems } from '../../src/store/items.ts';
import { searchItems } from '../../src/store/search.ts';
import type { StacItem } from '../../src/core/stac.ts';
import { collection, item, square } from './cases.ts';
import { rng } from '../helpers/random.ts';

const T0 = Date.UTC(2022, 0, 1);
const SPAN = 3 * 365 * 86400000;

/** Sentinel-2-like tiles (1 degree) over Europe, 3 years, two collections. */
function syntheticItems(n: number, seed = 1): StacItem[] {
  const r = rng(seed);
  const out: StacItem[] = [];
  for (let i = 0; i < n; i++) {
    const x = -10 + Math.floor(r() * 40);
    const y = 35 + Math.floor(r() * 35);
    const t = new Date(T0 + Math.floor(r() * SPAN)).toISOString();
    out.push(item(i % 4 === 0 ? 'landsat' : 'sentinel', `s${i}`, { datetime: t, 'eo:cloud_cover': Math.round(r() * 100), platform: 'p' }, square(x, y)));
  }
  return out;
}

test('scale check: 20,000 items, 100 bbox + datetime searches on PGlite', async () => {
  const db = await openDb('memory://');
  try {
    await upsertCollection(db, collection('sentinel'));
    await upsertCollection(db, collection('landsat'));
    const items = syntheticItems(20000);
    const t0 = performance.now();
    const res = await upsertItems(db, items);
    const insertMs = performance.now() - t0;
    assert.deepEqual(res, { inserted: 20000, updated: 0 });
    const r = rng(7);
    const times: number[] = [];
    let found = 0;
    for (let i = 0; i < 100; i++) {
      const w = 0.5 + r() * 5;
      const x = -10 + r() * 40;
      const y = 35 + r() * 35;
      const start = T0 + r() * SPAN;
      const len = (7 + r() * 90) * 86400000;
      const t = performance.now();
      const page = await searchItems(db, {
        collections: [i % 2 === 0 ? 'sentinel' : 'landsat'],
        bbox: [x, y, Math.min(x + w, 180), Math.min(y + w, 90)],
        datetime: { start: new Date(start).toISOString(), end: new Date(start + len).toISOString() },
        limit: 20,
      });
      times.push(performance.now() - t);
      found += page.items.length;
    }
    times.sort((a, b) => a - b);
    const q = (p: number): string => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(1);
    console.log(`# scale: inserted 20000 items in ${insertMs.toFixed(0)} ms; 100 searches: p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${q(1)} ms (${found} items returned)`);
    assert.ok(found > 0);
  } finally {
    await db.close();
  }
});
