import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labelComponents } from '../../../src/algorithms/cloudmask/morphology.ts';
import { matchShadows, potentialShadow } from '../../../src/algorithms/cloudmask/shadow.ts';
import { resolveOptions } from '../../../src/algorithms/cloudmask/types.ts';

const W = 120;
const H = 120;

/** A 10x10 cloud at (55..64, 55..64) and a dark square shadow at the given offset. */
function setup(dx: number, dy: number) {
  const cloud = new Uint8Array(W * H);
  const pot = new Uint8Array(W * H);
  for (let y = 55; y < 65; y++) for (let x = 55; x < 65; x++) cloud[y * W + x] = 1;
  for (let y = 55; y < 65; y++) for (let x = 55; x < 65; x++) pot[(y + dy) * W + x + dx] = 1;
  return { cloud, pot, valid: new Uint8Array(W * H).fill(1), objects: labelComponents(cloud, W, H) };
}

describe('matchShadows', () => {
  // 100 m pixels, 45° zenith: a cloud at 2000 m casts its shadow 2000 m = 20 px away.
  for (const [az, dx, dy, where] of [
    [180, 0, -20, 'sun south: shadow north (up)'],
    [0, 0, 20, 'sun north: shadow south (down)'],
    [90, -20, 0, 'sun east: shadow west (left)'],
    [270, 20, 0, 'sun west: shadow east (right)'],
  ] as const) {
    test(`${where}, found at the right height`, () => {
      const { cloud, pot, valid, objects } = setup(dx, dy);
      const o = resolveOptions({ sensor: 'sentinel-2', sunZenith: 45, sunAzimuth: az, pixelSize: 100 });
      const sh = matchShadows(objects, cloud, pot, valid, W, H, o, undefined, NaN, NaN);
      let hit = 0;
      let total = 0;
      for (let i = 0; i < W * H; i++) {
        total += sh[i]!;
        if (sh[i] && pot[i]) hit++;
      }
      assert.equal(hit, 100);
      assert.equal(total, 100);
    });
  }

  test('a potential shadow on the sun side is not matched', () => {
    const { cloud, pot, valid, objects } = setup(0, 20); // dark square south, sun in the south
    const o = resolveOptions({ sensor: 'sentinel-2', sunZenith: 45, sunAzimuth: 180, pixelSize: 100 });
    const sh = matchShadows(objects, cloud, pot, valid, W, H, o, undefined, NaN, NaN);
    assert.equal(sh.reduce((a, b) => a + b, 0), 0);
  });

  test('heights outside cloudHeights are not searched', () => {
    const { cloud, pot, valid, objects } = setup(0, -20); // 2000 m
    const o = resolveOptions({ sensor: 'sentinel-2', sunZenith: 45, sunAzimuth: 180, pixelSize: 100, cloudHeights: [3000, 8000] });
    const sh = matchShadows(objects, cloud, pot, valid, W, H, o, undefined, NaN, NaN);
    assert.equal(sh.reduce((a, b) => a + b, 0), 0);
  });

  test('with thermal data the height range follows the cloud temperature', () => {
    const { cloud, pot, valid, objects } = setup(0, -20); // 2000 m
    const bt = new Float32Array(W * H).fill(295);
    for (let i = 0; i < W * H; i++) if (cloud[i]) bt[i] = 295 - 6.5e-3 * 2000;
    const o = resolveOptions({ sensor: 'landsat-8', sunZenith: 45, sunAzimuth: 180, pixelSize: 100 });
    const sh = matchShadows(objects, cloud, pot, valid, W, H, o, bt, 294, 296);
    assert.equal(sh.reduce((a, b) => a + b, 0), 100);
    // A much colder cloud (8 km) can only be searched high: the 2 km shadow is not matched.
    for (let i = 0; i < W * H; i++) if (cloud[i]) bt[i] = 295 - 8 * 8000e-3;
    const sh2 = matchShadows(objects, cloud, pot, valid, W, H, o, bt, 294, 296);
    assert.equal(sh2.reduce((a, b) => a + b, 0), 0);
  });
});

describe('potentialShadow', () => {
  test('a dark patch in NIR and SWIR1 is potential shadow; water and bright patches are not', () => {
    const n = W * H;
    const nir = new Float32Array(n).fill(0.3);
    const swir1 = new Float32Array(n).fill(0.2);
    const water = new Uint8Array(n);
    for (let y = 20; y < 30; y++) {
      for (let x = 20; x < 30; x++) {
        nir[y * W + x] = 0.08;
        swir1[y * W + x] = 0.05;
      }
    }
    for (let y = 70; y < 80; y++) {
      for (let x = 70; x < 80; x++) {
        nir[y * W + x] = 0.02; // dark lake
        swir1[y * W + x] = 0.01;
        water[y * W + x] = 1;
      }
    }
    for (let y = 40; y < 50; y++) for (let x = 40; x < 50; x++) nir[y * W + x] = 0.1; // dark in NIR only
    const valid = new Uint8Array(n).fill(1);
    const p = potentialShadow(nir, swir1, valid, water, valid, W, H);
    let count = 0;
    for (let i = 0; i < n; i++) count += p[i]!;
    assert.equal(count, 100);
    assert.equal(p[25 * W + 25], 1);
    assert.equal(p[75 * W + 75], 0);
    assert.equal(p[45 * W + 45], 0);
  });
});

describe('matchShadows with neighbouring clouds', () => {
  test('a cloud whose shadow path starts on another cloud still finds its own shadow', () => {
    // Sun south: shadows go north (up). Cloud X at rows 55..64; cloud Y right above it (rows 40..54) covers the
    // first heights of X's path; X's shadow (20 px up, rows 35..44) is half hidden under Y, half visible.
    const cloud = new Uint8Array(W * H);
    const pot = new Uint8Array(W * H);
    for (let y = 55; y < 65; y++) for (let x = 55; x < 65; x++) cloud[y * W + x] = 1;
    for (let y = 40; y < 55; y++) for (let x = 50; x < 70; x++) cloud[y * W + x] = 1;
    for (let y = 35; y < 40; y++) for (let x = 55; x < 65; x++) pot[y * W + x] = 1; // visible part of X's shadow
    for (let y = 20; y < 25; y++) for (let x = 50; x < 70; x++) pot[y * W + x] = 1; // visible part of Y's shadow
    const objects = labelComponents(cloud, W, H);
    // Y touches X: make them separate objects by cutting one row of contact.
    assert.equal(objects.count, 1);
    for (let x = 50; x < 70; x++) cloud[54 * W + x] = 0;
    const objs = labelComponents(cloud, W, H);
    assert.equal(objs.count, 2);
    const o = resolveOptions({ sensor: 'sentinel-2', sunZenith: 45, sunAzimuth: 180, pixelSize: 100 });
    const sh = matchShadows(objs, cloud, pot, new Uint8Array(W * H).fill(1), W, H, o, undefined, NaN, NaN);
    for (let x = 55; x < 65; x++) for (let y = 35; y < 40; y++) assert.equal(sh[y * W + x], 1, `(${x}, ${y})`);
    assert.equal(sh[45 * W + 60], 1, 'X shadow continues under Y');
    assert.equal(sh[30 * W + 60], 0);
  });
});
