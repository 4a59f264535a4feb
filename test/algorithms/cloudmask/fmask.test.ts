import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MASK, fmaskLike } from '../../../src/algorithms/cloudmask/index.ts';
import type { CloudMaskBands, CloudMaskOptions } from '../../../src/algorithms/cloudmask/index.ts';
import { dilateSquare } from '../../../src/algorithms/cloudmask/morphology.ts';
import { GepError } from '../../../src/core/errors.ts';
import { makeScene, scores, shadowShift, standardClouds } from './scene.ts';
import type { Scene, SceneSpec } from './scene.ts';

const S2: Omit<SceneSpec, 'clouds'> = {
  width: 600,
  height: 600,
  pixelSize: 20,
  thermal: false,
  cirrusBand: true,
  sunZenith: 35,
  sunAzimuth: 150,
  cirrus: { cx: 0.15, cy: 0.15, rx: 0.07, ry: 0.05 },
};
const L8: Omit<SceneSpec, 'clouds'> = {
  width: 500,
  height: 500,
  pixelSize: 30,
  thermal: true,
  cirrusBand: true,
  sunZenith: 40,
  sunAzimuth: 140,
};

/** Fraction of the pixels with truth `t` that were classified `p`. */
function rate(mask: Uint8Array, truth: Uint8Array, t: number, p: number): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < mask.length; i++) {
    if (truth[i] !== t) continue;
    den++;
    if (mask[i] === p) num++;
  }
  assert.ok(den > 0, `no truth pixels of class ${t}`);
  return num / den;
}

/**
 * Fraction of the "wrong side" pixels (each cloud moved by minus its shadow shift, i.e. towards the sun) that were
 * called SHADOW, ignoring pixels that truly are shadow (of another cloud) or cloud.
 */
function wrongSideShadow(scene: Scene, mask: Uint8Array, width: number, height: number): number {
  let num = 0;
  let den = 0;
  const { opaque, shifts, truth } = scene;
  const seen = new Uint8Array(mask.length);
  for (const [dx, dy] of shifts) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (!opaque[y * width + x]) continue;
        const tx = x - dx;
        const ty = y - dy;
        if (tx < 0 || ty < 0 || tx >= width || ty >= height) continue;
        const j = ty * width + tx;
        if (seen[j] || truth[j] === MASK.SHADOW || truth[j] === MASK.CLOUD) continue;
        seen[j] = 1;
        den++;
        if (mask[j] === MASK.SHADOW) num++;
      }
    }
  }
  return num / Math.max(1, den);
}

function run(spec: Omit<SceneSpec, 'clouds'>, sensor: CloudMaskOptions['sensor'], extra: Partial<CloudMaskOptions> = {}) {
  const scene = makeScene({ ...spec, clouds: standardClouds() });
  const res = fmaskLike(scene.bands, spec.width, spec.height, {
    sensor,
    sunZenith: spec.sunZenith,
    sunAzimuth: spec.sunAzimuth,
    pixelSize: spec.pixelSize,
    dilateCloud: 0,
    dilateShadow: 0,
    ...extra,
  });
  return { scene, res };
}

for (const [name, spec, sensor] of [
  ['Sentinel-2 (cirrus band, no thermal)', S2, 'sentinel-2'],
  ['Landsat-8 (cirrus and thermal bands)', L8, 'landsat-8'],
] as const) {
  describe(`fmaskLike on a synthetic ${name} scene`, () => {
    const { scene, res } = run(spec, sensor);
    const { mask } = res;

    test('clouds: recall and precision >= 0.95 (undilated)', () => {
      const s = scores(mask, scene.truth, MASK.CLOUD);
      assert.ok(s.recall >= 0.95, `cloud recall ${s.recall}`);
      assert.ok(s.precision >= 0.95, `cloud precision ${s.precision}`);
    });

    test('snow is not called cloud (>= 90 %) and is called snow', () => {
      assert.ok(1 - rate(mask, scene.truth, MASK.SNOW, MASK.CLOUD) >= 0.9);
      assert.ok(rate(mask, scene.truth, MASK.SNOW, MASK.SNOW) >= 0.9);
    });

    test('water is classified water', () => {
      assert.ok(rate(mask, scene.truth, MASK.WATER, MASK.WATER) >= 0.95);
    });

    test('clear land: cloud false-positive rate < 2 %, mostly clear', () => {
      assert.ok(rate(mask, scene.truth, MASK.CLEAR, MASK.CLOUD) < 0.02);
      assert.ok(rate(mask, scene.truth, MASK.CLEAR, MASK.CLEAR) > 0.95);
    });

    test('shadows: >= 80 % of true shadow pixels found, none on the sun side', () => {
      const s = scores(mask, scene.truth, MASK.SHADOW);
      assert.ok(s.recall >= 0.8, `shadow recall ${s.recall}`);
      assert.ok(s.precision >= 0.8, `shadow precision ${s.precision}`);
      assert.ok(wrongSideShadow(scene, mask, spec.width, spec.height) < 0.01);
    });

    test('stats and cloudFraction agree with the mask', () => {
      const counts = new Map<number, number>();
      for (const v of mask) counts.set(v, (counts.get(v) ?? 0) + 1);
      assert.equal(res.stats.cloud, counts.get(MASK.CLOUD) ?? 0);
      assert.equal(res.stats.shadow, counts.get(MASK.SHADOW) ?? 0);
      assert.equal(res.stats.snow, counts.get(MASK.SNOW) ?? 0);
      assert.equal(res.stats.water, counts.get(MASK.WATER) ?? 0);
      assert.equal(res.stats.clear, counts.get(MASK.CLEAR) ?? 0);
      assert.ok(Math.abs(res.cloudFraction - res.stats.cloud / mask.length) < 1e-12);
      assert.ok(res.cloudFraction > 0.02 && res.cloudFraction < 0.1);
    });
  });
}

describe('fmaskLike options', () => {
  test('the thin cirrus patch is found with the cirrus band (Sentinel-2)', () => {
    const { scene, res } = run(S2, 'sentinel-2');
    const c = S2.cirrus!;
    let inPatch = 0;
    let found = 0;
    for (let y = 0; y < S2.height; y++) {
      for (let x = 0; x < S2.width; x++) {
        const u = (x / S2.width - c.cx) / c.rx;
        const v = (y / S2.height - c.cy) / c.ry;
        if (u * u + v * v > 0.8) continue;
        inPatch++;
        if (res.mask[y * S2.width + x] === MASK.CLOUD) found++;
      }
    }
    assert.ok(scene.truth.includes(MASK.CLOUD));
    assert.ok(found / inPatch >= 0.95, `cirrus recall ${found / inPatch}`);
  });

  test('without sun angles: clouds found, no shadow class', () => {
    const { scene, res } = run(S2, 'sentinel-2', { sunZenith: undefined, sunAzimuth: undefined });
    assert.equal(res.stats.shadow, 0);
    assert.ok(scores(res.mask, scene.truth, MASK.CLOUD).recall >= 0.95);
  });

  test('negative control: one cloud, sun given on the wrong side -> its shadow is not found', () => {
    const one = { ...S2, cirrus: undefined, width: 300, height: 300 };
    const scene = makeScene({ ...one, clouds: [{ cx: 0.55, cy: 0.6, rx: 0.1, ry: 0.08, shape: 'ellipse', height: 2000 }] });
    const opts = { sensor: 'sentinel-2' as const, sunZenith: S2.sunZenith, pixelSize: 20, dilateCloud: 0, dilateShadow: 0 };
    const right = fmaskLike(scene.bands, 300, 300, { ...opts, sunAzimuth: S2.sunAzimuth });
    const wrong = fmaskLike(scene.bands, 300, 300, { ...opts, sunAzimuth: S2.sunAzimuth + 180 });
    assert.ok(scores(right.mask, scene.truth, MASK.SHADOW).recall >= 0.9);
    assert.ok(scores(wrong.mask, scene.truth, MASK.SHADOW).recall < 0.05);
    assert.ok(wrong.stats.shadow < 0.05 * right.stats.shadow, `${wrong.stats.shadow} shadow pixels`);
  });

  test('default dilation is 90 m / pixel size (5 px at 20 m), square', () => {
    const scene = makeScene({ ...S2, width: 300, height: 300, clouds: standardClouds() });
    const base = { sensor: 'sentinel-2' as const, pixelSize: 20 };
    const raw = fmaskLike(scene.bands, 300, 300, { ...base, dilateCloud: 0 });
    const dil = fmaskLike(scene.bands, 300, 300, base);
    const cloud0 = Uint8Array.from(raw.mask, (v) => (v === MASK.CLOUD ? 1 : 0));
    const expected = dilateSquare(cloud0, 300, 300, 5);
    for (let i = 0; i < expected.length; i++) assert.equal(dil.mask[i] === MASK.CLOUD ? 1 : 0, expected[i]);
    assert.ok(dil.stats.cloud > raw.stats.cloud);
  });

  test('higher cloudProbability never adds cloud', () => {
    const scene = makeScene({ ...L8, width: 250, height: 250, clouds: standardClouds() });
    const o = { sensor: 'landsat-8' as const, dilateCloud: 0 };
    const lo = fmaskLike(scene.bands, 250, 250, { ...o, cloudProbability: 10 });
    const hi = fmaskLike(scene.bands, 250, 250, { ...o, cloudProbability: 60 });
    assert.ok(hi.stats.cloud <= lo.stats.cloud);
  });
});

describe('fmaskLike inputs', () => {
  const W = 40;
  const H = 30;
  function flat(v: number): Float32Array {
    return new Float32Array(W * H).fill(v);
  }
  function bandsOf(v: number): CloudMaskBands {
    return { blue: flat(v), green: flat(v), red: flat(v), nir: flat(v), swir1: flat(v), swir2: flat(v) };
  }

  test('all-NaN input gives all NODATA', () => {
    const b = bandsOf(NaN);
    b.thermal = flat(NaN);
    b.cirrus = flat(NaN);
    const r = fmaskLike(b, W, H, { sensor: 'landsat-8', sunZenith: 30, sunAzimuth: 120 });
    assert.ok(r.mask.every((v) => v === MASK.NODATA));
    assert.equal(r.cloudFraction, 0);
    assert.deepEqual(r.stats, { clear: 0, cloud: 0, shadow: 0, snow: 0, water: 0 });
  });

  test('NaN pixels become NODATA and are never dilated over', () => {
    const scene = makeScene({ ...S2, width: 200, height: 200, clouds: standardClouds() });
    for (let i = 0; i < 200 * 30; i++) scene.bands.red[i] = NaN; // top 30 rows
    const r = fmaskLike(scene.bands, 200, 200, { sensor: 'sentinel-2', sunZenith: 35, sunAzimuth: 150 });
    for (let i = 0; i < 200 * 200; i++) assert.equal(r.mask[i] === MASK.NODATA, i < 200 * 30, `pixel ${i}`);
    assert.ok(r.stats.cloud > 0);
  });

  test('an overcast scene is all cloud; a cloudless one has no cloud; inputs are not modified', () => {
    const cloudy = makeScene({ ...S2, width: 120, height: 120, cirrus: undefined, clouds: [] });
    const c = cloudy.bands;
    for (let i = 0; i < 120 * 120; i++) {
      const t = 0.9 + 0.1 * Math.sin(i);
      [c.blue[i], c.green[i], c.red[i], c.nir[i], c.swir1[i], c.swir2[i]] = [0.55 * t, 0.53 * t, 0.52 * t, 0.55 * t, 0.38 * t, 0.22 * t];
    }
    const before = c.nir.slice();
    const r1 = fmaskLike(c, 120, 120, { sensor: 'sentinel-2', sunZenith: 35, sunAzimuth: 150 });
    assert.equal(r1.cloudFraction, 1);
    assert.deepEqual(c.nir, before);
    const clear = makeScene({ ...L8, width: 150, height: 150, clouds: [] });
    const r2 = fmaskLike(clear.bands, 150, 150, { sensor: 'landsat-8', sunZenith: 35, sunAzimuth: 150 });
    assert.equal(r2.stats.cloud, 0);
    assert.equal(r2.stats.shadow, 0);
  });

  test('mismatched band length: GepError naming the band', () => {
    const b = bandsOf(0.1);
    b.swir1 = new Float32Array(W * H - 1);
    assert.throws(
      () => fmaskLike(b, W, H, { sensor: 'sentinel-2' }),
      (e: unknown) => e instanceof GepError && e.code === 'GEP_ERR_INVALID_INPUT' && /'swir1'/.test(e.message),
    );
    const c = bandsOf(0.1);
    c.thermal = new Float32Array(5);
    assert.throws(() => fmaskLike(c, W, H, { sensor: 'landsat-8' }), /'thermal' has 5 values/);
  });

  test('missing band, wrong array type, bad sizes and options are rejected', () => {
    const b = bandsOf(0.1) as Partial<CloudMaskBands>;
    delete b.nir;
    assert.throws(() => fmaskLike(b as CloudMaskBands, W, H, { sensor: 'sentinel-2' }), /'nir' is missing/);
    const c = bandsOf(0.1) as unknown as Record<string, unknown>;
    c.red = new Float64Array(W * H);
    assert.throws(() => fmaskLike(c as unknown as CloudMaskBands, W, H, { sensor: 'sentinel-2' }), /'red' must be a Float32Array/);
    const ok = bandsOf(0.1);
    assert.throws(() => fmaskLike(ok, 0, H, { sensor: 'sentinel-2' }), GepError);
    const bad: [Partial<CloudMaskOptions>, RegExp][] = [
      [{ sensor: 'spot' as 'sentinel-2' }, /sensor/],
      [{ sunZenith: 95 }, /sunZenith/],
      [{ cloudHeights: [5000, 100] }, /cloudHeights/],
      [{ cloudProbability: -1 }, /cloudProbability/],
      [{ dilateCloud: 1.5 }, /dilateCloud/],
      [{ pixelSize: 0 }, /pixelSize/],
    ];
    for (const [o, re] of bad) {
      assert.throws(() => fmaskLike(ok, W, H, { sensor: 'sentinel-2', ...o }), re);
    }
  });

  test('an aborted signal stops the work with GEP_ERR_ABORTED', () => {
    const ac = new AbortController();
    ac.abort();
    assert.throws(
      () => fmaskLike(bandsOf(0.1), W, H, { sensor: 'sentinel-2', signal: ac.signal }),
      (e: unknown) => e instanceof GepError && e.code === 'GEP_ERR_ABORTED',
    );
  });

  test('the scene helper places shadows away from the sun (hand-computed)', () => {
    // Sun due south at 45° zenith, cloud at 1000 m, 10 m pixels: shadow 100 px north (up).
    assert.deepEqual(shadowShift(1000, 45, 180, 10), [0, -100]);
    // Sun due east: shadow 100 px west (left).
    assert.deepEqual(shadowShift(1000, 45, 90, 10), [-100, 0]);
  });
});
