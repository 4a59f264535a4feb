/**
 * HTTP(S) sources: a loopback node:http server with Range support that counts requests and bytes. A window
 * read of a tiled COG-like file must fetch only a few KB; repeated reads hit the block cache; servers that
 * ignore ranges are accepted for small files and refused for big ones; server failures are GEP_ERR_REMOTE.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GepError } from '../../src/core/errors.ts';
import { openGeoTiff } from '../../src/raster/tiff/read.ts';
import { HttpSource } from '../../src/raster/tiff/http-source.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipUnlessGdal } from '../helpers/env.ts';
import { gdalReadOverview, run, writeEnvi, writeTiff } from './fixtures-tiff.ts';

type Mode = 'range' | 'ignore' | 'fail' | 'badrange';

interface Served {
  requests: number;
  bytes: number;
}

const W = 2048;
const H = 1536;

/** A smooth field with a little texture: compresses like real imagery (a few KB per 256x256 tile). */
function field(): Uint16Array {
  const a = new Uint16Array(W * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) a[y * W + x] = 1000 + Math.round(300 * Math.sin(x / 97) * Math.cos(y / 61)) + ((x * 7 + y * 3) % 5);
  return a;
}

describe('GeoTIFF over HTTP range requests', () => {
  let server: Server;
  let base = '';
  const stats: Served = { requests: 0, bytes: 0 };
  const files = new Map<string, Uint8Array>();
  let data: Uint16Array;

  before(async () => {
    data = field();
    files.set('/cog.tif', writeTiff({ width: W, height: H, dataType: 'uint16', bands: [data], tile: [256, 256], compression: 8, predictor: 2 }));
    files.set('/small.tif', writeTiff({ width: 64, height: 48, dataType: 'uint16', bands: [data.slice(0, 64 * 48)], tile: [32, 32], compression: 8 }));
    server = createServer((req, res) => {
      const [path = '', q = ''] = (req.url ?? '').split('?');
      const mode = (new URLSearchParams(q).get('mode') ?? 'range') as Mode;
      const body = files.get(path);
      stats.requests++;
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      if (mode === 'fail') {
        res.writeHead(503).end('busy');
        return;
      }
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (mode === 'ignore' || !m) {
        stats.bytes += body.length;
        res.writeHead(200, { 'content-length': String(body.length) }).end(Buffer.from(body));
        return;
      }
      const a = Number(m[1]);
      const b = Math.min(Number(m[2]), body.length - 1);
      const part = body.subarray(a, b + 1);
      stats.bytes += part.length;
      // 'badrange' answers a different range than asked (after the first request).
      const shift = mode === 'badrange' && a > 0 ? 1 : 0;
      res
        .writeHead(206, { 'content-range': `bytes ${a + shift}-${b + shift}/${body.length}`, 'content-length': String(part.length) })
        .end(Buffer.from(part));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const reset = (): void => {
    stats.requests = 0;
    stats.bytes = 0;
  };

  test('window read fetches only a few KB, repeated reads hit the cache', async () => {
    const size = files.get('/cog.tif')!.length;
    reset();
    const r = await openGeoTiff(`${base}/cog.tif`);
    const openBytes = stats.bytes;
    assert.equal(r.info.width, W);
    assert.ok(stats.requests <= 2, `open made ${stats.requests} requests`);
    reset();
    const win = { x0: 1030, y0: 520, width: 100, height: 80 }; // inside one 256x256 tile
    const ras = await r.read({ window: win });
    for (let y = 0; y < win.height; y++)
      for (let x = 0; x < win.width; x++) assert.equal(ras.bands[0]![y * win.width + x], data[(y + win.y0) * W + x + win.x0]);
    console.log(`# file ${size} bytes; open fetched ${openBytes} B, window read ${stats.bytes} B in ${stats.requests} requests`);
    assert.ok(stats.bytes < 64 * 1024, `window read fetched ${stats.bytes} bytes`);
    assert.ok(stats.bytes < size / 10);
    assert.ok(stats.requests <= 2);
    reset();
    await r.read({ window: win });
    assert.equal(stats.requests, 0, 'second read of the same window is served from the cache');
    // A full read coalesces adjacent tiles into few requests and returns the right pixels.
    reset();
    const full = await r.read();
    assert.deepEqual(full.bands[0], data);
    assert.ok(stats.requests <= 8, `full read made ${stats.requests} requests`);
    await r.close();
  });

  test('HttpSource: ranges assembled across blocks, exact bytes, tiny cache under concurrent reads', async () => {
    const file = files.get('/cog.tif')!;
    const src = await HttpSource.open(`${base}/cog.tif`, { blockSize: 4096, cacheBytes: 16 * 1024, maxRequestBytes: 64 * 1024 });
    const ranges = [
      { offset: 0, length: 10 },
      { offset: 4000, length: 9000 },
      { offset: 100_000, length: 150_000 },
      { offset: file.length - 7, length: 7 },
      { offset: 5, length: 0 },
    ];
    const [a, b] = await Promise.all([src.readRanges(ranges), src.readRanges(ranges.slice().reverse())]);
    ranges.forEach((r, i) => {
      assert.deepEqual(a[i], file.subarray(r.offset, r.offset + r.length));
      assert.deepEqual(b[ranges.length - 1 - i], file.subarray(r.offset, r.offset + r.length));
    });
    await assert.rejects(src.read(file.length - 2, 10), (e: unknown) => e instanceof GepError && e.code === 'GEP_ERR_CORRUPT_FILE');
    await src.close();
  });

  test('GDAL COG over HTTP: header in one request, overview window in a few KB', skipUnlessGdal(), async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gep-tiff-http-'));
    try {
      const raw = writeEnvi(dir, 'field', [data], W, H, 'uint16');
      const out = join(dir, 'cog.tif');
      run('gdal_translate', ['-q', '-of', 'COG', '-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=YES', '-a_srs', 'EPSG:32633', '-a_ullr', '400000', '5800000', '420480', '5784640', raw, out]);
      const cog = new Uint8Array(readFileSync(out));
      files.set('/gdal-cog.tif', cog);
      reset();
      const r = await openGeoTiff(`${base}/gdal-cog.tif`);
      assert.equal(stats.requests, 1, 'a COG header fits in the first block');
      assert.equal(r.info.crs?.epsg, 32633);
      assert.equal(r.info.overviews.length, 2); // 1024x768 and 512x384 with 512-pixel blocks
      reset();
      const ov = await r.read({ overview: 2, window: { x0: 100, y0: 100, width: 50, height: 50 } });
      const ref = gdalReadOverview(out, 1, 1);
      const ow = r.info.overviews[1]!.width;
      for (let y = 0; y < 50; y++) for (let x = 0; x < 50; x++) assert.equal(ov.bands[0]![y * 50 + x], ref[(y + 100) * ow + x + 100]);
      console.log(`# GDAL COG ${cog.length} bytes: overview window read fetched ${stats.bytes} B in ${stats.requests} requests`);
      assert.ok(stats.bytes <= 64 * 1024 && stats.requests <= 2);
      await r.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('URL objects work too', async () => {
    const r = await openGeoTiff(new URL(`${base}/small.tif`));
    assert.equal(r.info.width, 64);
    await r.close();
  });

  test('server that ignores Range: small file accepted, big file refused', async () => {
    const r = await openGeoTiff(`${base}/small.tif?mode=ignore`);
    const ras = await r.read();
    assert.deepEqual(ras.bands[0], data.slice(0, 64 * 48));
    await r.close();
    await assert.rejects(
      HttpSource.open(`${base}/cog.tif?mode=ignore`, { maxWholeBody: 100_000 }),
      (e: unknown) => e instanceof GepError && e.code === 'GEP_ERR_REMOTE' && /ignores Range/.test(e.message),
    );
  });

  test('server failures are GEP_ERR_REMOTE / GEP_ERR_NOT_FOUND', async () => {
    await assert.rejects(openGeoTiff(`${base}/cog.tif?mode=fail`), (e: unknown) => e instanceof GepError && e.code === 'GEP_ERR_REMOTE' && /503/.test(e.message));
    await assert.rejects(openGeoTiff(`${base}/missing.tif`), (e: unknown) => e instanceof GepError && e.code === 'GEP_ERR_NOT_FOUND');
    const badRange = async (): Promise<void> => {
      const r = await openGeoTiff(`${base}/cog.tif?mode=badrange`);
      await r.read({ window: { x0: 1500, y0: 1200, width: 10, height: 10 } }).finally(() => r.close());
    };
    await assert.rejects(badRange(), (e: unknown) => e instanceof GepError && e.code === 'GEP_ERR_REMOTE' && /range/.test(e.message));
    await assert.rejects(openGeoTiff('http://127.0.0.1:1/nothing.tif'), (e: unknown) => e instanceof GepError && e.code === 'GEP_ERR_REMOTE');
  });
});
