/**
 * MPIC-OPT on real Sentinel-2 data (../shared/data, skipped when absent):
 * (a) the T33UUU pair (AROSICS INTER1, no ground motion): on a 384² crop the deramped field is ~0 and the removed
 *     plane is the documented S2A 2016 misregistration (about 1.9 px in rows, 0.7 px in columns);
 * (b) the Perito Moreno JPEG series (green channel, 10 m pixels, a 320² crop at the glacier margin): the glacier
 *     (mask.jpg > 250 in every band) moves ~1-2 m/day, off-glacier rock ~0. Deramping is off in the service there
 *     (the glacier is most of the scene, so no plane fitted on all valid pixels can tell it from stable ground); the
 *     test deramps each pair on the off-glacier rock (the stable-ground mask) itself. Five dates 10-15 days apart:
 *     the per-pixel noise of these lossy 8-bit JPEGs is ~0.25 px per pair, so in m/day it falls with the time span;
 *     three dates 5 days apart gave a median rock speed of 0.48 m/day, five dates 10-15 days apart give ~0.2.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRaster } from '../../src/raster/open.ts';
import { closeLocalPools, runServiceLocally } from '../../src/services/local-runner.ts';
import { sharedData, skipUnlessShared } from '../helpers/env.ts';
import { deramp } from '../../src/algorithms/motion/deramp.ts';
import { readBand } from './mpic-opt-truth.ts';

const dirs: string[] = [];
after(async () => {
  await closeLocalPools();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s[s.length >> 1] ?? NaN;
};

describe('mpic-opt on real data', () => {
  test('S2 T33UUU pair: residual ~0 after deramping, plane = co-registration offset', skipUnlessShared('s2-t33uuu-pair-arosics'), async () => {
    const base = sharedData('s2-t33uuu-pair-arosics')!;
    const out = await mkdtemp(join(tmpdir(), 'mpic-t33-'));
    dirs.push(out);
    const [x, y] = [344720, 5848485];
    const images = [join(base, 'ref_S2A_20160608T153121_T33UUU_sub.tif'), join(base, 'tgt_S2A_20160529T153631_T33UUU_sub.tif')];
    const res = await runServiceLocally(
      'mpic-opt',
      { images, roi: { bbox: [x - 1920, y - 1920, x + 1920, y + 1920], crs: 'http://www.opengis.net/def/crs/EPSG/0/32633' } },
      { workspace: out, workers: 2 },
    );
    assert.equal(res.outputs.emptyPairs, 0);
    const id = 'pair-20160529-20160608';
    const item = JSON.parse(await readFile(join(out, id, `${id}.json`), 'utf8')) as { properties: Record<string, unknown> };
    const plane = item.properties['gep:deramp'] as { dx: { a: number; b: number; c: number }; dy: { a: number; b: number; c: number } };
    const centre = (p: { a: number; b: number; c: number }): number => p.a + p.b * 192 + p.c * 192;
    const dx = await readBand(join(out, id, 'dx.tif'));
    const dy = await readBand(join(out, id, 'dy.tif'));
    const vx = [...dx].filter(Number.isFinite);
    const vy = [...dy].filter(Number.isFinite);
    const mdx = median(vx.map(Math.abs));
    const mdy = median(vy.map(Math.abs));
    console.log(`# T33UUU 384² crop: valid ${vx.length}, plane at the centre dx ${centre(plane.dx).toFixed(3)} px, dy ${centre(plane.dy).toFixed(3)} px (tilt ${JSON.stringify(plane)}); median dx ${median(vx).toFixed(3)}, dy ${median(vy).toFixed(3)}, median |dx| ${mdx.toFixed(3)}, |dy| ${mdy.toFixed(3)} px after deramping; ${JSON.stringify(item.properties['gep:destripe'])}`);
    assert.ok(vx.length > 0.3 * 384 * 384);
    assert.ok(Math.abs(median(vx)) < 0.05 && Math.abs(median(vy)) < 0.05, 'no residual offset');
    assert.ok(mdx < 0.2 && mdy < 0.2, 'residual noise (lossy JP2-compressed crops, 7x7 templates)');
    const shift = Math.hypot(centre(plane.dx), centre(plane.dy));
    assert.ok(shift > 1 && shift < 3, 'the plane holds the 1-2 px misregistration');
  });

  test('S2 T33UUU as JPEG2000 (decoded through the image product reader)', skipUnlessShared('s2-t33uuu-pair-arosics'), async () => {
    const base = sharedData('s2-t33uuu-pair-arosics')!;
    const jp2 = join(base, 'ref_S2A_20160608T153121_T33UUU_sub.jp2');
    const r = await openRaster(jp2);
    const ok = r.info.transform !== null;
    await r.close();
    if (!ok) return; // a JP2 without georeferencing boxes cannot be combined with the GeoTIFF: nothing more to check
    const out = await mkdtemp(join(tmpdir(), 'mpic-jp2-'));
    dirs.push(out);
    const [x, y] = [344720, 5848485];
    const res = await runServiceLocally(
      'mpic-opt',
      { images: [jp2, join(base, 'tgt_S2A_20160529T153631_T33UUU_sub.jp2')], roi: { bbox: [x - 640, y - 640, x + 640, y + 640], crs: 'http://www.opengis.net/def/crs/EPSG/0/32633' } },
      { workspace: out, workers: 2 },
    );
    assert.equal(res.outputs.emptyPairs, 0);
  });

  test('Perito Moreno JPEG series: glacier flow vs stable rock', skipUnlessShared('s2-perito-moreno-giv'), async () => {
    const base = sharedData('s2-perito-moreno-giv/images')!;
    const out = await mkdtemp(join(tmpdir(), 'mpic-pm-'));
    dirs.push(out);
    const roi = [1184, 416, 1504, 736];
    const W = roi[2]! - roi[0]!;
    const dates = ['20200121', '20200205', '20200220', '20200301', '20200316'];
    const images = dates.map((d) => join(base, `${d}.jpg`));
    await runServiceLocally('mpic-opt', { images, band: '2', pixelSize: 10, roi: { bbox: roi }, deramp: false, temporalRange: 1 }, { workspace: out, workers: 2 });
    const window = { x0: roi[0]!, y0: roi[1]!, width: W, height: W };
    const mr = await openRaster(join(base, 'mask.jpg'));
    const m = await mr.read({ window });
    await mr.close();
    const ir = await openRaster(join(base, `${dates[0]}.jpg`));
    const im = await ir.read({ window });
    await ir.close();
    const n = W * W;
    const glacier = new Uint8Array(n);
    const rock = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      glacier[i] = m.bands.every((b) => b[i]! > 250) ? 1 : 0;
      rock[i] = !glacier[i] && im.bands.every((b) => b[i]! > 20) && im.bands[0]![i]! > 60 ? 1 : 0;
    }
    // per pair: deramp on the stable rock, then the least-squares velocity d = v·t over the pairs (each pair's
    // pixel noise is about the same in pixels, so longer pairs weigh more)
    const se = new Float64Array(n);
    const sn = new Float64Array(n);
    const tt = new Float64Array(n);
    let used = 0;
    for (let k = 0; k + 1 < dates.length; k++) {
      const id = `pair-${dates[k]}-${dates[k + 1]}`;
      const item = JSON.parse(await readFile(join(out, id, `${id}.json`), 'utf8')) as { properties: Record<string, unknown> };
      if (item.properties['gep:empty']) continue;
      const days = (item.properties['gep:pair'] as { days: number }).days;
      const dx = await readBand(join(out, id, 'dx.tif'));
      const dy = await readBand(join(out, id, 'dy.tif'));
      let nr = 0;
      for (let i = 0; i < n; i++) if (rock[i] && Number.isFinite(dx[i]!)) nr++;
      if (nr < 500) continue;
      used++;
      const cx = deramp(dx, W, W, { stable: rock }).corrected;
      const cy = deramp(dy, W, W, { stable: rock }).corrected;
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(cx[i]!) || !Number.isFinite(cy[i]!)) continue;
        se[i]! += 10 * cx[i]! * days;
        sn[i]! += 10 * cy[i]! * days;
        tt[i]! += days * days;
      }
    }
    const glacierV = { s: [] as number[], e: [] as number[], n: [] as number[] };
    const rockV = { s: [] as number[], e: [] as number[], n: [] as number[] };
    for (let i = 0; i < n; i++) {
      if (!tt[i]) continue;
      const t = glacier[i] ? glacierV : rock[i] ? rockV : null;
      if (!t) continue;
      const ve = se[i]! / tt[i]!;
      const vn = sn[i]! / tt[i]!;
      t.s.push(Math.hypot(ve, vn));
      t.e.push(ve);
      t.n.push(vn);
    }
    const f = (v: number): string => v.toFixed(3);
    console.log(`# Perito Moreno, ${dates.length} dates, ${used} pairs deramped on rock: glacier ${glacierV.s.length} px, median speed ${f(median(glacierV.s))} m/day (ve ${f(median(glacierV.e))}, vn ${f(median(glacierV.n))}); rock ${rockV.s.length} px, median speed ${f(median(rockV.s))} m/day (ve ${f(median(rockV.e))}, vn ${f(median(rockV.n))})`);
    assert.ok(used >= 3, 'at least 3 usable pairs');
    assert.ok(glacierV.s.length > 5000 && rockV.s.length > 500);
    const gs = median(glacierV.s);
    assert.ok(gs > 1 && gs < 3, 'glacier speed');
    assert.ok(Math.abs(median(rockV.e)) < 0.1 && Math.abs(median(rockV.n)) < 0.1, 'rock velocity components ~0');
    assert.ok(median(rockV.s) < 0.3, 'rock speed: noise of ~0.25 px per pair over 10-15 days');
  });
});
