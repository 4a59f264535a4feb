/**
 * Planar geometry for CQL2 spatial predicates (OGC 21-065r2 §7.7, DE-9IM semantics of OGC 06-103r4 §6.1.15),
 * evaluated in JavaScript: intersects, within, contains, disjoint, equals for Point, LineString, Polygon, their
 * Multi* forms and GeometryCollection. Coordinates are [x, y(, z)] in CRS84 degrees; z is ignored and the
 * plane is the lon/lat plane (no antimeridian or great-circle handling, as in PostGIS `geometry`).
 *
 * Robustness: orientation tests are plain double arithmetic; a point closer than ON_EDGE_TOL (relative to the
 * coordinate magnitude) to an edge counts as on it, so the midpoints of pieces lying along a shared edge are
 * classified as boundary and not as inside/outside at random. Polygon rings use the even-odd rule over all
 * rings, which is exact for valid (OGC simple feature) polygons and multipolygons.
 *
 * Cost: O(n·m) segment pairs after an x-sorted sweep; item footprints and query polygons are small.
 */
import { bandAt, bandsOf, forEachCandidatePair, partsOf, segmentsOf, type Parts } from './geometry-parts.ts';

export type Position = number[];
export type Geometry =
  | { type: 'Point'; coordinates: Position }
  | { type: 'MultiPoint'; coordinates: Position[] }
  | { type: 'LineString'; coordinates: Position[] }
  | { type: 'MultiLineString'; coordinates: Position[][] }
  | { type: 'Polygon'; coordinates: Position[][] }
  | { type: 'MultiPolygon'; coordinates: Position[][][] }
  | { type: 'GeometryCollection'; geometries: Geometry[] };

export { partsOf, type Parts };

/** Where a point lies relative to a geometry (a union of its parts). */
export type Location = 'interior' | 'boundary' | 'exterior';

const ON_EDGE_TOL = 1e-10;

/** [minx, miny, maxx, maxy] of a geometry; null when it has no coordinates. */
export function bboxOf(g: Geometry): [number, number, number, number] | null {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  const visit = (p: Position): void => {
    const x = p[0]!;
    const y = p[1]!;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  };
  const walk = (h: Geometry): void => {
    switch (h.type) {
      case 'Point':
        visit(h.coordinates);
        break;
      case 'MultiPoint':
      case 'LineString':
        h.coordinates.forEach(visit);
        break;
      case 'MultiLineString':
      case 'Polygon':
        for (const l of h.coordinates) l.forEach(visit);
        break;
      case 'MultiPolygon':
        for (const p of h.coordinates) for (const l of p) l.forEach(visit);
        break;
      case 'GeometryCollection':
        h.geometries.forEach(walk);
        break;
    }
  };
  walk(g);
  return x0 <= x1 ? [x0, y0, x1, y1] : null;
}

/** The polygon of a bounding box [minx, miny, maxx, maxy] (or the 6-number 3D form, z dropped). */
export function bboxPolygon(b: readonly number[]): Geometry {
  const [x0, y0, x1, y1] = b.length === 6 ? [b[0]!, b[1]!, b[3]!, b[4]!] : [b[0]!, b[1]!, b[2]!, b[3]!];
  return { type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] };
}

/** Twice the signed area of (a, b, c): > 0 when c is left of a→b. */
function orient(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

/** Distance from (px, py) to segment (ax, ay)-(bx, by). */
function segDist(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const l2 = dx * dx + dy * dy;
  let t = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

const tol = (x: number, y: number): number => ON_EDGE_TOL * Math.max(1, Math.abs(x), Math.abs(y));

/** Location of a point relative to the parts (interior beats boundary beats exterior). */
export function locate(x: number, y: number, g: Parts): Location {
  const eps = tol(x, y);
  let best: Location = 'exterior';
  for (let i = 0; i < g.points.length; i += 2) {
    if (Math.abs(g.points[i]! - x) <= eps && Math.abs(g.points[i + 1]! - y) <= eps) return 'interior';
  }
  const ls = g.lineSegs;
  if (ls.length > 0) {
    g.lineBands ??= bandsOf(ls, tol(g.bbox[2]!, g.bbox[3]!) + tol(g.bbox[0]!, g.bbox[1]!));
    for (const i of bandAt(g.lineBands, y)) {
      if (segDist(x, y, ls[i]!, ls[i + 1]!, ls[i + 2]!, ls[i + 3]!) <= eps) return 'interior';
    }
  }
  const rs = g.ringSegs;
  if (rs.length > 0) {
    g.ringBands ??= bandsOf(rs, tol(g.bbox[2]!, g.bbox[3]!) + tol(g.bbox[0]!, g.bbox[1]!));
    // Crossing number of a ray towards +x: only segments straddling y count, and they all lie in y's band.
    let inside = false;
    for (const i of bandAt(g.ringBands, y)) {
      const ax = rs[i]!;
      const ay = rs[i + 1]!;
      const bx = rs[i + 2]!;
      const by = rs[i + 3]!;
      if (segDist(x, y, ax, ay, bx, by) <= eps) best = 'boundary';
      if (ay > y !== by > y && x < ax + ((y - ay) * (bx - ax)) / (by - ay)) inside = !inside;
    }
    if (best !== 'boundary' && inside) return 'interior';
  }
  return best;
}

/** True when segments p and q share at least one point (touching counts). */
function segmentsMeet(p: ArrayLike<number>, i: number, q: ArrayLike<number>, j: number): boolean {
  const ax = p[i]!, ay = p[i + 1]!, bx = p[i + 2]!, by = p[i + 3]!;
  const cx = q[j]!, cy = q[j + 1]!, dx = q[j + 2]!, dy = q[j + 3]!;
  const d1 = orient(ax, ay, bx, by, cx, cy);
  const d2 = orient(ax, ay, bx, by, dx, dy);
  const d3 = orient(cx, cy, dx, dy, ax, ay);
  const d4 = orient(cx, cy, dx, dy, bx, by);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
  const e = tol(Math.max(Math.abs(ax), Math.abs(bx)), Math.max(Math.abs(ay), Math.abs(by)));
  return (
    segDist(cx, cy, ax, ay, bx, by) <= e ||
    segDist(dx, dy, ax, ay, bx, by) <= e ||
    segDist(ax, ay, cx, cy, dx, dy) <= e ||
    segDist(bx, by, cx, cy, dx, dy) <= e
  );
}

/** Spatial intersection (DE-9IM: not disjoint). */
export function intersects(a: Geometry, b: Geometry): boolean {
  const A = partsOf(a);
  const B = partsOf(b);
  if (!boxesMeet(A.bbox, B.bbox)) return false;
  let hit = false;
  forEachCandidatePair(segmentsOf(A), segmentsOf(B), (p, i, q, j) => {
    if (segmentsMeet(p, i, q, j)) hit = true;
    return hit;
  });
  if (hit) return true;
  // No boundaries cross: one geometry may still lie inside the other, or points may coincide.
  for (const [P, Q] of [[A, B], [B, A]] as const) {
    for (let i = 0; i < P.vertices.length; i += 2) {
      if (locate(P.vertices[i]!, P.vertices[i + 1]!, Q) !== 'exterior') return true;
    }
  }
  return false;
}

function boxesMeet(a: readonly number[], b: readonly number[]): boolean {
  return a[0]! <= b[2]! && b[0]! <= a[2]! && a[1]! <= b[3]! && b[1]! <= a[3]!;
}

/**
 * Test points along the segments of `P`: each segment is cut where the segments of `Q` meet it, and the
 * midpoint of every piece is returned (flat x, y pairs). A piece never crosses Q's boundary, so its midpoint's
 * location relative to Q is the location of the whole piece.
 */
function pieceMidpoints(P: Float64Array, Q: Float64Array): number[] {
  const cuts: number[][] = [];
  for (let i = 0; i < P.length; i += 4) cuts.push([0, 1]);
  forEachCandidatePair(P, Q, (p, i, q, j) => {
    const ax = p[i]!, ay = p[i + 1]!, bx = p[i + 2]!, by = p[i + 3]!;
    const cx = q[j]!, cy = q[j + 1]!, dx = q[j + 2]!, dy = q[j + 3]!;
    const list = cuts[i / 4]!;
    const rx = bx - ax, ry = by - ay, sx = dx - cx, sy = dy - cy;
    const den = rx * sy - ry * sx;
    const l2 = rx * rx + ry * ry;
    if (den !== 0) {
      const t = ((cx - ax) * sy - (cy - ay) * sx) / den;
      const u = ((cx - ax) * ry - (cy - ay) * rx) / den;
      if (t > 0 && t < 1 && u >= -1e-12 && u <= 1 + 1e-12) list.push(t);
    }
    // Endpoints of Q lying on P (collinear overlaps and T-junctions).
    if (l2 > 0) {
      for (const [ex, ey] of [[cx, cy], [dx, dy]] as const) {
        if (segDist(ex, ey, ax, ay, bx, by) <= tol(ex, ey)) {
          const t = ((ex - ax) * rx + (ey - ay) * ry) / l2;
          if (t > 0 && t < 1) list.push(t);
        }
      }
    }
    return false;
  });
  const out: number[] = [];
  for (let k = 0; k < cuts.length; k++) {
    const ts = cuts[k]!.sort((x, y) => x - y);
    const i = k * 4;
    const ax = P[i]!, ay = P[i + 1]!, bx = P[i + 2]!, by = P[i + 3]!;
    for (let m = 0; m + 1 < ts.length; m++) {
      const t = (ts[m]! + ts[m + 1]!) / 2;
      if (ts[m + 1]! - ts[m]! <= 1e-15) continue;
      out.push(ax + t * (bx - ax), ay + t * (by - ay));
    }
  }
  return out;
}

/**
 * `a` within `b` (DE-9IM T*F**F***): no point of `a` lies outside `b`, and the interiors meet.
 * contains(a, b) is within(b, a).
 */
export function within(a: Geometry, b: Geometry): boolean {
  const A = partsOf(a);
  const B = partsOf(b);
  if (A.vertices.length === 0 || B.vertices.length === 0) return false;
  if (A.bbox[0]! < B.bbox[0]! - tol(A.bbox[0]!, 0) || A.bbox[2]! > B.bbox[2]! + tol(A.bbox[2]!, 0)) return false;
  if (A.bbox[1]! < B.bbox[1]! - tol(0, A.bbox[1]!) || A.bbox[3]! > B.bbox[3]! + tol(0, A.bbox[3]!)) return false;
  const bDim = B.ringSegs.length > 0 ? 2 : B.lineSegs.length > 0 ? 1 : 0;
  const aDim = A.ringSegs.length > 0 ? 2 : A.lineSegs.length > 0 ? 1 : 0;
  if (aDim > bDim) return false;
  let interiorHit = false;
  const check = (x: number, y: number): boolean => {
    const loc = locate(x, y, B);
    if (loc === 'exterior') return false;
    if (loc === 'interior') interiorHit = true;
    return true;
  };
  // Isolated points of A, then pieces of A's lines and rings cut by every segment of B.
  for (let i = 0; i < A.points.length; i += 2) if (!check(A.points[i]!, A.points[i + 1]!)) return false;
  const bAll = segmentsOf(B);
  for (const segs of [A.lineSegs, A.ringSegs]) {
    if (segs.length === 0) continue;
    for (let i = 0; i < segs.length; i += 4) if (!check(segs[i]!, segs[i + 1]!) || !check(segs[i + 2]!, segs[i + 3]!)) return false;
    const mids = pieceMidpoints(segs, bAll);
    for (let i = 0; i < mids.length; i += 2) if (!check(mids[i]!, mids[i + 1]!)) return false;
  }
  if (A.ringSegs.length > 0) {
    // B's boundary must not run through A's interior (e.g. a hole of B inside A) ...
    const mids = pieceMidpoints(B.ringSegs, A.ringSegs);
    for (let i = 0; i < mids.length; i += 2) if (locate(mids[i]!, mids[i + 1]!, A) === 'interior') return false;
    // ... and each polygon of A must have interior points inside B (not only a shared outline).
    for (const p of A.interiorPoints) if (!check(p[0]!, p[1]!)) return false;
  }
  return interiorHit;
}

export const contains = (a: Geometry, b: Geometry): boolean => within(b, a);
export const disjoint = (a: Geometry, b: Geometry): boolean => !intersects(a, b);
/** Topological equality: each within the other. */
export const equals = (a: Geometry, b: Geometry): boolean => within(a, b) && within(b, a);
