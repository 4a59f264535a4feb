/**
 * One MPIC-OPT pair (MISSION §2 steps 3-5): pair mask, tiled correlation through ctx.map, speckle removal,
 * deramping, Sentinel-2 destriping, pixels -> metres, COGs and the pair's facts for its STAC item.
 *
 * Memory: the two co-registered images, the pair mask and the outputs; tiles are sent in batches of
 * BATCH windows so that at most that many image windows exist besides the images.
 *
 * Stripes (Sentinel-2 pairs only, destripe != 'none'): the reference's detector-footprint mask when the product
 * has one, else estimateStripeGeometry along the ground track on the robustly deramped dx and dy (the component
 * with more boundaries wins) then stripesFromAzimuth. S2 orbits are descending on the day side: the ground track
 * heads about 192° (12° west of south) at mid latitudes, so detector stripes run ~12° from north (S2_TRACK_AZIMUTH).
 * With stripes, the plane and one offset per stripe are fitted together (fitPlane) so the plane is not tilted by
 * the steps; the plane is subtracted, then destripe subtracts the offsets (relative to the median stripe).
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { combinePairMask } from '../../algorithms/cloudmask/index.ts';
import { planTiles, pasteTile, removeSpeckles, type CorrelationResult } from '../../algorithms/correlation/index.ts';
import { emptyResult, resolveOptions } from '../../algorithms/correlation/types.ts';
import { deramp, destripe, estimateStripeGeometry, pixelsToMetres, stripesFromAzimuth, type PlaneFit } from '../../algorithms/motion/index.ts';
import type { Pair } from '../../algorithms/motion/index.ts';
import { throwIfAborted } from '../../core/errors.ts';
import { writeCog } from '../../raster/cog/write.ts';
import { makeRaster } from '../../raster/types.ts';
import { tileTask } from '../context.ts';
import type { ServiceContext } from '../types.ts';
import { tileMargin, type CorrelateTileInput } from './correlate-tile.ts';
import { searchRadius, type MpicOptInputs } from './description.ts';
import type { Acquisition, Scratch, WorkGrid } from './inputs.ts';
import { cogAsset, type AssetSpec } from './stac.ts';
import type { StacAsset } from '../../core/stac.ts';

export const S2_TRACK_AZIMUTH = 192;
const BATCH = 16;

/** What a pair produced. */
export interface PairOutcome {
  id: string;
  dir: string;
  empty: boolean;
  reason?: string;
  facts: Record<string, unknown>;
  assets: Record<string, StacAsset>;
  /** Paths of dx_m, dy_m and correlation (absent for an empty pair), for the fusion. */
  fields?: { dxM: string; dyM: string; correlation: string };
}

export interface PairJob {
  ctx: ServiceContext;
  inputs: MpicOptInputs;
  grid: WorkGrid;
  scratch: Scratch;
  acqs: Acquisition[];
  pair: Pair;
  id: string;
  /** Progress range of this pair within the job. */
  p0: number;
  p1: number;
  label: string;
}

const round = (v: number, k = 1e6): number => Math.round(v * k) / k;
const planeFacts = (p: PlaneFit): Record<string, number> => ({ a: round(p.a), b: round(p.b, 1e9), c: round(p.c, 1e9), rms: round(p.rms), inliers: p.inliers });

async function writeBand(path: string, data: Float32Array | Uint8Array, grid: WorkGrid, nodata: number, ctx: ServiceContext): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const r = makeRaster([data], grid.width, grid.height, { transform: grid.transform, crs: grid.crs, nodata });
  await writeCog(path, r, { signal: ctx.signal, software: 'gep mpic-opt' });
}

/** Tiled correlation of the pair through ctx.map (see the module comment). */
async function correlate(job: PairJob, ref: Float32Array, sec: Float32Array, mask: Uint8Array | undefined): Promise<CorrelationResult> {
  const { ctx, inputs, grid } = job;
  const { width: W, height: H } = grid;
  const options = { windowRadius: inputs.windowSize, searchRange: searchRadius(inputs.spatialRange), threshold: inputs.threshold, regularization: inputs.regularization };
  const ro = resolveOptions(options);
  const M = tileMargin(ro);
  const tiles = planTiles(W, H, options);
  const res = emptyResult(W, H);
  const task = tileTask<CorrelateTileInput, CorrelationResult>(new URL('./correlate-tile.ts', import.meta.url));
  const span = (job.p1 - job.p0) * 0.8;
  let done = 0;
  for (let b0 = 0; b0 < tiles.length; b0 += BATCH) {
    throwIfAborted(ctx.signal);
    const batch = tiles.slice(b0, b0 + BATCH);
    const msgs = batch.map((t): CorrelateTileInput => {
      const x0 = Math.max(0, t.x - M);
      const y0 = Math.max(0, t.y - M);
      const x1 = Math.min(W, t.x + t.width + M);
      const y1 = Math.min(H, t.y + t.height + M);
      const w = x1 - x0;
      const h = y1 - y0;
      const cut = <A extends Float32Array | Uint8Array>(a: A, make: (n: number) => A): A => {
        const out = make(w * h);
        for (let j = 0; j < h; j++) out.set(a.subarray((y0 + j) * W + x0, (y0 + j) * W + x1), j * w);
        return out;
      };
      const m: CorrelateTileInput = {
        reference: cut(ref, (n) => new Float32Array(n)),
        secondary: cut(sec, (n) => new Float32Array(n)),
        width: w,
        height: h,
        tile: { x: t.x - x0, y: t.y - y0, width: t.width, height: t.height },
        options,
      };
      if (mask) m.mask = cut(mask, (n) => new Uint8Array(n));
      return m;
    });
    const parts = await ctx.map(msgs, task, {
      onTileDone: () => {
        done++;
        ctx.progress(job.p0 + (span * done) / tiles.length, `${job.label}: tile ${done}/${tiles.length}`);
      },
    });
    parts.forEach((p, k) => pasteTile(res, batch[k]!, p));
  }
  removeSpeckles(res, ro.minSegment);
  return res;
}

/** Detector stripes of the pair: the reference's footprint mask, else estimated from the field (or null). */
async function pairStripes(job: PairJob, dx: Float32Array, dy: Float32Array): Promise<{ stripes: Uint8Array | Int32Array; source: string } | null> {
  const { scratch, acqs, pair, grid } = job;
  for (const k of [pair.reference, pair.secondary]) {
    const name = `detectors-${acqs[k]!.index}`;
    if (await scratch.has(name)) return { stripes: await scratch.loadU8(name), source: `detector-footprint-${acqs[k]!.band} of ${acqs[k]!.id}` };
  }
  if (!grid.transform) return null;
  let best: { n: number; w: number; p: number } | null = null;
  for (const v of [dx, dy]) {
    let base = v;
    try {
      base = deramp(v, grid.width, grid.height).corrected;
    } catch {
      // too few valid pixels: estimate on the raw field
    }
    const g = estimateStripeGeometry(base, grid.width, grid.height, { azimuthDeg: S2_TRACK_AZIMUTH });
    if (g.boundaries.length > 0 && (!best || g.boundaries.length > best.n)) best = { n: g.boundaries.length, w: g.stripeWidthPx, p: g.phasePx };
  }
  if (!best) return null;
  return {
    stripes: stripesFromAzimuth(grid.width, grid.height, { azimuthDeg: S2_TRACK_AZIMUTH, stripeWidthPx: best.w, phasePx: best.p }),
    source: `estimated (azimuth ${S2_TRACK_AZIMUTH}°, width ${round(best.w, 100)} px, ${best.n} boundaries)`,
  };
}

/** Runs one pair; writes its COGs under <workspace>/<id>/. */
export async function processPair(job: PairJob): Promise<PairOutcome> {
  const { ctx, inputs, grid, scratch, acqs, pair, id } = job;
  const ra = acqs[pair.reference]!;
  const sa = acqs[pair.secondary]!;
  const dir = join(ctx.workspace, id);
  const n = grid.width * grid.height;
  const facts: Record<string, unknown> = {
    'gep:pair': { reference: ra.id, secondary: sa.id, reference_datetime: ra.datetime, secondary_datetime: sa.datetime, days: round(pair.days), backward: pair.days < 0 },
  };
  const assets: Record<string, StacAsset> = {};
  const put = async (key: string, data: Float32Array | Uint8Array, spec: Omit<AssetSpec, 'href' | 'dataType' | 'nodata'>): Promise<string> => {
    const path = join(dir, `${key}.tif`);
    const isMask = data instanceof Uint8Array;
    await writeBand(path, data, grid, isMask ? 255 : NaN, ctx);
    assets[key] = cogAsset({ ...spec, href: path, dataType: isMask ? 'uint8' : 'float32', nodata: isMask ? 255 : 'nan' });
    return path;
  };

  let ref: Float32Array | null = await scratch.loadF32(`image-${ra.index}`);
  let sec: Float32Array | null = await scratch.loadF32(`image-${sa.index}`);
  const mr = (await scratch.has(`clouds-${ra.index}`)) ? await scratch.loadU8(`clouds-${ra.index}`) : null;
  const ms = (await scratch.has(`clouds-${sa.index}`)) ? await scratch.loadU8(`clouds-${sa.index}`) : null;
  const usable = mr && ms ? combinePairMask(mr, ms) : mr ? combinePairMask(mr, mr) : ms ? combinePairMask(ms, ms) : new Uint8Array(n).fill(1);
  // mask output: 0 usable, 1 masked (cloud, shadow, water in either date), 255 no data in either image
  const maskOut = new Uint8Array(n);
  let nUsable = 0;
  let nData = 0;
  for (let i = 0; i < n; i++) {
    if (!(ref[i]! === ref[i]!) || !(sec[i]! === sec[i]!)) {
      maskOut[i] = 255;
      usable[i] = 0;
      continue;
    }
    nData++;
    if (usable[i]) nUsable++;
    else maskOut[i] = 1;
  }
  facts['gep:usable_fraction'] = round(nUsable / n, 1e4);
  const minUsable = 4 * (2 * inputs.windowSize + 1) ** 2;
  if (nUsable < minUsable) {
    const reason = nData === 0 ? 'the two images have no data in common on the working grid' : `only ${nUsable} usable pixel(s): clouds, shadows or water cover the pair`;
    await put('mask', maskOut, { title: 'Pair mask', description: '0 usable, 1 masked (cloud, shadow, water), 255 no data', roles: ['data', 'cloud'] });
    return { id, dir, empty: true, reason, facts: { ...facts, 'gep:empty': true, 'gep:empty_reason': reason, 'gep:valid_fraction': 0 }, assets };
  }
  ctx.progress(job.p0, `${job.label}: correlating`);
  const res = await correlate(job, ref, sec, nUsable === n ? undefined : usable);
  ref = null;
  sec = null;
  let nValid = 0;
  for (let i = 0; i < n; i++) nValid += res.valid[i]!;
  facts['gep:valid_fraction'] = round(nValid / n, 1e4);
  if (nValid < 3) {
    const reason = `no match above the correlation threshold ${inputs.threshold}`;
    await put('mask', maskOut, { title: 'Pair mask', description: '0 usable, 1 masked (cloud, shadow, water), 255 no data', roles: ['data', 'cloud'] });
    return { id, dir, empty: true, reason, facts: { ...facts, 'gep:empty': true, 'gep:empty_reason': reason }, assets };
  }
  ctx.progress(job.p0 + (job.p1 - job.p0) * 0.82, `${job.label}: corrections`);
  let dx = res.dx;
  let dy = res.dy;
  const doStripes = inputs.destripe !== 'none' && ra.isS2 && sa.isS2;
  const stripes = doStripes ? await pairStripes(job, dx, dy) : null;
  facts['gep:destripe'] = { method: doStripes ? inputs.destripe : 'none', stripes: stripes?.source ?? (doStripes ? 'none found' : inputs.destripe === 'none' ? 'disabled' : 'not Sentinel-2') };
  if (inputs.deramp) {
    const fx = deramp(dx, grid.width, grid.height, { name: `dx of ${id}`, ...(stripes ? { stripes: stripes.stripes } : {}) });
    const fy = deramp(dy, grid.width, grid.height, { name: `dy of ${id}`, ...(stripes ? { stripes: stripes.stripes } : {}) });
    dx = fx.corrected;
    dy = fy.corrected;
    facts['gep:deramp'] = { model: 'a + b*col + c*row (pixels; row down, dy north positive)', dx: planeFacts(fx.plane), dy: planeFacts(fy.plane) };
  } else facts['gep:deramp'] = null;
  if (stripes) {
    const sx = destripe(dx, grid.width, grid.height, { stripes: stripes.stripes, method: inputs.destripe as 'mean' | 'median' });
    const sy = destripe(dy, grid.width, grid.height, { stripes: stripes.stripes, method: inputs.destripe as 'mean' | 'median' });
    dx = sx.corrected;
    dy = sy.corrected;
    const obj = (m: Map<number, number>): Record<string, number> => Object.fromEntries([...m].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), round(v)]));
    facts['gep:stripe_offsets'] = { dx: obj(sx.offsets), dy: obj(sy.offsets) };
  }
  const pxDesc = 'pixels of the working grid';
  await put('dx', dx, { title: 'Displacement east (px)', description: `east-positive displacement, ${pxDesc}`, unit: 'pixel' });
  await put('dy', dy, { title: 'Displacement north (px)', description: `north-positive displacement, ${pxDesc}`, unit: 'pixel' });
  const { dxM, dyM } = pixelsToMetres(dx, dy, grid.gsdX, grid.gsdY);
  const dxMPath = await put('dx_m', dxM, { title: 'Displacement east (m)', description: 'east-positive displacement, metres', unit: 'm' });
  const dyMPath = await put('dy_m', dyM, { title: 'Displacement north (m)', description: 'north-positive displacement, metres', unit: 'm' });
  const corPath = await put('correlation', res.correlation, { title: 'Correlation', description: 'zero-mean normalised cross-correlation at the match' });
  await put('mask', maskOut, { title: 'Pair mask', description: '0 usable, 1 masked (cloud, shadow, water), 255 no data', roles: ['data', 'cloud'] });
  return { id, dir, empty: false, facts: { ...facts, 'gep:empty': false }, assets, fields: { dxM: dxMPath, dyM: dyMPath, correlation: corPath } };
}
