/**
 * The landslide scenario: pre- and post-event images of vegetated hilly terrain (a DEM from fBm with a river
 * valley, hillshade modulating reflectance) with N landslide scars — elongated downslope lobes where bare
 * soil and rock replace vegetation in the post image — and distractors a classifier must reject: a cloud
 * with its shadow, a harvested field and an eroded river bank (all post-event), plus old bare patches present
 * in both images and a change of sun position between the dates.
 *
 * Scene units are metres (x east, y south from the north-west corner). VHR grid: 2 m; S2 grid: 10 m.
 */
import type { ProgressFn } from '../core/progress.ts';
import type { GeoTransform } from '../raster/types.ts';
import { CloudField, CloudOverlay, shadowOffset } from './clouds.ts';
import type { CloudParams } from './clouds.ts';
import type { GlacierParams } from './displacement.ts';
import { glacierFrame } from './displacement.ts';
import { RingIndex, pointInRing, rasterizeRing, signedArea } from './geometry.ts';
import type { Ring } from './geometry.ts';
import { ClassifiedScene, imageTexture } from './landcover.ts';
import { Fbm, smoothstep } from './noise.ts';
import { deriveSeed, Rng } from './random.ts';
import { renderDn } from './render.ts';
import {
  LandCover,
  N_CLASSES,
  NOISE_REFERENCE_REFLECTANCE,
  PLEIADES_BANDS,
  S2_BANDS,
  reflectanceTable,
  s2NoiseSd,
  s2ToDn,
} from './spectra.ts';
import { bilinear, demAt, downslopeAzimuth, gradientAt, illuminationGrid, sampleDem, slopeDeg } from './terrain.ts';
import type { DemGrid } from './terrain.ts';

export interface Scar {
  id: number;
  /** Outline in scene metres. */
  ring: Ring;
  x: number;
  y: number;
  lengthM: number;
  widthM: number;
  /** Downslope azimuth (degrees from north). */
  azimuthDeg: number;
  areaM2: number;
  /** Fraction of rock (vs soil) in the scar. */
  rock: number;
  training: boolean;
}

export interface LandslideScenario {
  seed: number;
  /** VHR image size (pixels of 2 m); the S2 image covers the same area at 10 m. */
  size: number;
  extentM: number;
  gsdVhr: number;
  gsdS2: number;
  s2Size: number;
  epsg: number;
  tileId: string;
  /** Geotransform of the north-west corner at 1 m per scene unit (scale by the gsd for each grid). */
  origin: [number, number];
  dem: DemGrid;
  river: GlacierParams;
  village: { x: number; y: number; r: number };
  scars: Scar[];
  /** Training areas (scene metres, axis-aligned rectangles): everything in them outside scars is negative. */
  trainingAreas: Ring[];
  field: Ring;
  bank: Ring;
  cloud: CloudParams;
  pre: { datetime: string; sun: { zenith: number; azimuth: number } };
  post: { datetime: string; sun: { zenith: number; azimuth: number } };
}

/** Terrain height (metres): fBm hills (800 m wavelength) cut by a river valley. */
class LandslideTerrain {
  private readonly hills: Fbm;
  private readonly frame = new Float64Array(4);
  constructor(seed: number, private readonly river: GlacierParams, private readonly valleyHalfWidth: number) {
    this.hills = new Fbm(deriveSeed(seed, 'hills'), { wavelength: 800, octaves: 6, gain: 0.5 });
  }
  at(x: number, y: number): number {
    glacierFrame(this.river, x, y, this.frame);
    const d = this.frame[1]! / this.valleyHalfWidth;
    const valley = 1 - Math.exp(-d * d);
    return 900 + 280 * valley * (0.6 + this.hills.at(x, y)) + 15 * this.hills.band(x * 3, y * 3, 2, 6);
  }
}

/** Transform of a grid with pixel size `gsd` over the scenario's area. */
export function landslideTransform(sc: LandslideScenario, gsd: number): GeoTransform {
  return [sc.origin[0], gsd, 0, sc.origin[1], 0, -gsd];
}

/** Builds the scenario (DEM, scars, distractors); no image rendering. */
export function landslideScenario(opts: { seed?: number; size?: number } = {}): LandslideScenario {
  const seed = opts.seed ?? 1;
  const size = opts.size ?? 512;
  if (!Number.isInteger(size) || size < 32 || size > 20000) throw new RangeError(`size must be an integer 32..20000, got ${size}`);
  const rng = Rng.derive(seed, 'landslide-scenario');
  const E = size * 2;
  const river: GlacierParams = {
    x: E * rng.uniform(0.4, 0.6),
    y: E * rng.uniform(0.4, 0.6),
    azimuthDeg: rng.uniform(0, 180),
    widthPx: Math.min(E / 40, rng.uniform(10, 16)),
    meanderAmpPx: Math.min(E / 10, 120),
    meanderWavelengthPx: Math.min(E / 1.5, 900),
    vmax: 0,
  };
  const terrain = new LandslideTerrain(seed, river, Math.min(E / 5, 300));
  // DEM nodes at the centres of 2 m pixels, coarsened for very large scenes (at most 4096 nodes a side).
  const demStep = 2 * Math.ceil(size / 4096);
  const demW = Math.ceil(E / demStep);
  const dem = sampleDem(terrain, demW, demW, demStep, demStep / 2, demStep / 2);
  const village = { x: E * 0.8, y: E * 0.2, r: Math.min(E / 12, 120) };
  const frame = new Float64Array(4);
  const riverDist = (x: number, y: number): number => {
    glacierFrame(river, x, y, frame);
    return Math.abs(frame[1]!);
  };
  const pre = { datetime: '2023-04-11T05:01:21.024Z', sun: { zenith: 26, azimuth: 128 } };
  const post = { datetime: '2023-10-18T04:58:42.024Z', sun: { zenith: 40, azimuth: 156 } };
  const [sdx, sdy] = shadowOffset(post.sun.zenith, post.sun.azimuth, 1200, 1, E / 10);
  const cloud: CloudParams = { seed: deriveSeed(seed, 'cloud'), cover: 0.05, wavelength: Math.min(E / 3, 600), shadowDx: sdx, shadowDy: sdy, width: E, height: E };
  const cloudField = new CloudField(cloud);
  const busy: [number, number, number][] = []; // circles (x, y, r) already taken
  const free = (x: number, y: number, r: number): boolean =>
    busy.every(([bx, by, br]) => Math.hypot(x - bx, y - by) > r + br) &&
    riverDist(x, y) > r + river.widthPx &&
    Math.hypot(x - village.x, y - village.y) > r + village.r &&
    cloudField.alpha(x, y) === 0 &&
    cloudField.shadow(x, y) === 0;
  // Harvested field: a rotated rectangle on gentle ground near the valley floor.
  const fl = Math.min(E / 8, 90);
  const fw = fl * 0.6;
  let field: Ring = [];
  for (let t = 0; t < 400; t++) {
    const x = rng.uniform(fl, E - fl);
    const y = rng.uniform(fl, E - fl);
    if ((t < 300 && slopeDeg(gradientAt(dem, x, y)) > 12) || !free(x, y, fl * 0.6)) continue;
    const a = rng.uniform(0, Math.PI);
    const [c, s] = [Math.cos(a), Math.sin(a)];
    field = [[-1, -1], [1, -1], [1, 1], [-1, 1]].map(([u, v]) => [x + (u! * fl * c - v! * fw * s) / 2, y + (u! * fl * s + v! * fw * c) / 2]);
    busy.push([x, y, fl * 0.6]);
    break;
  }
  // Eroded river bank: a strip outside the channel on one side along a stretch of the river.
  const bank: Ring = [];
  {
    const ax = Math.sin((river.azimuthDeg * Math.PI) / 180);
    const ay = -Math.cos((river.azimuthDeg * Math.PI) / 180);
    const u0 = (E / 2 - river.x) * ax + (E / 2 - river.y) * ay + rng.uniform(-E / 6, E / 6);
    const len = Math.min(E / 4, 160);
    const side = rng.chance(0.5) ? 1 : -1;
    const d1 = river.widthPx / 2;
    const d2 = d1 + Math.min(E / 60, rng.uniform(6, 12));
    const pts = (d: number, rev: boolean): Ring => {
      const r: Ring = [];
      for (let k = 0; k <= 16; k++) {
        const u = u0 + (len * (rev ? 16 - k : k)) / 16;
        const kk = (2 * Math.PI) / river.meanderWavelengthPx;
        const vc = river.meanderAmpPx * Math.sin(kk * u);
        const norm = Math.sqrt(1 + (river.meanderAmpPx * kk * Math.cos(kk * u)) ** 2);
        const v = vc + side * d * norm;
        r.push([river.x + u * ax - v * ay, river.y + u * ay + v * ax]);
      }
      return r;
    };
    bank.push(...pts(d1, false), ...pts(d2, true));
  }
  // Landslide scars on slopes of 20-45°, downslope-elongated teardrops with a wobbly outline.
  const nScars = Math.max(5, Math.min(400, Math.round(8 * (E * E) / 1e6 + 4)));
  const scars: Scar[] = [];
  const lMax = Math.min(120, E / 5);
  for (let t = 0; t < nScars * 300 && scars.length < nScars; t++) {
    const L = rng.uniform(lMax / 3, lMax);
    const W = L * rng.uniform(0.3, 0.5);
    const x = rng.uniform(L, E - L);
    const y = rng.uniform(L, E - L);
    const g = gradientAt(dem, x, y);
    const slope = slopeDeg(g);
    if ((t < nScars * 200 && (slope < 20 || slope > 45)) || !free(x, y, L / 2 + 4)) continue;
    const az = downslopeAzimuth(g);
    const ring = scarRing(rng, x, y, L, W, az);
    busy.push([x, y, L / 2 + 4]);
    scars.push({ id: scars.length + 1, ring, x, y, lengthM: L, widthM: W, azimuthDeg: az, areaM2: Math.abs(signedArea(ring)), rock: rng.uniform(0.1, 0.6), training: false });
  }
  // Training: about a quarter of the scars, each in an area extending one scar length around its centre.
  const trainingAreas: Ring[] = [];
  const nTrain = Math.max(1, Math.ceil(scars.length / 4));
  for (let k = 0; k < scars.length && trainingAreas.length < nTrain; k++) {
    const s = scars[k]!;
    const x0 = Math.max(0, s.x - s.lengthM);
    const x1 = Math.min(E, s.x + s.lengthM);
    const y0 = Math.max(0, s.y - s.lengthM);
    const y1 = Math.min(E, s.y + s.lengthM);
    s.training = true;
    trainingAreas.push([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]);
    // A scar reaching into a training area is labelled there too, so the area's negatives stay true.
    for (const o of scars) if (!o.training && o.ring.some(([px, py]) => px >= x0 && px <= x1 && py >= y0 && py <= y1)) o.training = true;
  }
  return {
    seed, size, extentM: E, gsdVhr: 2, gsdS2: 10, s2Size: Math.ceil(E / 10), epsg: 32645, tileId: '45RUL',
    origin: [331000, 3104000], dem, river, village, scars, trainingAreas, field, bank, cloud, pre, post,
  };
}

/** Teardrop outline: wider at the head (upslope), narrowing to the toe, radius wobble from 3 harmonics. */
function scarRing(rng: Rng, x: number, y: number, L: number, W: number, azDeg: number): Ring {
  const a = (azDeg * Math.PI) / 180;
  const [ax, ay] = [Math.sin(a), -Math.cos(a)]; // downslope, scene coordinates
  const [cx, cy] = [-ay, ax];
  const harm = [1, 2, 3].map((k) => ({ k: k + 1, amp: rng.uniform(0, 0.06), ph: rng.uniform(0, 2 * Math.PI) }));
  const ring: Ring = [];
  const n = 40;
  for (let i = 0; i < n; i++) {
    const t = (2 * Math.PI * i) / n;
    let m = 1;
    for (const h of harm) m += h.amp * Math.sin(h.k * t + h.ph);
    const u = (L / 2) * Math.cos(t) * m;
    const v = (W / 2) * Math.sin(t) * (0.75 - 0.25 * Math.cos(t)) * m;
    ring.push([x + u * ax + v * cx, y + u * ay + v * cy]);
  }
  return ring;
}

/** The continuous surface of the landslide scenario, before or after the event. */
export class LandslideScene extends ClassifiedScene {
  private readonly sc: LandslideScenario;
  private readonly post: boolean;
  private readonly shade: Float32Array;
  private readonly scarIndex: RingIndex;
  private readonly macro: Fbm;
  private readonly patches: Fbm;
  private readonly frame = new Float64Array(4);

  /** @param table reflectance table (N_CLASSES × nBands); the post-event vegetation is given 5 % less NIR by the caller. */
  constructor(sc: LandslideScenario, post: boolean, table: Float64Array, nBands: number) {
    super(table, nBands, imageTexture(deriveSeed(sc.seed, 'ls-texture'), 160));
    if (table.length !== N_CLASSES * nBands) throw new RangeError('bad table');
    this.sc = sc;
    this.post = post;
    const sun = post ? sc.post.sun : sc.pre.sun;
    this.shade = illuminationGrid(sc.dem, sun.zenith, sun.azimuth);
    this.scarIndex = new RingIndex(sc.scars.map((s) => s.ring), 64);
    this.macro = new Fbm(deriveSeed(sc.seed, 'ls-macro'), { wavelength: 300, octaves: 4, gain: 0.5 });
    this.patches = new Fbm(deriveSeed(sc.seed, 'ls-patches'), { wavelength: 120, octaves: 3, gain: 0.5 });
  }

  /** Height of the terrain (metres) at a scene position. */
  height(x: number, y: number): number {
    return demAt(this.sc.dem, x, y);
  }

  protected classify(xs: Float64Array, ys: Float64Array, n: number, cls: Uint8Array, cls2: Uint8Array, w: Float64Array, illum: Float64Array): void {
    const sc = this.sc;
    const { river, village } = sc;
    for (let i = 0; i < n; i++) {
      const x = xs[i]!;
      const y = ys[i]!;
      illum[i] = bilinear(sc.dem, this.shade, x, y);
      if (this.post) {
        const s = this.scarIndex.find(x, y);
        if (s >= 0) {
          cls[i] = LandCover.soil;
          cls2[i] = LandCover.rock;
          w[i] = Math.min(1, Math.max(0, sc.scars[s]!.rock + 0.3 * this.patches.at(x * 4, y * 4)));
          continue;
        }
        if (pointInRing(x, y, sc.bank)) {
          cls[i] = LandCover.water;
          cls2[i] = LandCover.soil;
          w[i] = 0.35; // turbid water and wet sand
          continue;
        }
      }
      if (sc.field.length && pointInRing(x, y, sc.field)) {
        // Crop before, stubble and bare soil after the harvest.
        cls[i] = this.post ? LandCover.soil : LandCover.vegetation;
        cls2[i] = this.post ? LandCover.vegetation : LandCover.soil;
        w[i] = 0.1;
        continue;
      }
      glacierFrame(river, x, y, this.frame);
      if (Math.abs(this.frame[1]!) < river.widthPx / 2) {
        cls[i] = LandCover.water;
        cls2[i] = LandCover.soil;
        w[i] = 0.15;
        continue;
      }
      if (Math.hypot(x - village.x, y - village.y) < village.r * (1 + 0.3 * this.patches.at(x, y))) {
        cls[i] = LandCover.urban;
        cls2[i] = LandCover.vegetation;
        w[i] = smoothstep(0, 0.4, this.macro.at(x * 8, y * 8)) * 0.6;
        continue;
      }
      const p = this.patches.at(x, y);
      if (p > 0.5) {
        // Old bare patches and tracks, present in both images.
        cls[i] = LandCover.soil;
        cls2[i] = LandCover.vegetation;
        w[i] = smoothstep(0.6, 0.5, p) * 0.7;
        continue;
      }
      // Forest / grassland mosaic: vegetation with a variable share of soil.
      cls[i] = LandCover.vegetation;
      cls2[i] = LandCover.soil;
      w[i] = 0.3 * smoothstep(-0.2, 0.5, this.macro.at(x, y));
    }
  }
}

/** Cloud field of the post-event image. */
export function landslideCloud(sc: LandslideScenario): CloudField {
  return new CloudField(sc.cloud);
}

export interface LandslideRenderOptions {
  noise?: boolean;
  progress?: ProgressFn;
  signal?: AbortSignal;
}

/** Pixels of a grid of pixel size `gsd` (metres) over the scenario's area. */
export function landslideGridSize(sc: LandslideScenario, gsd: number): number {
  return Math.ceil(sc.extentM / gsd);
}

/**
 * Renders the pre- or post-event image: VHR (Pléiades bands B0..B3, DN = ρ·10000) or S2 L2A (S2 bands, surface
 * reflectance, DN = ρ·10000 + 1000) on a grid of pixel size `gsd` metres. Post-event vegetation has 5 % less
 * NIR and 5 % more red (phenology), and the post image carries a cloud with its shadow.
 */
export function renderLandslideImage(
  sc: LandslideScenario,
  when: 'pre' | 'post',
  sensor: 'vhr' | 's2',
  bands: readonly string[],
  gsd: number,
  opts: LandslideRenderOptions = {},
): Uint16Array[] {
  const post = when === 'post';
  const spectral = sensor === 'vhr' ? 'pleiades' : 'sentinel-2';
  const nb = bands.length;
  const table = reflectanceTable(spectral, bands);
  if (post) {
    bands.forEach((b, k) => {
      const c = bandCenter(spectral, b);
      const f = c > 0.7 && c < 1 ? 0.95 : c > 0.62 && c < 0.7 ? 1.05 : 1;
      table[LandCover.vegetation * nb + k]! *= f;
    });
  }
  const scene = new LandslideScene(sc, post, table, nb);
  const overlay = post
    ? new CloudOverlay(landslideCloud(sc), table.slice(LandCover.cloud * nb, (LandCover.cloud + 1) * nb), new Float64Array(nb))
    : null;
  const width = landslideGridSize(sc, gsd);
  const ss = gsd <= 2 ? 2 : Math.min(6, Math.round(gsd / 2.5));
  const toDn = sensor === 'vhr' ? (v: number) => Math.min(65535, Math.max(1, Math.round(v * 10000))) : s2ToDn;
  const vhrSd = NOISE_REFERENCE_REFLECTANCE / 120;
  return renderDn(scene, { x0: 0, y0: 0, step: gsd, width, height: width }, {
    supersample: ss,
    overlay,
    toDn,
    noiseSd:
      opts.noise === false
        ? null
        : sensor === 'vhr'
          ? (_b, v) => vhrSd * Math.sqrt(0.5 + (0.5 * Math.max(0, v)) / NOISE_REFERENCE_REFLECTANCE)
          : (b, v) => s2NoiseSd(bands[b]!, v),
    noiseSeed: deriveSeed(sc.seed, `ls-noise-${when}-${sensor}-${gsd}`),
    progress: opts.progress,
    signal: opts.signal,
  });
}

function bandCenter(sensor: 'pleiades' | 'sentinel-2', band: string): number {
  const list: readonly { name: string; center: number }[] = sensor === 'pleiades' ? PLEIADES_BANDS : S2_BANDS;
  const b = list.find((x) => x.name === band);
  if (!b) throw new RangeError(`unknown ${sensor} band '${band}'`);
  return b.center;
}

/** Truth mask of the scars on a grid of pixel size `gsd`: 1 where the pixel centre is inside a scar. */
export function landslideMask(sc: LandslideScenario, gsd: number): Uint8Array {
  const W = landslideGridSize(sc, gsd);
  const out = new Uint8Array(W * W);
  for (const s of sc.scars) rasterizeRing(s.ring.map(([x, y]) => [x / gsd, y / gsd]), W, W, out, 1);
  return out;
}

/**
 * Sentinel-2 L2A scene classification (SCL codes) of the pre- or post-event image at pixel centres of a grid
 * of `gsd` metres: 3 cloud shadow, 4 vegetation, 5 not vegetated, 6 water, 8/9 cloud medium/high probability,
 * 11 snow (ESA S2 L2A ATBD, S2-PDGS-MPC-ATBD-L2A).
 */
export function landslideScl(sc: LandslideScenario, when: 'pre' | 'post', gsd = 20): Uint8Array {
  const W = landslideGridSize(sc, gsd);
  const scene = new LandslideScene(sc, when === 'post', new Float64Array(N_CLASSES), 1);
  const cloud = when === 'post' ? landslideCloud(sc) : null;
  const out = new Uint8Array(W * W);
  const xs = new Float64Array(W);
  const ys = new Float64Array(W);
  const cl = new Uint8Array(W);
  const code = [4, 5, 5, 6, 11, 5, 9, 3];
  for (let i = 0; i < W; i++) xs[i] = (i + 0.5) * gsd;
  for (let r = 0; r < W; r++) {
    ys.fill((r + 0.5) * gsd);
    scene.classesAt(xs, ys, W, cl);
    for (let i = 0; i < W; i++) {
      let v = code[cl[i]!]!;
      if (cloud) {
        const a = cloud.alpha(xs[i]!, ys[i]!);
        if (a >= 0.5) v = 9;
        else if (a >= 0.2) v = 8;
        else if (cloud.shadow(xs[i]!, ys[i]!) >= 0.5) v = 3;
      }
      out[r * W + i] = v;
    }
  }
  return out;
}

/** DEM of the scenario as a float32 grid with its transform (node (i, j) at the centre of pixel (i, j)). */
export function landslideDem(sc: LandslideScenario): { data: Float32Array; width: number; height: number; transform: GeoTransform } {
  const d = sc.dem;
  return { data: d.data, width: d.width, height: d.height, transform: [sc.origin[0], d.step, 0, sc.origin[1], 0, -d.step] };
}
