import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import proj4 from 'proj4';
import { buildServer } from '../../src/api/server.ts';
import { tilesPlugin } from '../../src/api/plugins/tiles.ts';
import { ReaderCache } from '../../src/api/plugins/reader-cache.ts';
import { writeCog } from '../../src/raster/cog/write.ts';
import { crsToProj4 } from '../../src/raster/crs.ts';
import { openRaster } from '../../src/raster/open.ts';
import { tileForLonLat, tileTransform } from '../../src/raster/tile.ts';
import { makeRaster } from '../../src/raster/types.ts';

/** Decodes the 8-bit RGBA, filter-0 PNGs that src/raster/png.ts writes. */
function decodePng(buf: Buffer): { width: number; height: number; rgba: Uint8Array } {
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let o = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (o < buf.length) {
    const len = buf.readUInt32BE(o);
    const type = buf.toString('latin1', o + 4, o + 8);
    const data = buf.subarray(o + 8, o + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8);
      assert.equal(data[9], 6);
    } else if (type === 'IDAT') idat.push(data);
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (width * 4 + 1)], 0);
    rgba.set(raw.subarray(y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1)), y * width * 4);
  }
  return { width, height, rgba };
}

const X0 = 400000;
const Y0 = 5000000;
const N = 512;
const RES = 20;
const UTM = crsToProj4({ epsg: 32633 });
const utm2ll = proj4(UTM, 'EPSG:4326');
const merc2utm = proj4(crsToProj4({ epsg: 3857 }), UTM);

describe('tiles plugin', () => {
  let dir = '';
  let app: FastifyInstance;
  let opened = 0;
  const files: Record<string, string> = {};
  const asked: string[] = [];
  const resolveAsset = async (href: string): Promise<{ path: string } | null> => {
    asked.push(href);
    return Object.hasOwn(files, href) ? { path: files[href]! } : null;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gep-api-tiles-'));
    const band = new Float32Array(N * N);
    for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) band[r * N + c] = X0 + (c + 0.5) * RES;
    band.fill(NaN, 0, N * 10); // ten nodata rows at the top
    files['s3://bucket/ramp.tif'] = join(dir, 'ramp.tif');
    await writeCog(files['s3://bucket/ramp.tif'], makeRaster([band], N, N, { transform: [X0, RES, 0, Y0, 0, -RES], crs: { epsg: 32633 }, nodata: NaN }), { tileSize: 256 });
    files['jobs/42/notes.txt'] = join(dir, 'notes.txt');
    await writeFile(files['jobs/42/notes.txt'], 'not a raster');
    files['jobs/42/gone.tif'] = join(dir, 'gone.tif');
    app = await buildServer({
      baseUrl: 'http://maps.test',
      plugins: [tilesPlugin({ resolveAsset, open: (s) => (opened++, openRaster(s)) })],
    });
  });
  after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  const centre = (): [number, number] => utm2ll.forward([X0 + (N * RES) / 2, Y0 - (N * RES) / 2]) as [number, number];
  const url = encodeURIComponent('s3://bucket/ramp.tif');

  test('a tile decodes to the easting ramp; the reader is opened once for many tiles; ETag/304', async () => {
    const [lon, lat] = centre();
    const z = 13;
    const [x, y] = tileForLonLat(lon, lat, z);
    const lo = X0;
    const hi = X0 + N * RES;
    const before = opened;
    let etag = '';
    for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [-1, 0]] as const) {
      const res = await app.inject({ url: `/tiles/${z}/${x + dx}/${y + dy}.png?url=${url}&rescale=${lo},${hi}` });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['content-type'], 'image/png');
      assert.equal(res.headers['access-control-allow-origin'], '*');
      if (dx === 0 && dy === 0) etag = String(res.headers.etag);
      const png = decodePng(res.rawPayload);
      assert.equal(png.width, 256);
      const t = tileTransform(z, x + dx, y + dy);
      let checked = 0;
      for (let r = 0; r < 256; r += 5)
        for (let c = 0; c < 256; c += 5) {
          const i = (r * 256 + c) * 4;
          if (png.rgba[i + 3] === 0) continue;
          const [e] = merc2utm.forward([t[0] + (c + 0.5) * t[1], t[3] + (r + 0.5) * t[5]]) as [number, number];
          assert.ok(Math.abs(lo + (png.rgba[i]! / 255) * (hi - lo) - e) <= (hi - lo) / 510 + RES, `pixel ${c},${r}`);
          checked++;
        }
      assert.ok(checked > 100);
    }
    assert.equal(opened - before, 1, 'one open for four tiles');
    const again = await app.inject({ url: `/tiles/${z}/${x}/${y}.png?url=${url}&rescale=${lo},${hi}`, headers: { 'if-none-match': etag } });
    assert.equal(again.statusCode, 304);
  });

  test('automatic rescale, colour maps, tiles outside are transparent', async () => {
    const [lon, lat] = centre();
    const [x, y] = tileForLonLat(lon, lat, 12);
    const res = await app.inject({ url: `/tiles/12/${x}/${y}.png?url=${url}&colormap=RdBu_r&resampling=bilinear` });
    assert.equal(res.statusCode, 200, res.body);
    const png = decodePng(res.rawPayload);
    assert.ok(png.rgba.some((v, i) => i % 4 === 3 && v === 255));
    const out = await app.inject({ url: `/tiles/12/${x + 3}/${y}.png?url=${url}` });
    assert.equal(out.statusCode, 200);
    assert.ok(decodePng(out.rawPayload).rgba.every((v) => v === 0));
  });

  test('only resolvable hrefs are served: /etc/passwd, ../../x and unknown keys are 404 problems', async () => {
    for (const bad of ['/etc/passwd', '../../x', 'file:///etc/passwd', `${dir}/ramp.tif`, 'jobs/42/gone.tif']) {
      asked.length = 0;
      const res = await app.inject({ url: `/tiles/1/0/0.png?url=${encodeURIComponent(bad)}` });
      assert.equal(res.statusCode, 404, `${bad}: ${res.body}`);
      assert.match(String(res.headers['content-type']), /problem\+json/);
      const p = res.json() as { parameter?: string; detail: string };
      assert.equal(p.parameter, 'url');
      assert.ok(!p.detail.includes(dir) || bad.includes(dir), 'no resolved path in the message');
      for (const route of ['/preview.png', '/tilejson.json'])
        assert.equal((await app.inject({ url: `${route}?url=${encodeURIComponent(bad)}` })).statusCode, 404);
    }
    // A resolvable file that is not a raster: a 422 problem that names the href, not the file path.
    const txt = await app.inject({ url: `/preview.png?url=${encodeURIComponent('jobs/42/notes.txt')}` });
    assert.equal(txt.statusCode, 422, txt.body);
    assert.ok(!txt.body.includes(dir), txt.body);
    assert.match(txt.body, /jobs\/42\/notes\.txt/);
  });

  test('bad parameters are 400 problems naming the parameter', async () => {
    const cases: [string, string][] = [
      [`/tiles/31/0/0.png?url=${url}`, 'z'],
      [`/tiles/a/0/0.png?url=${url}`, 'z'],
      [`/tiles/2/4/0.png?url=${url}`, 'x'],
      [`/tiles/2/0/-1.png?url=${url}`, 'y'],
      [`/tiles/2/0/0.png`, 'url'],
      [`/tiles/2/0/0.png?url=${url}&rescale=1`, 'rescale'],
      [`/tiles/2/0/0.png?url=${url}&rescale=a,b`, 'rescale'],
      [`/tiles/2/0/0.png?url=${url}&rescale=3,3`, 'rescale'],
      [`/tiles/2/0/0.png?url=${url}&bands=0`, 'bands'],
      [`/tiles/2/0/0.png?url=${url}&bands=2`, 'bands'],
      [`/tiles/2/0/0.png?url=${url}&bands=1,2`, 'bands'],
      [`/tiles/2/0/0.png?url=${url}&colormap=jet`, 'colormap'],
      [`/tiles/2/0/0.png?url=${url}&colormap=gray&colormap=viridis`, 'colormap'],
      [`/tiles/2/0/0.png?url=${url}&nodata=abc`, 'nodata'],
      [`/tiles/2/0/0.png?url=${url}&resampling=lanczos`, 'resampling'],
      [`/preview.png?url=${url}&max_size=5`, 'max_size'],
    ];
    for (const [u, param] of cases) {
      const res = await app.inject({ url: u });
      assert.equal(res.statusCode, 400, `${u}: ${res.body}`);
      const p = res.json() as { parameter?: string; code: string; detail: string };
      assert.equal(p.code, 'GEP_ERR_INVALID_INPUT');
      assert.equal(p.parameter, param, `${u}: ${p.detail}`);
      assert.ok(p.detail.startsWith(param) || p.detail.includes(param), p.detail);
    }
  });

  test('preview: at most max_size, nodata rows transparent', async () => {
    const res = await app.inject({ url: `/preview.png?url=${url}&max_size=128&colormap=viridis` });
    assert.equal(res.statusCode, 200, res.body);
    const png = decodePng(res.rawPayload);
    assert.equal(png.width, 128);
    assert.equal(png.height, 128);
    assert.equal(png.rgba[3], 0); // top rows are nodata
    assert.equal(png.rgba[(127 * 128) * 4 + 3], 255);
  });

  test('TileJSON: bounds, zoom range, a working tile template and a legend', async () => {
    const res = await app.inject({ url: `/tilejson.json?url=${url}&rescale=-1,1&colormap=RdBu` });
    assert.equal(res.statusCode, 200, res.body);
    const tj = res.json() as { tilejson: string; tiles: string[]; bounds: number[]; minzoom: number; maxzoom: number; center: number[]; legend: { colormap: string; min: number; max: number } };
    assert.equal(tj.tilejson, '3.0.0');
    const [lon, lat] = centre();
    assert.ok(tj.bounds[0]! < lon && lon < tj.bounds[2]! && tj.bounds[1]! < lat && lat < tj.bounds[3]!);
    assert.equal(tj.maxzoom, 13); // 20 m at 45 N = 28 Mercator metres: z=13 (19 m) is the first finer zoom
    assert.equal(tj.minzoom, 11); // coarsest overview: 40 m = 57 Mercator metres -> z=11 (76 m) is the last coarser zoom
    assert.deepEqual(tj.legend.colormap, 'RdBu');
    assert.deepEqual([tj.legend.min, tj.legend.max], [-1, 1]);
    const tmpl = tj.tiles[0]!;
    assert.ok(tmpl.startsWith('http://maps.test/tiles/{z}/{x}/{y}.png?url=s3%3A%2F%2Fbucket%2Framp.tif'), tmpl);
    assert.match(tmpl, /rescale=-1%2C1/);
    assert.match(tmpl, /colormap=RdBu/);
    const [x, y] = tileForLonLat(lon, lat, 13);
    const tile = await app.inject({ url: tmpl.replace('http://maps.test', '').replace('{z}', '13').replace('{x}', String(x)).replace('{y}', String(y)) });
    assert.equal(tile.statusCode, 200);
  });

  test('a file replaced on disk is reopened', async () => {
    const before = opened;
    const key = 'jobs/42/swap.tif';
    files[key] = join(dir, 'swap.tif');
    const one = makeRaster([new Uint8Array(256 * 256).fill(10)], 256, 256, { transform: tileTransform(5, 17, 11), crs: { epsg: 3857 } });
    await writeCog(files[key], one);
    const a = decodePng((await app.inject({ url: `/tiles/5/17/11.png?url=${key}` })).rawPayload);
    assert.equal(a.rgba[0], 10);
    await new Promise((r) => setTimeout(r, 20));
    await writeCog(files[key], { ...one, bands: [new Uint8Array(256 * 256).fill(200)] });
    const b = decodePng((await app.inject({ url: `/tiles/5/17/11.png?url=${key}` })).rawPayload);
    assert.equal(b.rgba[0], 200);
    assert.equal(opened - before, 2);
  });
});

describe('reader cache', () => {
  test('bounded LRU; evicted readers close after their last lease; failed opens are not cached', async () => {
    const closed: string[] = [];
    let fail = true;
    const open = async (s: string) => {
      if (s === 'bad' && fail) throw new Error('nope');
      return { info: {} as never, read: async () => ({}) as never, close: async () => void closed.push(s) };
    };
    const cache = new ReaderCache(2, open);
    const a = await cache.acquire('a', '1');
    (await cache.acquire('b', '1')).release();
    (await cache.acquire('c', '1')).release(); // evicts a (still leased)
    assert.equal(cache.size, 2);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(closed, []);
    a.release();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(closed, ['a']);
    (await cache.acquire('b', '2')).release(); // new version: old b closed
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(closed, ['a', 'b']);
    await assert.rejects(cache.acquire('bad', '1'));
    fail = false;
    (await cache.acquire('bad', '1')).release();
    assert.equal(cache.opened, 6);
    const memo = await cache.acquire('c', '1');
    let made = 0;
    await memo.memo('k', async () => ++made);
    await memo.memo('k', async () => ++made);
    assert.equal(made, 1);
    memo.release();
    await cache.clear();
  });
});
