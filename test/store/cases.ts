/**
 * Store test cases shared by both back-ends: the same cases run on in-memory PGlite (items-pglite.test.ts)
 * and on a throwaway PostgreSQL server (items-postgres.test.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import {
  deleteCollection,
  deleteItem,
  getCollection,
  getItem,
  upsertCollection,
  upsertItems,
} from '../../src/store/items.ts';
import { datetimeHistogram, searchItems, searchTuning } from '../../src/store/search.ts';
import type { ItemQuery } from '../../src/store/search.ts';
import type { GeoJsonGeometry, StacCollection, StacItem } from '../../src/core/stac.ts';

export function collection(id: string): StacCollection {
  return {
    type: 'Collection',
    stac_version: '1.1.0',
    stac_extensions: [],
    id,
    description: `test collection ${id}`,
    license: 'CC-BY-4.0',
    extent: { spatial: { bbox: [[-180, -90, 180, 90]] }, temporal: { interval: [[null, null]] } },
    links: [],
  };
}

export function square(x: number, y: number, size = 1): GeoJsonGeometry {
  return {
    type: 'Polygon',
    coordinates: [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]],
  };
}

export function item(
  coll: string,
  id: string,
  props: Record<string, unknown> & { datetime: string | null },
  geometry: GeoJsonGeometry | null = square(0, 0),
): StacItem {
  return {
    type: 'Feature',
    stac_version: '1.1.0',
    stac_extensions: [],
    id,
    collection: coll,
    geometry,
    properties: props,
    links: [],
    assets: { data: { href: `https://example.test/${coll}/${id}.tif`, roles: ['data'] } },
  };
}

const day = (d: number): string => new Date(Date.UTC(2024, 0, 1) + d * 86400000).toISOString();

/**
 * c1: 30 items a00..a29, in groups of three sharing a datetime (ties), 1x1 squares at x = i, y = 0, cloud cover
 * i % 7 (null for every 5th), platform alternating. c2: special cases.
 */
export function fixture(): StacItem[] {
  const out: StacItem[] = [];
  for (let i = 0; i < 30; i++) {
    const id = `a${String(i).padStart(2, '0')}`;
    const props: Record<string, unknown> & { datetime: string } = {
      datetime: day(Math.floor(i / 3) * 10), // 2024-01-01, -01-11, -01-21, -01-31, -02-10, ... (10 distinct)
      platform: i % 2 === 0 ? 'sentinel-2a' : 'sentinel-2b',
    };
    if (i % 5 !== 0) props['eo:cloud_cover'] = i % 7;
    out.push(item('c1', id, props, square(i, 0)));
  }
  // Interval item 2024-03-01 .. 2024-03-31.
  out.push(item('c2', 'interval', { datetime: null, start_datetime: '2024-03-01T00:00:00Z', end_datetime: '2024-03-31T23:59:59Z' }, square(50, 50)));
  // Diagonal thin triangle whose bbox is [60,60,70,70] but which misses the box [66,60,70,63].
  out.push(item('c2', 'diagonal', { datetime: '2024-06-01T00:00:00Z' }, { type: 'Polygon', coordinates: [[[60, 60], [70, 70], [60, 70], [60, 60]]] }));
  // Either side of the antimeridian, and one far away.
  out.push(item('c2', 'east', { datetime: '2024-06-02T00:00:00Z' }, square(175, -5)));
  out.push(item('c2', 'west', { datetime: '2024-06-03T00:00:00Z' }, square(-176, -5)));
  out.push(item('c2', 'point', { datetime: '2024-06-04T12:00:00.123456Z' }, { type: 'Point', coordinates: [10.5, 45.25] }));
  out.push(item('c2', 'nogeom', { datetime: '2024-06-05T00:00:00Z' }, null));
  return out;
}

const ids = (items: StacItem[]): string[] => items.map((i) => i.id);

async function all(db: Db, q: Omit<ItemQuery, 'limit'>): Promise<string[]> {
  return ids((await searchItems(db, { ...q, limit: 1000 })).items);
}

async function rejects(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: { code?: string; message?: string }) => {
    assert.equal(e.code, code);
    assert.match(e.message ?? '', re);
    return true;
  });
}

/**
 * The cases. With `gistPath`, bbox searches skip the B-tree-ordered first try (it examines one row), so the
 * GiST fallback of src/store/search.ts answers them.
 */
export function storeCases(name: string, open: () => Promise<Db>, opts: { gistPath?: boolean } = {}): void {
  describe(`store on ${name}${opts.gistPath ? ', bbox through the GiST path' : ''}`, () => {
    let db: Db;
    const saved = { ...searchTuning };
    before(async () => {
      if (opts.gistPath) Object.assign(searchTuning, { orderedScanRows: 1, orderedScanRowsPerRow: 0 });
      db = await open();
      await upsertCollection(db, collection('c1'));
      await upsertCollection(db, collection('c2'));
    });
    after(async () => {
      Object.assign(searchTuning, saved);
      await db?.close();
    });

    test('migrations are idempotent', async () => {
      assert.deepEqual(await migrate(db), []);
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
      assert.ok(rows[0]!.n >= 1);
    });

    test('upsert counts inserts and updates; get returns the stored item', async () => {
      const items = fixture();
      assert.deepEqual(await upsertItems(db, items), { inserted: items.length, updated: 0 });
      const again = [items[0]!, items[1]!, item('c1', 'new1', { datetime: '2025-01-01T00:00:00Z' }), item('c1', 'new2', { datetime: '2025-01-02T00:00:00Z' })];
      assert.deepEqual(await upsertItems(db, again), { inserted: 2, updated: 2 });
      assert.deepEqual(await getItem(db, 'c1', 'a01'), items[1]);
      assert.deepEqual(await getItem(db, 'c2', 'point'), items.find((i) => i.id === 'point'));
      assert.equal(await getItem(db, 'c1', 'missing'), null);
      assert.equal(await getItem(db, 'c2', 'a01'), null);
      assert.equal((await getCollection(db, 'c1'))?.id, 'c1');
    });

    test('delete removes one item once', async () => {
      assert.equal(await deleteItem(db, 'c1', 'new1'), true);
      assert.equal(await deleteItem(db, 'c1', 'new1'), false);
      assert.equal(await deleteItem(db, 'c1', 'new2'), true);
      assert.equal(await getItem(db, 'c1', 'new1'), null);
    });

    test('bad items are rejected whole, naming the item', async () => {
      await rejects(upsertItems(db, [item('nope', 'x1', { datetime: '2024-01-01T00:00:00Z' })]), 'GEP_ERR_INVALID_INPUT', /x1.*"nope" does not exist/);
      await rejects(upsertItems(db, [item('c1', 'x2', { datetime: 'yesterday' })]), 'GEP_ERR_INVALID_INPUT', /x2.*RFC 3339/);
      await rejects(upsertItems(db, [item('c1', 'x3', { datetime: null })]), 'GEP_ERR_INVALID_INPUT', /x3.*start_datetime/);
      // One bad item in a batch stores nothing.
      await rejects(upsertItems(db, [item('c1', 'ok', { datetime: '2024-01-01T00:00:00Z' }), item('zz', 'x4', { datetime: '2024-01-01T00:00:00Z' })]), 'GEP_ERR_INVALID_INPUT', /x4/);
      assert.equal(await getItem(db, 'c1', 'ok'), null);
    });

    test('search by collection and ids', async () => {
      assert.equal((await all(db, { collections: ['c1'] })).length, 30);
      assert.deepEqual((await all(db, { collections: ['c2'] })).sort(), ['diagonal', 'east', 'interval', 'nogeom', 'point', 'west']);
      assert.equal((await all(db, { collections: ['c1', 'c2'] })).length, 36);
      assert.equal((await all(db, {})).length, 36);
      assert.deepEqual((await all(db, { ids: ['a05', 'east', 'zzz'] })).sort(), ['a05', 'east']);
      assert.deepEqual(await all(db, { collections: ['c2'], ids: ['a05'] }), []);
    });

    test('search by bbox: closed edges, exact geometry, antimeridian split, no geometry never matches', async () => {
      // Squares [i, i+1] x [0, 1]: the box [2.5, 0.2, 4, 0.5] meets a02, a03 and (on its edge x = 4) a04.
      assert.deepEqual((await all(db, { bbox: [2.5, 0.2, 4, 0.5] })).sort(), ['a02', 'a03', 'a04']);
      assert.deepEqual(await all(db, { bbox: [2.5, 2, 4, 3] }), []);
      // The triangle's bbox overlaps [66, 60, 70, 63] but the triangle (above the diagonal y = x) does not.
      assert.deepEqual(await all(db, { bbox: [66, 60, 70, 63] }), []);
      assert.deepEqual(await all(db, { bbox: [61, 65, 62, 66] }), ['diagonal']);
      // A box inside the triangle (no vertex and no edge of the triangle in it).
      assert.deepEqual(await all(db, { bbox: [61, 68, 61.5, 68.5] }), ['diagonal']);
      assert.deepEqual(await all(db, { bbox: [10, 45, 11, 46] }), ['point']);
      assert.deepEqual((await all(db, { bbox: [170, -10, -170, 10] })).sort(), ['east', 'west']);
      assert.equal((await all(db, { bbox: [-180, -90, 180, 90] })).length, 35); // all but nogeom
      // Space and time together (the GiST index holds both).
      const jan = { start: '2024-01-11T00:00:00Z', end: '2024-01-21T00:00:00Z' };
      assert.deepEqual(await all(db, { bbox: [0, 0, 30, 1], datetime: jan, sortby: [{ field: 'id', direction: 'asc' }] }), ['a03', 'a04', 'a05', 'a06', 'a07', 'a08']);
      assert.deepEqual(await all(db, { bbox: [4.5, 0, 30, 1], datetime: jan, sortby: [{ field: 'id', direction: 'asc' }] }), ['a04', 'a05', 'a06', 'a07', 'a08']);
      const mid = { start: '2024-03-15T00:00:00Z', end: '2024-03-15T00:00:00Z' };
      assert.deepEqual(await all(db, { bbox: [50.5, 50.5, 50.6, 50.6], datetime: mid }), ['interval']);
      assert.deepEqual(await all(db, { bbox: [50.5, 50.5, 50.6, 50.6], datetime: { start: null, end: '2024-02-01T00:00:00Z' } }), []);
      await rejects(searchItems(db, { bbox: [0, 10, 1, 5], limit: 10 }), 'GEP_ERR_INVALID_INPUT', /bbox/);
      await rejects(searchItems(db, { bbox: [0, 0, Number.NaN, 5] as [number, number, number, number], limit: 10 }), 'GEP_ERR_INVALID_INPUT', /bbox/);
    });

    test('search by datetime: ranges, open ends, instants, intervals', async () => {
      // c1 datetimes: 2024-01-01 + 10k days, k = 0..9, three items each.
      const c1 = { collections: ['c1'] };
      assert.equal((await all(db, { ...c1, datetime: { start: '2024-01-01T00:00:00Z', end: '2024-01-11T00:00:00Z' } })).length, 6);
      assert.equal((await all(db, { ...c1, datetime: { start: null, end: '2024-01-10T23:59:59Z' } })).length, 3);
      assert.equal((await all(db, { ...c1, datetime: { start: '2024-03-01T00:00:00Z', end: null } })).length, 12); // 03-01, 03-11, 03-21, 03-31
      assert.equal((await all(db, { ...c1, datetime: { start: '2024-01-21T00:00:00Z', end: '2024-01-21T00:00:00Z' } })).length, 3);
      assert.equal((await all(db, { ...c1, datetime: { start: '2024-01-21T00:00:01Z', end: '2024-01-21T00:00:01Z' } })).length, 0);
      // An instant inside the interval item; open ranges reaching into it; a range just after it.
      assert.deepEqual(await all(db, { collections: ['c2'], datetime: { start: '2024-03-15T00:00:00Z', end: '2024-03-15T00:00:00Z' } }), ['interval']);
      assert.deepEqual(await all(db, { collections: ['c2'], datetime: { start: null, end: '2024-03-01T00:00:00Z' } }), ['interval']);
      assert.deepEqual(await all(db, { collections: ['c2'], datetime: { start: '2024-04-01T00:00:00Z', end: '2024-05-01T00:00:00Z' } }), []);
      // Microseconds are kept.
      assert.deepEqual(await all(db, { datetime: { start: '2024-06-04T12:00:00.123456Z', end: '2024-06-04T12:00:00.123456Z' } }), ['point']);
      assert.deepEqual(await all(db, { datetime: { start: '2024-06-04T12:00:00.123457Z', end: null }, collections: ['c2'] }), ['nogeom']);
      await rejects(searchItems(db, { datetime: { start: '2024-02-01T00:00:00Z', end: '2024-01-01T00:00:00Z' }, limit: 1 }), 'GEP_ERR_INVALID_INPUT', /after/);
    });

    test('keyset paging over 3 pages returns each item once, in a stable order under ties', async () => {
      for (const direction of ['desc', 'asc'] as const) {
        const q: ItemQuery = { collections: ['c1'], sortby: [{ field: 'datetime', direction }], limit: 10 };
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await searchItems(db, { ...q, ...(cursor ? { cursor } : {}) });
          pages++;
          seen.push(...ids(page.items));
          cursor = page.next ?? undefined;
        } while (cursor);
        assert.equal(pages, 3);
        assert.equal(new Set(seen).size, 30);
        // datetime, then the id tie-breaker, both in the requested direction.
        const expected = fixture()
          .filter((i) => i.collection === 'c1')
          .sort((a, b) => (a.properties.datetime! < b.properties.datetime! ? -1 : a.properties.datetime! > b.properties.datetime! ? 1 : a.id < b.id ? -1 : 1))
          .map((i) => i.id);
        assert.deepEqual(seen, direction === 'asc' ? expected : expected.reverse());
        assert.deepEqual(await all(db, q), seen);
      }
    });

    test('paging across collections, on a nullable field, and with exact-geometry rejections', async () => {
      const queries: ItemQuery[] = [
        { limit: 7 },
        { limit: 4, sortby: [{ field: 'properties.eo:cloud_cover', direction: 'desc' }] },
        { limit: 5, sortby: [{ field: 'platform', direction: 'asc' }, { field: 'datetime', direction: 'desc' }] },
        { limit: 2, sortby: [{ field: 'id', direction: 'asc' }], bbox: [-180, -90, 180, 69.5] },
        { limit: 3, bbox: [0, 0, 70, 63], postFilter: (i) => i.id !== 'a10' },
      ];
      for (const q of queries) {
        const full = await all(db, q);
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await searchItems(db, { ...q, ...(cursor ? { cursor } : {}) });
          assert.ok(page.items.length <= q.limit);
          seen.push(...ids(page.items));
          cursor = page.next ?? undefined;
        } while (cursor);
        assert.deepEqual(seen, full, JSON.stringify(q.sortby));
        assert.equal(new Set(seen).size, seen.length);
      }
      const byCloud = await all(db, { collections: ['c1'], sortby: [{ field: 'eo:cloud_cover', direction: 'asc' }] });
      const cc = (id: string): number | null => {
        const i = Number(id.slice(1));
        return i % 5 === 0 ? null : i % 7;
      };
      const values = byCloud.map(cc);
      assert.deepEqual(values.slice(-6), [null, null, null, null, null, null]); // NULLS LAST
      for (let i = 1; i < 24; i++) assert.ok((values[i - 1] as number) <= (values[i] as number));
      // The triangle's bbox overlaps this box but the triangle does not: east is the only match.
      const one = await searchItems(db, { limit: 1, bbox: [66, -10, 180, 63] });
      assert.deepEqual([ids(one.items), one.next], [['east'], null]);
    });

    test('sort asc/desc on id, count, where, bad sort and cursor', async () => {
      const asc = await all(db, { collections: ['c2'], sortby: [{ field: 'id', direction: 'asc' }] });
      assert.deepEqual(asc, ['diagonal', 'east', 'interval', 'nogeom', 'point', 'west']);
      const desc = await all(db, { collections: ['c2'], sortby: [{ field: 'id', direction: 'desc' }] });
      assert.deepEqual(desc, [...asc].reverse());
      const r = await searchItems(db, { collections: ['c1'], limit: 2, count: true });
      assert.equal(r.matched, 30);
      assert.equal(r.items.length, 2);
      const where = { sql: "properties->>'platform' = $1 AND cloud_cover >= $2", params: ['sentinel-2a', 4] };
      const w = await all(db, { collections: ['c1'], where });
      const expect = fixture()
        .filter((i) => i.collection === 'c1' && i.properties.platform === 'sentinel-2a' && ((i.properties['eo:cloud_cover'] as number | undefined) ?? -1) >= 4)
        .map((i) => i.id);
      assert.deepEqual(w.sort(), expect.sort());
      await rejects(searchItems(db, { limit: 5, sortby: [{ field: 'properties.secret', direction: 'asc' }] }), 'GEP_ERR_INVALID_INPUT', /secret/);
      await rejects(searchItems(db, { limit: 5, cursor: 'garbage!' }), 'GEP_ERR_INVALID_INPUT', /cursor/);
      const page = await searchItems(db, { limit: 5 });
      await rejects(searchItems(db, { limit: 5, cursor: page.next!, sortby: [{ field: 'id', direction: 'asc' }] }), 'GEP_ERR_INVALID_INPUT', /different sortby/);
      await rejects(searchItems(db, { limit: 0 }), 'GEP_ERR_INVALID_INPUT', /limit/);
    });

    test('datetime histogram counts a known set', async () => {
      const month = await datetimeHistogram(db, { collections: ['c1'] }, 'month');
      // Days 0,10,20,30 -> Jan (12 items); 40,50 -> Feb (6); 60,70,80,90 -> Mar 1..31 (12; 2024 is a leap year).
      assert.deepEqual(month, [
        { key: '2024-01-01T00:00:00Z', count: 12 },
        { key: '2024-02-01T00:00:00Z', count: 6 },
        { key: '2024-03-01T00:00:00Z', count: 12 },
      ]);
      const year = await datetimeHistogram(db, {}, 'year');
      assert.deepEqual(year, [{ key: '2024-01-01T00:00:00Z', count: 36 }]);
      // 2024-01-01 is a Monday; 2024-01-11 falls in the week of 01-08.
      const week = await datetimeHistogram(db, { collections: ['c1'], datetime: { start: null, end: '2024-01-15T00:00:00Z' } }, 'week');
      assert.deepEqual(week, [{ key: '2024-01-01T00:00:00Z', count: 3 }, { key: '2024-01-08T00:00:00Z', count: 3 }]);
      const dayH = await datetimeHistogram(db, { bbox: [170, -10, -170, 10] }, 'day');
      assert.deepEqual(dayH, [{ key: '2024-06-02T00:00:00Z', count: 1 }, { key: '2024-06-03T00:00:00Z', count: 1 }]);
    });

    test('transactions roll back on error and nest as savepoints', async () => {
      await assert.rejects(
        db.transaction(async (tx) => {
          await deleteItem(tx, 'c1', 'a00');
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.notEqual(await getItem(db, 'c1', 'a00'), null);
      await db.transaction(async (tx) => {
        await assert.rejects(tx.transaction(async (t2) => {
          await deleteItem(t2, 'c1', 'a00');
          throw new Error('inner');
        }), /inner/);
        await deleteItem(tx, 'c1', 'a01');
      });
      assert.notEqual(await getItem(db, 'c1', 'a00'), null);
      assert.equal(await getItem(db, 'c1', 'a01'), null);
      await upsertItems(db, [fixture()[1]!]);
    });

    test('deleting a collection deletes its items', async () => {
      await upsertCollection(db, collection('c3'));
      await upsertItems(db, [item('c3', 'z', { datetime: '2024-01-01T00:00:00Z' })]);
      assert.equal(await deleteCollection(db, 'c3'), true);
      assert.equal(await getItem(db, 'c3', 'z'), null);
    });
  });
}
