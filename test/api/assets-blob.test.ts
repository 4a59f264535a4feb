/**
 * /assets over a blob store without local files (as S3): the platform resolver answers `{ blob }`, and the plugin
 * streams the blob from the store with the same ranges, validators and conditional requests as files. A client
 * that goes away stops the store's stream; GDAL reads the COG through /vsicurl/ at the href the item JSON shows.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import type { StacItem } from '../../src/core/stac.ts';
import { COG_TYPE } from '../../src/api/plugins/assets.ts';
import { stacPlugin } from '../../src/api/plugins/stac.ts';
import { buildServer } from '../../src/api/server.ts';
import { makeResolver } from '../../src/platform/app.ts';
import { writeCog } from '../../src/raster/cog/write.ts';
import { makeRaster } from '../../src/raster/types.ts';
import { openDb, type Db } from '../../src/store/db.ts';
import { upsertCollection, upsertItems } from '../../src/store/items.ts';
import { skipUnlessGdal } from '../helpers/env.ts';
import { CHUNK, MemoryBlobStore } from './assets-blob-memory.ts';
import { collection } from './stac-fixture.ts';

const run = promisify(execFile);
const COG_KEY = 'jobs/9/velocity.tif';

describe('assets from a blob store without local files', () => {
  let dir = '';
  let db: Db;
  let app: FastifyInstance;
  const store = new MemoryBlobStore();
  let cog = Buffer.alloc(0);
  let cogPath = '';
  const big = Buffer.alloc(3 * 1024 * 1024 + 17);
  let resolve: ReturnType<typeof makeResolver>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gep-assets-blob-'));
    const W = 600;
    const H = 400;
    const band = new Uint16Array(W * H);
    for (let i = 0; i < band.length; i++) band[i] = (i * 7919) % 65521;
    cogPath = join(dir, 'velocity.tif');
    await writeCog(cogPath, makeRaster([band], W, H, { transform: [500000, 10, 0, 4000000, 0, -10], crs: { epsg: 32633 } }), { tileSize: 256 });
    cog = await readFile(cogPath);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 8)) & 255;
    await store.put(COG_KEY, cog);
    await store.put('jobs/9/log.txt', Buffer.from('hello blob\n'));
    await store.put('jobs/9/empty.bin', new Uint8Array(0));
    await store.put('jobs/9/big.bin', big, { contentType: 'application/x-test' });
    await store.put('thumbnails/c/a.png', new Uint8Array([137, 80, 78, 71]), { contentType: 'image/png' });
    db = await openDb('memory://');
    await upsertCollection(db, collection('c'));
    const it: StacItem = {
      type: 'Feature', stac_version: '1.1.0', stac_extensions: [], id: 'a', collection: 'c', geometry: null,
      properties: { datetime: '2021-01-01T00:00:00Z' }, links: [],
      assets: { velocity: { href: COG_KEY, type: COG_TYPE, roles: ['data'] }, thumb: { href: 'thumbnails/c/a.png', roles: ['thumbnail'] } },
    };
    await upsertItems(db, [it]);
    resolve = makeResolver(db, store, join(dir, 'data'));
    app = await buildServer({ resolveAsset: resolve, plugins: [stacPlugin({ db, dataDir: join(dir, 'data') })] });
  });
  after(async () => {
    await app?.close();
    await db?.close();
    store.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  test('the resolver answers { blob } (type from the blob head) when the store has no local file', async () => {
    assert.deepEqual(await resolve(COG_KEY), { blob: { store, key: COG_KEY } });
    assert.deepEqual(await resolve('thumbnails/c/a.png'), { blob: { store, key: 'thumbnails/c/a.png' }, type: 'image/png' });
    assert.equal(await resolve('jobs/9/none.tif'), null);
  });

  test('whole blobs: bytes identical, store ETag (strong, quoted), Last-Modified, types from head / sniffing / name', async () => {
    const h = (await store.head(COG_KEY))!;
    const res = await app.inject({ url: `/assets/${COG_KEY}` });
    assert.equal(res.statusCode, 200);
    assert.ok(res.rawPayload.equals(cog));
    assert.equal(Number(res.headers['content-length']), cog.length);
    assert.equal(res.headers['content-type'], COG_TYPE, 'COG layout marker sniffed from the first bytes');
    assert.equal(res.headers.etag, h.etag);
    assert.match(String(res.headers.etag), /^"[0-9a-f]{32}"$/);
    assert.equal(res.headers['last-modified'], h.modified!.toUTCString());
    assert.equal(res.headers['accept-ranges'], 'bytes');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['content-security-policy'], "default-src 'none'; sandbox");
    const txt = await app.inject({ url: '/assets/jobs/9/log.txt' });
    assert.equal(txt.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(txt.body, 'hello blob\n');
    const png = await app.inject({ url: '/assets/thumbnails/c/a.png' });
    assert.equal(png.headers['content-type'], 'image/png');
    assert.deepEqual([...png.rawPayload], [137, 80, 78, 71]);
    const b = await app.inject({ url: '/assets/jobs/9/big.bin' });
    assert.equal(b.headers['content-type'], 'application/x-test');
    assert.ok(b.rawPayload.equals(big));
    const empty = await app.inject({ url: '/assets/jobs/9/empty.bin' });
    assert.equal(empty.statusCode, 200);
    assert.equal(empty.headers['content-length'], '0');
    assert.equal((await app.inject({ url: '/assets/jobs/9/empty.bin', headers: { range: 'bytes=0-0' } })).statusCode, 416);
    assert.equal((await app.inject({ url: '/assets/jobs/9/missing.bin' })).statusCode, 404);
  });

  test('ranges: 206 with the exact bytes, asked of the store as one range; 416; several ranges -> 200', async () => {
    const size = big.length;
    for (const [hdr, s, e] of [
      ['bytes=0-99', 0, 99],
      [`bytes=${CHUNK - 5}-${3 * CHUNK + 7}`, CHUNK - 5, 3 * CHUNK + 7],
      ['bytes=100000-', 100000, size - 1],
      ['bytes=-50', size - 50, size - 1],
      [`bytes=${size - 10}-${size + 100}`, size - 10, size - 1],
    ] as const) {
      const before = store.gets.length;
      const res = await app.inject({ url: '/assets/jobs/9/big.bin', headers: { range: hdr } });
      assert.equal(res.statusCode, 206, hdr);
      assert.equal(res.headers['content-range'], `bytes ${s}-${e}/${size}`);
      assert.equal(Number(res.headers['content-length']), e - s + 1);
      assert.ok(res.rawPayload.equals(big.subarray(s, e + 1)), hdr);
      assert.deepEqual(store.gets.slice(before).map((g) => g.range), [{ start: s, end: e }], hdr);
    }
    const bad = await app.inject({ url: '/assets/jobs/9/big.bin', headers: { range: `bytes=${size}-` } });
    assert.equal(bad.statusCode, 416);
    assert.equal(bad.headers['content-range'], `bytes */${size}`);
    assert.match(String(bad.headers['content-type']), /problem\+json/);
    for (const hdr of ['bytes=10-5', 'bytes=0-1,4-5', 'lines=1-2']) {
      const res = await app.inject({ url: '/assets/jobs/9/big.bin', headers: { range: hdr } });
      assert.equal(res.statusCode, 200, hdr);
      assert.ok(res.rawPayload.equals(big), hdr);
    }
  });

  test('HEAD reads nothing from the store; 304 for If-None-Match / If-Modified-Since; If-Range by tag and by date', async () => {
    const gets = store.gets.length;
    const head = await app.inject({ method: 'HEAD', url: '/assets/jobs/9/big.bin' });
    assert.equal(head.statusCode, 200);
    assert.equal(Number(head.headers['content-length']), big.length);
    assert.equal(head.rawPayload.length, 0);
    const headRange = await app.inject({ method: 'HEAD', url: '/assets/jobs/9/big.bin', headers: { range: 'bytes=0-9' } });
    assert.equal(headRange.statusCode, 206);
    assert.equal(headRange.headers['content-length'], '10');
    const etag = String(head.headers.etag);
    const lm = String(head.headers['last-modified']);
    for (const headers of [{ 'if-none-match': etag }, { 'if-none-match': `"x", W/${etag}` }, { 'if-modified-since': lm }, { 'if-none-match': '*' }]) {
      const r = await app.inject({ url: '/assets/jobs/9/big.bin', headers });
      assert.equal(r.statusCode, 304, JSON.stringify(headers));
      assert.equal(r.rawPayload.length, 0);
    }
    assert.equal(store.gets.length, gets, 'no blob stream opened for HEAD or 304');
    assert.equal((await app.inject({ url: '/assets/jobs/9/log.txt', headers: { 'if-none-match': '"other"' } })).statusCode, 200);
    const older = new Date(Date.parse(lm) - 5000).toUTCString();
    assert.equal((await app.inject({ url: '/assets/jobs/9/log.txt', headers: { 'if-modified-since': older } })).statusCode, 200);
    assert.equal((await app.inject({ url: '/assets/jobs/9/big.bin', headers: { range: 'bytes=0-9', 'if-range': '"stale"' } })).statusCode, 200);
    assert.equal((await app.inject({ url: '/assets/jobs/9/big.bin', headers: { range: 'bytes=0-9', 'if-range': older } })).statusCode, 200);
    const byTag = await app.inject({ url: '/assets/jobs/9/big.bin', headers: { range: 'bytes=0-9', 'if-range': etag } });
    assert.equal(byTag.statusCode, 206);
    assert.ok(byTag.rawPayload.equals(big.subarray(0, 10)));
    assert.equal((await app.inject({ url: '/assets/jobs/9/big.bin', headers: { range: 'bytes=0-9', 'if-range': lm } })).statusCode, 206);
  });

  test('a listening server: a client that goes away stops the store stream; GDAL reads the href of the item JSON', async (t) => {
    const addr = await app.listen({ host: '127.0.0.1', port: 0 });
    const before = store.gets.length;
    await new Promise<void>((resolveDone, reject) => {
      const req = httpGet(`${addr}/assets/jobs/9/big.bin`, (res) => {
        res.once('data', () => {
          req.destroy();
          resolveDone();
        });
      });
      req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
    });
    const rec = store.gets[before]!;
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([rec.closed.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 5000)))]);
    clearTimeout(timer);
    assert.ok(closed, 'the store stream is closed within 5 s');
    assert.equal(rec.destroyed, true, 'the store stream is destroyed');
    assert.ok(rec.pushed < big.length / 2, `read ${rec.pushed} of ${big.length} bytes`);

    const item = (await (await fetch(`${addr}/collections/c/items/a`)).json()) as StacItem;
    const href = item.assets.velocity!.href;
    assert.equal(href, `${addr}/assets/${COG_KEY}`);
    assert.equal(item.assets.thumb!.href, `${addr}/assets/thumbnails/c/a.png`);
    const whole = await fetch(href);
    assert.ok(Buffer.from(await whole.arrayBuffer()).equals(cog));

    await t.test('gdalinfo /vsicurl/<href> matches the local COG', skipUnlessGdal(), async () => {
      const env = { ...process.env, GDAL_HTTP_MULTIRANGE: 'NO', CPL_VSIL_CURL_ALLOWED_EXTENSIONS: '.tif', GDAL_DISABLE_READDIR_ON_OPEN: 'EMPTY_DIR' };
      type Info = { size: number[]; bands: { checksum: number }[]; coordinateSystem?: { wkt: string } };
      // Asynchronous: the server runs in this process, so a blocking child would deadlock it.
      const remote = JSON.parse((await run('gdalinfo', ['-json', '-checksum', `/vsicurl/${href}`], { env })).stdout) as Info;
      const local = JSON.parse((await run('gdalinfo', ['-json', '-checksum', cogPath])).stdout) as Info;
      assert.deepEqual(remote.size, [600, 400]);
      assert.equal(remote.bands[0]!.checksum, local.bands[0]!.checksum);
      assert.equal(remote.coordinateSystem?.wkt, local.coordinateSystem?.wkt);
    });
  });
});
