/**
 * MPIC-OPT bad inputs: one image, images that do not overlap, a missing band, another CRS (reprojected), an
 * all-cloud acquisition (empty pairs, then every pair empty), a corrupt file (GepError naming it; exit 2 in the CLI).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isGepError } from '../../src/core/errors.ts';
import { writeCog } from '../../src/raster/cog/write.ts';
import { openGeoTiff } from '../../src/raster/tiff/read.ts';
import { makeRaster, type Raster } from '../../src/raster/types.ts';
import { gridFor, warpRaster } from '../../src/raster/warp.ts';
import { closeLocalPools, runServiceLocally } from '../../src/services/local-runner.ts';
import { readStableMask } from '../../src/services/mpic-opt/inputs.ts';
import { simulateScenario } from '../../src/simulate/index.ts';
import { REPO_ROOT } from '../helpers/env.ts';

let dir: string;
let images: string[];

async function readAll(path: string): Promise<Raster> {
  const r = await openGeoTiff(path);
  try {
    return await r.read();
  } finally {
    await r.close();
  }
}

const run = (inputs: Record<string, unknown>, out: string, log?: (l: string, m: string) => void) =>
  runServiceLocally('mpic-opt', inputs, { workspace: join(dir, out), workers: 0, ...(log ? { log } : {}) });

async function rejects(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isGepError(e), String(e));
    assert.equal(e.code, code);
    assert.match(e.message, re);
    return true;
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mpic-err-'));
  await simulateScenario('displacement', { outDir: dir, size: 96, dates: 3, seed: 3, format: 'cog' });
  images = (await readdir(join(dir, 'cog'))).filter((f) => f.endsWith('_10m.tif')).sort().map((f) => join(dir, 'cog', f));
});
after(async () => {
  await closeLocalPools();
  await rm(dir, { recursive: true, force: true });
});

describe('mpic-opt bad inputs', () => {
  test('one image', async () => {
    await rejects(run({ images: [images[0]] }, 'one'), 'GEP_ERR_INVALID_INPUT', /images/);
  });

  test('missing band names the image and the band', async () => {
    await rejects(run({ images, band: 'B05' }, 'band'), 'GEP_ERR_INVALID_INPUT', /S2_\d{8}_10m\.tif' has no band 'B05'/);
  });

  test('images that do not overlap the first are named', async () => {
    const r = await readAll(images[1]!);
    const t = r.transform!;
    const far = join(dir, 'far_20230801.tif');
    await writeCog(far, { ...r, transform: [t[0] + 50_000, t[1], t[2], t[3], t[4], t[5]] });
    await rejects(run({ images: [images[0], far] }, 'far'), 'GEP_ERR_INVALID_INPUT', /far_20230801\.tif does not overlap/);
  });

  test('another CRS is reprojected onto the first grid (warning logged)', async () => {
    const r = await readAll(images[2]!);
    const g = gridFor({ width: r.width, height: r.height, transform: r.transform!, crs: r.crs! }, { epsg: 32632 });
    const w = warpRaster(r, g, { resampling: 'cubic' });
    const other = join(dir, 'utm32_20230722.tif');
    await writeCog(other, w);
    const logs: string[] = [];
    const res = await run({ images: [images[0], other], cloudMask: false }, 'crs', (l, m) => logs.push(`${l} ${m}`));
    assert.ok(logs.some((m) => /warn .*another CRS.*reprojected/.test(m)), logs.join('\n'));
    assert.equal(res.outputs.emptyPairs, 0);
  });

  test('an all-cloud acquisition gives empty pairs; all pairs empty still finishes', async () => {
    // bright, flat "cloud" in every band (10 m and 20 m files of one acquisition)
    for (const res of ['10m', '20m']) {
      const src = await readAll(images[1]!.replace('_10m', `_${res}`));
      const bands = src.bands.map(() => new Uint16Array(src.width * src.height).fill(8000));
      await writeCog(join(dir, `CLOUD_20230705_${res}.tif`), makeRaster(bands, src.width, src.height, { transform: src.transform, crs: src.crs, bandNames: src.bandNames }));
    }
    const cloud = join(dir, 'CLOUD_20230705_10m.tif');
    const logs: string[] = [];
    const res = await run({ images: [images[0], cloud, images[2]] }, 'cloud', (l, m) => logs.push(`${l} ${m}`));
    assert.equal(res.outputs.pairs, 3);
    assert.equal(res.outputs.emptyPairs, 2);
    const id = `pair-${images[0]!.match(/(\d{8})/)![1]}-20230705`;
    const item = JSON.parse(await readFile(join(dir, 'cloud', id, `${id}.json`), 'utf8')) as { properties: Record<string, unknown>; assets: Record<string, unknown> };
    assert.equal(item.properties['gep:empty'], true);
    assert.match(String(item.properties['gep:empty_reason']), /cloud|no match/);
    assert.ok(!item.assets.dx);
    const all = await run({ images: [images[0], cloud] }, 'allcloud', (l, m) => logs.push(`${l} ${m}`));
    assert.equal(all.outputs.emptyPairs, 1);
    assert.ok(logs.some((m) => /warn all 1 pair\(s\) are empty/.test(m)));
    const fused = JSON.parse(await readFile(join(dir, 'allcloud', 'fused', 'fused.json'), 'utf8')) as { properties: Record<string, unknown>; assets: Record<string, unknown> };
    assert.equal(fused.properties['gep:empty'], true);
    assert.deepEqual(fused.assets, {});
  });

  test('a corrupt file is named (GepError; exit code 2 in the CLI)', async () => {
    const bad = join(dir, 'broken_20230710.tif');
    await writeFile(bad, Buffer.from('II*\u0000garbage that is not a TIFF at all'));
    await assert.rejects(run({ images: [images[0], bad] }, 'corrupt'), (e: unknown) => {
      assert.ok(isGepError(e));
      assert.match(e.message, /broken_20230710\.tif/);
      return true;
    });
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/gep.js'), 'run', 'mpic-opt', '--images', images[0]!, bad, '--out', join(dir, 'cli')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /broken_20230710\.tif/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
});

describe('mpic-opt stable-ground mask input', () => {
  const grid = { width: 6, height: 4, transform: null, crs: null, gsdX: 10, gsdY: 10, window: { x0: 2, y0: 1, width: 6, height: 4 }, sourceWidth: 10, sourceHeight: 8 };

  test('read onto the working window: 1 = stable, anything else not', async () => {
    const v = new Uint8Array(80);
    for (let i = 0; i < 80; i++) v[i] = i % 10 < 5 ? 1 : i % 10 === 9 ? 2 : 0; // columns 0-4 stable, 9 = other value
    const path = join(dir, 'stable-ok.tif');
    await writeCog(path, makeRaster([v], 10, 8, {}));
    const { mask, stable } = await readStableMask(path, grid);
    assert.equal(mask.length, 24);
    // window columns 2..7: source columns 2, 3, 4 stable
    assert.deepEqual([...mask.subarray(0, 6)], [1, 1, 1, 0, 0, 0]);
    assert.equal(stable, 12);
  });

  test('wrong size, no stable pixel, unreadable file: GEP_ERR_INVALID_INPUT naming stableMask', async () => {
    const small = join(dir, 'stable-small.tif');
    await writeCog(small, makeRaster([new Uint8Array(12).fill(1)], 4, 3, {}));
    const none = join(dir, 'stable-none.tif');
    await writeCog(none, makeRaster([new Uint8Array(80)], 10, 8, {}));
    const junk = join(dir, 'stable-junk.tif');
    await writeFile(junk, 'not a raster');
    for (const [p, re] of [[small, /4x3 pixels/], [none, /no pixel equal to 1/], [junk, /cannot be read/]] as const) {
      await assert.rejects(readStableMask(p, grid), (e: unknown) => isGepError(e) && e.code === 'GEP_ERR_INVALID_INPUT' && /stableMask/.test(e.message) && re.test(e.message));
    }
  });
});
