/** Plain JPEG reader (src/raster/jpeg.ts), its sniffing in openRaster and the image product reader. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { isGepError } from '../../src/core/errors.ts';
import { decodeJpeg, openJpeg, readJpegFrame } from '../../src/raster/jpeg.ts';
import { openRaster } from '../../src/raster/open.ts';
import { openProduct } from '../../src/sensors/index.ts';
import { sharedData, skipUnlessShared } from '../helpers/env.ts';

let dir: string;
let bytes: Uint8Array;
const W = 40;
const H = 24;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jpeg-'));
  const rgba = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const k = (y * W + x) * 4;
      rgba[k] = 50 + 4 * x; // red ramps east
      rgba[k + 1] = 40 + 6 * y; // green ramps south
      rgba[k + 2] = 128;
      rgba[k + 3] = 255;
    }
  bytes = new Uint8Array(jpeg.encode({ data: rgba, width: W, height: H }, 100).data);
  await writeFile(join(dir, 'scene_20200116.jpg'), bytes);
});
after(() => rm(dir, { recursive: true, force: true }));

describe('jpeg reader', () => {
  test('frame header and decoded values (RGB bands, not georeferenced)', async () => {
    assert.deepEqual(readJpegFrame(bytes, 'x'), { width: W, height: H, components: 3, precision: 8 });
    const r = await openRaster(join(dir, 'scene_20200116.jpg'));
    assert.equal(r.info.width, W);
    assert.equal(r.info.bandCount, 3);
    assert.equal(r.info.transform, null);
    const all = await r.read();
    assert.equal(all.dataType, 'uint8');
    for (const [x, y] of [[0, 0], [20, 10], [39, 23]] as const) {
      assert.ok(Math.abs(all.bands[0]![y * W + x]! - (50 + 4 * x)) <= 3, 'red');
      assert.ok(Math.abs(all.bands[1]![y * W + x]! - (40 + 6 * y)) <= 3, 'green');
    }
    const win = await r.read({ window: { x0: 10, y0: 5, width: 8, height: 4 }, bands: [1] });
    assert.equal(win.bands.length, 1);
    assert.equal(win.bands[0]![0], all.bands[1]![5 * W + 10]);
    await assert.rejects(r.read({ window: { x0: 35, y0: 0, width: 8, height: 4 } }), /outside/);
    await r.close();
  });

  test('corrupt, truncated and too large files', async () => {
    const trunc = bytes.slice(0, 200);
    assert.throws(() => decodeJpeg(trunc, 'cut.jpg'), (e: unknown) => isGepError(e) && e.code === 'GEP_ERR_CORRUPT_FILE' && /cut\.jpg/.test(e.message));
    assert.throws(() => readJpegFrame(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 200]), 'bad.jpg'), (e: unknown) => isGepError(e) && e.code === 'GEP_ERR_CORRUPT_FILE');
    assert.throws(() => decodeJpeg(bytes, 'big.jpg', { maxPixels: 100 }), (e: unknown) => isGepError(e) && e.code === 'GEP_ERR_TOO_LARGE');
    await assert.rejects(openJpeg(bytes, { name: 'big.jpg', maxBytes: 10 }).then((r) => r.read()), /big\.jpg/);
  });

  test('image product: date from the name, bands B1..B3', async () => {
    const p = await openProduct(join(dir, 'scene_20200116.jpg'));
    assert.equal(p.metadata.datetime, '2020-01-16T00:00:00Z');
    assert.deepEqual(p.bands.map((b) => b.name), ['B1', 'B2', 'B3']);
    const g = await p.readBand('B2');
    assert.equal(g.width, W);
    await assert.rejects(p.readBand('B04'), /no band 'B04'/);
    await p.close();
    await writeFile(join(dir, 'nodate.jpg'), bytes);
    await assert.rejects(openProduct(join(dir, 'nodate.jpg')), /no acquisition time/);
  });

  test('a real Sentinel-2 JPEG (Perito Moreno)', skipUnlessShared('s2-perito-moreno-giv'), async () => {
    const p = sharedData('s2-perito-moreno-giv/images/20200101.jpg')!;
    const r = await openRaster(p);
    assert.deepEqual([r.info.width, r.info.height, r.info.bandCount], [1731, 1231, 3]);
    const ras = await r.read({ window: { x0: 800, y0: 600, width: 64, height: 64 } });
    assert.ok(ras.bands[1]!.some((v) => v > 0));
    await r.close();
  });
});
