/**
 * Analytic displacement fields of the displacement scenario: a strike-slip fault step (co-seismic), a
 * landslide lobe and a glacier channel (steady velocities), a co-registration ramp and Sentinel-2 detector
 * stripes (per-acquisition errors).
 *
 * Conventions: positions in scene pixels (x east = column, y south = row, origin at the top-left corner of the
 * scene); displacements east/north positive, in pixels; velocities east/north positive, in m/day; azimuths in
 * degrees clockwise from north. The displacement of date k is relative to date 0 (the reference image, which
 * has no ramp and no stripes), and is Eulerian: image k at p shows the ground that was at p - d_k(p) in date 0.
 */
import type { Warp } from './render.ts';

/** Strike-slip fault: a straight trace through (x, y) with a sharp step of `slipPx` across it. */
export interface FaultParams {
  x: number;
  y: number;
  /** Strike azimuth (degrees from north). */
  strikeDeg: number;
  /** Total right-lateral offset across the trace (pixels); each side moves slipPx/2 along strike. */
  slipPx: number;
  /** Distance from the trace (pixels) at which the offset has tapered to zero: (1 - |s|/taper)². */
  taperPx: number;
  /** The step is present in dates whose index is greater than this (the earthquake happens after it). */
  afterDate: number;
}

/** Landslide lobe: an ellipse elongated along its downslope motion, with a sharp boundary. */
export interface LobeParams {
  x: number;
  y: number;
  lengthPx: number;
  widthPx: number;
  /** Direction of motion (downslope azimuth, degrees from north). */
  azimuthDeg: number;
  /** Velocity at the centre (m/day); vmax·(edge + (1 - edge)(1 - r²)) inside, 0 outside. */
  vmax: number;
  edge: number;
}

/** Glacier: a meandering channel with a parabolic cross-profile of velocity along its centreline. */
export interface GlacierParams {
  x: number;
  y: number;
  /** Mean flow azimuth (degrees from north). */
  azimuthDeg: number;
  widthPx: number;
  meanderAmpPx: number;
  meanderWavelengthPx: number;
  /** Centreline velocity (m/day). */
  vmax: number;
}

/** Detector stripes: boundaries parallel to the ground track; detector index increases eastwards. */
export interface StripeGeometry {
  widthPx: number;
  /** Ground-track azimuth (degrees from north), e.g. 190 for a descending pass. */
  trackAzimuthDeg: number;
  /** A point on the western boundary of detector `first`. */
  x: number;
  y: number;
  first: number;
}

/** Per-acquisition errors: ramp coefficients (pixels; x, y in scene pixels) and per-detector offsets. */
export interface AcquisitionErrors {
  /** dx = a + b·x + c·y (pixels, east positive). */
  rampDx: [number, number, number];
  /** dy = a + b·x + c·y (pixels, north positive). */
  rampDy: [number, number, number];
  /** Offsets per detector index 1..12 (entry 0 unused), pixels. */
  stripeDx: number[];
  stripeDy: number[];
}

export interface DisplacementModel {
  /** Pixel size (metres) of the scene grid. */
  gsd: number;
  fault: FaultParams;
  lobe: LobeParams;
  glacier: GlacierParams;
  stripes: StripeGeometry;
}

const RAD = Math.PI / 180;

/** Signed distance to the fault trace (pixels, positive to the right of the strike) and along-strike unit. */
function faultFrame(f: FaultParams): { ax: number; ay: number; nx: number; ny: number } {
  // Strike unit vector in scene coordinates (x east, y south).
  const ax = Math.sin(f.strikeDeg * RAD);
  const ay = -Math.cos(f.strikeDeg * RAD);
  // Right-hand normal (looking along strike): rotate clockwise on the map.
  return { ax, ay, nx: -ay, ny: ax };
}

/**
 * Co-seismic fault displacement (pixels, east/north) added into de/dn: right-lateral, the block on the right
 * of the strike moves backwards along strike by slip/2·taper, the left block forwards; the offset jumps by
 * exactly `slipPx` across the trace.
 */
export function addFault(f: FaultParams, xs: Float64Array, ys: Float64Array, n: number, de: Float64Array, dn: Float64Array): void {
  const { ax, ay, nx, ny } = faultFrame(f);
  const half = f.slipPx / 2;
  for (let i = 0; i < n; i++) {
    const s = (xs[i]! - f.x) * nx + (ys[i]! - f.y) * ny;
    const as = Math.abs(s);
    if (as >= f.taperPx) continue;
    const t = 1 - as / f.taperPx;
    const m = (s >= 0 ? -half : half) * t * t; // along-strike movement, pixels
    de[i]! += m * ax;
    dn[i]! -= m * ay; // scene y is south: north = -y
  }
}

/** Signed distance (pixels) of a point from the fault trace, positive on the right of the strike. */
export function faultDistance(f: FaultParams, x: number, y: number): number {
  const { nx, ny } = faultFrame(f);
  return (x - f.x) * nx + (y - f.y) * ny;
}

/** Normalised squared radius of a point in the lobe ellipse (< 1 inside). */
export function lobeRadius2(l: LobeParams, x: number, y: number): number {
  const ax = Math.sin(l.azimuthDeg * RAD);
  const ay = -Math.cos(l.azimuthDeg * RAD);
  const u = (x - l.x) * ax + (y - l.y) * ay;
  const v = -(x - l.x) * ay + (y - l.y) * ax;
  const a = l.lengthPx / 2;
  const b = l.widthPx / 2;
  return (u * u) / (a * a) + (v * v) / (b * b);
}

/**
 * Glacier frame at a point: along-flow coordinate u, signed distance d from the meandering centreline
 * (pixels) and the flow direction (unit vector, scene coordinates).
 */
export function glacierFrame(g: GlacierParams, x: number, y: number, out: Float64Array): void {
  const ax = Math.sin(g.azimuthDeg * RAD);
  const ay = -Math.cos(g.azimuthDeg * RAD);
  const cx = -ay;
  const cy = ax;
  const u = (x - g.x) * ax + (y - g.y) * ay;
  const v = (x - g.x) * cx + (y - g.y) * cy;
  const k = (2 * Math.PI) / g.meanderWavelengthPx;
  const vc = g.meanderAmpPx * Math.sin(k * u);
  const slope = g.meanderAmpPx * k * Math.cos(k * u);
  const norm = Math.sqrt(1 + slope * slope);
  out[0] = u;
  out[1] = (v - vc) / norm;
  out[2] = (ax + slope * cx) / norm;
  out[3] = (ay + slope * cy) / norm;
}

/** Steady ground velocity (m/day, east/north) of the landslide lobe and the glacier at n positions. */
export function groundVelocity(m: DisplacementModel, xs: Float64Array, ys: Float64Array, n: number, ve: Float64Array, vn: Float64Array): void {
  const l = m.lobe;
  const lax = Math.sin(l.azimuthDeg * RAD);
  const lay = Math.cos(l.azimuthDeg * RAD);
  const g = m.glacier;
  const half = g.widthPx / 2;
  const fr = new Float64Array(4);
  for (let i = 0; i < n; i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    let e = 0;
    let no = 0;
    const r2 = lobeRadius2(l, x, y);
    if (r2 < 1) {
      const sp = l.vmax * (l.edge + (1 - l.edge) * (1 - r2));
      e += sp * lax;
      no += sp * lay;
    }
    glacierFrame(g, x, y, fr);
    const d = fr[1]!;
    if (Math.abs(d) < half) {
      const q = d / half;
      const sp = g.vmax * (1 - q * q);
      e += sp * fr[2]!;
      no -= sp * fr[3]!;
    }
    ve[i] = e;
    vn[i] = no;
  }
}

/** Detector index (1..12) at a position: stripes of widthPx across the ground track, increasing eastwards. */
export function detectorIndex(s: StripeGeometry, x: number, y: number): number {
  // Across-track unit vector pointing east-ish: perpendicular to the track.
  const tx = Math.sin(s.trackAzimuthDeg * RAD);
  const ty = -Math.cos(s.trackAzimuthDeg * RAD);
  let cx = -ty;
  let cy = tx;
  if (cx < 0) {
    cx = -cx;
    cy = -cy;
  }
  const across = (x - s.x) * cx + (y - s.y) * cy;
  const d = s.first + Math.floor(across / s.widthPx);
  return d < 1 ? 1 : d > 12 ? 12 : d;
}

/**
 * Total apparent displacement of date `k` relative to date 0 (pixels, east/north) at n positions: ground
 * motion (velocity·days/gsd, plus the fault step after the event) plus the acquisition's ramp and stripes.
 * `errors` null (date 0) means no ramp and no stripes.
 */
export function dateDisplacement(
  m: DisplacementModel,
  k: number,
  days: number,
  errors: AcquisitionErrors | null,
  xs: Float64Array,
  ys: Float64Array,
  n: number,
  de: Float64Array,
  dn: Float64Array,
): void {
  groundVelocity(m, xs, ys, n, de, dn);
  const f = days / m.gsd;
  for (let i = 0; i < n; i++) {
    de[i]! *= f;
    dn[i]! *= f;
  }
  if (k > m.fault.afterDate) addFault(m.fault, xs, ys, n, de, dn);
  if (errors) {
    const [a, b, c] = errors.rampDx;
    const [d, e, g] = errors.rampDy;
    for (let i = 0; i < n; i++) {
      const x = xs[i]!;
      const y = ys[i]!;
      const det = detectorIndex(m.stripes, x, y);
      de[i]! += a + b * x + c * y + (errors.stripeDx[det] ?? 0);
      dn[i]! += d + e * x + g * y + (errors.stripeDy[det] ?? 0);
    }
  }
}

/** The Warp that renders date k (positions in scene pixels). */
export class DateWarp implements Warp {
  constructor(
    private readonly model: DisplacementModel,
    private readonly k: number,
    private readonly days: number,
    private readonly errors: AcquisitionErrors | null,
  ) {}
  displacement(xs: Float64Array, ys: Float64Array, n: number, de: Float64Array, dn: Float64Array): void {
    dateDisplacement(this.model, this.k, this.days, this.errors, xs, ys, n, de, dn);
  }
}

/** Whether ground at a position is stable (no landslide, glacier or fault motion at any date). */
export function isStable(m: DisplacementModel, x: number, y: number, frame: Float64Array): boolean {
  if (lobeRadius2(m.lobe, x, y) < 1) return false;
  glacierFrame(m.glacier, x, y, frame);
  if (Math.abs(frame[1]!) < m.glacier.widthPx / 2) return false;
  return Math.abs(faultDistance(m.fault, x, y)) >= m.fault.taperPx;
}
