/**
 * Cloud parallax in the simulator: per-band shifts from the MSI band timing (hand-computed), B08 clouds displaced
 * along track by the amount the cloud-top height gives, ground and other bands untouched
 * (bit-identical to a render without parallax), truth cloud mask on the B04 geometry.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CloudField, CloudOverlay, S2_BAND_TIME_S, s2ParallaxShifts } from '../../src/simulate/clouds.ts';
import type { CloudParams } from '../../src/simulate/clouds.ts';
import { renderScene } from '../../src/simulate/render.ts';
import type { Scene } from '../../src/simulate/render.ts';
import { displacementScenario, renderDisplacementDate, truthCloudMask } from '../../src/simulate/scenario.ts';

describe('S2 band parallax', () => {
  test('shifts per metre of height follow the band delays (hand-computed)', () => {
    // Track heading due south (180°): later bands see elevated objects displaced backwards, i.e. north (-y).
    const p = s2ParallaxShifts(['B04', 'B08', 'B8A', 'B07', 'B02'], ['B07', 'B08', 'B8A'], 'B04', 180, 10);
    assert.deepEqual(Array.from(p.on), [0, 1, 1, 1, 0]);
    const perSecond = 6700 / 786_000 / 10; // scene units (10 m) per metre of height per second of delay
    const dt8a = S2_BAND_TIME_S.B8A! - S2_BAND_TIME_S.B04!;
    assert.ok(Math.abs(p.dy[2]! - -dt8a * perSecond) < 1e-12, `B8A dy ${p.dy[2]}`);
    assert.ok(Math.abs(p.dx[2]!) < 1e-15, 'no across-track shift');
    // B08 is seen before B04 (shifted forwards, south), B8A after (backwards, north); B08 vs B8A: ~14.7 m per km.
    assert.ok(p.dy[1]! > 0 && p.dy[2]! < 0, 'B08 and B8A on opposite sides of B04');
    const b08vsB8a = Math.abs(p.dy[2]! - p.dy[1]!) * 1000 * 10;
    assert.ok(b08vsB8a > 14 && b08vsB8a < 15.5, `${b08vsB8a} m per km`);
    // B07 vs B8A: the small-parallax pair, under 2 m per km.
    assert.ok(Math.abs(p.dy[2]! - p.dy[3]!) * 1000 * 10 < 2, 'B07 vs B8A small');
  });

  test('B08 clouds are displaced by the parallax of their height; other bands and the ground are unchanged', () => {
    const W = 200;
    const params: CloudParams = { seed: 11, cover: 0.3, wavelength: 80, shadowDx: 0, shadowDy: 0, width: W, height: W, topHeightM: [4000, 4000] };
    const field = new CloudField(params);
    // flat ground of reflectance 0.1 in two bands, cloud 0.6
    const ground: Scene = {
      nBands: 2,
      sample(_xs, _ys, n, out) {
        out[0]!.fill(0.1, 0, n);
        out[1]!.fill(0.1, 0, n);
      },
    };
    const par = s2ParallaxShifts(['B04', 'B08'], ['B08'], 'B04', 90, 10); // track heading east
    const grid = { x0: 0, y0: 0, step: 1, width: W, height: W };
    const refl = Float64Array.of(0.6, 0.6);
    const path = Float64Array.of(0, 0);
    const withPar = renderScene(ground, grid, { supersample: 1, overlay: new CloudOverlay(field, refl, path, par) });
    const without = renderScene(ground, grid, { supersample: 1, overlay: new CloudOverlay(field, refl, path) });
    assert.deepEqual(withPar[0], without[0], 'B04 bit-identical');
    // Expected shift: 4 km × 0.741 s (B08 is seen before B04) × 6.7 km/s / 786 km = 25.3 m, forwards (east, +x).
    const shift = 4000 * par.dx[1]!;
    assert.ok(Math.abs(shift - 2.527) < 0.01, `shift ${shift} px`);
    // Cross-correlate the cloud opacity rows of B08 against B04: best integer lag = round(-4000·dx).
    let best = 0;
    let bestLag = 0;
    for (let lag = -6; lag <= 6; lag++) {
      let s = 0;
      for (let y = 0; y < W; y++)
        for (let x = 10; x < W - 10; x++) s += (withPar[1]![y * W + x]! - 0.1) * (without[1]![y * W + x - lag]! - 0.1);
      if (s > best) {
        best = s;
        bestLag = lag;
      }
    }
    assert.ok(Math.abs(bestLag - shift) < 0.6, `best lag ${bestLag}, expected ${shift}`);
    // clear ground stays exactly 0.1 where neither the cloud nor its displaced copy reaches
    const g = Math.fround(0.1);
    let clearSame = 0;
    for (let i = 0; i < W * W; i++) if (without[1]![i] === g && withPar[1]![i] === g) clearSame++;
    assert.ok(clearSame > 0.3 * W * W, `${clearSame} clear pixels untouched`);
  });

  test('scenario: only B07/B08/B8A of cloudy dates change; B8A clouds move, B04/B08 stay on the truth geometry', () => {
    const sc = displacementScenario({ seed: 1, size: 96, dates: 3 });
    const k = sc.dates.findIndex((d) => d.clouds);
    assert.ok(k > 0, 'a cloudy date');
    const [b04, b8a] = renderDisplacementDate(sc, k, ['B04', 'B8A'], 1, { noise: false });
    const [b04only] = renderDisplacementDate(sc, k, ['B04'], 1, { noise: false });
    assert.deepEqual(b04, b04only);
    // Cloud opacity estimated from the render against the same date without clouds: α = (v - g) / (C - g).
    const clear = { ...sc, dates: sc.dates.map((d) => (d.index === k ? { ...d, clouds: null } : d)) };
    const [g04, g8a] = renderDisplacementDate(clear, k, ['B04', 'B8A'], 1, { noise: false });
    const truth = truthCloudMask(sc, k);
    const c04 = 0.68 * 10000 + 1000;
    const c8a = 0.66 * 10000 + 1000;
    let agree04 = 0;
    let agree8a = 0;
    let cloudy = 0;
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i] === 1;
      if (t) cloudy++;
      if (t === (b04![i]! - g04![i]!) / (c04 - g04![i]!) >= 0.5) agree04++;
      if (t === (b8a![i]! - g8a![i]!) / (c8a - g8a![i]!) >= 0.5) agree8a++;
    }
    console.log(`# cloud (opacity >= 0.5) agreement with the truth mask, B04 / B8A: ${(agree04 / truth.length).toFixed(4)} / ${(agree8a / truth.length).toFixed(4)}`);
    assert.ok(cloudy > 50, 'the date has clouds');
    assert.ok(agree04 / truth.length > 0.99, `B04 vs truth ${agree04 / truth.length}`);
    assert.ok(agree8a < agree04 - 0.02, 'B8A clouds are displaced');
  });
});
