import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.ts';
import { COG_TYPE, parseRange } from '../../src/api/plugins/assets.ts';
import { writeCog } from '../../src/raster/cog/write.ts';
import { makeRaster } from '../../src/raster/types.ts';
import { skipUnlessGdal } from '../helpers/env.ts';

const run = promisify(execFile);

describe('parseRange (RFC 9110 §14)', () => {
  test('single ranges, suffixes, open ends, unsatisfiable and ignored forms', () => {
    assert.deepEqual(parseRange('bytes=0-99', 1000), { kind: 'range', start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=990-2000', 1000), { kind: 'range', start: 990, end: 999 });
    assert.deepEqual(parseRange('bytes=500-', 1000), { kind: 'range', start: 500, end: 999 });
    assert.deepEqual(parseRange('bytes=-100', 1000), { kind: 'range', start: 900, end: 999 });
    assert.deepEqual(parseRange('bytes=-5000', 1000), { kind: 'range', start: 0, end: 999 });
    assert.deepEqual(parseRange('bytes=1000-', 1000), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=-0', 1000), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=0-0', 0), { kind: 'unsatisfiable' });
    for (const ignored of [undefined, 'bytes=5-2', 'bytes=0-1,5-6', 'items=0-5', 'bytes=-', 'bytes=a-b'])
      assert.deepEqual(parseRange(ignored, 1000), { kind: 'none' }, String(ignored));
  });
});

describe('assets plugin', () => {
  let dir = '';
  let app: FastifyInstance;
  let cog = Buffer.alloc(0);
  const map: Record<string, string> = {};
  const asked: string[] = [];
  let base = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gep-api-assets-'));
    await mkdir(join(dir, 'jobs', '7'), { recursive: true });
    const W = 700;
    const H = 500;
    const band = new Uint16Array(W * H);
    for (let i = 0; i < band.length; i++) band[i] = (i * 7919) % 65521;
    map['jobs/7/velocity.tif'] = join(dir, 'jobs', '7', 'velocity.tif');
    await writeCog(map['jobs/7/velocity.tif'], makeRaster([band], W, H, { transform: [500000, 10, 0, 4000000, 0, -10], crs: { epsg: 32633 } }), { tileSize: 256 });
    cog = await readFile(map['jobs/7/velocity.tif']);
    map['jobs/7/log.txt'] = join(dir, 'jobs', '7', 'log.txt');
    await writeFile(map['jobs/7/log.txt'], 'hello\n');
    map['jobs/7/empty.bin'] = join(dir, 'jobs', '7', 'empty.bin');
    await writeFile(map['jobs/7/empty.bin'], '');
    map['jobs/7'] = join(dir, 'jobs', '7'); // a directory: never served
    map['remote/a.tif'] = 'REDIRECT';
    app = await buildServer({
      resolveAsset: async (key) => {
        asked.push(key);
        if (map[key] === 'REDIRECT') return { url: 'https://data.example.org/a.tif' };
        if (key === 'over-http/velocity.tif' && base) return { url: `${base}/assets/jobs/7/velocity.tif` };
        // A deliberately naive resolver: joins anything it is given. The plugin must never pass it '..'.
        return Object.hasOwn(map, key) ? { path: map[key]! } : key.startsWith('raw/') ? { path: join(dir, key.slice(4)) } : null;
      },
    });
  });
  after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('whole file: 200, length, type, validators, CORS', async () => {
    const res = await app.inject({ url: '/assets/jobs/7/velocity.tif' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], COG_TYPE);
    assert.equal(res.headers['accept-ranges'], 'bytes');
    assert.equal(Number(res.headers['content-length']), cog.length);
    assert.ok(res.rawPayload.equals(cog));
    assert.match(String(res.headers.etag), /^"[0-9a-f]+-[0-9a-f]+"$/);
    assert.ok(res.headers['last-modified']);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.match(String(res.headers['access-control-expose-headers']), /Content-Range/);
    const txt = await app.inject({ url: '/assets/jobs/7/log.txt' });
    assert.equal(txt.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(txt.body, 'hello\n');
    const empty = await app.inject({ url: '/assets/jobs/7/empty.bin' });
    assert.equal(empty.statusCode, 200);
    assert.equal(empty.headers['content-length'], '0');
    assert.equal((await app.inject({ url: '/assets/jobs/7/empty.bin', headers: { range: 'bytes=0-0' } })).statusCode, 416);
  });

  test('single ranges -> 206 with Content-Range; unsatisfiable -> 416; bad or multiple ranges -> 200', async () => {
    const size = cog.length;
    for (const [h, s, e] of [
      ['bytes=0-99', 0, 99],
      ['bytes=100-', 100, size - 1],
      ['bytes=-50', size - 50, size - 1],
      [`bytes=${size - 10}-${size + 100}`, size - 10, size - 1],
    ] as const) {
      const res = await app.inject({ url: '/assets/jobs/7/velocity.tif', headers: { range: h } });
      assert.equal(res.statusCode, 206, h);
      assert.equal(res.headers['content-range'], `bytes ${s}-${e}/${size}`);
      assert.equal(Number(res.headers['content-length']), e - s + 1);
      assert.ok(res.rawPayload.equals(cog.subarray(s, e + 1)), h);
    }
    const bad = await app.inject({ url: '/assets/jobs/7/velocity.tif', headers: { range: `bytes=${size}-` } });
    assert.equal(bad.statusCode, 416);
    assert.equal(bad.headers['content-range'], `bytes */${size}`);
    assert.match(String(bad.headers['content-type']), /problem\+json/);
    for (const h of ['bytes=10-5', 'bytes=0-1,4-5', 'lines=1-2']) {
      const res = await app.inject({ url: '/assets/jobs/7/velocity.tif', headers: { range: h } });
      assert.equal(res.statusCode, 200, h);
      assert.equal(res.rawPayload.length, size);
    }
  });

  test('HEAD, conditional requests, If-Range', async () => {
    const head = await app.inject({ method: 'HEAD', url: '/assets/jobs/7/velocity.tif' });
    assert.equal(head.statusCode, 200);
    assert.equal(Number(head.headers['content-length']), cog.length);
    assert.equal(head.rawPayload.length, 0);
    const etag = String(head.headers.etag);
    const headRange = await app.inject({ method: 'HEAD', url: '/assets/jobs/7/velocity.tif', headers: { range: 'bytes=0-9' } });
    assert.equal(headRange.statusCode, 206);
    assert.equal(headRange.headers['content-length'], '10');
    assert.equal((await app.inject({ url: '/assets/jobs/7/velocity.tif', headers: { 'if-none-match': etag } })).statusCode, 304);
    assert.equal((await app.inject({ url: '/assets/jobs/7/velocity.tif', headers: { 'if-none-match': '"other", ' + etag } })).statusCode, 304);
    assert.equal((await app.inject({ url: '/assets/jobs/7/velocity.tif', headers: { 'if-modified-since': String(head.headers['last-modified']) } })).statusCode, 304);
    const stale = await app.inject({ url: '/assets/jobs/7/velocity.tif', headers: { range: 'bytes=0-9', 'if-range': '"stale"' } });
    assert.equal(stale.statusCode, 200);
    const fresh = await app.inject({ url: '/assets/jobs/7/velocity.tif', headers: { range: 'bytes=0-9', 'if-range': etag } });
    assert.equal(fresh.statusCode, 206);
  });

  test('path traversal is impossible; unknown keys and directories are 404; URLs are redirected', async () => {
    asked.length = 0;
    for (const u of ['/assets/raw/..%2F..%2F..%2Fetc%2Fpasswd', '/assets/raw%5C..%5Cx', '/assets/%2Fetc%2Fpasswd', '/assets/a//b', '/assets/raw/a%00b']) {
      const res = await app.inject({ url: u });
      assert.equal(res.statusCode, 400, `${u}: ${res.body}`);
      assert.match(String(res.headers['content-type']), /problem\+json/);
    }
    assert.deepEqual(asked, [], 'the resolver never sees a traversal key');
    // Dot segments in the path itself are removed by URL normalisation before routing: never a traversal.
    for (const u of ['/assets/raw/%2e%2e/%2e%2e/etc/passwd', '/assets/../../etc/passwd', '/assets/raw/../../x'])
      assert.equal((await app.inject({ url: u })).statusCode, 404, u);
    assert.ok((asked as string[]).every((k) => !k.split('/').includes('..')), asked.join(' '));
    assert.equal((await app.inject({ url: '/assets/nothing/here.tif' })).statusCode, 404);
    assert.equal((await app.inject({ url: '/assets/jobs/7' })).statusCode, 404);
    assert.equal((await app.inject({ url: '/assets/raw/missing.tif' })).statusCode, 404);
    const redirect = await app.inject({ url: '/assets/remote/a.tif' });
    assert.equal(redirect.statusCode, 302);
    assert.equal(redirect.headers.location, 'https://data.example.org/a.tif');
    const long = `/assets/${'k'.repeat(300)}/x.tif`;
    assert.equal((await app.inject({ url: long })).statusCode, 404);
  });

  test('a real listening server: fetch with Range; GDAL reads the COG through /vsicurl/', async (t) => {
    const addr = await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `${addr}/assets/jobs/7/velocity.tif`;
    const res = await fetch(url, { headers: { range: 'bytes=8-23' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), `bytes 8-23/${cog.length}`);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(cog.subarray(8, 24)));
    const whole = await fetch(url);
    assert.ok(Buffer.from(await whole.arrayBuffer()).equals(cog));

    // A raw request keeps '%2e%2e' encoded past URL normalisation: the router decodes it, the key check refuses it.
    const raw = await new Promise<string>((resolve, reject) => {
      const u = new URL(addr);
      const sock = connect(Number(u.port), u.hostname, () =>
        sock.end('GET /assets/raw/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      );
      let text = '';
      sock.on('data', (d) => (text += d.toString('latin1')));
      sock.on('end', () => resolve(text));
      sock.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 400 /);
    assert.ok(!raw.includes('root:'));

    // Tiles read a COG over HTTP (range requests against this same server's /assets route).
    base = addr;
    const preview = await fetch(`${addr}/preview.png?url=over-http/velocity.tif&max_size=64`);
    assert.equal(preview.status, 200, await preview.clone().text());
    assert.equal(preview.headers.get('content-type'), 'image/png');
    assert.ok((await preview.arrayBuffer()).byteLength > 100);

    await t.test('gdalinfo over /vsicurl/ matches the local file', skipUnlessGdal(), async () => {
      const env = { ...process.env, GDAL_HTTP_MULTIRANGE: 'NO', CPL_VSIL_CURL_ALLOWED_EXTENSIONS: '.tif', GDAL_DISABLE_READDIR_ON_OPEN: 'EMPTY_DIR', CPL_CURL_VERBOSE: 'NO' };
      // Async: the server runs in this process, so a blocking child would deadlock it.
      const remote = JSON.parse((await run('gdalinfo', ['-json', '-checksum', `/vsicurl/${url}`], { env })).stdout) as { size: number[]; bands: { checksum: number }[] };
      const local = JSON.parse((await run('gdalinfo', ['-json', '-checksum', map['jobs/7/velocity.tif']!])).stdout) as { size: number[]; bands: { checksum: number }[] };
      assert.deepEqual(remote.size, [700, 500]);
      assert.deepEqual(remote.size, local.size);
      assert.equal(remote.bands[0]!.checksum, local.bands[0]!.checksum);
    });
  });
});
