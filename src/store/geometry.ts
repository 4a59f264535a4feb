/**
 * Exact 2-D tests between GeoJSON geometries (RFC 7946, lon/lat degrees, planar, no antimeridian handling) and
 * axis-aligned boxes. The database filters on bounding boxes (GiST on `box`); these tests drop the rows whose
 * box overlaps but whose geometry does not.
 */

/** [minx, miny, maxx, maxy] in degrees, minx <= maxx. */
export type Box2 = readonly [number, number, number, number];

type Position = readonly number[];
interface AnyGeometry {
  type: string;
  coordinates?: unknown;
  geometries?: AnyGeometry[];
}

/** Visits every ring / line (as a position list) and every point of a geometry. */
function visit(g: AnyGeometry, line: (pts: Position[], closed: boolean) => boolean, point: (p: Position) => boolean): boolean {
  const c = g.coordinates as unknown;
  switch (g.type) {
    case 'Point':
      return point(c as Position);
    case 'MultiPoint':
      return (c as Position[]).some(point);
    case 'LineString':
      return line(c as Position[], false);
    case 'MultiLineString':
      return (c as Position[][]).some((l) => line(l, false));
    case 'Polygon':
      return (c as Position[][]).some((r) => line(r, true));
    case 'MultiPolygon':
      return (c as Position[][][]).some((p) => p.some((r) => line(r, true)));
    case 'GeometryCollection':
      return (g.geometries ?? []).some((s) => visit(s, line, point));
    default:
      return false;
  }
}

/** Bounding box of a geometry, or null when it has no positions. */
export function geometryBbox(g: AnyGeometry | null | undefined): Box2 | null {
  if (!g) return null;
  let minx = Infinity, miny = Infinity, maxx = -Infinity, maxy = -Infinity;
  const add = (p: Position): boolean => {
    const x = p[0]!, y = p[1]!;
    if (x < minx) minx = x;
    if (x > maxx) maxx = x;
    if (y < miny) miny = y;
    if (y > maxy) maxy = y;
    return false;
  };
  visit(g, (pts) => (pts.forEach(add), false), add);
  return Number.isFinite(minx) && Number.isFinite(miny) && Number.isFinite(maxx) && Number.isFinite(maxy)
    ? [minx, miny, maxx, maxy]
    : null;
}

function pointInBox(x: number, y: number, b: Box2): boolean {
  return x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3];
}

/** Segment (x0,y0)-(x1,y1) meets the closed box (Liang–Barsky clipping). */
export function segmentHitsBox(x0: number, y0: number, x1: number, y1: number, b: Box2): boolean {
  const dx = x1 - x0, dy = y1 - y0;
  let t0 = 0, t1 = 1;
  const p = [-dx, dx, -dy, dy];
  const q = [x0 - b[0], b[2] - x0, y0 - b[1], b[3] - y0];
  for (let i = 0; i < 4; i++) {
    const pi = p[i]!, qi = q[i]!;
    if (pi === 0) {
      if (qi < 0) return false;
    } else {
      const t = qi / pi;
      if (pi < 0) {
        if (t > t1) return false;
        if (t > t0) t0 = t;
      } else {
        if (t < t0) return false;
        if (t < t1) t1 = t;
      }
    }
  }
  return true;
}

/** Even-odd crossing count of a point against every ring of the polygons (holes included). */
function pointInPolygons(x: number, y: number, polygons: Position[][][]): boolean {
  for (const rings of polygons) {
    let inside = false;
    for (const ring of rings) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const xi = ring[i]![0]!, yi = ring[i]![1]!, xj = ring[j]![0]!, yj = ring[j]![1]!;
        if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
      }
    }
    if (inside) return true;
  }
  return false;
}

function polygonsOf(g: AnyGeometry): Position[][][] {
  if (g.type === 'Polygon') return [g.coordinates as Position[][]];
  if (g.type === 'MultiPolygon') return g.coordinates as Position[][][];
  if (g.type === 'GeometryCollection') return (g.geometries ?? []).flatMap(polygonsOf);
  return [];
}

/** True when the geometry and the closed box share at least one point. */
export function geometryIntersectsBox(g: AnyGeometry | null | undefined, b: Box2): boolean {
  if (!g) return false;
  const hitLine = (pts: Position[]): boolean => {
    for (let i = 0; i < pts.length; i++) {
      const a = pts[i]!;
      if (pointInBox(a[0]!, a[1]!, b)) return true;
      if (i > 0) {
        const p = pts[i - 1]!;
        if (segmentHitsBox(p[0]!, p[1]!, a[0]!, a[1]!, b)) return true;
      }
    }
    return false;
  };
  if (visit(g, hitLine, (p) => pointInBox(p[0]!, p[1]!, b))) return true;
  // No boundary touches the box: it meets a polygon only if it lies wholly inside one.
  const polys = polygonsOf(g);
  return polys.length > 0 && pointInPolygons(b[0], b[1], polys);
}
