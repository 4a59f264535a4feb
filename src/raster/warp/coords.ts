/**
 * Destination-pixel -> source-pixel coordinate mapping for raster reprojection, with an approximate mode like
 * GDAL's approximate transformer: exact proj4 transforms on a coarse grid of nodes (every `step` pixels), bilinear
 * interpolation of the source coordinates in between, and exact per-pixel transforms in any cell where the
 * interpolation misses the exact value at the cell's centre (and edge mid-points) by more than `maxErrorPx`.
 *
 * Pixel convention (src/raster/types.ts): (col, row) = (0.5, 0.5) is the centre of the top-left pixel. The
 * mapping returns, for the centre of each destination pixel, the source position in the same convention.
 */
import proj4 from 'proj4';
import type { GeoTransform } from '../types.ts';

export interface CoordMapper {
  /** Fills sx[i], sy[i] with the source position of destination pixel centre (col0 + i + 0.5, row + 0.5). */
  row(row: number, sx: Float64Array, sy: Float64Array): void;
  /** Number of grid cells that needed exact per-pixel transforms (diagnostics). */
  readonly exactCells: number;
}

/** Inverse of an affine geotransform as another geotransform (world -> pixel). */
export function invertTransform(t: GeoTransform): GeoTransform {
  const det = t[1] * t[5] - t[2] * t[4];
  if (det === 0 || !Number.isFinite(det)) throw new RangeError('degenerate geotransform');
  const a = t[5] / det;
  const b = -t[2] / det;
  const d = -t[4] / det;
  const e = t[1] / det;
  return [-(a * t[0] + b * t[3]), a, b, -(d * t[0] + e * t[3]), d, e];
}

/** Composes two affine maps: first `f` (pixel -> world), then `g` (world -> pixel). */
function compose(f: GeoTransform, g: GeoTransform): GeoTransform {
  return [
    g[0] + g[1] * f[0] + g[2] * f[3],
    g[1] * f[1] + g[2] * f[4],
    g[1] * f[2] + g[2] * f[5],
    g[3] + g[4] * f[0] + g[5] * f[3],
    g[4] * f[1] + g[5] * f[4],
    g[4] * f[2] + g[5] * f[5],
  ];
}

/** An affine mapping (same CRS): exact, no grid needed. */
export function affineMapper(dst: GeoTransform, src: GeoTransform): CoordMapper {
  const m = compose(dst, invertTransform(src));
  return {
    exactCells: 0,
    row(row, sx, sy) {
      const y = row + 0.5;
      for (let i = 0; i < sx.length; i++) {
        const x = i + 0.5;
        sx[i] = m[0] + x * m[1] + y * m[2];
        sy[i] = m[3] + x * m[4] + y * m[5];
      }
    },
  };
}

/**
 * A mapping through proj4 from the destination CRS to the source CRS.
 * @param dstDef, srcDef proj4 definitions; width, height destination size; step grid spacing in pixels.
 */
export function projMapper(
  dstT: GeoTransform,
  dstDef: string,
  srcT: GeoTransform,
  srcDef: string,
  width: number,
  height: number,
  opts: { step?: number; maxErrorPx?: number } = {},
): CoordMapper {
  const conv = proj4(dstDef, srcDef);
  const inv = invertTransform(srcT);
  const step = Math.max(1, Math.floor(opts.step ?? 16));
  const maxErr = opts.maxErrorPx ?? 0.125;
  const pt = [0, 0];
  /** Exact source position of destination position (c, r); NaN when the transform fails. */
  const exact = (c: number, r: number, out: Float64Array, k: number): void => {
    pt[0] = dstT[0] + c * dstT[1] + r * dstT[2];
    pt[1] = dstT[3] + c * dstT[4] + r * dstT[5];
    let p: number[];
    try {
      p = conv.forward(pt);
    } catch {
      out[k] = NaN;
      out[k + 1] = NaN;
      return;
    }
    const x = p[0]!;
    const y = p[1]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      out[k] = NaN;
      out[k + 1] = NaN;
      return;
    }
    out[k] = inv[0] + x * inv[1] + y * inv[2];
    out[k + 1] = inv[3] + x * inv[4] + y * inv[5];
  };
  // Node positions (pixel-centre offsets): 0, step, 2 step, ..., last pixel.
  const nodes = (n: number): Float64Array => {
    const a: number[] = [];
    for (let v = 0; v < n - 1; v += step) a.push(v);
    a.push(n - 1);
    return Float64Array.from(a);
  };
  const nc = nodes(width);
  const nr = nodes(height);
  const NX = nc.length;
  const NY = nr.length;
  const grid = new Float64Array(NX * NY * 2);
  for (let j = 0; j < NY; j++) for (let i = 0; i < NX; i++) exact(nc[i]! + 0.5, nr[j]! + 0.5, grid, (j * NX + i) * 2);

  // Check each cell: interpolate at its centre and edge mid-points, compare with the exact transform.
  const cellsX = Math.max(1, NX - 1);
  const cellsY = Math.max(1, NY - 1);
  const exactCell = new Uint8Array(cellsX * cellsY);
  const tmp = new Float64Array(2);
  let exactCells = 0;
  const interp = (i: number, j: number, fx: number, fy: number, k: 0 | 1): number => {
    const i1 = Math.min(i + 1, NX - 1);
    const j1 = Math.min(j + 1, NY - 1);
    const g00 = grid[(j * NX + i) * 2 + k]!;
    const g10 = grid[(j * NX + i1) * 2 + k]!;
    const g01 = grid[(j1 * NX + i) * 2 + k]!;
    const g11 = grid[(j1 * NX + i1) * 2 + k]!;
    return (g00 * (1 - fx) + g10 * fx) * (1 - fy) + (g01 * (1 - fx) + g11 * fx) * fy;
  };
  for (let j = 0; j < cellsY; j++)
    for (let i = 0; i < cellsX; i++) {
      const i1 = Math.min(i + 1, NX - 1);
      const j1 = Math.min(j + 1, NY - 1);
      let bad = false;
      for (const [fx, fy] of [
        [0.5, 0.5],
        [0.5, 0],
        [0, 0.5],
        [1, 0.5],
        [0.5, 1],
      ] as const) {
        const c = nc[i]! + (nc[i1]! - nc[i]!) * fx;
        const r = nr[j]! + (nr[j1]! - nr[j]!) * fy;
        exact(c + 0.5, r + 0.5, tmp, 0);
        const ex = interp(i, j, fx, fy, 0);
        const ey = interp(i, j, fx, fy, 1);
        if (!(Math.abs(ex - tmp[0]!) <= maxErr && Math.abs(ey - tmp[1]!) <= maxErr)) {
          bad = true; // also catches NaN nodes
          break;
        }
      }
      if (bad) {
        exactCell[j * cellsX + i] = 1;
        exactCells++;
      }
    }

  return {
    exactCells,
    row(row, sx, sy) {
      // Cell row j: nr[j] <= row < nr[j+1] (last row belongs to the last cell).
      let j = Math.min(Math.floor(row / step), cellsY - 1);
      if (j < 0) j = 0;
      const r0 = nr[j]!;
      const r1 = nr[Math.min(j + 1, NY - 1)]!;
      const fy = r1 > r0 ? (row - r0) / (r1 - r0) : 0;
      for (let i = 0; i < cellsX; i++) {
        const c0 = nc[i]!;
        const c1 = nc[Math.min(i + 1, NX - 1)]!;
        const end = i === cellsX - 1 ? width : c1;
        if (exactCell[j * cellsX + i]) {
          for (let c = c0; c < end; c++) {
            exact(c + 0.5, row + 0.5, tmp, 0);
            sx[c] = tmp[0]!;
            sy[c] = tmp[1]!;
          }
          continue;
        }
        const i1 = Math.min(i + 1, NX - 1);
        const j1 = Math.min(j + 1, NY - 1);
        // Interpolate along this row between the left and right node columns.
        const lx = grid[(j * NX + i) * 2]! * (1 - fy) + grid[(j1 * NX + i) * 2]! * fy;
        const ly = grid[(j * NX + i) * 2 + 1]! * (1 - fy) + grid[(j1 * NX + i) * 2 + 1]! * fy;
        const rx = grid[(j * NX + i1) * 2]! * (1 - fy) + grid[(j1 * NX + i1) * 2]! * fy;
        const ry = grid[(j * NX + i1) * 2 + 1]! * (1 - fy) + grid[(j1 * NX + i1) * 2 + 1]! * fy;
        const span = c1 - c0;
        for (let c = c0; c < end; c++) {
          const fx = span > 0 ? (c - c0) / span : 0;
          sx[c] = lx + (rx - lx) * fx;
          sy[c] = ly + (ry - ly) * fx;
        }
      }
    },
  };
}
