/**
 * Job results in the blob store, embedded deployment (PGlite in memory, local blob store, scratch in a temp
 * folder): an MPIC-OPT job on a simulated 96² two-date scene publishes its STAC catalog and COGs under
 * `jobs/<id>/`, the catalogue items and the `catalog` output name those keys, every COG read back from the store
 * (openRaster(blobs.url(key))) has the pixels the service wrote (captured before the move) and those of a local run
 * on the same inputs, the results API streams the file output from the store, nothing is left in scratch, dismiss
 * deletes the keys. Inputs that are catalogue items with blob-key assets run from the store. A run whose publishing
 * fails half-way leaves no key behind; a failed service publishes nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildServer } from '../../src/api/server.ts';
import { processesPlugin } from '../../src/api/plugins/processes.ts';
import { Engine } from '../../src/engine/engine.ts';
import { closeLocalPools, runServiceLocally } from '../../src/services/local-runner.ts';
import { registerService } from '../../src/services/registry.ts';
import { simulateScenario } from '../../src/simulate/index.ts';
import { openBlobStore, type BlobStore } from '../../src/store/blobs.ts';
import { openDb, type Db } from '../../src/store/db.ts';
import { getCollection, searchItems, upsertCollection, upsertItems } from '../../src/store/index.ts';
import type { StacItem } from '../../src/core/stac.ts';
import { assertSamePixels, readBandF32 } from '../helpers/raster.ts';
import { listKeys } from '../helpers/blobs.ts';

const SIZE = 96;

/** A store that records the first band of every .tif it is given (before the move) and can fail on a key. */
function recording(base: BlobStore, seen: Map<string, Float32Array>, failOn: { key: RegExp | null }): BlobStore {
  return {
    kind: base.kind,
    location: base.location,
    put: (k, d, o) => base.put(k, d, o),
    async putFile(key, path, opts) {
      if (failOn.key?.test(key)) throw new Error(`disk full (test) at ${key}`);
      if (key.endsWith('.tif')) seen.set(key, await readBandF32(path));
      return base.putFile(key, path, opts);
    },
    get: (k, r) => base.get(k, r),
    head: (k) => base.head(k),
    delete: (k) => base.delete(k),
    deletePrefix: (p) => base.deletePrefix(p),
    list: (p) => base.list(p),
    localPath: (k) => base.localPath(k),
    url: (k) => base.url(k),
  };
}

// A service with a plain file output (no STAC catalog of its own), failing on request after writing its file.
registerService({
  description: {
    id: 'blob-file-test',
    version: '1.0.0',
    title: 'File output (test)',
    description: 'Writes report.txt with the message; fails after writing it when asked.',
    keywords: ['test'],
    inputs: {
      message: { title: 'Message', description: 'Text to write.', schema: { type: 'string' } },
      fail: { title: 'Fail', description: 'Fail after writing.', schema: { type: 'boolean', default: false } },
    },
    outputs: {
      report: { title: 'Report', description: 'The message as text.', schema: { type: 'string', contentMediaType: 'text/plain' } },
      length: { title: 'Length', description: 'Characters written.', schema: { type: 'integer' } },
    },
  },
  async run(ctx) {
    const { message, fail } = ctx.inputs as { message: string; fail: boolean };
    await writeFile(join(ctx.workspace, 'report.txt'), message);
    if (fail) throw new Error('failed on purpose after writing report.txt');
    return { outputs: { report: 'report.txt', length: message.length } };
  },
});

describe('job results in the blob store (embedded)', { timeout: 90_000 }, () => {
  let dir: string;
  let scratch: string;
  let db: Db;
  let base: BlobStore;
  let blobs: BlobStore;
  let engine: Engine;
  let images: string[];
  const seen = new Map<string, Float32Array>();
  const failOn: { key: RegExp | null } = { key: null };
  let firstJob = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gep-results-blobs-'));
    scratch = join(dir, 'scratch');
    await simulateScenario('displacement', { outDir: join(dir, 'scene'), size: SIZE, dates: 2, seed: 3, format: 'cog' });
    images = (await readdir(join(dir, 'scene', 'cog'))).filter((f) => f.endsWith('_10m.tif')).sort().map((f) => join(dir, 'scene', 'cog', f));
    db = await openDb('memory://');
    base = await openBlobStore(`file://${join(dir, 'blobs')}`);
    blobs = recording(base, seen, failOn);
    engine = await Engine.open({ db, blobs, scratch, localThreads: 2, pollMs: 50 });
  });

  after(async () => {
    await engine?.close();
    await closeLocalPools();
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('an MPIC-OPT job publishes its catalog and COGs under jobs/<id>/; items and outputs name the keys', async () => {
    const job = await engine.submit({ process: 'mpic-opt', inputs: { images } });
    const done = await engine.waitFor(job.id, { timeoutMs: 60_000 });
    assert.equal(done.status, 'successful', done.message ?? '');
    firstJob = job.id;
    const prefix = `jobs/${job.id}/`;
    assert.equal(done.outputs?.catalog, `${prefix}catalog.json`);
    assert.equal(done.outputs?.pairs, 1);
    assert.equal(done.workspace, `jobs/${job.id}`);

    const keys = await listKeys(base, prefix);
    const pairId = keys.find((k) => /\/pair-\d{8}-\d{8}\.json$/.test(k))!.split('/')[2]!;
    const expected = [
      'catalog.json',
      `${pairId}/${pairId}.json`,
      ...['correlation', 'dx', 'dx_m', 'dy', 'dy_m', 'mask'].map((k) => `${pairId}/${k}.tif`),
      'fused/fused.json',
    ];
    for (const e of expected) assert.ok(keys.includes(prefix + e), `${prefix + e} published (keys: ${keys.join(', ')})`);
    assert.ok(keys.filter((k) => k.startsWith(`${prefix}fused/`) && k.endsWith('.tif')).length >= 5, 'fused COGs published');
    assert.ok(!keys.some((k) => k.includes('.mpic-scratch') || k.includes('/inputs/')), 'only referenced files are published');

    // Catalogue items: every asset href is a published key with its media type.
    const { items } = await searchItems(db, { collections: [`job-${job.id}`], limit: 10 } as Parameters<typeof searchItems>[1]);
    assert.deepEqual(items.map((i) => i.id).sort(), ['fused', pairId]);
    let assets = 0;
    for (const it of items) {
      for (const a of Object.values(it.assets)) {
        assert.ok(a.href.startsWith(prefix), `${it.id}: asset href ${a.href} is a key under ${prefix}`);
        const h = await base.head(a.href);
        assert.ok(h && h.size > 0, `${a.href} in the store`);
        assert.equal(h.contentType, a.type);
        assets++;
      }
    }
    assert.equal(assets, keys.filter((k) => k.endsWith('.tif')).length, 'one key per asset');

    // The published catalog is self-contained: its relative links lead to published keys.
    const cat = JSON.parse(await readFile(base.url(`${prefix}catalog.json`), 'utf8')) as { links: { rel: string; href: string }[] };
    for (const l of cat.links.filter((x) => x.rel === 'item')) assert.ok(keys.includes(prefix + l.href.replace(/^\.\//, '')), l.href);

    // Pixels: read back through the store's URL = what the service wrote = a local run on the same inputs.
    const ref = join(dir, 'reference');
    await runServiceLocally('mpic-opt', { images }, { workspace: ref, workers: 2 });
    let compared = 0;
    for (const k of keys.filter((x) => x.endsWith('.tif'))) {
      const stored = await readBandF32(base.url(k));
      assert.equal(stored.length, SIZE * SIZE);
      assertSamePixels(stored, seen.get(k)!, `${k} vs the file the service wrote`);
      const finite = assertSamePixels(stored, await readBandF32(join(ref, k.slice(prefix.length))), `${k} vs a local run`);
      if (k.endsWith('/dx.tif')) assert.ok(finite > 1000, `dx has ${finite} valid pixels`);
      compared++;
    }
    assert.ok(compared >= 11);

    // Nothing is left in scratch.
    assert.deepEqual(await readdir(join(scratch, 'jobs')).catch(() => []), []);
  });

  test('results API: the file output streams from the store; dismiss deletes the keys', async () => {
    const app = await buildServer({ baseUrl: 'http://gep.test', plugins: [processesPlugin({ engine })] });
    try {
      const doc = (await app.inject({ method: 'GET', url: `/jobs/${firstJob}/results` })).json<Record<string, { href: string; type: string }>>();
      assert.equal(doc.catalog?.href, `http://gep.test/jobs/${firstJob}/results/catalog`);
      assert.equal(doc.catalog?.type, 'application/json');
      const raw = await app.inject({ method: 'GET', url: `/jobs/${firstJob}/results/catalog` });
      assert.equal(raw.statusCode, 200);
      assert.match(String(raw.headers['content-type']), /^application\/json/);
      const stored = await readFile(base.url(`jobs/${firstJob}/catalog.json`), 'utf8');
      assert.equal(raw.body, stored);
      assert.equal(Number(raw.headers['content-length']), Buffer.byteLength(stored));
      assert.equal((JSON.parse(raw.body) as { type: string }).type, 'Catalog');
      // byte ranges and validators, as for /assets (GDAL's /vsicurl/ reads COG outputs this way)
      assert.equal(raw.headers['accept-ranges'], 'bytes');
      const part = await app.inject({ method: 'GET', url: `/jobs/${firstJob}/results/catalog`, headers: { range: 'bytes=10-29' } });
      assert.equal(part.statusCode, 206);
      assert.equal(part.headers['content-range'], `bytes 10-29/${Buffer.byteLength(stored)}`);
      assert.equal(part.body, Buffer.from(stored).subarray(10, 30).toString());
      const etag = String(raw.headers.etag);
      assert.match(etag, /^"/);
      assert.equal((await app.inject({ method: 'GET', url: `/jobs/${firstJob}/results/catalog`, headers: { 'if-none-match': etag } })).statusCode, 304);
      const beyond = await app.inject({ method: 'GET', url: `/jobs/${firstJob}/results/catalog`, headers: { range: `bytes=${Buffer.byteLength(stored)}-` } });
      assert.equal(beyond.statusCode, 416);
      const d = await app.inject({ method: 'DELETE', url: `/jobs/${firstJob}` });
      assert.equal(d.statusCode, 200);
    } finally {
      await app.close();
    }
    assert.deepEqual(await listKeys(base, `jobs/${firstJob}/`), []);
    assert.equal(await getCollection(db, `job-${firstJob}`), null);
  });

  test('catalogue items whose assets are blob keys are inputs read from the store', async () => {
    await upsertCollection(db, {
      type: 'Collection',
      stac_version: '1.1.0',
      stac_extensions: [],
      id: 'stored-scenes',
      description: 'scenes kept in the blob store',
      license: 'other',
      extent: { spatial: { bbox: [[-180, -90, 180, 90]] }, temporal: { interval: [[null, null]] } },
      links: [],
    });
    // The 20 m and 60 m siblings too: MPIC-OPT's cloud mask reads them next to the 10 m file.
    const cogDir = join(dir, 'scene', 'cog');
    for (const f of await readdir(cogDir)) await base.put(`scenes/${f}`, await readFile(join(cogDir, f)), { contentType: 'image/tiff; application=geotiff' });
    const items: StacItem[] = [];
    for (const img of images) {
      const key = `scenes/${basename(img)}`;
      items.push({
        type: 'Feature',
        stac_version: '1.1.0',
        stac_extensions: [],
        id: basename(img, '.tif'),
        collection: 'stored-scenes',
        geometry: null,
        properties: { datetime: '2023-07-02T00:00:00Z' },
        links: [],
        assets: { image: { href: key, type: 'image/tiff; application=geotiff', roles: ['data'] } },
      });
    }
    await upsertItems(db, items);
    const job = await engine.submit({ process: 'mpic-opt', inputs: { images: items.map((i) => `stored-scenes/${i.id}`) } });
    const done = await engine.waitFor(job.id, { timeoutMs: 60_000 });
    assert.equal(done.status, 'successful', done.message ?? '');
    assert.deepEqual((done.provenance?.['gep:inputs'] as string[]).filter((i) => i.startsWith('stored-scenes/')).sort(), items.map((i) => `stored-scenes/${i.id}`).sort());
    const logs = await engine.logs(job.id);
    assert.ok(logs.some((l) => l.message.startsWith('catalogue items: stored-scenes/')));
    // Same inputs as the first job: the same displacement field.
    const keys = await listKeys(base, `jobs/${job.id}/`);
    const dx = keys.find((k) => k.endsWith('/dx.tif'))!;
    const ref = join(dir, 'reference', dx.split('/').slice(2).join('/'));
    assert.ok(assertSamePixels(await readBandF32(base.url(dx)), await readBandF32(ref), 'dx from stored inputs') > 1000);

    // Over HTTP, the items passed by reference (OGC links to their STAC URLs) give the same field.
    const app = await buildServer({ baseUrl: 'http://gep.test', plugins: [processesPlugin({ engine })] });
    try {
      const images = items.map((i) => ({ href: `http://gep.test/collections/stored-scenes/items/${i.id}`, type: 'application/geo+json' }));
      const res = await app.inject({ method: 'POST', url: '/processes/mpic-opt/execution', headers: { prefer: 'respond-async' }, payload: { inputs: { images } } });
      assert.equal(res.statusCode, 201, res.body);
      const viaHttp = await engine.waitFor(res.json<{ jobID: string }>().jobID, { timeoutMs: 60_000 });
      assert.equal(viaHttp.status, 'successful', viaHttp.message ?? '');
      const dx2 = (await listKeys(base, `jobs/${viaHttp.id}/`)).find((k) => k.endsWith('/dx.tif'))!;
      assertSamePixels(await readBandF32(base.url(dx2)), await readBandF32(ref), 'dx from items passed as links');
    } finally {
      await app.close();
    }
  });

  test('non-catalog file outputs are published; a run that fails (service or publishing) leaves no key', async () => {
    const ok = await engine.waitFor((await engine.submit({ process: 'blob-file-test', inputs: { message: 'hello blobs' } })).id);
    assert.equal(ok.status, 'successful', ok.message ?? '');
    assert.equal(ok.outputs?.report, `jobs/${ok.id}/report.txt`);
    assert.equal(ok.outputs?.length, 11);
    assert.equal(await readFile(base.url(`jobs/${ok.id}/report.txt`), 'utf8'), 'hello blobs');
    assert.equal((await base.head(`jobs/${ok.id}/report.txt`))?.contentType, 'text/plain');
    const { items } = await searchItems(db, { collections: [`job-${ok.id}`], limit: 10 } as Parameters<typeof searchItems>[1]);
    assert.equal(items[0]!.assets.report?.href, `jobs/${ok.id}/report.txt`);

    const bad = await engine.waitFor((await engine.submit({ process: 'blob-file-test', inputs: { message: 'x', fail: true } })).id);
    assert.equal(bad.status, 'failed');
    assert.deepEqual(await listKeys(base, `jobs/${bad.id}/`), []);

    // Publishing fails after some files moved: they are deleted again and the job fails.
    failOn.key = /\/fused\/fused\.json$/;
    try {
      const half = await engine.waitFor((await engine.submit({ process: 'mpic-opt', inputs: { images } })).id, { timeoutMs: 60_000 });
      assert.equal(half.status, 'failed');
      assert.match(half.message ?? '', /disk full \(test\)/);
      assert.deepEqual(await listKeys(base, `jobs/${half.id}/`), []);
      assert.equal(await getCollection(db, `job-${half.id}`), null);
    } finally {
      failOn.key = null;
    }
    assert.deepEqual(await readdir(join(scratch, 'jobs')).catch(() => []), [], 'no scratch left by failed runs');
  });
});
