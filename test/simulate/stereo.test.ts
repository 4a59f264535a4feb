import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rpcProject } from '../../src/algorithms/stereo/rpc.ts';
import { utmConverter } from '../../src/simulate/geometry.ts';
import {
  baseToHeight,
  cameraGround,
  cameraProject,
  fitCameraRpc,
  intersectDem,
  renderStereoView,
  stereoScenario,
} from '../../src/simulate/stereo.ts';
import { demAt } from '../../src/simulate/terrain.ts';

describe('stereo scenario', () => {
  const sc = stereoScenario({ seed: 3, size: 128 });
  const conv = utmConverter(sc.epsg);

  test('tri-stereo geometry: B/H about 0.27 for adjacent views, relief present', () => {
    const [a, b, c] = sc.cameras;
    assert.ok(Math.abs(baseToHeight(a!, b!) - 0.268) < 0.01);
    assert.ok(Math.abs(baseToHeight(a!, c!) - 0.536) < 0.01);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of sc.dem.data) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    assert.ok(hi - lo > 10, `relief ${hi - lo} m`);
  });

  test('camera projection inverts camera localisation', () => {
    const cam = sc.cameras[2]!;
    const [X, Y] = cameraGround(cam, 17.3, 88.9, 450);
    const [c, r] = cameraProject(cam, X, Y, 450);
    assert.ok(Math.abs(c - 17.3) < 1e-6 && Math.abs(r - 88.9) < 1e-6);
  });

  test('fitted RPC reproduces the true camera on DEM points to < 0.01 px', () => {
    for (const cam of sc.cameras) {
      const fit = fitCameraRpc(sc, cam);
      assert.ok(fit.fitRmsPx < 0.01 && fit.checkMaxPx < 0.01, `${cam.name}: ${fit.fitRmsPx} / ${fit.checkMaxPx}`);
      let max = 0;
      const d = sc.dem;
      for (let j = 0; j < d.height; j += 7)
        for (let i = 0; i < d.width; i += 7) {
          const X = sc.origin[0] + d.x0 + i * d.step;
          const Y = sc.origin[1] - (d.y0 + j * d.step);
          const h = d.data[j * d.width + i]!;
          const [c0, r0] = cameraProject(cam, X, Y, h);
          const [lon, lat] = conv.toLonLat(X, Y);
          const [c1, r1] = rpcProject(fit.rpc, lon, lat, h);
          max = Math.max(max, Math.hypot(c1 - c0, r1 - r0));
        }
      assert.ok(max < 0.01, `${cam.name}: max |RPC - camera| ${max} px`);
    }
  });

  test('a pixel ray hits the DEM at the right height (< 0.5 m) and projects back to the pixel', () => {
    for (const cam of sc.cameras) {
      for (let k = 0; k < 50; k++) {
        const col = 3.5 + ((k * 37) % 120);
        const row = 2.5 + ((k * 53) % 122);
        const hit = intersectDem(sc, cam, col, row);
        const ground = demAt(sc.dem, hit[0]! - sc.origin[0], sc.origin[1] - hit[1]!);
        assert.ok(Math.abs(ground - hit[2]!) < 0.5, `${cam.name} ${col},${row}: ray at ${hit[2]} m, DEM ${ground} m`);
        const [c, r] = cameraProject(cam, hit[0]!, hit[1]!, hit[2]!);
        assert.ok(Math.abs(c - col) < 1e-6 && Math.abs(r - row) < 1e-6);
      }
    }
  });

  test('views differ by the relief parallax and are deterministic', () => {
    const back = renderStereoView(sc, sc.cameras[0]!, { noise: false });
    const fwd = renderStereoView(sc, sc.cameras[2]!, { noise: false });
    const again = renderStereoView(sc, sc.cameras[0]!, { noise: false });
    assert.deepEqual(back, again);
    assert.notDeepEqual(back, fwd);
    for (const v of back) assert.ok(v > 0 && v < 4096);
  });
});
