/**
 * Harvesting from a fake STAC API on loopback (node:http): paging through POST and GET `next` links, a 503 that
 * succeeds on retry, a harvest interrupted and resumed, malformed and oversized items skipped and counted, a
 * server answering garbage, and the GET fallback for servers without POST /search.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { harvest, harvestKey } from '../../src/catalog/harvest.ts';
import { GepError } from '../../src/core/errors.ts';
import type { StacItem } from '../../src/core/stac.ts';
import { openDb } from '../../src/store/db.ts';
import type { Db } from '../../src/store/db.ts';
import { getCollection, getItem } from '../../src/store/items.ts';

const item = (id: string, collection = 'c1', day = 1): StacItem => ({
  type: 'Feature',
  stac_version: '1.0.0',
  stac_extensions: [],
  id,
  collection,
  geometry: { type: 'Polygon', coordinates: [[[10, 45], [11, 45], [11, 46], [10, 46], [10, 45]]] },
  bbox: [10, 45, 11, 46],
  properties: { datetime: `2024-05-${String(day).padStart(2, '0')}T10:00:00Z`, 'eo:cloud_cover': day },
  links: [{ rel: 'self', href: `/collections/${collection}/items/${id}` }],
  assets: { data: { href: `data/${id}.tif`, type: 'image/tiff' } },
});

/** Pages of 5 items: p1 (ids a0..a4), p2 (a5..a9), p3 (a10..a14). */
const PAGES: StacItem[][] = [0, 1, 2].map((p) => Array.from({ length: 5 }, (_, i) => item(`a${p * 5 + i}`, 'c1', p * 5 + i + 1)));

interface Fake {
  url: string;
  server: Server;
  requests: string[];
  /** Per-request override: return true when handled. */
  hook: ((req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>) => boolean) | null;
  /** Serve GET /search only (POST -> 405), next links as GET hrefs. */
  getOnly: boolean;
  fail503: Set<number>;
}

async function startFake(): Promise<Fake> {
  const fake = { requests: [] as string[], hook: null, getOnly: false, fail503: new Set<number>() } as unknown as Fake;
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  fake.server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      const u = new URL(req.url ?? '/', 'http://x');
      const page = req.method === 'POST' ? Number(body.page ?? 1) : Number(u.searchParams.get('page') ?? 1);
      fake.requests.push(`${req.method} ${u.pathname}${req.method === 'POST' && u.pathname === '/api/search' ? ` page=${page}` : u.search}`);
      if (fake.hook?.(req, res, body)) return;
      if (req.method === 'GET' && u.pathname === '/api/collections/c1')
        return send(res, 200, { type: 'Collection', id: 'c1', description: 'test', license: 'CC-BY-4.0', extent: { spatial: { bbox: [[10, 45, 11, 46]] }, temporal: { interval: [['2024-05-01T00:00:00Z', null]] } }, links: [{ rel: 'self', href: 'x' }] });
      if (req.method === 'GET' && u.pathname.startsWith('/api/collections/')) return send(res, 404, { code: 'NotFound' });
      if (u.pathname !== '/api/search') return send(res, 404, {});
      if (req.method === 'POST' && fake.getOnly) return send(res, 405, {});
      if (fake.fail503.has(page)) {
        fake.fail503.delete(page);
        return send(res, 503, 'busy');
      }
      const feats = PAGES[page - 1] ?? [];
      const links =
        page < PAGES.length
          ? [fake.getOnly ? { rel: 'next', href: `search?page=${page + 1}&limit=5` } : { rel: 'next', href: `${fake.url}/search`, method: 'POST', body: { page: page + 1 }, merge: true }]
          : [];
      send(res, 200, { type: 'FeatureCollection', features: feats, links, numberMatched: 15 });
    });
  });
  await new Promise<void>((r) => fake.server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}/api`;
  return fake;
}

describe('harvest from a STAC API', () => {
  let fake: Fake;
  let db: Db;
  before(async () => {
    fake = await startFake();
    db = await openDb('memory://'); // one database for the file (opening PGlite costs seconds)
  });
  after(async () => {
    await new Promise<void>((r) => fake.server.close(() => r()));
  });
  /** Empties the database and resets the fake server before each test. */
  const fresh = async (): Promise<Db> => {
    await db.exec('DELETE FROM harvest_state; DELETE FROM collections;');
    fake.requests = [];
    fake.hook = null;
    fake.getOnly = false;
    fake.fail503.clear();
    return db;
  };
  after(async () => db?.close());
  const count = async (): Promise<number> => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM items')).rows[0]!.n;

  test('3 pages through POST next links (merged bodies); a 503 on page 2 succeeds on retry', async () => {
    await fresh();
    fake.fail503.add(2);
    const r = await harvest(db, { from: fake.url, collections: ['c1'], pageSize: 5, retryDelayMs: 5 });
    assert.deepEqual({ items: r.items, pages: r.pages, skipped: r.skipped, resumedFrom: r.resumedFrom }, { items: 15, pages: 3, skipped: 0, resumedFrom: undefined });
    assert.deepEqual(fake.requests, ['GET /api/collections/c1', 'POST /api/search page=1', 'POST /api/search page=2', 'POST /api/search page=2', 'POST /api/search page=3']);
    assert.equal(await count(), 15);
    const c = await getCollection(db, 'c1');
    assert.equal(c?.license, 'CC-BY-4.0');
    assert.ok(c?.links.some((l) => l.rel === 'via' && l.href === `${fake.url}/collections/c1`));
    assert.ok(!c?.links.some((l) => l.rel === 'self'));
    const a7 = await getItem(db, 'c1', 'a7');
    assert.equal(a7?.properties.datetime, '2024-05-08T10:00:00Z');
    // Relative hrefs resolved against the page URL; the source's self link kept as 'via'.
    assert.equal(a7?.assets.data?.href, `${fake.url}/data/a7.tif`);
    assert.deepEqual(a7?.links.map((l) => l.rel), ['via']);
    assert.equal(a7?.links[0]?.href, `http://127.0.0.1:${new URL(fake.url).port}/collections/c1/items/a7`);
    const st = await db.query<{ complete: boolean; pages: number; items: number }>('SELECT complete, pages, items FROM harvest_state WHERE key = $1', [harvestKey({ from: fake.url, collections: ['c1'] })]);
    assert.deepEqual(st.rows[0], { complete: true, pages: 3, items: 15 });
  });

  test('retries are bounded: a server that keeps failing is a GEP_ERR_REMOTE naming the URL', async () => {
    await fresh();
    fake.hook = (req, res) => {
      if (req.url?.startsWith('/api/search')) {
        res.writeHead(502).end();
        return true;
      }
      return false;
    };
    await assert.rejects(harvest(db, { from: fake.url, collections: ['c1'], retries: 2, retryDelayMs: 5 }), (e: GepError) => {
      assert.equal(e.code, 'GEP_ERR_REMOTE');
      assert.match(e.message, /POST http:\/\/127\.0\.0\.1:\d+\/api\/search failed after 3 attempts: HTTP 502/);
      return true;
    });
    assert.equal(fake.requests.filter((r) => r.startsWith('POST')).length, 3);
  });

  test('an interrupted harvest resumes from the first page not stored', async () => {
    await fresh();
    const ac = new AbortController();
    // Killed after page 1 was stored (the abort lands before page 2 is asked for).
    await assert.rejects(
      harvest(db, { from: fake.url, collections: ['c1'], pageSize: 5, signal: ac.signal, progress: (_f, m) => m?.includes('page 1') && ac.abort() }),
      (e: GepError) => e.code === 'GEP_ERR_ABORTED',
    );
    assert.equal(await count(), 5);
    // Page 3 then fails for good: the run stops with page 2 stored.
    fake.hook = (req, res, body) => {
      if (req.method === 'POST' && body.page === 3) {
        res.writeHead(500).end('down');
        return true;
      }
      return false;
    };
    const second = harvest(db, { from: fake.url, collections: ['c1'], pageSize: 5, retries: 1, retryDelayMs: 5 });
    await assert.rejects(second, /failed after 2 attempts: HTTP 500/);
    assert.equal(await count(), 10);
    fake.hook = null;
    fake.requests = [];
    const r = await harvest(db, { from: fake.url, collections: ['c1'], pageSize: 5 });
    assert.equal(r.resumedFrom, `${fake.url}/search`);
    assert.deepEqual({ items: r.items, pages: r.pages }, { items: 5, pages: 1 });
    assert.deepEqual(fake.requests, ['GET /api/collections/c1', 'POST /api/search page=3']);
    assert.equal(await count(), 15);
    // Complete: the next run starts over (and updates, not duplicates).
    const again = await harvest(db, { from: fake.url, collections: ['c1'], pageSize: 5 });
    assert.equal(again.resumedFrom, undefined);
    assert.equal(again.items, 15);
    assert.equal(await count(), 15);
  });

  test('malformed and oversized items are skipped and counted with clear reasons', async () => {
    await fresh();
    const good = item('ok1');
    const bad: unknown[] = [
      { ...item('x1'), id: '' },
      { ...item('x2'), geometry: { type: 'Polygon', coordinates: [[[10, 45], [11, 'a'], [11, 46], [10, 45]]] } },
      { ...item('x3'), properties: { datetime: 'yesterday' } },
      { ...item('x4'), bbox: [10, 46, 11, 45] },
      { ...item('x5'), assets: { data: { title: 'no href' } } },
      { ...item('x6'), assets: { big: { href: 'b.tif', description: 'x'.repeat(1_100_000) } } },
      { ...item('x7'), collection: 'other' },
      'not an object',
      { ...item('x8'), type: 'Collection' },
    ];
    fake.hook = (req, res) => {
      if (req.url === '/api/search') {
        res.writeHead(200, { 'content-type': 'application/geo+json' });
        res.end(JSON.stringify({ type: 'FeatureCollection', features: [good, ...bad], links: [] }));
        return true;
      }
      return false;
    };
    const r = await harvest(db, { from: fake.url, collections: ['c1'] });
    assert.equal(r.items, 1);
    assert.equal(r.skipped, bad.length);
    const reasons = r.skippedReasons.join('\n');
    for (const re of [/id must be a non-empty string/, /position must be 2 or 3 finite numbers/, /datetime must be an RFC 3339/, /south > north/, /asset "data" must be an object with a string href/, /x6.* bytes of JSON \(at most 1000000\)/, /in collection "other", not one harvested/, /expected a JSON object/, /type must be "Feature"/])
      assert.match(reasons, re);
    assert.ok(await getItem(db, 'c1', 'ok1'));
  });

  test('a server answering garbage: GEP_ERR_REMOTE that names the URL and shows what came back', async () => {
    await fresh();
    fake.hook = (req, res) => {
      if (req.url === '/api/search') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('<html>Gateway says hello</html>');
        return true;
      }
      return false;
    };
    await assert.rejects(harvest(db, { from: fake.url, collections: ['c1'] }), (e: GepError) => {
      assert.equal(e.code, 'GEP_ERR_REMOTE');
      assert.match(e.message, /\/api\/search: search page 1 is not JSON \(starts with "<html>Gateway says hello<\/html>"\)/);
      return true;
    });
    fake.hook = (req, res) => {
      if (req.url === '/api/search') {
        res.writeHead(200).end('{"type":"FeatureCollection","features":{}}');
        return true;
      }
      return false;
    };
    await assert.rejects(harvest(db, { from: fake.url, collections: ['c1'] }), /not a FeatureCollection/);
  });

  test('GET fallback when POST /search is refused; relative GET next links; limit stops mid-page and resumes there', async () => {
    await fresh();
    fake.getOnly = true;
    const r = await harvest(db, { from: fake.url, collections: ['c1'], pageSize: 5, bbox: [9, 44, 12, 47], datetime: '2024-05-01T00:00:00Z/..', limit: 7 });
    assert.equal(r.items, 7);
    assert.equal(fake.requests[1], 'POST /api/search page=1');
    assert.match(fake.requests[2]!, /^GET \/api\/search\?collections=c1&limit=5&bbox=9%2C44%2C12%2C47&datetime=2024-05-01T00%3A00%3A00Z%2F\.\.$/);
    assert.equal(fake.requests[3], 'GET /api/search?page=2&limit=5');
    assert.equal(await count(), 7);
    const next = await harvest(db, { from: fake.url, collections: ['c1'], pageSize: 5, bbox: [9, 44, 12, 47], datetime: '2024-05-01T00:00:00Z/..' });
    assert.equal(next.resumedFrom, `${fake.url}/search?page=2&limit=5`);
    assert.equal(next.items, 10); // page 2 again (only 2 of its items were kept) and page 3
    assert.equal(await count(), 15);
  });

  test('unknown collection and bad options', async () => {
    await fresh();
    await assert.rejects(harvest(db, { from: fake.url, collections: ['nope'] }), (e: GepError) => e.code === 'GEP_ERR_NOT_FOUND' && /has no collection "nope"/.test(e.message));
    await assert.rejects(harvest(db, { from: 'ftp://x', collections: ['c1'] }), /--from must be an http\(s\) URL/);
    await assert.rejects(harvest(db, { from: fake.url, collections: [] }), /at least one collection/);
    await assert.rejects(harvest(db, { from: fake.url, collections: ['c1'], bbox: [0, 10, 1, 5] }), /--bbox must be/);
  });
});
