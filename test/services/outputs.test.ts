/** STAC catalog of outputs: layout, relative hrefs, provenance, required fields of the STAC item/catalog schemas. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_DATA, skipUnlessShared } from '../helpers/env.ts';
import { STAC_EXT } from '../../src/core/stac.ts';
import { SOFTWARE_VERSION } from '../../src/core/version.ts';
import { inputId, provenanceProperties, resultItem, writeFileAtomic, writeStacCatalog } from '../../src/services/outputs.ts';
import type { ServiceDescription } from '../../src/services/types.ts';

const STAC = join(SHARED_DATA, '..', 'schemas', 'stac-spec');
const dir = mkdtempSync(join(tmpdir(), 'gep-outputs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const desc: ServiceDescription = {
  id: 'demo', version: '2.1.0', title: 'Demo', description: 'd', keywords: [],
  inputs: {
    images: { title: 'Images', description: 'i', schema: { type: 'string' }, maxOccurs: 'unbounded', kind: 'raster' },
    product: { title: 'Product', description: 'p', schema: { type: 'string' }, kind: 'product' },
    windowSize: { title: 'W', description: 'w', schema: { type: 'integer', default: 5 } },
  },
  outputs: {
    velocity: { title: 'Velocity', description: 'v', schema: { type: 'string', contentMediaType: 'image/tiff; application=geotiff; profile=cloud-optimized' } },
    rmse: { title: 'RMSE', description: 'r', schema: { type: 'number' } },
  },
};

describe('STAC outputs', () => {
  const inputs = { images: ['/data/S2A_20200101.tif', 'https://x.org/cogs/S2B_20200111.tif?sig=1'], product: '/data/S2A_MSIL1C_X.SAFE/', windowSize: 7 };

  test('provenance: software version, lineage, parameters, input ids', () => {
    const p = provenanceProperties(desc, inputs, 'gep run demo ...', new Date('2024-01-02T03:04:05Z'));
    assert.deepEqual(p['processing:software'], { gep: SOFTWARE_VERSION });
    assert.equal(p['processing:lineage'], 'gep run demo ...');
    assert.equal(p['processing:datetime'], '2024-01-02T03:04:05.000Z');
    assert.deepEqual(p['gep:parameters'], { windowSize: 7 });
    assert.deepEqual(p['gep:inputs'], ['S2A_20200101.tif', 'S2B_20200111.tif', 'S2A_MSIL1C_X.SAFE']);
    assert.deepEqual(p['gep:process'], { id: 'demo', version: '2.1.0' });
    assert.equal(inputId({ href: 'https://x.org/a/b.json' }), 'b.json');
    assert.equal(inputId(3), null);
  });

  test('catalog.json + item with relative hrefs; file outputs become assets, literals gep:outputs', async () => {
    const ws = join(dir, 'run');
    await writeFileAtomic(join(ws, 'velocity.tif'), new Uint8Array([1, 2, 3]));
    const prov = provenanceProperties(desc, inputs);
    const item = resultItem('job-7', desc, { velocity: join(ws, 'velocity.tif'), rmse: 0.12 }, prov);
    const catalogPath = await writeStacCatalog(ws, { id: 'job-7', description: 'Outputs of Demo' }, [item]);
    assert.equal(catalogPath, join(ws, 'catalog.json'));
    assert.deepEqual(readdirSync(ws).sort(), ['catalog.json', 'job-7', 'velocity.tif'], 'no temporary files left');
    const cat = JSON.parse(readFileSync(catalogPath, 'utf8')) as { type: string; links: { rel: string; href: string }[] };
    assert.equal(cat.type, 'Catalog');
    assert.deepEqual(cat.links.map((l) => [l.rel, l.href]), [['root', './catalog.json'], ['item', './job-7/job-7.json']]);
    const it = JSON.parse(readFileSync(join(ws, 'job-7', 'job-7.json'), 'utf8')) as typeof item;
    assert.equal(it.assets.velocity!.href, '../velocity.tif');
    assert.equal(it.assets.velocity!.type, 'image/tiff; application=geotiff; profile=cloud-optimized');
    assert.deepEqual(it.properties['gep:outputs'], { rmse: 0.12 });
    assert.deepEqual(it.stac_extensions, [STAC_EXT.processing]);
    assert.deepEqual(it.links.map((l) => [l.rel, l.href]), [['root', '../catalog.json'], ['parent', '../catalog.json']]);
    // Relative hrefs resolve to real files.
    assert.deepEqual([...readFileSync(join(ws, 'job-7', it.assets.velocity!.href))], [1, 2, 3]);
  });

  test('item and catalog hold the required fields of the STAC JSON schemas', skipUnlessShared(join('..', 'schemas', 'stac-spec', 'item-spec')), () => {
    const itemSchema = JSON.parse(readFileSync(join(STAC, 'item-spec', 'json-schema', 'item.json'), 'utf8')) as {
      definitions: { core: { allOf: [unknown, { oneOf: { required: string[]; properties: { geometry: { type?: string } } }[] }, { required: string[] }] } };
    };
    const ws = join(dir, 'schema');
    const item = resultItem('job-8', desc, { rmse: 1 }, provenanceProperties(desc, { product: 'p.SAFE' }));
    return writeStacCatalog(ws, { id: 'job-8', description: 'd' }, [item]).then((catalogPath) => {
      const written = JSON.parse(readFileSync(join(ws, 'job-8', 'job-8.json'), 'utf8')) as Record<string, unknown>;
      const [, geom, core] = itemSchema.definitions.core.allOf;
      for (const k of core.required) assert.ok(k in written, `item lacks ${k}`);
      assert.equal(written.type, 'Feature');
      // geometry null: the schema's second branch, which requires geometry and forbids bbox.
      const nullBranch = geom.oneOf.find((b) => b.properties.geometry.type === 'null')!;
      for (const k of nullBranch.required) assert.ok(k in written);
      assert.equal(written.geometry, null);
      assert.equal('bbox' in written, false);
      const props = written.properties as Record<string, unknown>;
      assert.match(String(props.datetime), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      assert.equal('collection' in written, false, 'no collection link, so no collection field');
      for (const l of written.links as { rel: string; href: string }[]) assert.ok(l.rel && l.href);
      const catSchema = JSON.parse(readFileSync(join(STAC, 'catalog-spec', 'json-schema', 'catalog.json'), 'utf8')) as { definitions: { catalog: { required: string[] } } };
      const cat = JSON.parse(readFileSync(catalogPath, 'utf8')) as Record<string, unknown>;
      for (const k of catSchema.definitions.catalog.required) assert.ok(k in cat, `catalog lacks ${k}`);
    });
  });

  test('writeFileAtomic replaces a file whole', async () => {
    const p = join(dir, 'a', 'b.txt');
    writeFileSync(join(dir, 'seed'), 'x');
    await writeFileAtomic(p, 'one');
    await writeFileAtomic(p, 'two');
    assert.equal(readFileSync(p, 'utf8'), 'two');
    assert.deepEqual(readdirSync(join(dir, 'a')), ['b.txt']);
  });
});
