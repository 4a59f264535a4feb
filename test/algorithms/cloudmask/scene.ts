/**
 * Synthetic optical scenes with known truth for the cloud-mask tests: vegetation/soil land, a lake, a snow field,
 * opaque clouds of known shape and height whose shadows are displaced by the sun geometry, and (optionally) a thin
 * cirrus patch. Reflectances are TOA-like, thermal in kelvin. Deterministic (seeded PRNG).
 */
import { MASK } from '../../../src/algorithms/cloudmask/index.ts';
import type { CloudMaskBands } from '../../../src/algorithms/cloudmask/index.ts';
import { rng } from '../../helpers/random.ts';

export interface CloudSpec {
  /** Centre and half-sizes as fractions of width / height. */
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  shape: 'ellipse' | 'rect';
  /** Height above ground, metres. */
  height: number;
}

export interface SceneSpec {
  width: number;
  height: number;
  pixelSize: number;
  thermal: boolean;
  cirrusBand: boolean;
  sunZenith: number;
  sunAzimuth: number;
  clouds: CloudSpec[];
  /** Thin cirrus patch (fractions), counted as cloud in the truth; needs cirrusBand. */
  cirrus?: { cx: number; cy: number; rx: number; ry: number };
  seed?: number;
}

export interface Scene {
  bands: CloudMaskBands;
  /** True class per pixel (MASK codes; SHADOW only where the shadow is not under a cloud). */
  truth: Uint8Array;
  /** Shadow displacement of each cloud, pixels (columns, rows). */
  shifts: [number, number][];
  /** Opaque-cloud truth only (no cirrus), 0/1. */
  opaque: Uint8Array;
}

// blue, green, red, nir, swir1, swir2 (TOA reflectance), BT (K)
const VEG = [0.04, 0.07, 0.04, 0.35, 0.18, 0.08, 296];
const SOIL = [0.12, 0.15, 0.2, 0.26, 0.32, 0.26, 299];
const WATER = [0.08, 0.06, 0.04, 0.02, 0.01, 0.005, 289];
const SNOW = [0.8, 0.78, 0.75, 0.68, 0.1, 0.05, 268];
const CLOUD = [0.55, 0.53, 0.52, 0.55, 0.38, 0.22];

/** Distance (pixels) from (x, y) to the shape's edge, positive inside; pixel coordinates, sizes in pixels. */
function depth(shape: 'ellipse' | 'rect', x: number, y: number, cx: number, cy: number, rx: number, ry: number): number {
  const u = (x - cx) / rx;
  const v = (y - cy) / ry;
  if (shape === 'rect') return Math.min((1 - Math.abs(u)) * rx, (1 - Math.abs(v)) * ry);
  return (1 - Math.sqrt(u * u + v * v)) * Math.min(rx, ry);
}

function inside(shape: 'ellipse' | 'rect', x: number, y: number, cx: number, cy: number, rx: number, ry: number): boolean {
  return depth(shape, x, y, cx, cy, rx, ry) >= 0;
}

/** Width of the cloud's semi-transparent rim, pixels: opacity = clamp(depth / EDGE, 0, 1); truth = opacity >= 0.5. */
const EDGE = 2;

/** Shadow displacement (columns, rows) of a cloud at `h` metres: away from the sun, north-up grid. */
export function shadowShift(h: number, zenith: number, azimuth: number, pixelSize: number): [number, number] {
  const d = (h * Math.tan((zenith * Math.PI) / 180)) / pixelSize;
  const az = (azimuth * Math.PI) / 180;
  return [Math.round(-Math.sin(az) * d) || 0, Math.round(Math.cos(az) * d) || 0];
}

export function makeScene(s: SceneSpec): Scene {
  const { width: W, height: H } = s;
  const n = W * H;
  const rnd = rng(s.seed ?? 42);
  const names = ['blue', 'green', 'red', 'nir', 'swir1', 'swir2'] as const;
  const arr = names.map(() => new Float32Array(n));
  const bt = new Float32Array(n);
  const cir = new Float32Array(n);
  const truth = new Uint8Array(n);
  const opaque = new Uint8Array(n);
  const shadowT = new Uint8Array(n);

  // Land cover and clear-sky spectra.
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const fx = x / W;
      const fy = y / H;
      let spec: number[];
      let cls: number = MASK.CLEAR;
      if (inside('ellipse', fx, fy, 0.8, 0.75, 0.08, 0.08)) {
        spec = WATER;
        cls = MASK.WATER;
      } else if (inside('ellipse', fx, fy, 0.15, 0.85, 0.08, 0.08)) {
        spec = SNOW.slice();
        spec[4] = 0.05 + 0.1 * rnd(); // SWIR1 0.05..0.15: NDSI 0.68..0.88
        cls = MASK.SNOW;
      } else {
        const f = Math.sin(fx * 23 + 1.3 * Math.sin(fy * 9)) + Math.sin(fy * 17 + 0.7) * Math.cos(fx * 5);
        spec = f > 0 ? VEG : SOIL;
      }
      truth[i] = cls;
      const common = 1 + 0.08 * (rnd() - 0.5) * 2;
      for (let b = 0; b < 6; b++) arr[b]![i] = spec[b]! * common * (1 + 0.03 * (rnd() - 0.5) * 2);
      bt[i] = spec[6]! + 2 * (rnd() - 0.5) * 2;
      cir[i] = 0.001 + 0.002 * rnd();
    }
  }

  // Shadows (before clouds so that clouds hide them), then clouds.
  const shifts: [number, number][] = [];
  for (const c of s.clouds) {
    const [dx, dy] = shadowShift(c.height, s.sunZenith, s.sunAzimuth, s.pixelSize);
    shifts.push([dx, dy]);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (depth(c.shape, x, y, c.cx * W, c.cy * H, c.rx * W, c.ry * H) < EDGE / 2) continue;
        const tx = x + dx;
        const ty = y + dy;
        if (tx < 0 || ty < 0 || tx >= W || ty >= H) continue;
        const j = ty * W + tx;
        if (shadowT[j]) continue;
        shadowT[j] = 1;
        for (let b = 0; b < 6; b++) arr[b]![j] = arr[b]![j]! * 0.25;
        bt[j] = bt[j]! - 3;
      }
    }
  }
  for (const c of s.clouds) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const d = depth(c.shape, x, y, c.cx * W, c.cy * H, c.rx * W, c.ry * H);
        if (d <= 0) continue;
        const a = Math.min(1, d / EDGE);
        const i = y * W + x;
        if (a >= 0.5) opaque[i] = 1;
        const tex = 0.85 + 0.25 * rnd();
        for (let b = 0; b < 6; b++) {
          arr[b]![i] = a * CLOUD[b]! * tex * (1 + 0.02 * (rnd() - 0.5)) + (1 - a) * arr[b]![i]!;
        }
        bt[i] = a * (295 - 6.5e-3 * c.height + (rnd() - 0.5)) + (1 - a) * bt[i]!;
        cir[i] = a * (0.004 + 0.002 * rnd()) + (1 - a) * cir[i]!;
      }
    }
  }
  const ci = s.cirrus;
  if (ci) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (!inside('ellipse', x / W, y / H, ci.cx, ci.cy, ci.rx, ci.ry)) continue;
        const i = y * W + x;
        const add = [0.04, 0.035, 0.03, 0.03, 0.02, 0.01];
        for (let b = 0; b < 6; b++) arr[b]![i] = arr[b]![i]! + add[b]!;
        cir[i] = 0.03 + 0.01 * rnd();
        bt[i] = bt[i]! - 4;
        truth[i] = MASK.CLOUD;
      }
    }
  }
  for (let i = 0; i < n; i++) {
    if (opaque[i]) truth[i] = MASK.CLOUD;
    else if (shadowT[i] && truth[i] !== MASK.CLOUD) truth[i] = MASK.SHADOW;
  }
  const bands: CloudMaskBands = {
    blue: arr[0]!,
    green: arr[1]!,
    red: arr[2]!,
    nir: arr[3]!,
    swir1: arr[4]!,
    swir2: arr[5]!,
  };
  if (s.cirrusBand) bands.cirrus = cir;
  if (s.thermal) bands.thermal = bt;
  return { bands, truth, shifts, opaque };
}

/**
 * Standard layout: six clouds of different shapes and heights; shadows land on vegetation/soil. One low wide cloud
 * hides part of its own shadow; one cloud is cut by the image's right edge.
 */
export function standardClouds(): CloudSpec[] {
  return [
    { cx: 0.35, cy: 0.42, rx: 0.06, ry: 0.045, shape: 'ellipse', height: 2000 },
    { cx: 0.66, cy: 0.36, rx: 0.05, ry: 0.05, shape: 'rect', height: 1500 },
    { cx: 0.52, cy: 0.78, rx: 0.07, ry: 0.05, shape: 'ellipse', height: 3000 },
    { cx: 0.86, cy: 0.22, rx: 0.025, ry: 0.02, shape: 'ellipse', height: 1000 },
    { cx: 0.2, cy: 0.55, rx: 0.07, ry: 0.06, shape: 'ellipse', height: 600 },
    { cx: 0.97, cy: 0.6, rx: 0.04, ry: 0.05, shape: 'rect', height: 1200 },
  ];
}

/** Confusion figures of a predicted mask against the truth for one class. */
export function scores(pred: Uint8Array, truth: Uint8Array, cls: number): { recall: number; precision: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i] === cls;
    const t = truth[i] === cls;
    if (p && t) tp++;
    else if (p) fp++;
    else if (t) fn++;
  }
  return { recall: tp / Math.max(1, tp + fn), precision: tp / Math.max(1, tp + fp) };
}
