import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { detectorIndex, faultDistance, glacierFrame, lobeRadius2 } from '../../src/simulate/displacement.ts';
import {
  displacementScenario,
  renderDisplacementDate,
  truthCloudMask,
  truthDetectors,
  truthDisplacement,
  truthStable,
} from '../../src/simulate/scenario.ts';
import type { DisplacementScenario } from '../../src/simulate/scenario.ts';

const RAD = Math.PI / 180;

/** Independent evaluation of the documented analytic field (pixels, east/north) of date k at (x, y). */
function expected(sc: DisplacementScenario, k: number, x: number, y: number): [number, number] {
  const m = sc.model;
  const d = sc.dates[k]!;
  let e = 0;
  let n = 0;
  const l = m.lobe;
  const r2 = lobeRadius2(l, x, y);
  if (r2 < 1) {
    const v = l.vmax * (l.edge + (1 - l.edge) * (1 - r2));
    e += (v * Math.sin(l.azimuthDeg * RAD) * d.days) / m.gsd;
    n += (v * Math.cos(l.azimuthDeg * RAD) * d.days) / m.gsd;
  }
  const fr = new Float64Array(4);
  glacierFrame(m.glacier, x, y, fr);
  const q = fr[1]! / (m.glacier.widthPx / 2);
  if (Math.abs(q) < 1) {
    const v = m.glacier.vmax * (1 - q * q);
    e += (v * fr[2]! * d.days) / m.gsd;
    n -= (v * fr[3]! * d.days) / m.gsd;
  }
  if (k > m.fault.afterDate) {
    const s = faultDistance(m.fault, x, y);
    if (Math.abs(s) < m.fault.taperPx) {
      const t = (1 - Math.abs(s) / m.fault.taperPx) ** 2;
      const along = (s >= 0 ? -1 : 1) * (m.fault.slipPx / 2) * t;
      e += along * Math.sin(m.fault.strikeDeg * RAD);
      n += along * Math.cos(m.fault.strikeDeg * RAD);
    }
  }
  if (d.errors) {
    const det = detectorIndex(m.stripes, x, y);
    e += d.errors.rampDx[0] + d.errors.rampDx[1] * x + d.errors.rampDx[2] * y + d.errors.stripeDx[det]!;
    n += d.errors.rampDy[0] + d.errors.rampDy[1] * x + d.errors.rampDy[2] * y + d.errors.stripeDy[det]!;
  }
  return [e, n];
}

describe('displacement scenario', () => {
  const S = 160;
  const sc = displacementScenario({ seed: 4, size: S, dates: 4 });

  test('truth dx/dy at sampled pixels equals the analytic field', () => {
    const k = 3;
    const { dx, dy } = truthDisplacement(sc, k);
    let inside = 0;
    for (let i = 0; i < S * S; i += 13) {
      const c = i % S;
      const r = Math.floor(i / S);
      const [e, n] = expected(sc, k, c + 0.5, r + 0.5);
      assert.ok(Math.abs(dx[r * S + c]! - e) < 1e-5 && Math.abs(dy[r * S + c]! - n) < 1e-5, `pixel ${c},${r}`);
      if (lobeRadius2(sc.model.lobe, c + 0.5, r + 0.5) < 1) inside++;
    }
    assert.ok(inside > 0, 'some samples fall on the landslide');
    const zero = truthDisplacement(sc, 0);
    assert.ok(zero.dx.every((v) => v === 0));
  });

  test('the fault step is sharp: the jump between adjacent pixels equals the slip', () => {
    const k = sc.model.fault.afterDate + 1;
    const f = sc.model.fault;
    // Only the fault: no velocity, no errors.
    const only: DisplacementScenario = {
      ...sc,
      model: { ...sc.model, lobe: { ...sc.model.lobe, vmax: 0 }, glacier: { ...sc.model.glacier, vmax: 0 } },
      dates: sc.dates.map((d) => ({ ...d, errors: null })),
    };
    const { dx, dy } = truthDisplacement(only, k);
    const r = Math.round(f.y);
    let found = false;
    for (let c = 1; c < S; c++) {
      const s0 = faultDistance(f, c - 0.5, r + 0.5);
      const s1 = faultDistance(f, c + 0.5, r + 0.5);
      if (Math.sign(s0) === Math.sign(s1)) continue;
      const jump = Math.hypot(dx[r * S + c]! - dx[r * S + c - 1]!, dy[r * S + c]! - dy[r * S + c - 1]!);
      assert.ok(Math.abs(jump - f.slipPx) < (2 * f.slipPx) / f.taperPx + 1e-6, `jump ${jump} vs slip ${f.slipPx}`);
      found = true;
    }
    assert.ok(found, 'the trace crosses the row');
    // Steps do not exist before the event.
    assert.ok(truthDisplacement(only, 0).dx.every((v) => v === 0));
  });

  test('stripes are constant per detector and several detectors appear', () => {
    const k = 1;
    const noMotion: DisplacementScenario = {
      ...sc,
      model: { ...sc.model, lobe: { ...sc.model.lobe, vmax: 0 }, glacier: { ...sc.model.glacier, vmax: 0 }, fault: { ...sc.model.fault, slipPx: 0 } },
      dates: sc.dates.map((d) => (d.errors ? { ...d, errors: { ...d.errors, rampDx: [0, 0, 0], rampDy: [0, 0, 0] } } : d)),
    };
    const { dx, dy } = truthDisplacement(noMotion, k);
    const det = truthDetectors(sc);
    const seen = new Map<number, [number, number]>();
    for (let i = 0; i < det.length; i++) {
      const d = det[i]!;
      const v = seen.get(d);
      if (!v) seen.set(d, [dx[i]!, dy[i]!]);
      else assert.ok(v[0] === dx[i] && v[1] === dy[i], `detector ${d} not constant`);
    }
    assert.ok(seen.size >= 3, `${seen.size} detectors`);
    const errs = sc.dates[k]!.errors!;
    for (const [d, [a, b]] of seen) {
      assert.ok(Math.abs(a - errs.stripeDx[d]!) < 1e-6 && Math.abs(b - errs.stripeDy[d]!) < 1e-6);
    }
  });

  test('stable mask excludes moving ground; clouds only on cloudy dates', () => {
    const st = truthStable(sc);
    const { dx } = truthDisplacement({ ...sc, dates: sc.dates.map((d) => ({ ...d, errors: null })) }, 3);
    for (let i = 0; i < st.length; i++) if (st[i] === 1) assert.equal(dx[i], 0);
    assert.ok(st.some((v) => v === 1) && st.some((v) => v === 0));
    assert.ok(truthCloudMask(sc, 0).every((v) => v === 0));
    const cloudy = sc.dates.filter((d) => d.clouds).map((d) => d.index);
    assert.ok(cloudy.length >= 1);
    assert.ok(truthCloudMask(sc, cloudy[0]!).some((v) => v === 1));
  });

  test('rendering is deterministic in the seed', () => {
    const a = renderDisplacementDate(displacementScenario({ seed: 9, size: 64 }), 1, ['B04'], 1)[0]!;
    const b = renderDisplacementDate(displacementScenario({ seed: 9, size: 64 }), 1, ['B04'], 1)[0]!;
    const c = renderDisplacementDate(displacementScenario({ seed: 10, size: 64 }), 1, ['B04'], 1)[0]!;
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    // Plausible DN: TOA reflectance of land between 0 and 1.
    for (const v of a) assert.ok(v > 1000 && v < 11000);
  });

  test('a date renders what date 0 shows at the displaced position (rigid case, no noise)', () => {
    const rigid = displacementScenario({ seed: 2, size: 64, dates: 2 });
    rigid.model.lobe.vmax = 0;
    rigid.model.glacier.vmax = 0;
    rigid.model.fault.slipPx = 0;
    const e = rigid.dates[1]!.errors!;
    e.rampDx = [3, 0, 0];
    e.rampDy = [2, 0, 0];
    e.stripeDx.fill(0);
    e.stripeDy.fill(0);
    const moved = renderDisplacementDate(rigid, 1, ['B04'], 1, { noise: false })[0]!;
    const ref = renderDisplacementDate(rigid, 0, ['B04'], 1, { noise: false })[0]!;
    // Content moved 3 px east and 2 px north: moved(c, r) = ref(c - 3, r + 2).
    let same = 0;
    let total = 0;
    for (let r = 0; r < 60; r++)
      for (let c = 3; c < 64; c++) {
        total++;
        if (moved[r * 64 + c] === ref[(r + 2) * 64 + c - 3]) same++;
      }
    assert.ok(same / total > 0.99, `${same}/${total}`);
  });
});
