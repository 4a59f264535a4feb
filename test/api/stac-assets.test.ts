/**
 * The platform's asset resolver (src/platform/app.ts): only blob keys in the blob store and hrefs that the
 * catalogue lists (URLs, or files inside the data folder) resolve; everything else is null, so /tiles and
 * /assets never serve an arbitrary file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StacItem } from '../../src/core/stac.ts';
import { createApp, type App } from '../../src/platform/app.ts';
import { upsertCollection, upsertItems } from '../../src/store/items.ts';
import { collection } from './stac-fixture.ts';

describe('asset resolution', () => {
  const root = mkdtempSync(join(tmpdir(), 'gep-assets-'));
  const data = join(root, 'data');
  const inside = join(data, 'scenes', 'a.tif');
  const unlisted = join(data, 'scenes', 'b.tif');
  const outside = join(root, 'secret.tif');
  const link = join(data, 'scenes', 'link.tif');
  const onlyAbs = join(data, 'scenes', 'only-abs.tif');
  const onlyUrl = join(data, 'scenes', 'only-url.tif');
  let app: App;

  before(async () => {
    mkdirSync(join(data, 'scenes'), { recursive: true });
    for (const f of [inside, unlisted, outside, onlyAbs, onlyUrl]) writeFileSync(f, 'II*\0');
    symlinkSync(outside, link);
    app = await createApp({ dataDir: data, database: 'memory://' });
    await app.blobs.put('thumbnails/c/a.png', new Uint8Array([137, 80, 78, 71]), { contentType: 'image/png' });
    await upsertCollection(app.db, collection('c'));
    const it: StacItem = {
      type: 'Feature', stac_version: '1.1.0', stac_extensions: [], id: 'a', collection: 'c', geometry: null,
      properties: { datetime: '2021-01-01T00:00:00Z' }, links: [],
      assets: {
        data: { href: inside, type: 'image/tiff; application=geotiff' },
        url: { href: 'https://example.org/a.tif' },
        secret: { href: outside },
        link: { href: link },
        rel: { href: 'scenes/a.tif' },
        file: { href: pathToFileURL(inside).href },
        thumb: { href: 'thumbnails/c/a.png', roles: ['thumbnail'] },
        abs: { href: onlyAbs, type: 'image/tiff' },
        fileUrl: { href: pathToFileURL(onlyUrl).href },
      },
    };
    await upsertItems(app.db, [it]);
  });
  after(async () => {
    await app?.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('catalogue hrefs inside the data folder, URLs and blob keys resolve', async () => {
    assert.deepEqual(await app.resolveAsset(inside), { path: inside, type: 'image/tiff; application=geotiff' });
    assert.deepEqual(await app.resolveAsset('scenes/a.tif'), { path: inside });
    assert.deepEqual(await app.resolveAsset(pathToFileURL(inside).href), { path: inside });
    assert.deepEqual(await app.resolveAsset('https://example.org/a.tif'), { url: 'https://example.org/a.tif' });
    assert.deepEqual(await app.resolveAsset('thumbnails/c/a.png'), { path: join(data, 'blobs', 'thumbnails', 'c', 'a.png') });
  });

  test('a path relative to the data folder resolves when the catalogue lists its absolute form or file:// URL', async () => {
    assert.deepEqual(await app.resolveAsset('scenes/only-abs.tif'), { path: onlyAbs, type: 'image/tiff' });
    assert.deepEqual(await app.resolveAsset('scenes/only-url.tif'), { path: onlyUrl });
    const r = await app.server.inject({ url: '/assets/scenes/only-abs.tif' });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'image/tiff');
    // The public href the STAC API shows for it.
    const item = (await app.server.inject({ url: '/collections/c/items/a' })).json() as StacItem;
    assert.match(item.assets.abs!.href, /^http:\/\/localhost(:\d+)?\/assets\/scenes\/only-abs\.tif$/);
    assert.equal(item.assets.secret!.href, outside, 'outside the data folder: as stored');
  });

  test('anything else is null', async () => {
    for (const href of [outside, link, unlisted, 'https://example.org/other.tif', '../secret.tif', '/etc/passwd', 'scenes/../../secret.tif', 'thumbnails/c/none.png', '']) {
      assert.equal(await app.resolveAsset(href), null, href);
    }
  });

  test('/assets serves a blob; an unknown key is a 404 problem', async () => {
    const r = await app.server.inject({ method: 'GET', url: '/assets/thumbnails/c/a.png' });
    assert.equal(r.statusCode, 200);
    assert.deepEqual([...r.rawPayload], [137, 80, 78, 71]);
    const n = await app.server.inject({ method: 'GET', url: '/assets/scenes/b.tif' });
    assert.equal(n.statusCode, 404);
  });
});
