/**
 * One MPIC-OPT pair (MISSION §2 steps 3-5): pair mask, tiled correlation through ctx.map, speckle removal,
 * deramping, Sentinel-2 destriping, pixels -> metres, COGs and the pair's facts for its STAC item.
 *
 * Memory (N pixels of the working grid): the two images are never whole in memory: the pair mask is computed from
 * strips of rows of their scratch files, and each batch of BATCH tiles reads the strip its windows need (at most
 * IN_FLIGHT batches at a time, so both workers stay busy at a batch's end). The correlation holds the pair mask (N
 * bytes) and the result (13N); the correlation COG is written and dropped before the corrections, and every
 * corrected field replaces the one it came from, so the corrections hold about 4 fields (16N) at their peak. Each
 * stage's wall time is logged (info).
 *
 * Stripes (Sentinel-2 pairs only, destripe != 'none'): the reference's detector-footprint mask when the product
 * has one, else estimateStripeGeometry along the ground track on the robustly deramped dx and dy (the component
 * with more boundaries wins) then stripesFromAzimuth. S2 orbits are descending on the day side: the ground track
 * heads about 192° (12° west of south) at mid latitudes, so detector stripes run ~12° from north (S2_TRACK_AZIMUTH).
 * With stripes, the offsets come from the steps ACROSS the stripe boundaries (stripeOffsetsFromBoundaries: ground
 * motion is continuous across a detector boundary, the offset is not), so a glacier or landslide filling much of a
 * stripe does not enter its offset, as it did with a per-stripe median; then the plane is fitted on the field
 * without them, and both are estimated once more on the corrected field (the plane's gradient biases the first
 * steps by b·(2·gap + band)). The `destripe` input picks the statistic of the row steps (mean or median).
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { combinePairMask } from '../../algorithms/cloudmask/index.ts';
import { planTiles, pasteTile, removeSpeckles, type CorrelationResult, type TileRect } from '../../algorithms/correlation/index.ts';
import { emptyResult, resolveOptions } from '../../algorithms/correlation/types.ts';
import { estimateStripeGeometry, fitPlane, pixelsToMetres, stripeOffsetsFromBoundaries, stripesFromAzimuth, subtractStripeOffsets, type PlaneFit } from '../../algorithms/motion/index.ts';
import type { Pair } from '../../algorithms/motion/index.ts';
import { GepError, throwIfAborted } from '../../core/errors.ts';
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
/** Tiles per ctx.map call, and how many such calls run at once. */
const BATCH = 16;
const IN_FLIGHT = 2;
/** Rows per strip of the pair-mask pass. */
const MASK_STRIP = 512;

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

/** Strips of rows of the pair's two co-registered images, read from their scratch files (raw Float32, row-major). */
class PairRows {
  private constructor(
    private readonly files: [FileHandle, FileHandle],
    private readonly width: number,
  ) {}

  static async open(paths: [string, string], width: number, height: number): Promise<PairRows> {
    const files: FileHandle[] = [];
    try {
      for (const p of paths) {
        const fh = await open(p, 'r');
        files.push(fh);
        const size = (await fh.stat()).size;
        if (size !== width * height * 4) throw new GepError('GEP_ERR_INTERNAL', `scratch image ${p} has ${size} bytes, expected ${width}×${height}×4`);
      }
    } catch (e) {
      for (const fh of files) await fh.close();
      throw e;
    }
    return new PairRows(files as [FileHandle, FileHandle], width);
  }

  /** Rows [y0, y1) of the reference and of the secondary. */
  async rows(y0: number, y1: number): Promise<[Float32Array, Float32Array]> {
    const read = async (fh: FileHandle): Promise<Float32Array> => {
      const out = new Float32Array((y1 - y0) * this.width);
      const bytes = new Uint8Array(out.buffer);
      for (let off = 0; off < bytes.length; ) {
        const { bytesRead } = await fh.read(bytes, off, bytes.length - off, y0 * this.width * 4 + off);
        if (bytesRead === 0) throw new GepError('GEP_ERR_INTERNAL', `scratch image ended before row ${y1}`);
        off += bytesRead;
      }
      return out;
    };
    return Promise.all([read(this.files[0]), read(this.files[1])]) as Promise<[Float32Array, Float32Array]>;
  }

  async close(): Promise<void> {
    for (const fh of this.files) await fh.close();
  }
}

/**
 * Tiled correlation of the pair through ctx.map (see the module comment). `mask`: the pair mask output (0 usable,
 * 1 masked, 255 no data), or null when every pixel is usable.
 */
async function correlate(job: PairJob, images: PairRows, mask: Uint8Array | null): Promise<CorrelationResult> {
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
  const top = (t: TileRect): number => Math.max(0, t.y - M);
  const bottom = (t: TileRect): number => Math.min(H, t.y + t.height + M);
  /** The window of the images around a tile (tile + margin, clipped), cut from strips holding rows [sy, ...). */
  const message = (t: TileRect, ref: Float32Array, sec: Float32Array, sy: number): CorrelateTileInput => {
    const x0 = Math.max(0, t.x - M);
    const y0 = top(t);
    const x1 = Math.min(W, t.x + t.width + M);
    const y1 = bottom(t);
    const w = x1 - x0;
    const h = y1 - y0;
    const cut = (a: Float32Array): Float32Array => {
      const out = new Float32Array(w * h);
      for (let j = 0; j < h; j++) out.set(a.subarray((y0 - sy + j) * W + x0, (y0 - sy + j) * W + x1), j * w);
      return out;
    };
    const m: CorrelateTileInput = {
      reference: cut(ref),
      secondary: cut(sec),
      width: w,
      height: h,
      tile: { x: t.x - x0, y: t.y - y0, width: t.width, height: t.height },
      options,
    };
    if (mask) {
      const u = new Uint8Array(w * h);
      for (let j = 0, k = 0; j < h; j++) {
        const row = (y0 + j) * W + x0;
        for (let i = 0; i < w; i++, k++) u[k] = mask[row + i] === 0 ? 1 : 0;
      }
      m.mask = u;
    }
    return m;
  };
  // batches are cut only when sent, IN_FLIGHT at a time: each batch's last tiles overlap the next batch's first
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (next < tiles.length && !failed) {
      throwIfAborted(ctx.signal);
      const batch = tiles.slice(next, next + BATCH);
      next += batch.length;
      const sy = Math.min(...batch.map(top));
      const [ref, sec] = await images.rows(sy, Math.max(...batch.map(bottom)));
      const parts = await ctx.map(batch.map((t) => message(t, ref, sec, sy)), task, {
        onTileDone: () => {
          done++;
          ctx.progress(job.p0 + (span * done) / tiles.length, `${job.label}: tile ${done}/${tiles.length}`);
        },
      });
      parts.forEach((p, k) => pasteTile(res, batch[k]!, p));
    }
  };
  // a failing batch stops the other lane at its next batch (the first error is the one reported)
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, () =>
      lane().catch((e: unknown) => {
        failed = true;
        throw e;
      }),
    ),
  );
  removeSpeckles(res, ro.minSegment);
  return res;
}

/**
 * dst = src - plane (the subtraction of deramp(), algorithms/motion/deramp.ts, written into a buffer of ours so the
 * corrections allocate no full-size field per component; dst may be src).
 */
function subtractPlane(src: Float32Array, dst: Float32Array, plane: PlaneFit, width: number, height: number): void {
  const { a, b, c } = plane;
  for (let row = 0; row < height; row++) {
    const base = a + c * row;
    let i = row * width;
    for (let col = 0; col < width; col++, i++) dst[i] = src[i]! - (base + b * col);
  }
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
  let tmp: Float32Array | null = null; // the deramped component (one buffer for both)
  for (const v of [dx, dy]) {
    let base = v;
    try {
      const plane = fitPlane(v, grid.width, grid.height);
      tmp ??= new Float32Array(v.length);
      subtractPlane(v, tmp, plane, grid.width, grid.height);
      base = tmp;
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
  const { ctx, grid, scratch, acqs, pair, id } = job;
  const ra = acqs[pair.reference]!;
  const sa = acqs[pair.secondary]!;
  const dir = join(ctx.workspace, id);
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

  const images = await PairRows.open([scratch.path(`image-${ra.index}`), scratch.path(`image-${sa.index}`)], grid.width, grid.height);
  try {
    return await processOpenPair(job, images, facts, assets, put);
  } finally {
    await images.close();
  }
}

type Put = (key: string, data: Float32Array | Uint8Array, spec: Omit<AssetSpec, 'href' | 'dataType' | 'nodata'>) => Promise<string>;

/** processPair once the images are open: mask, correlation, corrections, COGs (see the module comment). */
async function processOpenPair(job: PairJob, images: PairRows, facts: Record<string, unknown>, assets: Record<string, StacAsset>, put: Put): Promise<PairOutcome> {
  const { ctx, inputs, grid, scratch, acqs, pair, id } = job;
  const ra = acqs[pair.reference]!;
  const sa = acqs[pair.secondary]!;
  const dir = join(ctx.workspace, id);
  const n = grid.width * grid.height;
  const t0 = performance.now();
  const stageTimes: string[] = [];
  let tStage = t0;
  const lap = (name: string): void => {
    const t = performance.now();
    stageTimes.push(`${name} ${((t - tStage) / 1000).toFixed(1)} s`);
    tStage = t;
  };
  const logTimes = (): void => ctx.log('info', `${job.label}: ${stageTimes.join(', ')} (total ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  // mask output: 0 usable, 1 masked (cloud, shadow, water in either date), 255 no data in either image
  const maskOut = new Uint8Array(n);
  {
    const mr = (await scratch.has(`clouds-${ra.index}`)) ? await scratch.loadU8(`clouds-${ra.index}`) : null;
    const ms = (await scratch.has(`clouds-${sa.index}`)) ? await scratch.loadU8(`clouds-${sa.index}`) : null;
    const usable = mr && ms ? combinePairMask(mr, ms) : mr ? combinePairMask(mr, mr) : ms ? combinePairMask(ms, ms) : null;
    const W = grid.width;
    for (let y0 = 0; y0 < grid.height; y0 += MASK_STRIP) {
      const y1 = Math.min(grid.height, y0 + MASK_STRIP);
      const [ref, sec] = await images.rows(y0, y1);
      for (let k = 0, i = y0 * W; k < ref.length; k++, i++) {
        if (!(ref[k]! === ref[k]!) || !(sec[k]! === sec[k]!)) maskOut[i] = 255;
        else if (usable && !usable[i]) maskOut[i] = 1;
      }
    }
  }
  let nUsable = 0;
  let nData = 0;
  for (let i = 0; i < n; i++) {
    if (maskOut[i] !== 255) nData++;
    if (maskOut[i] === 0) nUsable++;
  }
  facts['gep:usable_fraction'] = round(nUsable / n, 1e4);
  const minUsable = 4 * (2 * inputs.windowSize + 1) ** 2;
  const putMask = (): Promise<string> => put('mask', maskOut, { title: 'Pair mask', description: '0 usable, 1 masked (cloud, shadow, water), 255 no data', roles: ['data', 'cloud'] });
  if (nUsable < minUsable) {
    const reason = nData === 0 ? 'the two images have no data in common on the working grid' : `only ${nUsable} usable pixel(s): clouds, shadows or water cover the pair`;
    await putMask();
    return { id, dir, empty: true, reason, facts: { ...facts, 'gep:empty': true, 'gep:empty_reason': reason, 'gep:valid_fraction': 0 }, assets };
  }
  lap('inputs');
  ctx.progress(job.p0, `${job.label}: correlating`);
  const res = await correlate(job, images, nUsable === n ? null : maskOut);
  lap('correlation');
  let nValid = 0;
  for (let i = 0; i < n; i++) nValid += res.valid[i]!;
  facts['gep:valid_fraction'] = round(nValid / n, 1e4);
  if (nValid < 3) {
    const reason = `no match above the correlation threshold ${inputs.threshold}`;
    await putMask();
    return { id, dir, empty: true, reason, facts: { ...facts, 'gep:empty': true, 'gep:empty_reason': reason }, assets };
  }
  ctx.progress(job.p0 + (job.p1 - job.p0) * 0.82, `${job.label}: corrections`);
  // the correlation and the mask are final: written now, so that their memory is free for the corrections
  const corPath = await put('correlation', res.correlation, { title: 'Correlation', description: 'zero-mean normalised cross-correlation at the match' });
  await putMask();
  let dx = res.dx;
  let dy = res.dy;
  res.dx = res.dy = res.correlation = new Float32Array(0);
  res.valid = new Uint8Array(0);
  lap('correlation and mask COGs');
  const doStripes = inputs.destripe !== 'none' && ra.isS2 && sa.isS2;
  let stripes = doStripes ? await pairStripes(job, dx, dy) : null;
  facts['gep:destripe'] = { method: doStripes ? inputs.destripe : 'none', stripes: stripes?.source ?? (doStripes ? 'none found' : inputs.destripe === 'none' ? 'disabled' : 'not Sentinel-2') };
  // The user's stable-ground mask (input stableMask), when given, restricts the fits to stable pixels.
  const stable = (await job.scratch.has('stable')) ? await job.scratch.loadU8('stable') : undefined;
  const onStable = stable ? { stable } : {};
  facts['gep:stable_mask'] = Boolean(stable);
  const fitOpts = (c: string): { name: string; stable?: Uint8Array } => ({ name: `${c} of ${id}`, ...onStable });
  if (stripes) {
    // offsets from the steps across the stripe boundaries, then the plane, then the offsets again on the deramped
    // field (the plane's gradient biases the first steps) and the plane again: all in place
    const st = stripes.stripes;
    const bOpts = { stripes: st, method: inputs.destripe as 'mean' | 'median', gapPx: inputs.windowSize + 1, ...onStable };
    const planes: Record<string, Record<string, number>> = {};
    const offsets: Record<string, Record<string, number>> = {};
    for (const [c, v] of [['dx', dx], ['dy', dy]] as const) {
      const total = new Map<number, number>();
      let plane: PlaneFit | null = null;
      for (let pass = 0; pass < 2; pass++) {
        const o = stripeOffsetsFromBoundaries(v, grid.width, grid.height, bOpts);
        subtractStripeOffsets(v, st, o.offsets);
        for (const [s, x] of o.offsets) total.set(s, (total.get(s) ?? 0) + x);
        if (inputs.deramp) {
          const p = fitPlane(v, grid.width, grid.height, fitOpts(c));
          subtractPlane(v, v, p, grid.width, grid.height);
          plane = plane ? { ...p, a: plane.a + p.a, b: plane.b + p.b, c: plane.c + p.c } : p;
        }
      }
      if (plane) planes[c] = planeFacts(plane);
      offsets[c] = Object.fromEntries([...total].sort((a, b) => a[0] - b[0]).map(([k, x]) => [String(k), round(x)]));
    }
    facts['gep:deramp'] = inputs.deramp ? { model: 'a + b*col + c*row (pixels; row down, dy north positive)', ...planes } : null;
    facts['gep:stripe_offsets'] = offsets;
  } else if (inputs.deramp) {
    // deramp() in place: fitPlane, then the plane subtracted from the field itself
    const px = fitPlane(dx, grid.width, grid.height, fitOpts('dx'));
    subtractPlane(dx, dx, px, grid.width, grid.height);
    const py = fitPlane(dy, grid.width, grid.height, fitOpts('dy'));
    subtractPlane(dy, dy, py, grid.width, grid.height);
    facts['gep:deramp'] = { model: 'a + b*col + c*row (pixels; row down, dy north positive)', dx: planeFacts(px), dy: planeFacts(py) };
  } else facts['gep:deramp'] = null;
  stripes = null;
  lap('deramp and destripe');
  const pxDesc = 'pixels of the working grid';
  await put('dx', dx, { title: 'Displacement east (px)', description: `east-positive displacement, ${pxDesc}`, unit: 'pixel' });
  await put('dy', dy, { title: 'Displacement north (px)', description: `north-positive displacement, ${pxDesc}`, unit: 'pixel' });
  const metres = pixelsToMetres(dx, dy, grid.gsdX, grid.gsdY);
  dx = dy = new Float32Array(0);
  let dxM = metres.dxM;
  const dyM = metres.dyM;
  metres.dxM = new Float32Array(0);
  const dxMPath = await put('dx_m', dxM, { title: 'Displacement east (m)', description: 'east-positive displacement, metres', unit: 'm' });
  dxM = new Float32Array(0);
  const dyMPath = await put('dy_m', dyM, { title: 'Displacement north (m)', description: 'north-positive displacement, metres', unit: 'm' });
  lap('displacement COGs');
  logTimes();
  // assets in reading order (they were written in the order that frees memory first)
  const ordered = Object.fromEntries(['dx', 'dy', 'dx_m', 'dy_m', 'correlation', 'mask'].map((k) => [k, assets[k]!]));
  return { id, dir, empty: false, facts: { ...facts, 'gep:empty': false }, assets: ordered, fields: { dxM: dxMPath, dyM: dyMPath, correlation: corPath } };
}
