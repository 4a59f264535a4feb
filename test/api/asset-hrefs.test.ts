/**
 * Public asset hrefs (src/api/plugins/asset-hrefs.ts) and the round trip through the platform: every href of a
 * search response of a demo-like catalogue (absolute paths, file:// URLs and relative paths of the data folder,
 * blob keys, remote URLs, paths outside the data folder) is either an /assets URL that serves the source bytes,
 * or stays as stored.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StacCollection, StacItem } from '../../src/core/stac.ts';
import { assetUrl, ownAssetKey, publicAssetHref } from '../../src/api/plugins/asset-hrefs.ts';
import { decorateCollection, decorateItem } from '../../src/api/plugins/stac-links.ts';
import { createApp, type App } from '../../src/platform/app.ts';
import { upsertCollection, upsertItems } from '../../src/store/items.ts';
import { collection } from './stac-fixture.ts';

const B = 'https://gep.example.org/api';
const D = '/srv/gep-data';

describe('publicAssetHref', () => {
  test('remote URLs and other schemes stay; blob keys become /assets URLs with encoded segments', () => {
    for (const h of ['https://x.org/a.tif', 'HTTP://X.ORG/a.tif', 's3://bucket/a.tif', 'ftp://h/a', 'urn:x:y', '']) assert.equal(publicAssetHref(h, B, D), h, h);
    assert.equal(publicAssetHref('thumbnails/c/a.png', B), `${B}/assets/thumbnails/c/a.png`);
    assert.equal(publicAssetHref('thumbnails/c/a.png', B, D), `${B}/assets/thumbnails/c/a.png`);
    assert.equal(publicAssetHref('jobs/1/a b#?%.tif', B), `${B}/assets/jobs/1/a%20b%23%3F%25.tif`);
    assert.equal(publicAssetHref('jobs/1/été.tif', B), `${B}/assets/jobs/1/%C3%A9t%C3%A9.tif`);
  });

  test('files of the data folder (absolute, file://, relative with dot segments) map to their relative path', () => {
    assert.equal(publicAssetHref(`${D}/demo/s2/a.tif`, B, D), `${B}/assets/demo/s2/a.tif`);
    assert.equal(publicAssetHref(`file://${D}/demo/s2/a.tif`, B, D), `${B}/assets/demo/s2/a.tif`);
    assert.equal(publicAssetHref(`file://${D}/demo/a%20b.tif`, B, D), `${B}/assets/demo/a%20b.tif`);
    assert.equal(publicAssetHref('demo/../scenes/a.tif', B, D), `${B}/assets/scenes/a.tif`);
    assert.equal(publicAssetHref(`${D}/demo/s2/a.tif`, B), `${D}/demo/s2/a.tif`, 'without a data folder: unchanged');
    assert.equal(publicAssetHref('demo/../scenes/a.tif', B), 'demo/../scenes/a.tif');
  });

  test('anything outside the data folder stays as stored', () => {
    for (const h of [D, `${D}/`, `${D}2/a.tif`, '/etc/passwd', `${D}/../etc/passwd`, '../secret.tif', 'file:///etc/passwd', 'file://host/share/a.tif', `${D}/a\u0000b`])
      assert.equal(publicAssetHref(h, B, D), h, JSON.stringify(h));
  });

  test('a caller-provided blob-key test; ownAssetKey inverts assetUrl and refuses the rest', () => {
    assert.equal(publicAssetHref('thumbs/a.png', B, undefined, () => false), 'thumbs/a.png');
    for (const key of ['a.tif', 'jobs/1/a b#?%.tif', 'x/été/ü.png', 'a+b=c&d.tif']) assert.equal(ownAssetKey(assetUrl(B, key), B), key, key);
    for (const h of [`${B}/assets/`, `${B}/assets/a/%2e%2e/b`, `${B}/assets/a%2F..%2Fb`, `${B}/assets/a.tif?x=1`, `${B}/assets/%E0%A4%A`, `${B}/other/a.tif`, 'https://elsewhere/assets/a.tif'])
      assert.equal(ownAssetKey(h, B), null, h);
  });

  test('decorateItem and decorateCollection rewrite assets only, without touching the stored object', () => {
    const item: StacItem = {
      type: 'Feature', stac_version: '1.1.0', stac_extensions: [], id: 'i', collection: 'c', geometry: null, properties: { datetime: null }, links: [],
      assets: { a: { href: `${D}/x.tif`, type: 'image/tiff' }, b: { href: 'https://r/x.tif' }, t: { href: 'thumbnails/c/i.png', roles: ['thumbnail'] } },
    };
    const copy = structuredClone(item);
    const out = decorateItem(item, B, D);
    assert.deepEqual(out.assets, { a: { href: `${B}/assets/x.tif`, type: 'image/tiff' }, b: { href: 'https://r/x.tif' }, t: { href: `${B}/assets/thumbnails/c/i.png`, roles: ['thumbnail'] } });
    assert.deepEqual(item, copy);
    const itemAssets = { a: { type: 'image/tiff', roles: ['data'] } };
    const c = { ...collection('c'), assets: { thumb: { href: `${D}/c.png` } }, item_assets: itemAssets } as StacCollection & { item_assets: unknown };
    const oc = decorateCollection(c, B, D) as StacCollection & { item_assets: unknown };
    assert.equal(oc.assets!.thumb!.href, `${B}/assets/c.png`);
    assert.deepEqual(oc.item_assets, itemAssets);
    assert.equal(c.assets!.thumb!.href, `${D}/c.png`);
  });

  test('cheap: no I/O, well under a microsecond-scale budget per href', () => {
    const hrefs = [`${D}/demo/s2/a.tif`, 'thumbnails/c/a.png', 'https://x.org/a.tif', `file://${D}/b.tif`, '/elsewhere/c.tif'];
    const n = 100_000;
    const t0 = process.hrtime.bigint();
    let len = 0;
    for (let i = 0; i < n; i++) len += publicAssetHref(hrefs[i % hrefs.length]!, B, D).length;
    const perCall = Number(process.hrtime.bigint() - t0) / n;
    console.log(`# publicAssetHref: ${perCall.toFixed(0)} ns per href (${n} hrefs)`);
    assert.ok(len > 0);
    assert.ok(perCall < 20_000, `${perCall} ns per href`);
  });
});

describe('asset hrefs round trip through the STAC API and /assets', () => {
  const root = mkdtempSync(join(tmpdir(), 'gep-hrefs-'));
  const data = join(root, 'data');
  const base = 'http://gep.test';
  let app: App;
  const sources = new Map<string, Buffer>();

  const file = (rel: string, text: string): string => {
    const p = join(data, ...rel.split('/'));
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, text);
    return p;
  };

  before(async () => {
    const abs = file('demo/displacement/date 1.tif', 'II*\0 absolute');
    const viaUrl = file('demo/displacement/date2.tif', 'II*\0 file url');
    file('scenes/rel.tif', 'II*\0 relative');
    const outside = join(root, 'outside.tif');
    writeFileSync(outside, 'II*\0 outside');
    app = await createApp({ dataDir: data, database: 'memory://', baseUrl: base, engine: false });
    await app.blobs.put('thumbnails/demo/a.png', Buffer.from('PNG thumb'), { contentType: 'image/png' });
    await app.blobs.put('jobs/j1/velocity.tif', Buffer.from('II*\0 job output'));
    await upsertCollection(app.db, { ...collection('demo'), assets: { thumb: { href: abs, type: 'image/tiff' } } });
    const it: StacItem = {
      type: 'Feature', stac_version: '1.1.0', stac_extensions: [], id: 'a', collection: 'demo', geometry: null,
      properties: { datetime: '2021-01-01T00:00:00Z' }, links: [],
      assets: {
        abs: { href: abs, type: 'image/tiff; application=geotiff' },
        url: { href: pathToFileURL(viaUrl).href },
        rel: { href: 'scenes/rel.tif' },
        thumb: { href: 'thumbnails/demo/a.png', roles: ['thumbnail'] },
        job: { href: 'jobs/j1/velocity.tif' },
        remote: { href: 'https://example.org/a.tif' },
        outside: { href: outside },
      },
    };
    await upsertItems(app.db, [it]);
    sources.set(`${base}/assets/demo/displacement/date%201.tif`, readFileSync(abs));
    sources.set(`${base}/assets/demo/displacement/date2.tif`, readFileSync(viaUrl));
    sources.set(`${base}/assets/scenes/rel.tif`, Buffer.from('II*\0 relative'));
    sources.set(`${base}/assets/thumbnails/demo/a.png`, Buffer.from('PNG thumb'));
    sources.set(`${base}/assets/jobs/j1/velocity.tif`, Buffer.from('II*\0 job output'));
  });
  after(async () => {
    await app?.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('every /assets href of a search response serves its source; remote and outside hrefs stay as stored', async () => {
    const res = await app.server.inject({ url: '/search?collections=demo' });
    assert.equal(res.statusCode, 200, res.body);
    const [item] = (res.json() as { features: StacItem[] }).features;
    const hrefs = Object.fromEntries(Object.entries(item!.assets).map(([k, a]) => [k, a.href]));
    assert.deepEqual(hrefs, {
      abs: `${base}/assets/demo/displacement/date%201.tif`,
      url: `${base}/assets/demo/displacement/date2.tif`,
      rel: `${base}/assets/scenes/rel.tif`,
      thumb: `${base}/assets/thumbnails/demo/a.png`,
      job: `${base}/assets/jobs/j1/velocity.tif`,
      remote: 'https://example.org/a.tif',
      outside: join(root, 'outside.tif'),
    });
    let served = 0;
    for (const href of Object.values(hrefs)) {
      if (!href.startsWith(`${base}/assets/`)) continue;
      const r = await app.server.inject({ url: href.slice(base.length) });
      assert.equal(r.statusCode, 200, `${href}: ${r.body}`);
      assert.ok(r.rawPayload.equals(sources.get(href)!), href);
      served++;
    }
    assert.equal(served, 5);
    assert.equal(item!.assets.abs!.type, 'image/tiff; application=geotiff');
    const typed = await app.server.inject({ url: '/assets/demo/displacement/date%201.tif' });
    assert.equal(typed.headers['content-type'], 'image/tiff; application=geotiff', 'the catalogue type of the asset');
    // The file outside the data folder is not served under any name.
    assert.equal((await app.server.inject({ url: '/assets/outside.tif' })).statusCode, 404);
  });

  test('item, items page and collection JSON show the same public hrefs', async () => {
    const one = (await app.server.inject({ url: '/collections/demo/items/a' })).json() as StacItem;
    assert.equal(one.assets.rel!.href, `${base}/assets/scenes/rel.tif`);
    const page = (await app.server.inject({ url: '/collections/demo/items' })).json() as { features: StacItem[] };
    assert.equal(page.features[0]!.assets.thumb!.href, `${base}/assets/thumbnails/demo/a.png`);
    const c = (await app.server.inject({ url: '/collections/demo' })).json() as StacCollection;
    assert.equal(c.assets!.thumb!.href, `${base}/assets/demo/displacement/date%201.tif`);
    const all = (await app.server.inject({ url: '/collections' })).json() as { collections: StacCollection[] };
    assert.equal(all.collections[0]!.assets!.thumb!.href, `${base}/assets/demo/displacement/date%201.tif`);
    const r = await app.server.inject({ url: c.assets!.thumb!.href.slice(base.length) });
    assert.equal(r.statusCode, 200);
  });
});
