/**
 * Gridded terrain for the landslide and stereo scenarios: a DEM sampled from a continuous height function on
 * a regular grid, then used as the truth surface by bilinear interpolation (so the DEM file written beside the
 * images is exactly the surface the images were rendered from), with slope, aspect and Lambertian illumination.
 *
 * Grid convention: node (i, j) sits at scene position (x0 + i·step, y0 + j·step), x east, y south, metres;
 * heights in metres. A grid written as a raster has node (i, j) at the centre of pixel (i, j).
 */

export interface DemGrid {
  width: number;
  height: number;
  /** Node spacing (metres). */
  step: number;
  /** Scene position of node (0, 0) (metres, x east, y south). */
  x0: number;
  y0: number;
  /** Heights (metres), row-major. */
  data: Float32Array;
}

/** A height function of scene position (metres). */
export interface HeightField {
  at(x: number, y: number): number;
}

/** Samples a height field on a grid. */
export function sampleDem(f: HeightField, width: number, height: number, step: number, x0: number, y0: number): DemGrid {
  const data = new Float32Array(width * height);
  for (let j = 0; j < height; j++) for (let i = 0; i < width; i++) data[j * width + i] = f.at(x0 + i * step, y0 + j * step);
  return { width, height, step, x0, y0, data };
}

/** Bilinear interpolation of a grid's values at a scene position (clamped at the edges). */
export function bilinear(g: { width: number; height: number; step: number; x0: number; y0: number }, data: Float32Array, x: number, y: number): number {
  let u = (x - g.x0) / g.step;
  let v = (y - g.y0) / g.step;
  const wm = g.width - 1;
  const hm = g.height - 1;
  u = u < 0 ? 0 : u > wm ? wm : u;
  v = v < 0 ? 0 : v > hm ? hm : v;
  let i = Math.floor(u);
  let j = Math.floor(v);
  if (i >= wm) i = Math.max(0, wm - 1);
  if (j >= hm) j = Math.max(0, hm - 1);
  const fu = u - i;
  const fv = v - j;
  const w = g.width;
  const a = data[j * w + i]!;
  const b = data[j * w + Math.min(i + 1, wm)]!;
  const c = data[Math.min(j + 1, hm) * w + i]!;
  const d = data[Math.min(j + 1, hm) * w + Math.min(i + 1, wm)]!;
  return a + fu * (b - a) + fv * (c - a) + fu * fv * (a - b - c + d);
}

/** Height of the DEM at a scene position (bilinear, metres). */
export function demAt(dem: DemGrid, x: number, y: number): number {
  return bilinear(dem, dem.data, x, y);
}

/** Gradient (dh/dEast, dh/dNorth) at node (i, j) by central differences (one-sided at the edges). */
export function nodeGradient(dem: DemGrid, i: number, j: number): [number, number] {
  const w = dem.width;
  const i0 = Math.max(0, i - 1);
  const i1 = Math.min(w - 1, i + 1);
  const j0 = Math.max(0, j - 1);
  const j1 = Math.min(dem.height - 1, j + 1);
  const ge = (dem.data[j * w + i1]! - dem.data[j * w + i0]!) / ((i1 - i0 || 1) * dem.step);
  // Rows go south: north gradient is minus the row gradient.
  const gn = -(dem.data[j1 * w + i]! - dem.data[j0 * w + i]!) / ((j1 - j0 || 1) * dem.step);
  return [ge, gn];
}

/** Gradient at the node nearest to a scene position. */
export function gradientAt(dem: DemGrid, x: number, y: number): [number, number] {
  const i = Math.min(dem.width - 1, Math.max(0, Math.round((x - dem.x0) / dem.step)));
  const j = Math.min(dem.height - 1, Math.max(0, Math.round((y - dem.y0) / dem.step)));
  return nodeGradient(dem, i, j);
}

/** Slope (degrees) from a gradient. */
export function slopeDeg(g: [number, number]): number {
  return (Math.atan(Math.hypot(g[0], g[1])) * 180) / Math.PI;
}

/** Downslope azimuth (degrees clockwise from north) from a gradient. */
export function downslopeAzimuth(g: [number, number]): number {
  const az = (Math.atan2(-g[0], -g[1]) * 180) / Math.PI;
  return az < 0 ? az + 360 : az;
}

/**
 * Illumination factor per DEM node for a sun position: 0.15 + 0.85·max(0, cos i)/cos θs, where i is the
 * incidence angle on the local slope (Lambertian direct light plus 15 % diffuse sky light); 1 on flat ground.
 * Cast shadows are not modelled. Reference: B. Horn, "Hill shading and the reflectance map", Proc. IEEE
 * 69(1), 1981, doi:10.1109/PROC.1981.11918.
 */
export function illuminationGrid(dem: DemGrid, sunZenithDeg: number, sunAzimuthDeg: number): Float32Array {
  const z = (sunZenithDeg * Math.PI) / 180;
  const a = (sunAzimuthDeg * Math.PI) / 180;
  const sx = Math.sin(z) * Math.sin(a);
  const sy = Math.sin(z) * Math.cos(a);
  const sz = Math.cos(z);
  const out = new Float32Array(dem.width * dem.height);
  for (let j = 0; j < dem.height; j++)
    for (let i = 0; i < dem.width; i++) {
      const [ge, gn] = nodeGradient(dem, i, j);
      const cosi = (-ge * sx - gn * sy + sz) / Math.sqrt(ge * ge + gn * gn + 1);
      out[j * dem.width + i] = 0.15 + (0.85 * Math.max(0, cosi)) / sz;
    }
  return out;
}
