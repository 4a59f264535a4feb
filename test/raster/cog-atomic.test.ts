/**
 * Atomicity and input checks of writeCog: abort mid-write leaves nothing behind (and keeps an older file at the
 * target intact), bad rasters and options are refused before any file is created; encodeCog equals writeCog;
 * BigTIFF and uncompressed outputs are valid COGs.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCog, writeCog, type CogWriteOptions } from '../../src/raster/cog/write.ts';
import { isGepError } from '../../src/core/errors.ts';
import { makeRaster, type Raster } from '../../src/raster/types.ts';
import { skipUnlessGdal } from '../helpers/env.ts';
import { gdalReports, sha256 } from './cog-gdal-helper.ts';

/** Pseudo-random (incompressible) float32 raster: several 8 MB write batches. */
function noise(w: number, h: number): Raster {
  const a = new Float32Array(w * h);
  let s = 12345;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    a[i] = s / 2 ** 32;
  }
  return makeRaster([a], w, h);
}

const code = (c: string) => (e: unknown) => isGepError(e) && e.code === c;

describe('writeCog atomicity and input checks', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gep-cog-atomic-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('abort mid-write leaves no target and no temporary file', async () => {
    const path = join(dir, 'aborted.tif');
    const ctl = new AbortController();
    let sawTemp = false;
    const progress = (f: number): void => {
      if (f > 0.1 && f < 1 && !ctl.signal.aborted) {
        void readdir(dir).then((names) => (sawTemp ||= names.some((n) => n.startsWith('aborted.tif.tmp-'))));
        ctl.abort();
      }
    };
    await assert.rejects(writeCog(path, noise(2048, 2048), { signal: ctl.signal, progress, level: 1 }), code('GEP_ERR_ABORTED'));
    assert.ok(sawTemp, 'the temporary file existed while writing');
    assert.deepEqual(await readdir(dir), []);
  });

  test('an aborted overwrite keeps the previous file intact', async () => {
    const path = join(dir, 'keep.tif');
    await writeFile(path, 'previous');
    const ctl = new AbortController();
    const progress = (f: number): void => {
      if (f > 0.1) ctl.abort();
    };
    await assert.rejects(writeCog(path, noise(2048, 2048), { signal: ctl.signal, progress, level: 1 }), code('GEP_ERR_ABORTED'));
    assert.equal(await readFile(path, 'utf8'), 'previous');
    assert.deepEqual(await readdir(dir), ['keep.tif']);
    await rm(path);
  });

  test('an already aborted signal creates nothing', async () => {
    const path = join(dir, 'pre.tif');
    await assert.rejects(writeCog(path, noise(64, 64), { signal: AbortSignal.abort() }), code('GEP_ERR_ABORTED'));
    assert.deepEqual(await readdir(dir), []);
  });

  test('bad rasters and options throw GEP_ERR_INVALID_INPUT before creating anything', async () => {
    const path = join(dir, 'bad.tif');
    const good = makeRaster([new Uint16Array(12)], 4, 3);
    const bad: [string, Raster, CogWriteOptions?][] = [
      ['band length mismatch', { ...good, bands: [new Uint16Array(11)] }],
      ['width 0', { ...good, width: 0, bands: [new Uint16Array(0)] }],
      ['no bands', { ...good, bands: [] }],
      ['band type', { ...good, bands: [new Uint16Array(12), new Float32Array(12)] }],
      ['declared type', { ...good, dataType: 'int16' }],
      ['fractional size', { ...good, width: 4.5 }],
      ['transform', { ...good, transform: [0, 1, 0, 0, 0, NaN] }],
      ['nodata out of range', { ...good, nodata: 70000 }],
      ['nodata fractional', { ...good, nodata: 1.5 }],
      ['tile size', good, { tileSize: 500 }],
      ['level', good, { level: 12 }],
      ['overviews', good, { overviews: [4, 2] }],
      ['datetime', good, { datetime: 'yesterday' }],
      ['rpc', good, { rpc: { lineOffset: 0, sampOffset: 0, latOffset: 0, longOffset: 0, heightOffset: 0, lineScale: 1, sampScale: 1, latScale: 1, longScale: 1, heightScale: 1, lineNumCoeff: [1], lineDenCoeff: [], sampNumCoeff: [], sampDenCoeff: [] } }],
    ];
    for (const [name, r, o] of bad) {
      await assert.rejects(writeCog(path, r, o), code('GEP_ERR_INVALID_INPUT'), name);
      await assert.rejects(encodeCog(r, o), code('GEP_ERR_INVALID_INPUT'), name);
    }
    assert.deepEqual(await readdir(dir), []);
  });

  test('a missing output folder is GEP_ERR_NOT_FOUND', async () => {
    await assert.rejects(writeCog(join(dir, 'nope', 'x.tif'), noise(8, 8)), code('GEP_ERR_NOT_FOUND'));
  });

  test('encodeCog gives the same bytes as writeCog', async () => {
    const r = noise(700, 600);
    const path = join(dir, 'same.tif');
    await writeCog(path, r, { software: 'x' });
    const mem = await encodeCog(r, { software: 'x' });
    assert.ok(Buffer.from(mem).equals(await readFile(path)));
    await rm(path);
  });
});

describe('writeCog variants through GDAL', skipUnlessGdal(), () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gep-cog-var-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('BigTIFF, no compression, 256 px tiles and level 1 are valid and lossless', async () => {
    const w = 1030;
    const h = 515;
    const bands = [0, 1, 2].map((b) => Int16Array.from({ length: w * h }, (_, i) => ((i * 7 + b * 1000) % 60000) - 30000));
    const r = makeRaster(bands, w, h, { transform: [0, 1, 0, 0, 0, -1], crs: { epsg: 4326 }, nodata: -32768 });
    const variants: CogWriteOptions[] = [{ bigTiff: true }, { compression: 'none' }, { tileSize: 256, level: 1 }, { predictor: 'none' }];
    const paths: string[] = [];
    for (const [i, v] of variants.entries()) {
      const p = join(dir, `v${i}.tif`);
      await writeCog(p, r, v);
      paths.push(p);
    }
    const reports = gdalReports(paths);
    const big = await readFile(paths[0]!);
    assert.equal(big[2], 43, 'BigTIFF magic');
    reports.forEach((rep, i) => {
      assert.deepEqual(rep.errors, [], JSON.stringify(variants[i]));
      assert.deepEqual(rep.sha, bands.map(sha256), JSON.stringify(variants[i]));
    });
    assert.equal(reports[1]!.imageStructure.COMPRESSION, undefined);
    assert.equal(reports[2]!.imageStructure.PREDICTOR, '2');
    assert.equal(reports[3]!.imageStructure.PREDICTOR, undefined);
    assert.deepEqual(reports[2]!.overviews, [
      [515, 257],
      [257, 128],
      [128, 64],
    ]);
  });

  test('thousands of tiny tiles (16 px, constant data) are written in several batches and stay valid', async () => {
    const w = 900;
    const h = 500;
    const a = new Uint8Array(w * h).fill(7);
    a[w * h - 1] = 200;
    const p = join(dir, 'tiny-tiles.tif');
    await writeCog(p, makeRaster([a], w, h), { tileSize: 16 });
    const [rep] = gdalReports([p]);
    assert.deepEqual(rep!.errors, []);
    assert.deepEqual(rep!.sha, [sha256(a)]);
    assert.equal(rep!.overviews.length, 6); // 450x250 ... 14x7: until the level fits in one 16 px tile
  });
});
