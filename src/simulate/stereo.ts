/**
 * The stereo scenario: a DEM (a mountain, a valley and fBm detail, metres, on a UTM grid), an orthoimage
 * texture draped on it, and three views (tri-stereo) from a synthetic pushbroom camera at ~694 km looking
 * backward, at nadir and forward along track (pitch -15°, 0°, +15°: B/H ≈ 0.27 for adjacent views, 0.54 for
 * the outer pair). Each view is rendered by intersecting the viewing ray of every sub-pixel sample with the
 * DEM (fixed-point iteration on height) and sampling the texture there; an RPC model is fitted per view.
 *
 * Camera (flat-Earth pushbroom in the UTM frame; col/row in Raster pixel coordinates, top-left pixel centre at
 * 0.5, as rpcProject returns them):
 *   row: Y = Yc - (row - r0)·gsd + (h - hRef)·tan(pitch)          (the satellite moves south, rows go south)
 *   col: X = Xs + (H - h)·tan(roll + atan((col - c0)·gsd / (H - hRef))),  Xs = Xc - (H - hRef)·tan(roll)
 * with (c0, r0) the image centre. pitch > 0 looks forward (south, the satellite is north of the ground
 * point), roll > 0 looks east; higher ground is displaced towards the satellite, as in any real image.
 */
import type { ProgressFn } from '../core/progress.ts';
import type { GeoTransform, RpcModel } from '../raster/types.ts';
import { fitRpc, rpcProject } from '../algorithms/stereo/rpc.ts';
import { utmConverter } from './geometry.ts';
import { ClassifiedScene, imageTexture } from './landcover.ts';
import { Fbm, smoothstep } from './noise.ts';
import { deriveSeed, Rng } from './random.ts';
import { renderDn } from './render.ts';
import type { Scene } from './render.ts';
import { LandCover, N_CLASSES, NOISE_REFERENCE_REFLECTANCE, reflectanceTable } from './spectra.ts';
import { bilinear, demAt, illuminationGrid, sampleDem } from './terrain.ts';
import type { DemGrid } from './terrain.ts';

export interface PushbroomCamera {
  name: string;
  /** Satellite altitude above the ellipsoid (m). */
  altitude: number;
  /** Ground sampling distance at nadir and at hRef (m). */
  gsd: number;
  hRef: number;
  pitchDeg: number;
  rollDeg: number;
  /** UTM position seen by the image centre at hRef (m). */
  xc: number;
  yc: number;
  width: number;
  height: number;
}

export interface StereoScenario {
  seed: number;
  size: number;
  gsd: number;
  epsg: number;
  /** North-west corner of the scene (UTM metres); scene x = X - origin[0], y = origin[1] - Y. */
  origin: [number, number];
  extentM: number;
  /** DEM grid in scene metres (may extend beyond the scene, for the views' parallax). */
  dem: DemGrid;
  cameras: PushbroomCamera[];
  sun: { zenith: number; azimuth: number };
  datetime: string;
  /** Pan DN = round(ρ·dnScale). */
  dnScale: number;
}

const RAD = Math.PI / 180;

/** Mountain + valley + fBm height field (metres) in scene metres. */
class StereoTerrain {
  private readonly fbm: Fbm;
  constructor(seed: number, private readonly E: number, private readonly relief: number, private readonly valleyAz: number) {
    this.fbm = new Fbm(deriveSeed(seed, 'stereo-dem'), { wavelength: Math.max(E / 2, 20), octaves: 6, gain: 0.5 });
  }
  at(x: number, y: number): number {
    const E = this.E;
    const mx = (x - 0.62 * E) / (0.28 * E);
    const my = (y - 0.38 * E) / (0.25 * E);
    const mountain = Math.exp(-(mx * mx + my * my));
    // Valley: a V/U-shaped trough along a line through the scene's south-west part.
    const a = this.valleyAz * RAD;
    const d = ((x - 0.3 * E) * Math.cos(a) + (y - 0.7 * E) * Math.sin(a)) / (0.12 * E);
    const valley = Math.exp(-d * d);
    return 400 + this.relief * (0.9 * mountain - 0.35 * valley + 0.25 * this.fbm.at(x, y));
  }
}

/** Builds the scenario: DEM grid and the three cameras (no rendering). */
export function stereoScenario(opts: { seed?: number; size?: number } = {}): StereoScenario {
  const seed = opts.seed ?? 1;
  const size = opts.size ?? 384;
  if (!Number.isInteger(size) || size < 32 || size > 20000) throw new RangeError(`size must be an integer 32..20000, got ${size}`);
  const rng = Rng.derive(seed, 'stereo-scenario');
  const gsd = 0.5;
  const E = size * gsd;
  const relief = Math.min(0.35 * E, 1500);
  const terrain = new StereoTerrain(seed, E, relief, rng.uniform(20, 70));
  const hRef = 400 + 0.3 * relief;
  // DEM margin covers the along-track parallax of ±15° views over the relief, plus a little.
  const margin = Math.ceil(relief * 0.3 + 0.05 * E + 4);
  const step = Math.max(1, Math.ceil((E + 2 * margin) / 4096));
  const n = Math.ceil((E + 2 * margin) / step) + 1;
  const dem = sampleDem(terrain, n, n, step, -margin, -margin);
  const origin: [number, number] = [352000, 5092000]; // UTM 32N, western Alps
  const xc = origin[0] + E / 2;
  const yc = origin[1] - E / 2;
  const cameras: PushbroomCamera[] = [
    { name: 'backward', pitchDeg: -15, rollDeg: rng.uniform(1, 3) },
    { name: 'nadir', pitchDeg: 0, rollDeg: rng.uniform(1, 3) },
    { name: 'forward', pitchDeg: 15, rollDeg: rng.uniform(1, 3) },
  ].map((v) => ({ ...v, altitude: 694000, gsd, hRef, xc, yc, width: size, height: size }));
  return {
    seed, size, gsd, epsg: 32632, origin, extentM: E, dem, cameras,
    sun: { zenith: 38, azimuth: 155 }, datetime: '2022-08-14T10:31:07.500Z', dnScale: 3000,
  };
}

/** UTM ground position (X, Y) seen by image point (col, row) at height h. */
export function cameraGround(cam: PushbroomCamera, col: number, row: number, h: number): [number, number] {
  const H = cam.altitude;
  const psi = Math.atan(((col - cam.width / 2) * cam.gsd) / (H - cam.hRef));
  const roll = cam.rollDeg * RAD;
  const xs = cam.xc - (H - cam.hRef) * Math.tan(roll);
  const X = xs + (H - h) * Math.tan(roll + psi);
  const Y = cam.yc - (row - cam.height / 2) * cam.gsd + (h - cam.hRef) * Math.tan(cam.pitchDeg * RAD);
  return [X, Y];
}

/** Image point (col, row) of a UTM ground point (X, Y, h): the exact inverse of cameraGround. */
export function cameraProject(cam: PushbroomCamera, X: number, Y: number, h: number): [number, number] {
  const H = cam.altitude;
  const roll = cam.rollDeg * RAD;
  const xs = cam.xc - (H - cam.hRef) * Math.tan(roll);
  const psi = Math.atan((X - xs) / (H - h)) - roll;
  const col = cam.width / 2 + (Math.tan(psi) * (H - cam.hRef)) / cam.gsd;
  const row = cam.height / 2 + (cam.yc - Y + (h - cam.hRef) * Math.tan(cam.pitchDeg * RAD)) / cam.gsd;
  return [col, row];
}

/**
 * Intersects the viewing ray of (col, row) with the DEM: fixed-point iteration h ← DEM(ground(h)), which
 * converges when |slope|·tan(view angle) < 1 (true here: slopes below ~70° at 15°). Returns [X, Y, h].
 */
export function intersectDem(sc: StereoScenario, cam: PushbroomCamera, col: number, row: number, out?: Float64Array): Float64Array {
  const res = out ?? new Float64Array(3);
  let h = cam.hRef;
  let X = 0;
  let Y = 0;
  for (let it = 0; it < 100; it++) {
    [X, Y] = cameraGround(cam, col, row, h);
    const hn = demAt(sc.dem, X - sc.origin[0], sc.origin[1] - Y);
    const dh = hn - h;
    h = hn;
    if (Math.abs(dh) < 1e-6) break;
  }
  [X, Y] = cameraGround(cam, col, row, h);
  res[0] = X;
  res[1] = Y;
  res[2] = h;
  return res;
}

/** Ground texture (scene metres): rock and scree on steep/high ground, meadows and forest below, snow on top. */
export class StereoGround extends ClassifiedScene {
  private readonly sc: StereoScenario;
  private readonly shade: Float32Array;
  private readonly patches: Fbm;
  private readonly hTop: number;

  constructor(sc: StereoScenario, table: Float64Array, nBands: number) {
    super(table, nBands, imageTexture(deriveSeed(sc.seed, 'stereo-texture'), 40));
    this.sc = sc;
    this.shade = illuminationGrid(sc.dem, sc.sun.zenith, sc.sun.azimuth);
    this.patches = new Fbm(deriveSeed(sc.seed, 'stereo-patches'), { wavelength: Math.max(20, sc.extentM / 6), octaves: 4, gain: 0.5 });
    let hi = -Infinity;
    for (const v of sc.dem.data) if (v > hi) hi = v;
    this.hTop = hi;
  }

  protected classify(xs: Float64Array, ys: Float64Array, n: number, cls: Uint8Array, cls2: Uint8Array, w: Float64Array, illum: Float64Array): void {
    const dem = this.sc.dem;
    const relief = Math.max(1, this.hTop - 400);
    for (let i = 0; i < n; i++) {
      const x = xs[i]!;
      const y = ys[i]!;
      illum[i] = bilinear(dem, this.shade, x, y);
      const h = (demAt(dem, x, y) - 400) / relief; // about -0.4 .. 1
      const p = this.patches.at(x, y);
      if (h + 0.2 * p > 0.85) {
        cls[i] = LandCover.snow;
        cls2[i] = LandCover.rock;
        w[i] = smoothstep(0.2, -0.2, p) * 0.6;
      } else if (h + 0.4 * p > 0.45) {
        cls[i] = LandCover.rock;
        cls2[i] = LandCover.soil;
        w[i] = smoothstep(-0.2, 0.3, p) * 0.5;
      } else {
        cls[i] = LandCover.vegetation;
        cls2[i] = LandCover.soil;
        w[i] = smoothstep(0, 0.5, p) * 0.6;
      }
    }
  }
}

/** A view as a Scene in image coordinates: each sample's ray is intersected with the DEM, then the ground
 * texture is sampled there. Render it on the grid {x0: 0, y0: 0, step: 1}. */
export class StereoViewScene implements Scene {
  readonly nBands: number;
  private gx = new Float64Array(0);
  private gy = new Float64Array(0);
  private readonly hit = new Float64Array(3);

  constructor(
    private readonly sc: StereoScenario,
    private readonly cam: PushbroomCamera,
    private readonly ground: Scene,
  ) {
    this.nBands = ground.nBands;
  }

  sample(xs: Float64Array, ys: Float64Array, n: number, out: Float64Array[]): void {
    if (this.gx.length < n) {
      this.gx = new Float64Array(n);
      this.gy = new Float64Array(n);
    }
    for (let i = 0; i < n; i++) {
      intersectDem(this.sc, this.cam, xs[i]!, ys[i]!, this.hit);
      this.gx[i] = this.hit[0]! - this.sc.origin[0];
      this.gy[i] = this.sc.origin[1] - this.hit[1]!;
    }
    this.ground.sample(this.gx, this.gy, n, out);
  }
}

/** Checks a reflectance table for the ground scene. */
export function checkTable(table: Float64Array, nBands: number): void {
  if (table.length !== N_CLASSES * nBands) throw new RangeError(`table needs ${N_CLASSES}×${nBands} values`);
}

export interface RpcFitReport {
  rpc: RpcModel;
  /** RMS residual of the fit over its samples (pixels). */
  fitRmsPx: number;
  /** Max |RPC - camera| over an independent check grid within the height range (pixels). */
  checkMaxPx: number;
}

/**
 * Fits an RPC per camera on a 3-D grid of ground points (21×21 image positions × 7 heights spanning the DEM's
 * range with 10 % margin), converted to WGS84 lon/lat, and checks it on an offset 13×13×5 grid.
 */
export function fitCameraRpc(sc: StereoScenario, cam: PushbroomCamera): RpcFitReport {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of sc.dem.data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const pad = 0.1 * (hi - lo) + 1;
  lo -= pad;
  hi += pad;
  const conv = utmConverter(sc.epsg);
  const build = (nxy: number, nh: number, off: number) => {
    const N = nxy * nxy * nh;
    const s = { lon: new Float64Array(N), lat: new Float64Array(N), h: new Float64Array(N), col: new Float64Array(N), row: new Float64Array(N) };
    let k = 0;
    for (let a = 0; a < nh; a++)
      for (let j = 0; j < nxy; j++)
        for (let i = 0; i < nxy; i++) {
          const h = lo + ((hi - lo) * (a + off)) / (nh - 1 + 2 * off);
          const col = (cam.width * (i + off)) / (nxy - 1 + 2 * off);
          const row = (cam.height * (j + off)) / (nxy - 1 + 2 * off);
          const [X, Y] = cameraGround(cam, col, row, h);
          const [lon, lat] = conv.toLonLat(X, Y);
          s.lon[k] = lon;
          s.lat[k] = lat;
          s.h[k] = h;
          s.col[k] = col;
          s.row[k] = row;
          k++;
        }
    return s;
  };
  const fit = fitRpc(build(21, 7, 0));
  const chk = build(13, 5, 0.5);
  let max = 0;
  for (let k = 0; k < chk.lon.length; k++) {
    const [c, r] = rpcProject(fit.rpc, chk.lon[k]!, chk.lat[k]!, chk.h[k]!);
    max = Math.max(max, Math.hypot(c - chk.col[k]!, r - chk.row[k]!));
  }
  return { rpc: fit.rpc, fitRmsPx: fit.rmsPx, checkMaxPx: max };
}

export interface StereoRenderOptions {
  noise?: boolean;
  supersample?: number;
  progress?: ProgressFn;
  signal?: AbortSignal;
}

/** Pan noise: SNR about 130 at ρ = 0.12 (Pléiades PAN requirement order of magnitude). */
const PAN_SD = NOISE_REFERENCE_REFLECTANCE / 130;

function panOptions(sc: StereoScenario, label: string, opts: StereoRenderOptions) {
  return {
    supersample: opts.supersample ?? 2,
    toDn: (v: number) => Math.min(65535, Math.max(1, Math.round(v * sc.dnScale))),
    noiseSd: opts.noise === false ? null : (_b: number, v: number) => PAN_SD * Math.sqrt(0.5 + (0.5 * Math.max(0, v)) / NOISE_REFERENCE_REFLECTANCE),
    noiseSeed: deriveSeed(sc.seed, `pan-noise-${label}`),
    progress: opts.progress,
    signal: opts.signal,
  };
}

/** Renders a view's panchromatic image (uint16 DN = ρ·dnScale), rays intersected with the DEM per sample. */
export function renderStereoView(sc: StereoScenario, cam: PushbroomCamera, opts: StereoRenderOptions = {}): Uint16Array {
  const ground = new StereoGround(sc, reflectanceTable('pleiades', ['P']), 1);
  const view = new StereoViewScene(sc, cam, ground);
  const [pan] = renderDn(view, { x0: 0, y0: 0, step: 1, width: cam.width, height: cam.height }, panOptions(sc, cam.name, opts));
  return pan!;
}

/** Renders the true orthoimage (nadir, no relief displacement) of the scene on a grid of pixel size `gsd`. */
export function renderStereoOrtho(sc: StereoScenario, gsd = sc.gsd, opts: StereoRenderOptions = {}): { data: Uint16Array; width: number; transform: GeoTransform } {
  const ground = new StereoGround(sc, reflectanceTable('pleiades', ['P']), 1);
  const width = Math.ceil(sc.extentM / gsd);
  const [data] = renderDn(ground, { x0: 0, y0: 0, step: gsd, width, height: width }, panOptions(sc, `ortho-${gsd}`, opts));
  return { data: data!, width, transform: [sc.origin[0], gsd, 0, sc.origin[1], 0, -gsd] };
}

/** The DEM grid as a raster-ready array with its transform (node (i, j) at the centre of pixel (i, j)). */
export function stereoDem(sc: StereoScenario): { data: Float32Array; width: number; height: number; transform: GeoTransform } {
  const d = sc.dem;
  return {
    data: d.data,
    width: d.width,
    height: d.height,
    transform: [sc.origin[0] + d.x0 - d.step / 2, d.step, 0, sc.origin[1] - d.y0 + d.step / 2, 0, -d.step],
  };
}

/** Viewing angles of a camera at the image centre: incidence from the vertical and azimuth from the ground
 * towards the satellite (degrees, clockwise from north). */
export function viewingAngles(cam: PushbroomCamera): { incidence: number; azimuth: number } {
  const tp = Math.tan(cam.pitchDeg * RAD);
  const tr = Math.tan(cam.rollDeg * RAD);
  const az = (Math.atan2(-tr, tp) * 180) / Math.PI;
  return { incidence: (Math.atan(Math.hypot(tp, tr)) * 180) / Math.PI, azimuth: az < 0 ? az + 360 : az };
}

/** Base-to-height ratio between two cameras: |tan(pitch_a) - tan(pitch_b)|. */
export function baseToHeight(a: PushbroomCamera, b: PushbroomCamera): number {
  return Math.abs(Math.tan(a.pitchDeg * RAD) - Math.tan(b.pitchDeg * RAD));
}
