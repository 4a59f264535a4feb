/**
 * Rasters over S3 (s3rver on loopback): a COG written by our writer and stored through the S3 blob store reads
 * back through openRaster(store.url(key)) with the same pixels as the local file; a window of a big COG costs
 * a couple of ranged GetObject calls (counted with an SDK middleware); garbage, truncated and missing objects
 * give GEP_ERR_CORRUPT_FILE / GEP_ERR_NOT_FOUND.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GepError } from '../../src/core/errors.ts';
import { parseS3Url, s3Client } from '../../src/core/s3.ts';
import { writeCog } from '../../src/raster/cog/write.ts';
import { openRaster } from '../../src/raster/open.ts';
import { openS3Source } from '../../src/raster/tiff/s3-source.ts';
import { makeRaster, type GeoTransform } from '../../src/raster/types.ts';
import { openBlobStore, type BlobStore } from '../../src/store/blobs.ts';
import { startS3, type S3Server } from '../helpers/s3.ts';

const W = 2048;
const H = 2048;

/** openGeoTiff dispatches s3:// URLs to tiff/s3-source.ts from its openSource (src/raster/tiff/read.ts). */
const HOOKED = readFileSync(new URL('../../src/raster/tiff/read.ts', import.meta.url), 'utf8').includes('s3-source');
const needsHook = { skip: HOOKED ? false : 'src/raster/tiff/read.ts openSource does not dispatch s3:// to s3-source.ts yet' };

/** A smooth field with texture: a few KB per compressed 256x256 tile. */
function field(): Uint16Array {
  const a = new Uint16Array(W * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) a[y * W + x] = 1000 + Math.round(300 * Math.sin(x / 97) * Math.cos(y / 61)) + ((x * 7 + y * 3) % 5);
  return a;
}

const isCode = (code: string) => (e: unknown) => e instanceof GepError && e.code === code;

describe('rasters over S3', () => {
  let s3: S3Server;
  let store: BlobStore;
  let dir: string;
  let cogPath: string;
  let cogBytes: Uint8Array;
  let data: Uint16Array;
  /** GetObject / HeadObject commands sent by the shared client, counted by a middleware. */
  const calls = { get: 0, head: 0 };
  const reset = (): void => {
    calls.get = 0;
    calls.head = 0;
  };

  before(async () => {
    s3 = await startS3({ bucket: 'gep-rasters', setEnv: true });
    store = await openBlobStore(`s3://${s3.bucket}/outputs?endpoint=${s3.endpoint}`);
    dir = mkdtempSync(join(tmpdir(), 'gep-s3-raster-'));
    data = field();
    const transform: GeoTransform = [400000, 10, 0, 5800000, 0, -10];
    cogPath = join(dir, 'big.tif');
    await writeCog(cogPath, makeRaster([data], W, H, { transform, crs: { epsg: 32633 } }), { tileSize: 256, level: 1 });
    cogBytes = new Uint8Array(readFileSync(cogPath));
    await store.putFile('jobs/1/big.tif', cogPath, { contentType: 'image/tiff; application=geotiff; profile=cloud-optimized' });
    await store.put('bad/garbage.tif', new Uint8Array(5000).fill(0x49));
    await store.put('bad/truncated.tif', cogBytes.subarray(0, Math.floor(cogBytes.length / 2)));
    await store.put('bad/empty.tif', new Uint8Array(0));
    s3Client(parseS3Url(s3.url)).middlewareStack.add(
      (next, ctx) => async (args) => {
        if (ctx.commandName === 'GetObjectCommand') calls.get++;
        if (ctx.commandName === 'HeadObjectCommand') calls.head++;
        return next(args);
      },
      { step: 'initialize', name: 'count-s3-raster-calls' },
    );
  });
  after(async () => {
    s3Client(parseS3Url(s3.url)).middlewareStack.remove('count-s3-raster-calls');
    rmSync(dir, { recursive: true, force: true });
    await s3.stop();
  });

  test('S3 source: one request to open, exact bytes across blocks under a tiny cache and concurrent reads', async () => {
    reset();
    const src = await openS3Source(store.url('jobs/1/big.tif'), { blockSize: 4096, cacheBytes: 16 * 1024, maxRequestBytes: 64 * 1024 });
    assert.equal(calls.get, 1);
    assert.equal(src.size, cogBytes.length);
    const n = cogBytes.length;
    const ranges = [
      { offset: 0, length: 10 },
      { offset: 4000, length: 9000 },
      { offset: 100_000, length: 150_000 },
      { offset: n - 7, length: 7 },
      { offset: 5, length: 0 },
    ];
    const [a, b] = await Promise.all([src.readRanges(ranges), src.readRanges(ranges.slice().reverse())]);
    ranges.forEach((r, i) => {
      assert.deepEqual(a[i], cogBytes.subarray(r.offset, r.offset + r.length));
      assert.deepEqual(b[ranges.length - 1 - i], cogBytes.subarray(r.offset, r.offset + r.length));
    });
    await assert.rejects(src.read(n - 2, 10), isCode('GEP_ERR_CORRUPT_FILE'));
    await src.close();
    const empty = await openS3Source(store.url('bad/empty.tif'));
    assert.equal(empty.size, 0);
    await assert.rejects(openS3Source(store.url('jobs/none.tif')), isCode('GEP_ERR_NOT_FOUND'));
    await assert.rejects(openS3Source(`s3://no-such-bucket/x.tif?endpoint=${s3.endpoint}`), isCode('GEP_ERR_NOT_FOUND'));
  });

  test('openRaster(store.url(key)) reads the same pixels and georeferencing as the local file', needsHook, async () => {
    const url = store.url('jobs/1/big.tif');
    assert.match(url, /^s3:\/\/gep-rasters\/outputs\/jobs\/1\/big\.tif\?endpoint=/);
    const remote = await openRaster(url);
    const local = await openRaster(cogPath);
    try {
      assert.deepEqual(remote.info, { ...local.info });
      assert.equal(remote.info.crs?.epsg, 32633);
      const full = await remote.read();
      assert.deepEqual(full.bands[0], data);
      const ov = remote.info.overviews.length - 1;
      assert.deepEqual((await remote.read({ overview: ov + 1 })).bands[0], (await local.read({ overview: ov + 1 })).bands[0]);
    } finally {
      await remote.close();
      await local.close();
    }
  });

  test('a window of a big COG costs a couple of ranged GetObject calls; repeated reads hit the cache', needsHook, async () => {
    reset();
    const r = await openRaster(store.url('jobs/1/big.tif'));
    const openCalls = calls.get;
    assert.ok(openCalls <= 2, `open made ${openCalls} GetObject calls`);
    reset();
    const win = { x0: 1030, y0: 520, width: 100, height: 80 }; // inside one 256x256 tile
    const ras = await r.read({ window: win });
    for (let y = 0; y < win.height; y++)
      for (let x = 0; x < win.width; x++) assert.equal(ras.bands[0]![y * win.width + x], data[(y + win.y0) * W + x + win.x0]);
    console.log(`# COG ${cogBytes.length} B in S3: open ${openCalls} GetObject, window read ${calls.get} GetObject, ${calls.head} HeadObject`);
    assert.ok(calls.get >= 1 && calls.get <= 2, `window read made ${calls.get} GetObject calls`);
    reset();
    await r.read({ window: win });
    assert.equal(calls.get, 0, 'second read of the same window is served from the cache');
    await r.close();
  });

  test('garbage and truncated objects are GEP_ERR_CORRUPT_FILE; missing keys and buckets GEP_ERR_NOT_FOUND', needsHook, async () => {
    await assert.rejects(openRaster(store.url('bad/garbage.tif')), isCode('GEP_ERR_CORRUPT_FILE'));
    await assert.rejects(openRaster(store.url('bad/empty.tif')), isCode('GEP_ERR_CORRUPT_FILE'));
    // The header of the truncated COG is intact; reading tiles past the end must fail cleanly.
    const readAll = async (): Promise<void> => {
      const r = await openRaster(store.url('bad/truncated.tif'));
      await r.read().finally(() => r.close());
    };
    await assert.rejects(readAll(), isCode('GEP_ERR_CORRUPT_FILE'));
    await assert.rejects(openRaster(store.url('jobs/none.tif')), (e: unknown) => {
      assert.ok(e instanceof GepError && e.code === 'GEP_ERR_NOT_FOUND', String(e));
      assert.match(e.message, /jobs\/none\.tif/);
      return true;
    });
    await assert.rejects(openRaster(`s3://no-such-bucket/x.tif?endpoint=${s3.endpoint}`), isCode('GEP_ERR_NOT_FOUND'));
    await assert.rejects(openRaster('s3://gep-rasters/'), isCode('GEP_ERR_INVALID_INPUT'));
  });
});
