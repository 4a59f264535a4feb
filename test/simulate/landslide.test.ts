import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { landslideMask, landslideScenario, landslideScl, renderLandslideImage } from '../../src/simulate/landslide.ts';
import { featureCollection, pointInRing, signedArea } from '../../src/simulate/geometry.ts';

describe('landslide scenario', () => {
  const sc = landslideScenario({ seed: 2, size: 256 });

  test('scars, training subset and distractors exist', () => {
    assert.ok(sc.scars.length >= 5, `${sc.scars.length} scars`);
    const nTrain = sc.scars.filter((s) => s.training).length;
    assert.ok(nTrain >= 1 && nTrain < sc.scars.length, `${nTrain} training of ${sc.scars.length}`);
    assert.ok(sc.trainingAreas.length >= 1);
    assert.equal(sc.field.length, 4);
    assert.ok(sc.bank.length > 4);
    for (const s of sc.scars) assert.ok(s.lengthM > s.widthM && s.areaM2 > 0);
  });

  test('truth mask area equals the polygon areas within rasterisation error', () => {
    for (const gsd of [2, 10]) {
      const m = landslideMask(sc, gsd);
      let n = 0;
      for (const v of m) n += v;
      const area = n * gsd * gsd;
      const poly = sc.scars.reduce((a, s) => a + s.areaM2, 0);
      // Rasterisation error is bounded by about half a pixel along the perimeter.
      const perim = sc.scars.reduce((a, s) => a + s.ring.reduce((p, v, i) => p + Math.hypot(v[0] - s.ring[(i + 1) % s.ring.length]![0], v[1] - s.ring[(i + 1) % s.ring.length]![1]), 0), 0);
      assert.ok(Math.abs(area - poly) < 0.5 * perim * gsd * 0.5, `gsd ${gsd}: mask ${area} m² vs polygons ${poly} m²`);
      if (gsd === 2) assert.ok(Math.abs(area - poly) / poly < 0.03);
    }
  });

  test('post-image NDVI drops inside scars, not on stable vegetation', () => {
    const bands = ['B0', 'B1', 'B2', 'B3'];
    const pre = renderLandslideImage(sc, 'pre', 'vhr', bands, 2, { noise: false });
    const post = renderLandslideImage(sc, 'post', 'vhr', bands, 2, { noise: false });
    const mask = landslideMask(sc, 2);
    const scl = landslideScl(sc, 'post', 2);
    const ndvi = (img: Uint16Array[], i: number): number => (img[3]![i]! - img[2]![i]!) / (img[3]![i]! + img[2]![i]!);
    let dIn = 0;
    let nIn = 0;
    let dOut = 0;
    let nOut = 0;
    const W = sc.size;
    for (let i = 0; i < W * W; i++) {
      const x = ((i % W) + 0.5) * 2;
      const y = (Math.floor(i / W) + 0.5) * 2;
      const d = ndvi(post, i) - ndvi(pre, i);
      if (mask[i]) {
        dIn += d;
        nIn++;
      } else if (scl[i] === 4 && !pointInRing(x, y, sc.field) && !pointInRing(x, y, sc.bank)) {
        dOut += d;
        nOut++;
      }
    }
    assert.ok(nIn > 100 && nOut > 1000);
    assert.ok(dIn / nIn < -0.35, `mean NDVI change in scars ${dIn / nIn}`);
    assert.ok(Math.abs(dOut / nOut) < 0.05, `mean NDVI change on stable vegetation ${dOut / nOut}`);
  });

  test('the harvested field and the cloud are changes too (distractors)', () => {
    const post = renderLandslideImage(sc, 'post', 'vhr', ['B2', 'B3'], 2, { noise: false });
    const pre = renderLandslideImage(sc, 'pre', 'vhr', ['B2', 'B3'], 2, { noise: false });
    const [x, y] = sc.field.reduce((a, p) => [a[0] + p[0] / 4, a[1] + p[1] / 4], [0, 0]);
    const i = Math.floor(y / 2) * sc.size + Math.floor(x / 2);
    const nd = (img: Uint16Array[]) => (img[1]![i]! - img[0]![i]!) / (img[1]![i]! + img[0]![i]!);
    assert.ok(nd(pre) > 0.5 && nd(post) < 0.3, `field NDVI ${nd(pre)} -> ${nd(post)}`);
    const scl = landslideScl(sc, 'post', 2);
    assert.ok(scl.some((v) => v === 9), 'a cloud in the post image');
  });

  test('GeoJSON rings are closed and counter-clockwise', () => {
    const fc = featureCollection([{ properties: { id: 1 }, ring: [[0, 0], [0, 1], [1, 1], [1, 0]] }], 32645, 't') as {
      features: { geometry: { coordinates: number[][][] } }[];
      crs: unknown;
    };
    const ring = fc.features[0]!.geometry.coordinates[0]!;
    assert.deepEqual(ring[0], ring[ring.length - 1]);
    assert.ok(signedArea(ring.slice(0, -1) as [number, number][]) > 0);
    assert.ok(fc.crs);
  });

  test('deterministic in the seed', () => {
    const a = landslideScenario({ seed: 2, size: 128 });
    const b = landslideScenario({ seed: 2, size: 128 });
    const c = landslideScenario({ seed: 3, size: 128 });
    assert.deepEqual(a.scars, b.scars);
    assert.notDeepEqual(a.scars, c.scars);
  });
});
