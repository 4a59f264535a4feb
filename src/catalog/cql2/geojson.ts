/**
 * GeoJSON geometries (RFC 7946 §3.1) read from untrusted JSON: checked shape, finite coordinates with 2 or 3
 * numbers, LineStrings of two or more positions, closed rings of four or more, bounded nesting and size.
 * Used by the JSON parser (literals) and by the evaluator (item geometries, leniently: null when invalid).
 */
import type { Geometry, Position } from './geometry.ts';

/** Thrown by readGeometry; `path` is a JSON path like "args[1].coordinates[0][3]". */
export class GeometryProblem extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }
}

/** Work budget shared with the caller: `left` decreases by one per value visited. */
export interface Budget {
  left: number;
}

function position(v: unknown, path: string, budget: Budget): Position {
  if (!Array.isArray(v) || (v.length !== 2 && v.length !== 3)) {
    throw new GeometryProblem(path, 'expected a position [x, y] or [x, y, z]');
  }
  budget.left -= v.length;
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const n: unknown = v[i];
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new GeometryProblem(`${path}[${i}]`, 'expected a finite number');
    out.push(n === 0 ? 0 : n);
  }
  return out;
}

function list<T>(v: unknown, path: string, budget: Budget, min: number, what: string, item: (x: unknown, p: string) => T): T[] {
  if (!Array.isArray(v)) throw new GeometryProblem(path, `expected an array of ${what}`);
  if (v.length < min) throw new GeometryProblem(path, `expected at least ${min} ${what}, got ${v.length}`);
  budget.left -= 1;
  if (v.length > budget.left) throw new GeometryProblem(path, `geometry too large (${v.length} items exceed the size limit)`);
  return v.map((x, i) => item(x, `${path}[${i}]`));
}

/** Checks that a ring is closed; returns a message or null. */
export function ringProblem(r: Position[]): string | null {
  if (r.length < 4) return `a polygon ring needs at least 4 positions, got ${r.length}`;
  const a = r[0]!;
  const b = r[r.length - 1]!;
  if (a[0] !== b[0] || a[1] !== b[1]) return 'a polygon ring must end at its first position (closed ring)';
  return null;
}

/** Reads a GeoJSON geometry object; throws GeometryProblem with the JSON path of the first problem. */
export function readGeometry(v: unknown, path: string, budget: Budget, depth: number, maxDepth: number): Geometry {
  if (depth > maxDepth) throw new GeometryProblem(path, `geometry nested deeper than ${maxDepth} levels`);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new GeometryProblem(path, 'expected a GeoJSON geometry object');
  budget.left -= 1;
  if (budget.left < 0) throw new GeometryProblem(path, 'geometry too large');
  const o = v as Record<string, unknown>;
  const c = `${path}.coordinates`;
  const pos = (x: unknown, p: string): Position => position(x, p, budget);
  const line = (x: unknown, p: string): Position[] => list(x, p, budget, 2, 'positions', pos);
  const ring = (x: unknown, p: string): Position[] => {
    const r = list(x, p, budget, 4, 'positions', pos);
    const why = ringProblem(r);
    if (why) throw new GeometryProblem(p, why);
    return r;
  };
  const poly = (x: unknown, p: string): Position[][] => list(x, p, budget, 1, 'rings', ring);
  switch (o.type) {
    case 'Point':
      return { type: 'Point', coordinates: pos(o.coordinates, c) };
    case 'MultiPoint':
      return { type: 'MultiPoint', coordinates: list(o.coordinates, c, budget, 1, 'positions', pos) };
    case 'LineString':
      return { type: 'LineString', coordinates: line(o.coordinates, c) };
    case 'MultiLineString':
      return { type: 'MultiLineString', coordinates: list(o.coordinates, c, budget, 1, 'line strings', line) };
    case 'Polygon':
      return { type: 'Polygon', coordinates: poly(o.coordinates, c) };
    case 'MultiPolygon':
      return { type: 'MultiPolygon', coordinates: list(o.coordinates, c, budget, 1, 'polygons', poly) };
    case 'GeometryCollection':
      return {
        type: 'GeometryCollection',
        geometries: list(o.geometries, `${path}.geometries`, budget, 1, 'geometries', (x, p) =>
          readGeometry(x, p, budget, depth + 1, maxDepth),
        ),
      };
    default:
      throw new GeometryProblem(
        `${path}.type`,
        `expected a GeoJSON geometry type (Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon, GeometryCollection), got ${JSON.stringify(o.type) ?? 'nothing'}`,
      );
  }
}

/** An item's geometry, or null when absent or not a valid geometry (the predicate is then unknown). */
export function itemGeometry(v: unknown): Geometry | null {
  if (v === null || v === undefined) return null;
  try {
    return readGeometry(v, 'geometry', { left: 10_000_000 }, 0, 64);
  } catch {
    return null;
  }
}
