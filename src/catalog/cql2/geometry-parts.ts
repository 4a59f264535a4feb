/**
 * A geometry taken apart for the predicates of geometry.ts: isolated points, line segments and polygon ring
 * segments as flat Float64Arrays (x1, y1, x2, y2 per segment), every vertex, the bounding box and one point
 * strictly inside each polygon. Also the x-sorted sweep that enumerates segment pairs whose boxes overlap.
 */
import type { Geometry, Position } from './geometry.ts';

export interface Parts {
  /** Isolated points (Point, MultiPoint), x, y pairs. */
  points: Float64Array;
  /** Segments of LineStrings, 4 numbers each. */
  lineSegs: Float64Array;
  /** Segments of polygon rings (outer and holes, all polygons), 4 numbers each. */
  ringSegs: Float64Array;
  /** Every vertex, x, y pairs. */
  vertices: Float64Array;
  /** [minx, miny, maxx, maxy]; [Inf, Inf, -Inf, -Inf] when empty. */
  bbox: number[];
  /** One point strictly inside each polygon with a non-zero area. */
  interiorPoints: number[][];
  /** Horizontal bands over ringSegs / lineSegs, built on first use by `bandOf`. */
  ringBands?: Bands;
  lineBands?: Bands;
}

/**
 * Segments grouped by horizontal band: band k covers y in [y0 + k·dy, y0 + (k+1)·dy] and lists (as offsets
 * into the segment array) every segment whose y-range meets it. A point's crossing and on-edge tests only
 * need the segments of its band: O(√n) per point instead of O(n).
 */
export interface Bands {
  y0: number;
  dy: number;
  lists: Int32Array[];
}

/** Builds (once) the bands of a segment array; about √n bands. */
export function bandsOf(segs: Float64Array, pad: number): Bands {
  const n = segs.length / 4;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < segs.length; i += 2) {
    const y = segs[i + 1]!;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  const count = Math.max(1, Math.min(4096, Math.ceil(Math.sqrt(n))));
  const dy = y1 > y0 ? (y1 - y0) / count : 1;
  const tmp: number[][] = Array.from({ length: count }, () => []);
  for (let i = 0; i < segs.length; i += 4) {
    const a = Math.min(segs[i + 1]!, segs[i + 3]!) - pad;
    const b = Math.max(segs[i + 1]!, segs[i + 3]!) + pad;
    const k0 = Math.max(0, Math.floor((a - y0) / dy));
    const k1 = Math.min(count - 1, Math.floor((b - y0) / dy));
    for (let k = k0; k <= k1; k++) tmp[k]!.push(i);
  }
  return { y0, dy, lists: tmp.map((l) => Int32Array.from(l)) };
}

/** Offsets of the segments that may meet the horizontal line at `y` (empty outside the bands). */
export function bandAt(b: Bands, y: number): Int32Array {
  const k = Math.floor((y - b.y0) / b.dy);
  const last = b.lists.length - 1;
  if (k < 0 || k > last) {
    // Within the padding just outside the covered range: use the edge band.
    if (k === -1) return b.lists[0]!;
    if (k === last + 1) return b.lists[last]!;
    return EMPTY;
  }
  return b.lists[k]!;
}
const EMPTY = new Int32Array(0);

/** Takes a geometry apart (z dropped). */
export function partsOf(g: Geometry): Parts {
  const points: number[] = [];
  const lineSegs: number[] = [];
  const ringSegs: number[] = [];
  const vertices: number[] = [];
  const interiorPoints: number[][] = [];
  const line = (cs: Position[], out: number[]): void => {
    for (let i = 0; i < cs.length; i++) {
      const p = cs[i]!;
      vertices.push(p[0]!, p[1]!);
      if (i > 0) {
        const q = cs[i - 1]!;
        out.push(q[0]!, q[1]!, p[0]!, p[1]!);
      }
    }
  };
  const polygon = (rings: Position[][]): void => {
    for (const r of rings) line(r, ringSegs);
    const ip = interiorPoint(rings);
    if (ip) interiorPoints.push(ip);
  };
  const walk = (h: Geometry): void => {
    switch (h.type) {
      case 'Point':
        points.push(h.coordinates[0]!, h.coordinates[1]!);
        vertices.push(h.coordinates[0]!, h.coordinates[1]!);
        break;
      case 'MultiPoint':
        for (const p of h.coordinates) {
          points.push(p[0]!, p[1]!);
          vertices.push(p[0]!, p[1]!);
        }
        break;
      case 'LineString':
        line(h.coordinates, lineSegs);
        break;
      case 'MultiLineString':
        for (const l of h.coordinates) line(l, lineSegs);
        break;
      case 'Polygon':
        polygon(h.coordinates);
        break;
      case 'MultiPolygon':
        for (const p of h.coordinates) polygon(p);
        break;
      case 'GeometryCollection':
        h.geometries.forEach(walk);
        break;
    }
  };
  walk(g);
  const bbox = [Infinity, Infinity, -Infinity, -Infinity];
  for (let i = 0; i < vertices.length; i += 2) {
    const x = vertices[i]!;
    const y = vertices[i + 1]!;
    if (x < bbox[0]!) bbox[0] = x;
    if (y < bbox[1]!) bbox[1] = y;
    if (x > bbox[2]!) bbox[2] = x;
    if (y > bbox[3]!) bbox[3] = y;
  }
  return {
    points: Float64Array.from(points),
    lineSegs: Float64Array.from(lineSegs),
    ringSegs: Float64Array.from(ringSegs),
    vertices: Float64Array.from(vertices),
    bbox,
    interiorPoints,
  };
}

/**
 * A point strictly inside a polygon (outer ring + holes, even-odd rule): a horizontal line through the middle
 * of the widest gap between vertex ordinates, and the middle of the widest inside span on it. Null when the
 * polygon has no area.
 */
function interiorPoint(rings: Position[][]): number[] | null {
  const ys = [...new Set(rings.flatMap((r) => r.map((p) => p[1]!)))].sort((a, b) => a - b);
  let y = NaN;
  let gap = 0;
  for (let i = 1; i < ys.length; i++) {
    if (ys[i]! - ys[i - 1]! > gap) {
      gap = ys[i]! - ys[i - 1]!;
      y = (ys[i]! + ys[i - 1]!) / 2;
    }
  }
  if (!(gap > 0)) return null;
  const xs: number[] = [];
  for (const r of rings) {
    for (let i = 1; i < r.length; i++) {
      const a = r[i - 1]!;
      const b = r[i]!;
      if (a[1]! > y !== b[1]! > y) xs.push(a[0]! + ((y - a[1]!) * (b[0]! - a[0]!)) / (b[1]! - a[1]!));
    }
  }
  xs.sort((a, b) => a - b);
  let best: number[] | null = null;
  let width = 0;
  for (let i = 0; i + 1 < xs.length; i += 2) {
    if (xs[i + 1]! - xs[i]! > width) {
      width = xs[i + 1]! - xs[i]!;
      best = [(xs[i]! + xs[i + 1]!) / 2, y];
    }
  }
  return best;
}

/** All segments (lines then rings) in one array. */
export function segmentsOf(p: Parts): Float64Array {
  if (p.ringSegs.length === 0) return p.lineSegs;
  if (p.lineSegs.length === 0) return p.ringSegs;
  const out = new Float64Array(p.lineSegs.length + p.ringSegs.length);
  out.set(p.lineSegs, 0);
  out.set(p.ringSegs, p.lineSegs.length);
  return out;
}

/**
 * Calls `fn(P, i, Q, j)` (i, j: offsets of the segments in their arrays) for every pair of a segment of P and
 * a segment of Q whose bounding boxes overlap, sweeping in x. Stops early when `fn` returns true.
 */
export function forEachCandidatePair(
  P: Float64Array,
  Q: Float64Array,
  fn: (p: Float64Array, i: number, q: Float64Array, j: number) => boolean,
): void {
  const nP = P.length / 4;
  const nQ = Q.length / 4;
  if (nP === 0 || nQ === 0) return;
  const minX = (s: Float64Array, i: number): number => Math.min(s[i]!, s[i + 2]!);
  const maxX = (s: Float64Array, i: number): number => Math.max(s[i]!, s[i + 2]!);
  const order = (s: Float64Array, n: number): Int32Array => {
    const idx = Int32Array.from({ length: n }, (_, k) => k * 4);
    return idx.sort((a, b) => minX(s, a) - minX(s, b));
  };
  const oP = order(P, nP);
  const oQ = order(Q, nQ);
  let activeP: number[] = [];
  let activeQ: number[] = [];
  let a = 0;
  let b = 0;
  const yOverlap = (s: Float64Array, i: number, t: Float64Array, j: number): boolean =>
    Math.min(s[i + 1]!, s[i + 3]!) <= Math.max(t[j + 1]!, t[j + 3]!) &&
    Math.min(t[j + 1]!, t[j + 3]!) <= Math.max(s[i + 1]!, s[i + 3]!);
  while (a < nP || b < nQ) {
    const takeP = b >= nQ || (a < nP && minX(P, oP[a]!) <= minX(Q, oQ[b]!));
    if (takeP) {
      const i = oP[a++]!;
      const x = minX(P, i);
      activeQ = activeQ.filter((j) => maxX(Q, j) >= x);
      for (const j of activeQ) if (yOverlap(P, i, Q, j) && fn(P, i, Q, j)) return;
      activeP.push(i);
    } else {
      const j = oQ[b++]!;
      const x = minX(Q, j);
      activeP = activeP.filter((i) => maxX(P, i) >= x);
      for (const i of activeP) if (yOverlap(P, i, Q, j) && fn(P, i, Q, j)) return;
      activeQ.push(j);
    }
  }
}
