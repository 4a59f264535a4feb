/**
 * MPIC-OPT on inputs held remotely (runServiceLocally, a simulated 96² two-date scene): the COGs uploaded to an S3
 * server (s3rver), served over HTTP with ranges, or described by STAC item JSONs on S3 whose assets are relative
 * keys give dx/dy identical to the run on the local files, with the same cloud masks (the `_20m`/`_60m` siblings are
 * probed next to the remote `_10m` file). Without the siblings the run goes on without a cloud mask and logs why,
 * as it does for a local folder without them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRaster } from '../../src/raster/open.ts';
import { closeLocalPools, runServiceLocally } from '../../src/services/local-runner.ts';
import { simulateScenario } from '../../src/simulate/index.ts';
import { openBlobStore, type BlobStore } from '../../src/store/blobs.ts';
import { startS3, type S3Server } from '../helpers/s3.ts';
import { startStaticServer, type StaticServer } from '../sensors/remote-server.ts';
import { assertSamePixels, readBandF32 } from '../helpers/raster.ts';

const SIZE = 96;

interface Run {
  workspace: string;
  logs: string[];
}

describe('MPIC-OPT on remote inputs', { timeout: 120_000 }, () => {
  let dir: string;
  let cogDir: string;
  let tens: string[];
  let s3: S3Server;
  let http: StaticServer;
  let blobs: BlobStore;
  let n = 0;
  let ref: Run;

  const run = async (images: string[]): Promise<Run> => {
    const workspace = join(dir, `run-${n++}`);
    const logs: string[] = [];
    await runServiceLocally('mpic-opt', { images }, { workspace, workers: 2, log: (level, m) => logs.push(`${level}: ${m}`) });
    return { workspace, logs };
  };

  /** The pair's dx and dy (pixels) of a run. */
  const fields = async (r: Run): Promise<{ dx: Float32Array; dy: Float32Array }> => {
    const pair = (await readdir(r.workspace)).find((f) => /^pair-\d{8}-\d{8}$/.test(f));
    assert.ok(pair, `a pair folder in ${r.workspace}`);
    return { dx: await readBandF32(join(r.workspace, pair, 'dx.tif')), dy: await readBandF32(join(r.workspace, pair, 'dy.tif')) };
  };

  const cloudLogs = (r: Run): string[] => r.logs.filter((l) => /cloud mask/.test(l));

  const sameAsReference = async (r: Run, what: string): Promise<void> => {
    const want = await fields(ref);
    const got = await fields(r);
    assert.ok(assertSamePixels(got.dx, want.dx, `${what} dx`) > 1000, `${what}: dx has valid pixels`);
    assertSamePixels(got.dy, want.dy, `${what} dy`);
    assert.deepEqual(cloudLogs(r), cloudLogs(ref), `${what}: same cloud masks`);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gep-mpic-remote-'));
    await simulateScenario('displacement', { outDir: join(dir, 'scene'), size: SIZE, dates: 2, seed: 3, format: 'cog' });
    cogDir = join(dir, 'scene', 'cog');
    tens = (await readdir(cogDir)).filter((f) => f.endsWith('_10m.tif')).sort();
    ref = await run(tens.map((f) => join(cogDir, f)));
    s3 = await startS3({ bucket: 'gep-mpic', setEnv: true });
    blobs = await openBlobStore(s3.url);
    for (const f of await readdir(cogDir)) await blobs.put(`scenes/${f}`, await readFile(join(cogDir, f)));
    http = await startStaticServer(cogDir);
  });

  after(async () => {
    await closeLocalPools();
    await http?.stop();
    await s3?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('the local run has cloud masks from the 20 m / 60 m siblings', () => {
    const c = cloudLogs(ref);
    assert.equal(c.length, 2, ref.logs.join('\n'));
    for (const l of c) assert.match(l, /cloud mask from fmask with cloud displacement index/);
  });

  test('COGs on S3 (s3://bucket/key?endpoint=..): dx/dy identical to the local run', async () => {
    await sameAsReference(await run(tens.map((f) => blobs.url(`scenes/${f}`))), 'S3');
  });

  test('COGs over HTTP with range requests: dx/dy identical to the local run; siblings probed by name', async () => {
    http.requests.length = 0;
    await sameAsReference(await run(tens.map((f) => `${http.origin}/${f}`)), 'HTTP');
    for (const f of tens) for (const r of ['20m', '60m']) assert.ok(http.requests.includes(`GET /${f.replace('10m', r)}`), `${f}: ${r} sibling read`);
    assert.ok(!http.requests.some((r) => r.endsWith('/')), 'no folder listing');
    console.log(`# HTTP run: ${http.requests.length} requests for ${tens.length} dates x 3 files`);
  });

  test('STAC item JSONs on S3 whose assets are relative keys: dx/dy identical to the local run', async () => {
    const urls: string[] = [];
    for (const f of tens) {
      const stem = f.replace(/_10m\.tif$/, '');
      const assets: Record<string, unknown> = {};
      for (const [res, names] of [['10m', ['B02', 'B03', 'B04', 'B08']], ['20m', ['B07', 'B8A', 'B11', 'B12']], ['60m', ['B01', 'B09', 'B10']]] as const)
        assets[res] = { href: `../../scenes/${stem}_${res}.tif`, type: 'image/tiff; application=geotiff', roles: ['data'], bands: names.map((name) => ({ name })) };
      const r = await openRaster(join(cogDir, f));
      const datetime = r.info.acquisitionTime!;
      await r.close();
      const item = { type: 'Feature', stac_version: '1.1.0', id: `${stem}_10m`, geometry: null, properties: { datetime, 's2:processing_baseline': '05.10' }, links: [], assets };
      const key = `catalog/items/${stem}.json`;
      await blobs.put(key, new TextEncoder().encode(JSON.stringify(item)), { contentType: 'application/json' });
      urls.push(blobs.url(key));
    }
    await sameAsReference(await run(urls), 'STAC items on S3');
  });

  test('missing siblings on S3: no cloud mask, logged, as for a local folder without them', async () => {
    const only = join(dir, 'only10');
    await mkdir(only);
    for (const f of tens) {
      await copyFile(join(cogDir, f), join(only, f));
      await blobs.put(`only10/${f}`, await readFile(join(cogDir, f)));
    }
    const local = await run(tens.map((f) => join(only, f)));
    const remote = await run(tens.map((f) => blobs.url(`only10/${f}`)));
    const lc = cloudLogs(local);
    assert.equal(lc.length, 2);
    for (const l of lc) assert.match(l, /no cloud mask \(bands B11, B12 not found\)/);
    assert.deepEqual(cloudLogs(remote), lc);
    const a = await fields(local);
    const b = await fields(remote);
    assert.ok(assertSamePixels(b.dx, a.dx, 'dx without siblings') > 1000);
    assertSamePixels(b.dy, a.dy, 'dy without siblings');
  });
});
