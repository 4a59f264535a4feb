/**
 * System tests of `gep ingest` and `gep harvest`: real processes on a temporary data folder, exit codes, the
 * summary line, per-path errors, the message for a data folder held by a running server, --server, and a
 * harvest from a fake STAC API on loopback.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/env.ts';
import { writeCog } from '../../src/raster/cog/write.ts';
import { makeRaster } from '../../src/raster/types.ts';

/** Runs gep asynchronously (the fake servers live in this process). */
function gep(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(REPO_ROOT, 'bin/gep.js'), ...args], { cwd: REPO_ROOT });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const t = setTimeout(() => p.kill(), 50_000);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, out, err });
    });
  });
}

describe('gep ingest / gep harvest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gep-cli-ingest-'));
  const scenes = join(dir, 'scenes');
  const data = join(dir, 'data');
  let server: Server;
  let url: string;
  const posted: string[] = [];

  before(async () => {
    mkdirSync(scenes);
    for (const d of ['20230501', '20230601']) {
      const a = new Uint16Array(70 * 50).map((_, i) => (i * 13) % 3000);
      await writeCog(join(scenes, `site_${d}.tif`), makeRaster([a], 70, 50, { transform: [600000, 20, 0, 4800000, 0, -20], crs: { epsg: 32631 }, nodata: 0 }));
    }
    writeFileSync(join(dir, 'bad_20230101.tif'), 'garbage');
    // One fake server: a STAC transaction API (ingest --server) and a one-page STAC search API (harvest).
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const send = (s: number, b: unknown): void => void res.writeHead(s, { 'content-type': 'application/json' }).end(JSON.stringify(b));
        const path = req.url ?? '';
        if (req.method === 'GET' && path.startsWith('/collections/')) return send(200, { type: 'Collection', id: path.split('/')[2], description: 'd', license: 'other', extent: { spatial: { bbox: [[0, 0, 1, 1]] }, temporal: { interval: [[null, null]] } }, links: [] });
        if (req.method === 'POST' && /^\/collections\/[^/]+\/items$/.test(path)) {
          posted.push((JSON.parse(raw) as { id: string }).id);
          return send(201, {});
        }
        if (req.method === 'POST' && path === '/search') {
          const f = (id: string) => ({ type: 'Feature', stac_version: '1.1.0', id, collection: 'remote', geometry: null, properties: { datetime: '2024-01-01T00:00:00Z' }, links: [], assets: { a: { href: 'https://x/a.tif' } } });
          return send(200, { type: 'FeatureCollection', features: [f('r1'), f('r2'), { id: 'broken' }], links: [] });
        }
        send(404, {});
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('ingest a folder: summary, thumbnails in DATA/blobs; again: updated; exit 0', async () => {
    const r = await gep(['ingest', scenes, '--data', data]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /ingested 2 items \(2 new, 0 updated\) into geotiff \(2\)/);
    assert.ok(existsSync(join(data, 'blobs', 'thumbnails', 'geotiff', 'site_20230501.png')));
    const again = await gep(['ingest', scenes, '--data', data, '--json']);
    assert.equal(again.code, 0, again.err);
    const j = JSON.parse(again.out) as { inserted: number; updated: number; items: { id: string }[] };
    assert.deepEqual([j.inserted, j.updated, j.items.length], [0, 2, 2]);
  });

  test('some paths bad: exit 0 with errors on stderr; all bad: exit 2; no path: exit 2', async () => {
    const some = await gep(['ingest', join(scenes, 'site_20230501.tif'), join(dir, 'bad_20230101.tif'), join(dir, 'nope'), '--data', data]);
    assert.equal(some.code, 0, some.err);
    assert.match(some.out, /ingested 1 item \(0 new, 1 updated\) into geotiff \(1\); 2 failed/);
    assert.match(some.err, /error: .*bad_20230101\.tif/);
    assert.match(some.err, /error: .*nope: no such file or folder/);
    assert.doesNotMatch(some.err, /\bat .*\.ts:\d+/);
    const all = await gep(['ingest', join(dir, 'bad_20230101.tif'), '--data', data]);
    assert.equal(all.code, 2);
    assert.match(all.out, /ingested 0 items.*; 1 failed/);
    const none = await gep(['ingest', '--data', data]);
    assert.equal(none.code, 2);
    assert.match(none.err, /give at least one PATH/);
  });

  test('a data folder held by a running server: exit 2, told to use --server', async () => {
    const held = join(dir, 'held');
    mkdirSync(held);
    writeFileSync(join(held, 'db.lock'), String(process.pid)); // this test process plays the server
    const r = await gep(['ingest', scenes, '--data', held]);
    assert.equal(r.code, 2);
    assert.match(r.err, /the data folder .*held is in use by a running server: use --server URL/);
  });

  test('--server sends the items through the STAC transaction API', async () => {
    const r = await gep(['ingest', scenes, '--server', url]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /ingested 2 items \(2 new, 0 updated\)/);
    assert.deepEqual(posted.sort(), ['site_20230501', 'site_20230601']);
  });

  test('harvest: items copied, the broken one skipped and named', async () => {
    const r = await gep(['harvest', '--from', url, '--collections', 'remote', '--data', data]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /harvested 2 items in 1 page; 1 skipped/);
    assert.match(r.err, /skipped: .*feature 2.*type must be "Feature"/);
    const bad = await gep(['harvest', '--collections', 'remote', '--data', data]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--from is required/);
  });
});
