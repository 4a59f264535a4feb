/**
 * Ingestion through a STAC transaction API (`gep ingest --server`), against a tiny fake server on loopback:
 * a missing collection is created once, items are POSTed and PUT when they exist (409), a refused item is
 * reported with its path while the others go on; and thumbnails of large images come from overviews.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingestInto } from '../../src/catalog/ingest.ts';
import { serverTarget } from '../../src/catalog/ingest-server.ts';
import { makeThumbnail } from '../../src/catalog/thumbnails.ts';
import type { StacItem } from '../../src/core/stac.ts';
import { writeCog } from '../../src/raster/cog/write.ts';
import { makeRaster } from '../../src/raster/types.ts';
import { openProduct } from '../../src/sensors/index.ts';
import type { ReadOptions } from '../../src/sensors/types.ts';

async function cog(path: string, w: number, h: number, bands = 1): Promise<void> {
  const arrays = Array.from({ length: bands }, (_, b) => {
    const a = new Uint16Array(w * h);
    for (let i = 0; i < a.length; i++) a[i] = ((i % w) * 3 + Math.floor(i / w) * 2 + b * 500) % 4000;
    return a;
  });
  await writeCog(path, makeRaster(arrays, w, h, { transform: [500000, 10, 0, 5000000, 0, -10], crs: { epsg: 32632 }, nodata: 0 }));
}

describe('ingest through the STAC transaction API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gep-ingest-srv-'));
  let server: Server;
  let url: string;
  const collections = new Map<string, unknown>();
  const items = new Map<string, StacItem>();
  const log: string[] = [];

  before(async () => {
    for (const d of ['20240101', '20240102', '20240103']) await cog(join(dir, `scene_${d}.tif`), 80, 60);
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        log.push(`${req.method} ${path}`);
        const send = (status: number, body?: unknown): void => {
          res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' });
          res.end(body === undefined ? '' : JSON.stringify(body));
        };
        const body = raw ? (JSON.parse(raw) as { id: string; collection?: string }) : null;
        let m: RegExpExecArray | null;
        if (req.method === 'GET' && (m = /^\/stac\/collections\/([^/]+)$/.exec(path))) return collections.has(m[1]!) ? send(200, collections.get(m[1]!)) : send(404, { title: 'Not Found' });
        if (req.method === 'POST' && path === '/stac/collections') {
          collections.set(body!.id, body);
          return send(201, body);
        }
        if ((m = /^\/stac\/collections\/([^/]+)\/items(?:\/([^/]+))?$/.exec(path))) {
          const key = `${m[1]}/${body?.id}`;
          if (body?.id === 'scene_20240103') return send(400, { title: 'Bad Request', detail: 'item scene_20240103: refused by policy' });
          if (req.method === 'POST' && !m[2]) {
            if (items.has(key)) return send(409, { title: 'Conflict', detail: `item ${body!.id} exists` });
            items.set(key, body as StacItem);
            return send(201, body);
          }
          if (req.method === 'PUT' && m[2] === body?.id) {
            items.set(key, body as StacItem);
            return send(200, body);
          }
        }
        send(404, { title: 'Not Found' });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stac`;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('POST new items, PUT on 409, collection created once; a refused item is reported with its path', async () => {
    const target = serverTarget(url, { retryDelayMs: 5 });
    const r1 = await ingestInto(target, [dir]);
    assert.equal(r1.inserted, 2);
    assert.equal(r1.errors.length, 1);
    assert.equal(r1.errors[0]!.path, join(dir, 'scene_20240103.tif'));
    assert.match(r1.errors[0]!.message, /POST http:\/\/127\.0\.0\.1:\d+\/stac\/collections\/geotiff\/items \(item scene_20240103\): HTTP 400 \(item scene_20240103: refused by policy\)/);
    assert.equal((collections.get('geotiff') as { license: string }).license, 'other');
    assert.equal(log.filter((l) => l === 'POST /stac/collections').length, 1);
    assert.equal(items.get('geotiff/scene_20240101')?.properties.datetime, '2024-01-01T00:00:00Z');
    assert.equal(items.get('geotiff/scene_20240101')?.assets.B1?.href, join(dir, 'scene_20240101.tif'));
    log.length = 0;
    const r2 = await ingestInto(serverTarget(url, { retryDelayMs: 5 }), [dir]);
    assert.deepEqual({ inserted: r2.inserted, updated: r2.updated, errors: r2.errors.length }, { inserted: 0, updated: 2, errors: 1 });
    assert.ok(log.includes('PUT /stac/collections/geotiff/items/scene_20240101'));
    assert.equal(log.filter((l) => l === 'POST /stac/collections').length, 0);
    assert.equal(items.size, 2);
  });

  test('a server that is down: every product reported, no crash', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const r = await ingestInto(serverTarget(`http://127.0.0.1:${port}/stac`, { retries: 0 }), [join(dir, 'scene_20240101.tif')]);
    assert.equal(r.items.length, 0);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]!.message, /scene_20240101\.tif: not stored: GET http:\/\/127\.0\.0\.1:\d+\/stac\/collections\/geotiff failed after 1 attempt: .*ECONNREFUSED/);
  });

  test('thumbnails of a large COG are read from an overview and are at most 256 px', async () => {
    const p = join(dir, 'big', 'rgb_20240105.tif');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'big'));
    await cog(p, 1100, 700, 3);
    const prod = await openProduct(p);
    const levels: number[] = [];
    const read = prod.readBand.bind(prod);
    prod.readBand = (name: string, o?: ReadOptions) => {
      levels.push(o?.overview ?? 0);
      return read(name, o);
    };
    const png = await makeThumbnail(prod);
    await prod.close();
    assert.ok(png);
    const dv = new DataView(png.buffer, png.byteOffset);
    assert.deepEqual([dv.getUint32(16), dv.getUint32(20)], [256, 162]);
    assert.deepEqual(levels, [2, 2, 2], 'three bands read at overview 2 (275 x 175)');
  });
});
