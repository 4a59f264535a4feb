/**
 * Ingestion of the simulator's products (known truth): SAFE folders, DIMAP products and plain COGs become items
 * with the simulated acquisition times, footprints on the simulated UTM grids, cloud cover, sun angles and
 * thumbnails; ingesting again updates; bad paths are reported without stopping the batch. Real data (shared):
 * the AROSICS Sentinel-2 crops of tile 33UUU.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import proj4 from 'proj4';
import { ingestPaths } from '../../src/catalog/ingest.ts';
import { thumbnailKey } from '../../src/catalog/thumbnails.ts';
import type { GepError } from '../../src/core/errors.ts';
import type { StacItem } from '../../src/core/stac.ts';
import { simulateScenario } from '../../src/simulate/write.ts';
import { openBlobStore } from '../../src/store/blobs.ts';
import type { BlobStore } from '../../src/store/blobs.ts';
import { openDb } from '../../src/store/db.ts';
import type { Db } from '../../src/store/db.ts';
import { getCollection, getItem } from '../../src/store/items.ts';
import { sharedData, skipUnlessShared } from '../helpers/env.ts';

const AROSICS = 's2-t33uuu-pair-arosics';

/** [w, s, e, n] in degrees of a UTM box [x0, y0, x1, y1] (corners and edge midpoints). */
function utmBoxToLonLat(zone: number, x0: number, y0: number, x1: number, y1: number): number[] {
  const conv = proj4(`+proj=utm +zone=${zone} +datum=WGS84 +units=m +no_defs`, 'EPSG:4326');
  const pts = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [(x0 + x1) / 2, y0], [(x0 + x1) / 2, y1], [x0, (y0 + y1) / 2], [x1, (y0 + y1) / 2]].map((p) => conv.forward(p));
  return [Math.min(...pts.map((p) => p[0]!)), Math.min(...pts.map((p) => p[1]!)), Math.max(...pts.map((p) => p[0]!)), Math.max(...pts.map((p) => p[1]!))];
}

function assertPng(bytes: Uint8Array, maxSide: number): { width: number; height: number } {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(String.fromCharCode(...bytes.subarray(12, 16)), 'IHDR');
  const width = dv.getUint32(16);
  const height = dv.getUint32(20);
  assert.ok(width > 0 && height > 0 && Math.max(width, height) <= maxSide, `thumbnail ${width}x${height}`);
  assert.equal(String.fromCharCode(...bytes.subarray(bytes.length - 8, bytes.length - 4)), 'IEND');
  return { width, height };
}

async function blobBytes(blobs: BlobStore, key: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of await blobs.get(key)) chunks.push(c as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

const byId = (items: StacItem[], collection: string, id: string): StacItem => {
  const it = items.find((i) => i.collection === collection && i.id === id);
  assert.ok(it, `item ${collection}/${id}`);
  return it;
};

describe('ingest simulated products', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gep-ingest-'));
  const disp = join(dir, 'disp');
  const stereo = join(dir, 'stereo');
  let db: Db;
  let blobs: BlobStore;
  let first: Awaited<ReturnType<typeof ingestPaths>>;
  type Truth = { parameters: { transform10m: number[]; origin: number[]; extentM: number; datetime: string; sun: { zenith: number; azimuth: number }; dates: { datetime: string; spacecraft: string; sun: { zenith: number }; clouds: { cover: number } | null }[] } };
  let dispTruth: Truth;
  let stereoTruth: Truth;
  const batches: StacItem[][] = [];

  before(async () => {
    await simulateScenario('displacement', { outDir: disp, size: 64, format: 'all' });
    await simulateScenario('stereo', { outDir: stereo, size: 64, format: 'all' });
    dispTruth = JSON.parse(readFileSync(join(disp, 'truth.json'), 'utf8')) as Truth;
    stereoTruth = JSON.parse(readFileSync(join(stereo, 'truth.json'), 'utf8')) as Truth;
    db = await openDb('memory://');
    blobs = await openBlobStore(`file://${join(dir, 'blobs')}`);
    first = await ingestPaths(db, [join(disp, 'safe'), join(disp, 'cog'), join(stereo, 'dimap'), join(stereo, 'cog')], {
      blobs,
      onItems: async (items) => void batches.push(items),
    });
  });
  after(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('each SAFE, DIMAP and COG becomes one item in the collection of its sensor', () => {
    assert.deepEqual(first.errors, []);
    assert.deepEqual(first.warnings, []);
    const count = (c: string): number => first.items.filter((i) => i.collection === c).length;
    assert.deepEqual({ s2: count('sentinel-2-l1c'), geotiff: count('geotiff'), pleiades: count('pleiades') }, { s2: 4, geotiff: 12 + 3, pleiades: 3 });
    assert.equal(first.inserted, 22);
    assert.equal(first.updated, 0);
    assert.equal(batches.flat().length, 22, 'onItems saw every stored item');
  });

  test('Sentinel-2 SAFE items: datetime, footprint on the 10 m grid, cloud cover, platform, sun angles, proj', () => {
    const t = dispTruth.parameters;
    const [x0, , , y0] = [t.transform10m[0]!, 0, 0, t.transform10m[3]!];
    const want = utmBoxToLonLat(33, x0, y0 - 64 * 10, x0 + 64 * 10, y0);
    const safes = first.items.filter((i) => i.collection === 'sentinel-2-l1c').sort((a, b) => a.properties.datetime!.localeCompare(b.properties.datetime!));
    safes.forEach((it, k) => {
      const d = t.dates[k]!;
      assert.equal(it.properties.datetime, d.datetime);
      assert.equal(it.properties.platform, d.spacecraft.toLowerCase());
      assert.deepEqual(it.properties.instruments, ['msi']);
      assert.equal(it.properties.gsd, 10);
      assert.equal(it.properties['proj:code'], 'EPSG:32633');
      assert.ok(Math.abs((it.properties['eo:cloud_cover'] as number) - (d.clouds ? d.clouds.cover * 100 : 0)) < 0.1, `cloud cover of ${it.id}`);
      assert.ok(Math.abs((it.properties['view:sun_elevation'] as number) - (90 - d.sun.zenith)) < 1e-3);
      assert.equal(typeof it.properties['view:sun_azimuth'], 'number');
      it.bbox!.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `bbox[${i}] ${v} vs ${want[i]}`));
      assert.equal(it.geometry?.type, 'Polygon');
      // Band assets: absolute paths of files that exist.
      const b04 = it.assets.B04!;
      assert.ok(b04.href.startsWith(join(disp, 'safe')) && existsSync(b04.href), b04.href);
      assert.deepEqual(b04.roles, ['data']);
    });
  });

  test('Pléiades DIMAP items: acquisition time, RPC footprint over the simulated UTM 32N box, sun angles', () => {
    const t = stereoTruth.parameters;
    const [ox, oy] = [t.origin[0]!, t.origin[1]!];
    const want = utmBoxToLonLat(32, ox, oy - t.extentM, ox + t.extentM, oy);
    const items = first.items.filter((i) => i.collection === 'pleiades');
    assert.deepEqual(items.map((i) => i.id).sort(), ['PHR1A_20220814_SEN_P_BACKWARD', 'PHR1A_20220814_SEN_P_FORWARD', 'PHR1A_20220814_SEN_P_NADIR']);
    const nadir = byId(items, 'pleiades', 'PHR1A_20220814_SEN_P_NADIR');
    assert.equal(nadir.properties.datetime, t.datetime);
    assert.equal(nadir.properties.platform, 'phr1a');
    assert.equal(nadir.properties['view:sun_elevation'], 90 - t.sun.zenith);
    assert.equal(nadir.properties['view:sun_azimuth'], t.sun.azimuth);
    // The RPC footprint at the reference height lies within a few metres (1e-4 deg ~ 8 m) of the ground box.
    for (const it of items) it.bbox!.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-4, `${it.id} bbox[${i}] ${v} vs ${want[i]}`));
    assert.ok(existsSync(nadir.assets.P!.href));
  });

  test('plain COGs: time from the name, footprint, collection geotiff', () => {
    const cog = byId(first.items, 'geotiff', 'S2_20230712_10m');
    assert.equal(cog.properties.datetime, '2023-07-12T10:10:29Z');
    assert.equal(cog.properties.gsd, 10);
    const safe = first.items.find((i) => i.collection === 'sentinel-2-l1c' && i.properties.datetime === dispTruth.parameters.dates[1]!.datetime)!;
    cog.bbox!.forEach((v, i) => assert.ok(Math.abs(v - safe.bbox![i]!) < 1e-6));
  });

  test('thumbnails: a PNG per item in the blob store, referenced by a thumbnail asset', async () => {
    for (const it of first.items) {
      const a = it.assets.thumbnail;
      assert.ok(a, `thumbnail of ${it.collection}/${it.id}`);
      assert.deepEqual(a.roles, ['thumbnail']);
      assert.equal(a.type, 'image/png');
      assert.equal(a.href, thumbnailKey(it.collection!, it.id));
      assert.equal(a.href, `thumbnails/${it.collection}/${it.id}.png`);
      const size = assertPng(await blobBytes(blobs, a.href), 256);
      // Full resolution here (64 px scenes): the size of the item's finest band.
      const finest = Math.max(...Object.values(it.assets).map((x) => ((x['proj:shape'] as number[] | undefined) ?? [0, 0])[1]!));
      assert.equal(size.width, finest, `${it.id}: thumbnail ${size.width} px wide, finest band ${finest}`);
    }
    assert.equal((await blobs.head('thumbnails/sentinel-2-l1c/' + first.items.find((i) => i.collection === 'sentinel-2-l1c')!.id + '.png'))?.contentType, 'image/png');
  });

  test('collections created with licences and summaries; extents follow the items', async () => {
    const s2 = await getCollection(db, 'sentinel-2-l1c');
    assert.equal(s2?.license, 'other');
    assert.ok(s2?.links.some((l) => l.rel === 'license'));
    assert.deepEqual((s2?.summaries as { instruments: string[] }).instruments, ['msi']);
    const t = dispTruth.parameters.dates;
    assert.deepEqual(s2?.extent.temporal.interval, [[t[0]!.datetime, t[t.length - 1]!.datetime]]);
    const bb = s2!.extent.spatial.bbox[0]!;
    const safe = first.items.find((i) => i.collection === 'sentinel-2-l1c')!;
    bb.forEach((v, i) => assert.ok(Math.abs(v - safe.bbox![i]!) < 1e-9));
    assert.equal((await getCollection(db, 'pleiades'))?.license, 'proprietary');
  });

  test('ingesting again updates the items (same ids), never duplicates', async () => {
    const again = await ingestPaths(db, [join(disp, 'safe'), join(disp, 'cog'), join(stereo, 'dimap'), join(stereo, 'cog')], { blobs });
    assert.deepEqual({ inserted: again.inserted, updated: again.updated, errors: again.errors.length }, { inserted: 0, updated: 22, errors: 0 });
    const n = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM items')).rows[0]!.n;
    assert.equal(n, 22);
  });

  test('bad paths are reported one by one and do not stop the batch', async () => {
    const junk = join(dir, 'junk_20200101.tif');
    writeFileSync(junk, 'not a tiff');
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'hello');
    const good = join(disp, 'cog', 'S2_20230702_10m.tif');
    const r = await ingestPaths(db, [join(dir, 'missing.tif'), junk, join(disp, 'truth', 'truth-velocity.tif'), notes, good, join(disp, 'truth.json')], { blobs });
    assert.equal(r.items.length, 1);
    assert.equal(r.updated, 1);
    const msg = (p: string): string => r.errors.find((e) => e.path === p)?.message ?? '';
    assert.match(msg(join(dir, 'missing.tif')), /missing\.tif: no such file or folder/);
    assert.match(msg(junk), /junk_20200101\.tif/);
    assert.match(msg(join(disp, 'truth', 'truth-velocity.tif')), /truth-velocity\.tif: no acquisition time/);
    assert.match(msg(notes), /notes\.txt: not a product we recognise/);
    assert.match(msg(join(disp, 'truth.json')), /truth\.json.*type must be "Feature"/);
    assert.equal(r.errors.length, 5);
  });

  test('a STAC item JSON is stored as it is (relative hrefs made absolute); --collection puts it where asked', async () => {
    const p = join(dir, 'item.json');
    const item = {
      type: 'Feature',
      stac_version: '1.1.0',
      id: 'my-item',
      geometry: { type: 'Polygon', coordinates: [[[10, 45], [11, 45], [11, 46], [10, 46], [10, 45]]] },
      bbox: [10, 45, 11, 46],
      properties: { datetime: '2024-03-01T10:00:00Z', 'custom:field': 7 },
      links: [{ rel: 'self', href: 'item.json' }],
      assets: { data: { href: 'data/image.tif', type: 'image/tiff' } },
    };
    writeFileSync(p, JSON.stringify(item));
    const r = await ingestPaths(db, [p], { blobs, collection: 'my-uploads' });
    assert.deepEqual(r.errors, []);
    const stored = await getItem(db, 'my-uploads', 'my-item');
    assert.equal(stored?.assets.data?.href, join(dir, 'data', 'image.tif'));
    assert.equal(stored?.properties['custom:field'], 7);
    assert.equal((await getCollection(db, 'my-uploads'))?.license, 'other');
    assert.match(r.warnings[0]?.message ?? '', /no thumbnail/);
  });

  test('cancelled through the AbortSignal: GEP_ERR_ABORTED', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(ingestPaths(db, [join(disp, 'cog')], { signal: ac.signal }), (e: GepError) => e.code === 'GEP_ERR_ABORTED');
  });

  test('real data: the AROSICS Sentinel-2 crops (T33UUU) as geotiff items in UTM 33N', skipUnlessShared(AROSICS), async () => {
    const root = sharedData(AROSICS)!;
    const tifs = ['ref_S2A_20160608T153121_T33UUU_sub.tif', 'tgt_S2A_20160529T153631_T33UUU_sub.tif'].map((f) => join(root, f));
    const r = await ingestPaths(db, tifs, { blobs });
    assert.deepEqual(r.errors, []);
    assert.equal(r.items.length, 2);
    for (const it of r.items) {
      assert.equal(it.collection, 'geotiff');
      assert.equal(it.properties['proj:code'], 'EPSG:32633');
      const [w, s, e, n] = it.bbox!;
      // Tile 33UUU lies in UTM zone 33N (12..18 E) west of its central meridian, around 52.5-53 N.
      assert.ok(w! > 12 && e! < 13.2 && s! > 52.4 && n! < 53.1, `bbox ${it.bbox}`);
      assert.ok(e! - w! > 0.25 && n! - s! > 0.25, 'a 24-32 km crop');
      assertPng(await blobBytes(blobs, it.assets.thumbnail!.href), 256);
    }
    assert.equal(byId(r.items, 'geotiff', 'ref_S2A_20160608T153121_T33UUU_sub').properties.datetime, '2016-06-08T15:31:21Z');
  });
});
