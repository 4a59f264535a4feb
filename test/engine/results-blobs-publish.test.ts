/**
 * publishResults (src/engine/publish.ts) on a local blob store: which files a result references and therefore moves,
 * the keys and media types they get, what stays as it was (URLs, files outside the workspace, unreferenced files),
 * the catalog published last, a missing asset failing before anything moves, and publishing twice to the same keys.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishResults } from '../../src/engine/publish.ts';
import { writeStacCatalog } from '../../src/services/outputs.ts';
import type { ServiceDescription } from '../../src/services/types.ts';
import type { StacItem } from '../../src/core/stac.ts';
import { openBlobStore, type BlobStore } from '../../src/store/blobs.ts';
import { listKeys } from '../helpers/blobs.ts';

const desc: ServiceDescription = {
  id: 'pub-test',
  version: '1.0.0',
  title: 'Publish test',
  description: 'test',
  keywords: [],
  inputs: {},
  outputs: {
    catalog: { title: 'Catalog', description: 'STAC catalog', schema: { type: 'string', contentMediaType: 'application/json' } },
    log: { title: 'Log', description: 'a text file', schema: { type: 'string', contentMediaType: 'text/plain' } },
    count: { title: 'Count', description: 'a number', schema: { type: 'integer' } },
  },
};

const item = (id: string, assets: StacItem['assets']): StacItem => ({
  type: 'Feature',
  stac_version: '1.1.0',
  stac_extensions: [],
  id,
  geometry: null,
  properties: { datetime: '2024-01-01T00:00:00Z' },
  links: [],
  assets,
});

describe('publishResults', () => {
  let dir: string;
  let blobs: BlobStore;
  const list = (prefix: string): Promise<string[]> => listKeys(blobs, prefix);

  /** A workspace with a catalog of one item (a COG, a URL, a file outside), a log file and a stray file. */
  async function workspace(name: string, withCog = true): Promise<{ ws: string; catalog: string; outside: string }> {
    const ws = join(dir, name);
    await mkdir(join(ws, 'a'), { recursive: true });
    if (withCog) await writeFile(join(ws, 'a', 'x.tif'), new Uint8Array([73, 73, 42, 0, 1, 2, 3]));
    await writeFile(join(ws, 'run.log'), 'done\n');
    await writeFile(join(ws, 'stray.tmp'), 'not referenced');
    const outside = join(dir, 'elsewhere.tif');
    await writeFile(outside, 'x');
    const catalog = await writeStacCatalog(ws, { id: 'c', description: 'd' }, [
      item('a', {
        x: { href: join(ws, 'a', 'x.tif'), type: 'image/tiff; application=geotiff; profile=cloud-optimized', roles: ['data'] },
        remote: { href: 'https://data.example/r.tif', roles: ['data'] },
        dem: { href: outside, roles: ['data'] },
      }),
    ]);
    return { ws, catalog, outside };
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gep-publish-'));
    blobs = await openBlobStore(`file://${join(dir, 'store')}`);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('moves referenced files to jobs/<id>/..., keys in items and outputs, others untouched', async () => {
    const { ws, catalog, outside } = await workspace('w1');
    const pub = await publishResults(blobs, 'J1', ws, desc, { outputs: { catalog, log: 'run.log', count: 3 }, stac: { catalog } });
    assert.deepEqual(await list('jobs/J1/'), ['jobs/J1/a/a.json', 'jobs/J1/a/x.tif', 'jobs/J1/catalog.json', 'jobs/J1/run.log']);
    assert.equal(pub.keys.at(-1), 'jobs/J1/catalog.json', 'the catalog last');
    assert.deepEqual(pub.outputs, { catalog: 'jobs/J1/catalog.json', log: 'jobs/J1/run.log', count: 3 });
    const a = pub.items![0]!.assets;
    assert.equal(a.x!.href, 'jobs/J1/a/x.tif');
    assert.equal(a.remote!.href, 'https://data.example/r.tif');
    assert.equal(a.dem!.href, outside);
    assert.equal((await blobs.head('jobs/J1/a/x.tif'))?.contentType, 'image/tiff; application=geotiff; profile=cloud-optimized');
    assert.equal((await blobs.head('jobs/J1/a/a.json'))?.contentType, 'application/geo+json');
    assert.equal((await blobs.head('jobs/J1/catalog.json'))?.contentType, 'application/json');
    assert.equal((await blobs.head('jobs/J1/run.log'))?.contentType, 'text/plain');
    assert.deepEqual([...(await readFile(blobs.url('jobs/J1/a/x.tif')))], [73, 73, 42, 0, 1, 2, 3]);
    // the published item keeps its relative asset href: the catalog in the store is self-contained
    const stored = JSON.parse(await readFile(blobs.url('jobs/J1/a/a.json'), 'utf8')) as StacItem;
    assert.equal(stored.assets.x!.href, './x.tif');
    assert.equal(existsSync(join(ws, 'a', 'x.tif')), false, 'moved, not copied');
    assert.equal(existsSync(join(ws, 'stray.tmp')), true, 'unreferenced files stay in scratch');
    assert.equal(existsSync(outside), true);
  });

  test('a missing asset fails before anything moves; publishing again overwrites the same keys', async () => {
    const { ws, catalog } = await workspace('w2', false);
    await assert.rejects(publishResults(blobs, 'J2', ws, desc, { outputs: { catalog }, stac: { catalog } }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'GEP_ERR_INTERNAL');
      assert.match(e.message, /pub-test.*x\.tif.*no such file was written/);
      return true;
    });
    assert.deepEqual(await list('jobs/J2/'), []);
    assert.equal(existsSync(catalog), true);
    const again = await workspace('w3');
    await publishResults(blobs, 'J1', again.ws, desc, { outputs: { catalog: again.catalog, log: join(again.ws, 'run.log') }, stac: { catalog: again.catalog } });
    assert.deepEqual(await list('jobs/J1/'), ['jobs/J1/a/a.json', 'jobs/J1/a/x.tif', 'jobs/J1/catalog.json', 'jobs/J1/run.log']);
  });
});
