/**
 * The displacement scenario: a 10 m Sentinel-2-like time series over a scene with a co-seismic fault step, a
 * landslide lobe, a glacier, a lake (low texture) and a town, with per-acquisition co-registration ramps,
 * detector stripes and clouds. Built from (seed, size, dates) only; every value is reproducible.
 *
 * Size scaling: feature sizes are fractions of the scene, capped at physical sizes (a 2 km landslide, a
 * 1.5 km wide glacier); stripes are 25 km (2500 px) wide as for MSI, or a quarter of the scene when smaller,
 * so that several stripes always appear. Texture and displacements are physical (10 m pixels).
 */
import type { ProgressFn } from '../core/progress.ts';
import type { GeoTransform } from '../raster/types.ts';
import { CloudField, CloudOverlay, s2ParallaxShifts, shadowOffset } from './clouds.ts';
import type { CloudParams } from './clouds.ts';
import { DateWarp, dateDisplacement, detectorIndex, groundVelocity, isStable } from './displacement.ts';
import type { AcquisitionErrors, DisplacementModel } from './displacement.ts';
import { DisplacementLandCover } from './landcover.ts';
import type { DisplacementSceneLayout } from './landcover.ts';
import { deriveSeed, Rng } from './random.ts';
import { renderDn } from './render.ts';
import { S2_BANDS, S2_PATH_REFLECTANCE, reflectanceTable, s2NoiseSd, s2ToDn } from './spectra.ts';

export interface DisplacementDate {
  index: number;
  /** ISO 8601 sensing time. */
  datetime: string;
  /** Days since date 0. */
  days: number;
  spacecraft: 'Sentinel-2A' | 'Sentinel-2B';
  sun: { zenith: number; azimuth: number };
  /** Ramp and stripe errors; null for the reference date 0. */
  errors: AcquisitionErrors | null;
  clouds: CloudParams | null;
}

export interface DisplacementScenario {
  seed: number;
  /** Scene width and height in 10 m pixels. */
  size: number;
  gsd: number;
  epsg: number;
  tileId: string;
  relativeOrbit: number;
  /** Geotransform of the 10 m grid. */
  transform: GeoTransform;
  model: DisplacementModel;
  layout: DisplacementSceneLayout;
  dates: DisplacementDate[];
}

export interface DisplacementScenarioOptions {
  seed?: number;
  size?: number;
  dates?: number;
  /** Days between acquisitions (default 10). */
  intervalDays?: number;
}

const START = Date.UTC(2023, 6, 2, 10, 10, 29, 24);
const DAY_MS = 86_400_000;

/** Builds the scenario's parameters (no rendering). */
export function displacementScenario(opts: DisplacementScenarioOptions = {}): DisplacementScenario {
  const seed = opts.seed ?? 1;
  const S = opts.size ?? 512;
  const n = opts.dates ?? 4;
  const interval = opts.intervalDays ?? 10;
  if (!Number.isInteger(S) || S < 16 || S > 20000) throw new RangeError(`size must be an integer 16..20000, got ${S}`);
  if (!Number.isInteger(n) || n < 2 || n > 200) throw new RangeError(`dates must be an integer 2..200, got ${n}`);
  const rng = Rng.derive(seed, 'displacement-scenario');
  const cap = (frac: number, maxPx: number): number => Math.min(frac * S, maxPx);
  const model: DisplacementModel = {
    gsd: 10,
    fault: {
      x: 0.55 * S,
      y: 0.5 * S,
      strikeDeg: rng.uniform(20, 60),
      slipPx: rng.uniform(0.8, 1.5),
      taperPx: cap(0.25, 1500),
      afterDate: Math.floor((n - 1) / 2),
    },
    lobe: {
      x: 0.3 * S,
      y: 0.28 * S,
      lengthPx: cap(0.18, 200),
      widthPx: cap(0.1, 110),
      azimuthDeg: rng.uniform(130, 230),
      vmax: rng.uniform(0.2, 0.4),
      edge: 0.3,
    },
    glacier: {
      x: 0.5 * S,
      y: 0.8 * S,
      azimuthDeg: rng.uniform(80, 100),
      widthPx: cap(0.12, 150),
      meanderAmpPx: cap(0.04, 120),
      meanderWavelengthPx: cap(0.7, 3000),
      vmax: rng.uniform(0.6, 1.0),
    },
    stripes: { widthPx: Math.min(2500, S / 4), trackAzimuthDeg: 192, x: 0.1 * S, y: 0, first: 3 },
  };
  const layout: DisplacementSceneLayout = {
    seed: deriveSeed(seed, 'landcover'),
    lake: { x: 0.8 * S, y: 0.25 * S, rx: cap(0.09, 300), ry: cap(0.06, 200) },
    town: { x: 0.2 * S, y: 0.55 * S, rx: cap(0.07, 250), ry: cap(0.06, 200) },
    lobe: model.lobe,
    glacier: model.glacier,
  };
  const cloudy: boolean[] = [false];
  for (let k = 1; k < n; k++) cloudy.push(n >= 3 && rng.chance(0.4));
  if (n >= 3 && !cloudy.includes(true)) cloudy[1] = true;
  const dates: DisplacementDate[] = [];
  for (let k = 0; k < n; k++) {
    const sun = { zenith: 32 + 0.4 * k + rng.uniform(-1, 1), azimuth: 152 + rng.uniform(-3, 3) };
    let errors: AcquisitionErrors | null = null;
    if (k > 0) {
      const stripeDx = [0];
      const stripeDy = [0];
      for (let d = 1; d <= 12; d++) {
        stripeDx.push(rng.normal(0, 0.08));
        stripeDy.push(rng.normal(0, 0.08));
      }
      errors = {
        rampDx: [rng.normal(0, 0.2), rng.normal(0, 0.2 / S), rng.normal(0, 0.2 / S)],
        rampDy: [rng.normal(0, 0.2), rng.normal(0, 0.2 / S), rng.normal(0, 0.2 / S)],
        stripeDx,
        stripeDy,
      };
    }
    let clouds: CloudParams | null = null;
    if (cloudy[k]) {
      const [sx, sy] = shadowOffset(sun.zenith, sun.azimuth, 1500, 10, S / 8);
      clouds = {
        seed: deriveSeed(seed, `clouds-${k}`),
        cover: rng.uniform(0.05, 0.35),
        wavelength: Math.min(S / 2, 300),
        shadowDx: sx,
        shadowDy: sy,
        width: S,
        height: S,
      };
    }
    const t = START + k * interval * DAY_MS;
    dates.push({
      index: k,
      datetime: new Date(t).toISOString(),
      days: k * interval,
      spacecraft: k % 2 === 0 ? 'Sentinel-2A' : 'Sentinel-2B',
      sun,
      errors,
      clouds,
    });
  }
  // Scene inside a synthetic MGRS tile of UTM zone 33N (origin on the S2 tile grid convention, x ending in 980).
  const off = Math.max(0, Math.min(20000, (10980 - S) * 10));
  const transform: GeoTransform = [499980 + off, 10, 0, 5100000 - off, 0, -10];
  return { seed, size: S, gsd: 10, epsg: 32633, tileId: '33TWL', relativeOrbit: 122, transform, model, layout, dates };
}

/** Bands of a resolution group (10, 20 or 60 m) among S2_BANDS, in S2 order. */
export function s2BandsAt(gsd: 10 | 20 | 60, only?: readonly string[]): string[] {
  return S2_BANDS.filter((b) => b.gsd === gsd && (!only || only.includes(b.name))).map((b) => b.name);
}

/**
 * Bands whose clouds are rendered with cloud-top texture and along-track parallax: the NIR trio of the Cloud
 * Displacement Index. The parallax is taken relative to B08, so B07 and B8A move and the clouds of the 10 m bands
 * (B02, B03, B04, B08) stay on the geometry of the truth cloud mask. Simplification: the real B04-B08 delay (0.74 s,
 * about 6 m per km of cloud height) is left out so that MPIC-OPT's 10 m correlation bands and their cloud mask stay
 * co-registered as before; the geometry within the trio (what the CDI measures) is the real one.
 */
export const PARALLAX_BANDS: readonly string[] = ['B07', 'B08', 'B8A'];

export interface RenderDateOptions {
  /** Add sensor noise (default true). */
  noise?: boolean;
  /** Samples per pixel along each axis (default min(6, 2·step): about 4 samples per 10 m cell). */
  supersample?: number;
  progress?: ProgressFn;
  signal?: AbortSignal;
}

/**
 * Renders date k of the scenario: TOA reflectance with sensor noise quantised to S2 DN (ρ·10000 + 1000) for
 * `bands`, all on the grid of pixel size `step` scene pixels (1 = 10 m, 2 = 20 m, 6 = 60 m). Row blocks keep
 * the working memory bounded; only the uint16 outputs are held. The clouds of B07, B08 and B8A (PARALLAX_BANDS) have
 * cloud-top texture, those of B07 and B8A along-track parallax relative to B08 (see clouds.ts); all other bands are
 * rendered as without them.
 */
export function renderDisplacementDate(sc: DisplacementScenario, k: number, bands: readonly string[], step: number, opts: RenderDateOptions = {}): Uint16Array[] {
  const date = sc.dates[k];
  if (!date) throw new RangeError(`date index ${k} out of range 0..${sc.dates.length - 1}`);
  const table = reflectanceTable('sentinel-2', bands, true);
  const scene = new DisplacementLandCover(sc.layout, table, bands.length);
  const width = Math.ceil(sc.size / step);
  const height = width;
  const grid = { x0: 0, y0: 0, step, width, height };
  const overlay = date.clouds
    ? new CloudOverlay(
        new CloudField(date.clouds),
        Float64Array.from(bands, (b) => reflectanceTable('sentinel-2', [b], true)[6]!),
        Float64Array.from(bands, (b) => S2_PATH_REFLECTANCE[S2_BANDS.findIndex((x) => x.name === b)]!),
        s2ParallaxShifts(bands, PARALLAX_BANDS, 'B08', sc.model.stripes.trackAzimuthDeg, sc.gsd),
      )
    : null;
  const warp = k > 0 ? new DateWarp(sc.model, k, date.days, date.errors) : null;
  const ids = bands.map((b) => S2_BANDS.findIndex((x) => x.name === b));
  return renderDn(scene, grid, {
    supersample: opts.supersample ?? Math.min(6, 2 * step),
    warp,
    overlay,
    toDn: s2ToDn,
    noiseSd: opts.noise === false ? null : (b, rho) => s2NoiseSd(bands[b]!, rho),
    noiseSeed: deriveSeed(sc.seed, `noise-${k}`),
    noiseIds: ids,
    progress: opts.progress,
    signal: opts.signal,
  });
}

/** Truth displacement of date k relative to date 0 at the pixel centres of the 10 m grid (pixels, E/N). */
export function truthDisplacement(sc: DisplacementScenario, k: number, rows?: [number, number]): { dx: Float32Array; dy: Float32Array } {
  const date = sc.dates[k];
  if (!date) throw new RangeError(`date index ${k} out of range`);
  const [r0, r1] = rows ?? [0, sc.size];
  const W = sc.size;
  const dx = new Float32Array((r1 - r0) * W);
  const dy = new Float32Array((r1 - r0) * W);
  const xs = new Float64Array(W);
  const ys = new Float64Array(W);
  const de = new Float64Array(W);
  const dn = new Float64Array(W);
  for (let i = 0; i < W; i++) xs[i] = i + 0.5;
  for (let r = r0; r < r1; r++) {
    ys.fill(r + 0.5);
    if (k === 0) {
      de.fill(0);
      dn.fill(0);
    } else dateDisplacement(sc.model, k, date.days, date.errors, xs, ys, W, de, dn);
    dx.set(de, (r - r0) * W);
    dy.set(dn, (r - r0) * W);
  }
  return { dx, dy };
}

/** Truth steady ground velocity (m/day, east/north) at the pixel centres of the 10 m grid. */
export function truthVelocity(sc: DisplacementScenario): { ve: Float32Array; vn: Float32Array } {
  const W = sc.size;
  const ve = new Float32Array(W * W);
  const vn = new Float32Array(W * W);
  const xs = new Float64Array(W);
  const ys = new Float64Array(W);
  const a = new Float64Array(W);
  const b = new Float64Array(W);
  for (let i = 0; i < W; i++) xs[i] = i + 0.5;
  for (let r = 0; r < W; r++) {
    ys.fill(r + 0.5);
    groundVelocity(sc.model, xs, ys, W, a, b);
    ve.set(a, r * W);
    vn.set(b, r * W);
  }
  return { ve, vn };
}

/** Stable-ground mask on the 10 m grid: 1 where no landslide, glacier or fault motion, else 0. */
export function truthStable(sc: DisplacementScenario): Uint8Array {
  const W = sc.size;
  const out = new Uint8Array(W * W);
  const fr = new Float64Array(4);
  for (let r = 0; r < W; r++) for (let c = 0; c < W; c++) out[r * W + c] = isStable(sc.model, c + 0.5, r + 0.5, fr) ? 1 : 0;
  return out;
}

/** Cloud mask of date k on a grid of `step` scene pixels: 0 clear, 1 cloud, 2 cloud shadow. */
export function truthCloudMask(sc: DisplacementScenario, k: number, step = 1): Uint8Array {
  const date = sc.dates[k];
  if (!date) throw new RangeError(`date index ${k} out of range`);
  const W = Math.ceil(sc.size / step);
  const out = new Uint8Array(W * W);
  if (!date.clouds) return out;
  const f = new CloudField(date.clouds);
  for (let r = 0; r < W; r++) for (let c = 0; c < W; c++) out[r * W + c] = f.maskAt((c + 0.5) * step, (r + 0.5) * step);
  return out;
}

/** Detector index (1..12) at the pixel centres of a grid of `step` scene pixels. */
export function truthDetectors(sc: DisplacementScenario, step = 1): Uint8Array {
  const W = Math.ceil(sc.size / step);
  const out = new Uint8Array(W * W);
  for (let r = 0; r < W; r++)
    for (let c = 0; c < W; c++) out[r * W + c] = detectorIndex(sc.model.stripes, (c + 0.5) * step, (r + 0.5) * step);
  return out;
}
