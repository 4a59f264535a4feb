/**
 * /tiles, /preview.png and /tilejson.json on a COG held only in a blob store without local files (opened through
 * `store.url(key)`): the images are byte-identical to those of the same COG as a file; the public href the STAC
 * API shows (`<base>/assets/<key>`) is accepted as `url`; a replaced blob gets a new reader.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { tilesPlugin } from '../../src/api/plugins/tiles.ts';
import { buildServer, type ResolvedAsset } from '../../src/api/server.ts';
import { writeCog } from '../../src/raster/cog/write.ts';
import { openRaster } from '../../src/raster/open.ts';
import { tileForLonLat, tileTransform } from '../../src/raster/tile.ts';
import { makeRaster } from '../../src/raster/types.ts';
import { MemoryBlobStore } from './assets-blob-memory.ts';

const KEY = 'jobs/5/ramp.tif';

describe('tiles of a blob without a local file', () => {
  let dir = '';
  let app: FastifyInstance;
  const store = new MemoryBlobStore();
  let filePath = '';
  const opened: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gep-tiles-blob-'));
    const N = 512;
    const band = new Float32Array(N * N);
    for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) band[r * N + c] = r < 8 ? NaN : c * 3 + r;
    filePath = join(dir, 'ramp.tif');
    await writeCog(filePath, makeRaster([band], N, N, { transform: [400000, 20, 0, 5000000, 0, -20], crs: { epsg: 32633 }, nodata: NaN }), { tileSize: 256 });
    await store.put(KEY, await readFile(filePath));
    const resolveAsset = async (href: string): Promise<ResolvedAsset | null> => {
      if (href === 'file/ramp.tif') return { path: filePath };
      if (href === KEY || href === 'jobs/5/swap.tif') return store.blobs.has(href) ? { blob: { store, key: href } } : null;
      return null;
    };
    app = await buildServer({ baseUrl: 'http://maps.test', plugins: [tilesPlugin({ resolveAsset, open: (s) => (opened.push(s), openRaster(s)) })] });
  });
  after(async () => {
    await app?.close();
    store.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  test('tile, preview and TileJSON equal those of the same COG as a file; one reader and few HEADs for many tiles', async () => {
    const [x, y] = tileForLonLat(13.6, 45.1, 12);
    const heads = store.heads;
    let compared = 0;
    for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
      const q = `/tiles/12/${x + dx}/${y + dy}.png?colormap=viridis&url=`;
      const a = await app.inject({ url: q + encodeURIComponent('file/ramp.tif') });
      const b = await app.inject({ url: q + encodeURIComponent(KEY) });
      assert.equal(a.statusCode, 200, a.body);
      assert.equal(b.statusCode, 200, b.body);
      assert.equal(b.headers['content-type'], 'image/png');
      assert.ok(b.rawPayload.equals(a.rawPayload), `tile ${dx},${dy}`);
      compared++;
    }
    assert.equal(compared, 4);
    assert.equal(opened.filter((s) => s === store.url(KEY)).length, 1, 'the blob reader is opened once');
    assert.ok(store.heads - heads <= 2, `${store.heads - heads} HEADs for 4 tiles`);
    const pa = await app.inject({ url: `/preview.png?max_size=200&url=file/ramp.tif` });
    const pb = await app.inject({ url: `/preview.png?max_size=200&url=${encodeURIComponent(KEY)}` });
    assert.equal(pb.statusCode, 200, pb.body);
    assert.ok(pb.rawPayload.equals(pa.rawPayload));
    const ta = (await app.inject({ url: `/tilejson.json?url=file/ramp.tif` })).json() as Record<string, unknown>;
    const tb = (await app.inject({ url: `/tilejson.json?url=${encodeURIComponent(KEY)}` })).json() as Record<string, unknown>;
    for (const k of ['bounds', 'center', 'minzoom', 'maxzoom', 'legend']) assert.deepEqual(tb[k], ta[k], k);
  });

  test('the public /assets href of the blob is accepted as url; unknown ones are 404', async () => {
    const [x, y] = tileForLonLat(13.6, 45.1, 12);
    const q = `/tiles/12/${x}/${y}.png?url=`;
    const a = await app.inject({ url: q + encodeURIComponent(KEY) });
    const b = await app.inject({ url: q + encodeURIComponent(`http://maps.test/assets/${KEY}`) });
    assert.equal(b.statusCode, 200, b.body);
    assert.ok(b.rawPayload.equals(a.rawPayload));
    for (const bad of ['http://maps.test/assets/jobs/5/none.tif', 'http://maps.test/assets/jobs/5/%2e%2e/x.tif', 'http://other.test/assets/jobs/5/ramp.tif']) {
      const r = await app.inject({ url: q + encodeURIComponent(bad) });
      assert.equal(r.statusCode, 404, bad);
    }
  });

  test('a replaced blob gets a new reader once its version is re-read', async () => {
    const key = 'jobs/5/swap.tif';
    const one = join(dir, 'one.tif');
    const raster = makeRaster([new Uint8Array(256 * 256).fill(10)], 256, 256, { transform: tileTransform(5, 17, 11), crs: { epsg: 3857 } });
    await writeCog(one, raster);
    await store.put(key, await readFile(one));
    const first = await app.inject({ url: `/tiles/5/17/11.png?url=${key}` });
    assert.equal(first.statusCode, 200, first.body);
    await writeCog(one, { ...raster, bands: [new Uint8Array(256 * 256).fill(200)] });
    await store.put(key, await readFile(one));
    await new Promise((r) => setTimeout(r, 1100)); // the head memo of /tiles lasts one second
    const second = await app.inject({ url: `/tiles/5/17/11.png?url=${key}` });
    assert.equal(second.statusCode, 200);
    assert.notEqual(second.headers.etag, first.headers.etag);
    assert.ok(!second.rawPayload.equals(first.rawPayload), 'the new content is rendered');
  });
});
