/**
 * openProduct on http(s):// and s3:// hrefs: a COG is recognised by its first bytes (also without a .tif name),
 * keeps its bands, grid and pixels (equal to the local file), and takes its date from the metadata or the file name
 * (not the URL's query); a STAC item JSON on S3 whose assets are relative keys (multi-band assets listing their
 * bands) opens with hrefs resolved against the item URL, endpoint kept; remote SAFE folders/zips are
 * GEP_ERR_UNSUPPORTED ("download it first"); a missing object is GEP_ERR_NOT_FOUND naming the URL. Also the URL
 * helpers (file name, sibling, relative href).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openProduct } from '../../src/sensors/index.ts';
import { hrefFileName, remoteSibling, resolveRemoteHref, sniffProduct } from '../../src/sensors/remote.ts';
import { simulateScenario } from '../../src/simulate/index.ts';
import { openBlobStore, type BlobStore } from '../../src/store/blobs.ts';
import { writeCog } from '../../src/raster/cog/write.ts';
import { makeRaster } from '../../src/raster/types.ts';
import { startS3, type S3Server } from '../helpers/s3.ts';
import { startStaticServer, type StaticServer } from './remote-server.ts';
import type { Product } from '../../src/sensors/types.ts';

async function bandValues(p: Product, name: string): Promise<number[]> {
  try {
    return Array.from((await p.readBand(name)).bands[0]!);
  } finally {
    await p.close();
  }
}

describe('URL helpers', () => {
  test('file names, siblings and relative hrefs keep the S3 query apart from the key', () => {
    const u = 's3://bkt/scenes/S2_20230702_10m.tif?endpoint=http://127.0.0.1:9000';
    assert.equal(hrefFileName(u), 'S2_20230702_10m.tif');
    assert.equal(hrefFileName('https://h.test/a/b%20c.tif?sig=1#x'), 'b c.tif');
    assert.equal(hrefFileName('/data/x/S2_20230702_10m.tif'), 'S2_20230702_10m.tif');
    assert.equal(remoteSibling(u, 'S2_20230702_20m.tif'), 's3://bkt/scenes/S2_20230702_20m.tif?endpoint=http://127.0.0.1:9000');
    assert.equal(remoteSibling('https://h.test/a/X_10m.tif', 'X_60m.tif'), 'https://h.test/a/X_60m.tif');
    const item = 's3://bkt/items/sub/item.json?endpoint=http://127.0.0.1:9000';
    assert.equal(resolveRemoteHref('../../scenes/A.tif', item), 's3://bkt/scenes/A.tif?endpoint=http://127.0.0.1:9000');
    assert.equal(resolveRemoteHref('./B 1.tif', item), 's3://bkt/items/sub/B%201.tif?endpoint=http://127.0.0.1:9000');
    assert.equal(resolveRemoteHref('B.tif', 'https://h.test/c/items/i.json?x=1'), 'https://h.test/c/items/B.tif');
    assert.equal(resolveRemoteHref('s3://other/k.tif', item), 's3://other/k.tif');
  });

  test('sniffing', () => {
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
    assert.equal(sniffProduct(Uint8Array.of(0x49, 0x49, 42, 0)), 'tiff');
    assert.equal(sniffProduct(Uint8Array.of(0x4d, 0x4d, 0, 43)), 'tiff');
    assert.equal(sniffProduct(Uint8Array.of(0x50, 0x4b, 3, 4, 0)), 'zip');
    assert.equal(sniffProduct(enc('\ufeff \n {"type":"Feature"}')), 'json');
    assert.equal(sniffProduct(enc('<?xml version="1.0"?>')), 'xml');
    assert.equal(sniffProduct(enc('GROUP = LANDSAT_METADATA_FILE')), 'text');
    assert.equal(sniffProduct(new Uint8Array(0)), 'unknown');
  });
});

describe('openProduct on S3 and HTTP', { timeout: 60_000 }, () => {
  let dir: string;
  let cogDir: string;
  let s3: S3Server;
  let http: StaticServer;
  let blobs: BlobStore;
  let ten: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gep-remote-product-'));
    await simulateScenario('displacement', { outDir: join(dir, 'scene'), size: 64, dates: 2, seed: 5, format: 'cog' });
    cogDir = join(dir, 'scene', 'cog');
    ten = (await readdir(cogDir)).filter((f) => f.endsWith('_10m.tif')).sort()[0]!;
    s3 = await startS3({ bucket: 'gep-remote', setEnv: true });
    blobs = await openBlobStore(s3.url);
    for (const f of await readdir(cogDir)) await blobs.put(`scenes/${f}`, await readFile(join(cogDir, f)));
    // The same COG under a key without extension: recognised by its bytes.
    await blobs.put('blobs/no-extension', await readFile(join(cogDir, ten)));
    // A zip (the PK signature) under a name that does not look like a SAFE.
    await blobs.put('archives/product.bin', Uint8Array.of(0x50, 0x4b, 3, 4, ...new Array<number>(60).fill(0)));
    await writeFile(join(cogDir, 'S2B_MSIL1C_20230702T101559_N0509_R065_T32TLR_20230702T122203.zip'), Uint8Array.of(0x50, 0x4b, 3, 4, 0, 0));
    http = await startStaticServer(cogDir);
  });

  after(async () => {
    await http?.stop();
    await s3?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a COG on S3 and over HTTP: same bands, grid, date and pixels as the local file', async () => {
    const local = await openProduct(join(cogDir, ten));
    const want = { md: local.metadata, bands: local.bands.map((b) => ({ ...b, href: '' })) };
    const wantPix = await bandValues(local, 'B04');
    assert.deepEqual(want.bands.map((b) => b.name), ['B02', 'B03', 'B04', 'B08']);
    for (const url of [blobs.url(`scenes/${ten}`), `${http.origin}/${ten}`]) {
      const p = await openProduct(url);
      assert.equal(p.metadata.productId, ten.replace(/\.tif$/, ''), url);
      assert.equal(p.metadata.datetime, want.md.datetime, url);
      assert.deepEqual(p.metadata.footprint, want.md.footprint);
      assert.deepEqual(p.bands.map((b) => ({ ...b, href: '' })), want.bands);
      assert.equal(p.bands[0]!.href, url);
      assert.deepEqual(await bandValues(p, 'B04'), wantPix, `${url}: B04 pixels`);
    }
    assert.ok(http.requests.some((r) => r === `GET /${ten}`));
  });

  test('the format comes from the bytes, the date from the metadata (key without extension)', async () => {
    const p = await openProduct(blobs.url('blobs/no-extension'));
    try {
      assert.equal(p.metadata.sensor, 'geotiff');
      assert.equal(p.metadata.productId, 'no-extension');
      assert.match(p.metadata.datetime, /^\d{4}-\d\d-\d\dT/);
      assert.equal(p.bands.length, 4);
    } finally {
      await p.close();
    }
  });

  test('the date from the file name when the COG has none in its metadata', async () => {
    const r = makeRaster([Uint16Array.from({ length: 32 * 32 }, (_, i) => i)], 32, 32, { transform: [500000, 10, 0, 5000000, 0, -10], crs: { epsg: 32632 } });
    const path = join(dir, 'plain.tif');
    await writeCog(path, r);
    await blobs.put('dated/scene_2021-03-04.tif', await readFile(path));
    const p = await openProduct(blobs.url('dated/scene_2021-03-04.tif'));
    try {
      assert.equal(p.metadata.datetime, '2021-03-04T00:00:00Z');
      assert.equal((await p.readBand('B1')).bands[0]![33], 33);
    } finally {
      await p.close();
    }
  });

  test('a STAC item JSON on S3 with relative asset keys (multi-band assets)', async () => {
    const date = ten.slice(3, 11);
    const assets: Record<string, unknown> = {};
    for (const [res, names] of [['10m', ['B02', 'B03', 'B04', 'B08']], ['20m', ['B07', 'B8A', 'B11', 'B12']], ['60m', ['B01', 'B09', 'B10']]] as const) {
      assets[res] = { href: `../scenes/S2_${date}_${res}.tif`, type: 'image/tiff; application=geotiff', roles: ['data'], bands: names.map((name) => ({ name })) };
    }
    const item = { type: 'Feature', stac_version: '1.1.0', id: `S2_${date}`, geometry: null, properties: { datetime: '2023-07-02T10:15:59Z', 's2:processing_baseline': '05.10' }, links: [], assets };
    await blobs.put('items/item.json', new TextEncoder().encode(JSON.stringify(item)), { contentType: 'application/json' });
    const p = await openProduct(blobs.url('items/item.json'));
    assert.equal(p.metadata.sensor, 'sentinel-2');
    assert.equal(p.metadata.datetime, '2023-07-02T10:15:59.000Z');
    const b04 = p.bands.find((b) => b.name === 'B04')!;
    assert.equal(b04.href, blobs.url(`scenes/S2_${date}_10m.tif`));
    assert.equal(b04.width, 64);
    assert.equal(b04.offset, -0.1);
    const b11 = p.bands.find((b) => b.name === 'B11')!;
    assert.equal(b11.href, blobs.url(`scenes/S2_${date}_20m.tif`));
    assert.equal(b11.width, 32);
    const pix = await bandValues(p, 'B04');
    const local = await openProduct(join(cogDir, ten));
    assert.deepEqual(pix, await bandValues(local, 'B04'), 'B04 = sample 3 of the 10 m COG');
    const p2 = await openProduct(blobs.url('items/item.json'));
    const local20 = await openProduct(join(cogDir, `S2_${date}_20m.tif`));
    assert.deepEqual(await bandValues(p2, 'B11'), await bandValues(local20, 'B11'), 'B11 = sample 3 of the 20 m COG');
  });

  test('a STAC item on S3 whose one data asset is a COG (not Sentinel-2): that file, dated and named by the item', async () => {
    const item = {
      type: 'Feature', stac_version: '1.1.0', id: 'my-scene', geometry: null, properties: { datetime: '2024-05-06T07:08:09Z' }, links: [],
      assets: { image: { href: '../../blobs/no-extension', type: 'image/tiff; application=geotiff', roles: ['data'] }, thumbnail: { href: 't.png', roles: ['thumbnail'] } },
    };
    await blobs.put('generic/items/one.json', new TextEncoder().encode(JSON.stringify(item)));
    const p = await openProduct(blobs.url('generic/items/one.json'));
    assert.equal(p.metadata.sensor, 'geotiff');
    assert.equal(p.metadata.productId, 'my-scene');
    assert.equal(p.metadata.datetime, '2024-05-06T07:08:09.000Z');
    assert.equal(p.bands[0]!.href, blobs.url('blobs/no-extension'));
    assert.deepEqual(await bandValues(p, 'B02'), await bandValues(await openProduct(join(cogDir, ten)), 'B02'));
  });

  test('remote SAFE folders and zips: GEP_ERR_UNSUPPORTED telling to download or ingest', async () => {
    const safe = 'S2B_MSIL1C_20230702T101559_N0509_R065_T32TLR_20230702T122203';
    const cases = [
      `s3://gep-remote/safes/${safe}.SAFE/?endpoint=${s3.endpoint}`,
      `s3://gep-remote/safes/${safe}.SAFE/manifest.safe?endpoint=${s3.endpoint}`,
      `${http.origin}/${safe}.zip`,
      `${http.origin}/${safe}.SAFE`,
      blobs.url('archives/product.bin'),
    ];
    for (const url of cases)
      await assert.rejects(openProduct(url), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'GEP_ERR_UNSUPPORTED', `${url}: ${e.message}`);
        assert.ok(e.message.includes(url), e.message);
        assert.match(e.message, /download it first, or ingest it/);
        return true;
      });
  });

  test('a missing object or URL: GEP_ERR_NOT_FOUND naming it', async () => {
    for (const url of [blobs.url('scenes/nothing_10m.tif'), `${http.origin}/nothing.tif`, blobs.url('items/nothing.json'), `${http.origin}/item.json`]) {
      await assert.rejects(openProduct(url), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'GEP_ERR_NOT_FOUND', `${url}: ${e.message}`);
        assert.ok(e.message.includes(url), e.message);
        return true;
      });
    }
  });
});
