/**
 * The platform on an S3-compatible blob store (s3rver on loopback, src/store/blobs-s3.ts): catalogue assets held
 * only in the bucket are shown as `<base>/assets/<key>`, downloaded whole and by range with the bucket's ETag,
 * rendered by /tiles through `s3://` (the same PNG as from the file), and read by GDAL through /vsicurl/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import type { StacItem } from '../../src/core/stac.ts';
import { COG_TYPE } from '../../src/api/plugins/assets.ts';
import { tilesPlugin } from '../../src/api/plugins/tiles.ts';
import { buildServer } from '../../src/api/server.ts';
import { createApp, type App } from '../../src/platform/app.ts';
import { writeCog } from '../../src/raster/cog/write.ts';
import { tileForLonLat } from '../../src/raster/tile.ts';
import { makeRaster } from '../../src/raster/types.ts';
import { upsertCollection, upsertItems } from '../../src/store/items.ts';
import { skipUnlessGdal } from '../helpers/env.ts';
import { startS3, type S3Server } from '../helpers/s3.ts';
import { collection } from './stac-fixture.ts';

const run = promisify(execFile);
const KEY = 'jobs/s3job/velocity.tif';

describe('assets and tiles from an S3 blob store', () => {
  let dir = '';
  let s3: S3Server | undefined;
  let app: App;
  let files: FastifyInstance;
  let cog = Buffer.alloc(0);
  let cogPath = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gep-assets-s3-'));
    s3 = await startS3({ setEnv: true });
    const N = 400;
    const band = new Float32Array(N * N);
    for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) band[r * N + c] = Math.sin(c / 17) * 100 + r;
    cogPath = join(dir, 'velocity.tif');
    await writeCog(cogPath, makeRaster([band], N, N, { transform: [400000, 20, 0, 5000000, 0, -20], crs: { epsg: 32633 }, nodata: NaN }), { tileSize: 256 });
    cog = await readFile(cogPath);
    app = await createApp({ dataDir: join(dir, 'data'), database: 'memory://', storage: s3.url, engine: false });
    await app.blobs.put(KEY, cog);
    await upsertCollection(app.db, collection('c'));
    const it: StacItem = {
      type: 'Feature', stac_version: '1.1.0', stac_extensions: [], id: 'a', collection: 'c', geometry: null,
      properties: { datetime: '2021-01-01T00:00:00Z' }, links: [], assets: { velocity: { href: KEY, type: COG_TYPE, roles: ['data'] } },
    };
    await upsertItems(app.db, [it]);
    files = await buildServer({ baseUrl: 'http://files.test', plugins: [tilesPlugin({ resolveAsset: async (h) => (h === 'f.tif' ? { path: cogPath } : null) })] });
  });
  after(async () => {
    await app?.close();
    await files?.close();
    await s3?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('the resolver gives the blob; /assets serves it whole and by range with the bucket ETag', async () => {
    assert.equal(app.blobs.kind, 's3');
    const r = await app.resolveAsset(KEY);
    assert.equal(r?.blob?.key, KEY);
    assert.equal(r?.path, undefined);
    const etag = (await app.blobs.head(KEY))!.etag!;
    const whole = await app.server.inject({ url: `/assets/${KEY}` });
    assert.equal(whole.statusCode, 200);
    assert.ok(whole.rawPayload.equals(cog));
    assert.equal(whole.headers['content-type'], COG_TYPE);
    assert.equal(whole.headers.etag, `"${etag.replace(/^W\//, '').replace(/"/g, '')}"`);
    const part = await app.server.inject({ url: `/assets/${KEY}`, headers: { range: 'bytes=1000-70000' } });
    assert.equal(part.statusCode, 206);
    assert.equal(part.headers['content-range'], `bytes 1000-70000/${cog.length}`);
    assert.ok(part.rawPayload.equals(cog.subarray(1000, 70001)));
    assert.equal((await app.server.inject({ url: `/assets/${KEY}`, headers: { 'if-none-match': String(whole.headers.etag) } })).statusCode, 304);
  });

  test('a tile through s3:// equals the tile of the file; the public href works as url', async () => {
    const [x, y] = tileForLonLat(13.65, 45.08, 12);
    const q = `/tiles/12/${x}/${y}.png?colormap=magma&rescale=-100,500&url=`;
    const fromFile = await files.inject({ url: q + 'f.tif' });
    assert.equal(fromFile.statusCode, 200, fromFile.body);
    const item = (await app.server.inject({ url: '/collections/c/items/a' })).json() as StacItem;
    const href = item.assets.velocity!.href;
    assert.match(href, new RegExp(`/assets/${KEY}$`));
    for (const url of [KEY, href]) {
      const t = await app.server.inject({ url: q + encodeURIComponent(url) });
      assert.equal(t.statusCode, 200, t.body);
      assert.ok(t.rawPayload.equals(fromFile.rawPayload), url);
    }
  });

  test('GDAL reads the href of the item JSON through /vsicurl/', skipUnlessGdal(), async () => {
    const addr = await app.server.listen({ host: '127.0.0.1', port: 0 });
    const item = (await (await fetch(`${addr}/collections/c/items/a`)).json()) as StacItem;
    const href = item.assets.velocity!.href;
    assert.equal(href, `${addr}/assets/${KEY}`);
    const env = { ...process.env, GDAL_HTTP_MULTIRANGE: 'NO', CPL_VSIL_CURL_ALLOWED_EXTENSIONS: '.tif', GDAL_DISABLE_READDIR_ON_OPEN: 'EMPTY_DIR' };
    type Info = { size: number[]; bands: { checksum: number }[] };
    const remote = JSON.parse((await run('gdalinfo', ['-json', '-checksum', `/vsicurl/${href}`], { env })).stdout) as Info;
    const local = JSON.parse((await run('gdalinfo', ['-json', '-checksum', cogPath])).stdout) as Info;
    assert.deepEqual(remote.size, [400, 400]);
    assert.equal(remote.bands[0]!.checksum, local.bands[0]!.checksum);
  });
});
