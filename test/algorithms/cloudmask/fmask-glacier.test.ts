/**
 * fmaskLike on a Sentinel-2-like glacier scene without thermal band: vegetated valley sides and a glacier tongue of
 * clean and dirty ice (TOA reflectance: visible 0.55-0.85, NIR lower, SWIR1 0.03-0.15, cirrus ~0.002, NDSI 0.6-0.9,
 * as measured on real glacier ice/firn), with and without opaque water clouds. Known answers: the cloud-free scene has
 * < 1 % cloud (default dilation) and the ice is called SNOW; the clouds over the glacier and the land are found.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MASK, fmaskLike } from '../../../src/algorithms/cloudmask/index.ts';
import type { CloudMaskBands } from '../../../src/algorithms/cloudmask/index.ts';
import { rng } from '../../helpers/random.ts';

const W = 300;
const H = 300;
// blue, green, red, nir, swir1, swir2, cirrus (TOA)
const VEG = [0.06, 0.08, 0.05, 0.34, 0.19, 0.09, 0.002];
const ICE = [0.82, 0.8, 0.76, 0.6, 0.06, 0.04, 0.002];
const DEBRIS = [0.2, 0.21, 0.23, 0.27, 0.3, 0.25, 0.003];
const CLOUD = [0.62, 0.6, 0.59, 0.6, 0.4, 0.26, 0.05];

interface Glacier {
  bands: CloudMaskBands;
  /** 1 ice, 2 cloud (opacity >= 0.5), 0 land. */
  truth: Uint8Array;
}

function glacierScene(cloudy: boolean, seed: number): Glacier {
  const n = W * H;
  const names = ['blue', 'green', 'red', 'nir', 'swir1', 'swir2', 'cirrus'] as const;
  const a = names.map(() => new Float32Array(n));
  const truth = new Uint8Array(n);
  const rnd = rng(seed);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      // a meandering tongue 70 px wide crossing the scene
      const c = 150 + 25 * Math.sin(x / 40);
      const ice = Math.abs(y - c) < 35;
      // dirt/debris patches: 3..35 % debris on the ice
      const d = 0.03 + 0.32 * Math.max(0, Math.sin(x / 6.3 + Math.sin(y / 4.1)) * Math.sin(y / 5.7 + 0.4 * Math.cos(x / 3.3)));
      const tex = 1 + 0.1 * (rnd() - 0.5) * 2;
      let alpha = 0;
      if (cloudy) {
        // two opaque clouds: one over the glacier, one over the land
        const e1 = 1 - Math.hypot((x - 90) / 40, (y - 150) / 30);
        const e2 = 1 - Math.hypot((x - 220) / 35, (y - 50) / 25);
        alpha = Math.min(1, Math.max(0, Math.max(e1, e2) * 5));
      }
      truth[i] = alpha >= 0.5 ? 2 : ice ? 1 : 0;
      for (let b = 0; b < 7; b++) {
        const ground = ice ? (1 - d) * ICE[b]! + d * DEBRIS[b]! : VEG[b]!;
        a[b]![i] = (1 - alpha) * ground * tex + alpha * CLOUD[b]! * (1 + 0.03 * (rnd() - 0.5));
      }
    }
  }
  const [blue, green, red, nir, swir1, swir2, cirrus] = a as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  return { bands: { blue, green, red, nir, swir1, swir2, cirrus }, truth };
}

function fraction(mask: Uint8Array, truth: Uint8Array, t: number, code: number): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < mask.length; i++) {
    if (truth[i] !== t) continue;
    den++;
    if (mask[i] === code) num++;
  }
  return num / den;
}

describe('fmaskLike on glacier ice without thermal band', () => {
  test('cloud-free glacier scene: < 1 % cloud with default dilation, the ice is SNOW', () => {
    const s = glacierScene(false, 7);
    const r = fmaskLike(s.bands, W, H, { sensor: 'sentinel-2', pixelSize: 20, sunZenith: 40, sunAzimuth: 150 });
    assert.ok(r.cloudFraction < 0.01, `cloud fraction ${r.cloudFraction}`);
    assert.ok(fraction(r.mask, s.truth, 1, MASK.SNOW) > 0.95, 'ice called snow');
  });

  test('clouds over the glacier and over the land are still found; ice away from them is not cloud', () => {
    const s = glacierScene(true, 8);
    const r = fmaskLike(s.bands, W, H, { sensor: 'sentinel-2', pixelSize: 20, dilateCloud: 0, sunZenith: 40, sunAzimuth: 150 });
    assert.ok(fraction(r.mask, s.truth, 2, MASK.CLOUD) > 0.97, 'cloud recall');
    // ice farther than 10 px from the clouds
    let far = 0;
    let farCloud = 0;
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const i = y * W + x;
        if (s.truth[i] !== 1 || Math.hypot((x - 90) / 50, (y - 150) / 40) < 1) continue;
        far++;
        if (r.mask[i] === MASK.CLOUD) farCloud++;
      }
    assert.ok(far > 1000 && farCloud / far < 0.01, `ice away from the clouds called cloud: ${farCloud}/${far}`);
  });

  test('without the cirrus band the same clouds are found (water-cloud NDSI < 0.4)', () => {
    const s = glacierScene(true, 9);
    const { cirrus: _c, ...rest } = s.bands;
    const r = fmaskLike(rest, W, H, { sensor: 'sentinel-2', pixelSize: 20, dilateCloud: 0 });
    assert.ok(fraction(r.mask, s.truth, 2, MASK.CLOUD) > 0.95, 'cloud recall without cirrus');
  });
});
