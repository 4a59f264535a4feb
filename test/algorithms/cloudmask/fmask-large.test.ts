// Run time of fmaskLike on a 2048 x 2048 Sentinel-2-like scene (20 m pixels, cirrus band, sun angles given),
// with the accuracy still checked so that the figure is for a working mask.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MASK, fmaskLike } from '../../../src/algorithms/cloudmask/index.ts';
import { makeScene, scores, standardClouds } from './scene.ts';

test('2048 x 2048 scene: time and accuracy', () => {
  const W = 2048;
  const scene = makeScene({
    width: W,
    height: W,
    pixelSize: 20,
    thermal: false,
    cirrusBand: true,
    sunZenith: 35,
    sunAzimuth: 150,
    cirrus: { cx: 0.15, cy: 0.15, rx: 0.07, ry: 0.05 },
    clouds: standardClouds(),
  });
  const t0 = performance.now();
  const res = fmaskLike(scene.bands, W, W, {
    sensor: 'sentinel-2',
    sunZenith: 35,
    sunAzimuth: 150,
    pixelSize: 20,
    dilateCloud: 0,
    dilateShadow: 0,
  });
  const seconds = (performance.now() - t0) / 1000;
  console.log(`# fmaskLike 2048x2048 (4.2 Mpx, S2 bands + cirrus, shadows matched): ${seconds.toFixed(2)} s`);
  const c = scores(res.mask, scene.truth, MASK.CLOUD);
  const s = scores(res.mask, scene.truth, MASK.SHADOW);
  assert.ok(c.recall >= 0.95 && c.precision >= 0.95, JSON.stringify(c));
  assert.ok(s.recall >= 0.8, JSON.stringify(s));
  assert.ok(seconds < 20, `took ${seconds} s`);
});
