/**
 * Spatial literals of the CQL2 text encoding (OGC 21-065r2 Annex B `spatialInstance`, WKT of OGC 06-103r4):
 * POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON, GEOMETRYCOLLECTION with an optional
 * Z, and BBOX(minx, miny, maxx, maxy) / BBOX(minx, miny, minz, maxx, maxy, maxz). Written back by `geometryToWkt` in the same canonical form.
 */
import type { BboxLit, GeometryLit } from './ast.ts';
import type { Geometry, Position } from './geometry.ts';
import { ringProblem } from './geojson.ts';
import { type Lexer, type Token, syntaxError } from './lexer.ts';

export const WKT_TYPES = ['POINT', 'LINESTRING', 'POLYGON', 'MULTIPOINT', 'MULTILINESTRING', 'MULTIPOLYGON', 'GEOMETRYCOLLECTION'] as const;

/** A token as shown in messages: quoted and cut to 30 characters. */
export function describeToken(t: Token): string {
  if (t.kind === 'eof') return 'the end of the filter';
  return `'${t.text.length > 30 ? `${t.text.slice(0, 27)}...` : t.text}'`;
}

export class WktReader {
  constructor(
    private readonly lx: Lexer,
    /** Called when entering a nested construct; throws past the depth limit. */
    private readonly enter: (pos: number) => void,
    private readonly leave: () => void,
  ) {}

  private expect(kind: Token['kind'], what: string): Token {
    const t = this.lx.next();
    if (t.kind !== kind) throw syntaxError(`expected ${what}, found ${describeToken(t)}`, t.pos);
    return t;
  }

  private num(what: string): number {
    return this.expect('number', what).num;
  }

  private position(): Position {
    const x = this.num('an x coordinate');
    const y = this.num('a y coordinate');
    if (this.lx.peek().kind === 'number') return [x, y, this.lx.next().num];
    return [x, y];
  }

  /** ( p {, p} ) with at least `min` positions. */
  private positions(min: number, what: string): Position[] {
    const open = this.expect('(', `'(' to start ${what}`);
    const out = [this.position()];
    while (this.lx.peek().kind === ',') {
      this.lx.next();
      out.push(this.position());
    }
    this.expect(')', `',' or ')' in ${what}`);
    if (out.length < min) throw syntaxError(`${what} needs at least ${min} positions, got ${out.length}`, open.pos);
    return out;
  }

  /** ( item {, item} ) */
  private many<T>(what: string, item: () => T): T[] {
    this.expect('(', `'(' to start ${what}`);
    const out = [item()];
    while (this.lx.peek().kind === ',') {
      this.lx.next();
      out.push(item());
    }
    this.expect(')', `',' or ')' in ${what}`);
    return out;
  }

  private ring = (): Position[] => {
    const at = this.lx.peek().pos;
    const r = this.positions(4, 'a polygon ring');
    const why = ringProblem(r);
    if (why) throw syntaxError(why, at);
    return r;
  };

  private polygon = (): Position[][] => this.many('a polygon', this.ring);

  /** A WKT geometry or BBOX whose keyword `kw` has just been consumed. */
  read(kw: Token): GeometryLit | BboxLit {
    const name = kw.text.toUpperCase();
    this.enter(kw.pos);
    try {
      if (name === 'BBOX' || name === 'ENVELOPE') return { kind: 'bbox', bbox: this.bbox(kw) };
      return { kind: 'geometry', geometry: this.geometry(kw, name) };
    } finally {
      this.leave();
    }
  }

  private bbox(kw: Token): number[] {
    const b = this.many('BBOX', () => this.num('a BBOX coordinate'));
    if (b.length !== 4 && b.length !== 6) throw syntaxError(`BBOX needs 4 or 6 numbers, got ${b.length}`, kw.pos);
    const [x0, y0, x1, y1] = b.length === 4 ? b : [b[0]!, b[1]!, b[3]!, b[4]!];
    if (x0! > x1! || y0! > y1!) {
      throw syntaxError('BBOX needs minx <= maxx and miny <= maxy (boxes across the antimeridian are not supported)', kw.pos);
    }
    return b;
  }

  private geometry(kw: Token, name: string): Geometry {
    const z = this.lx.peek();
    if (z.kind === 'ident' && (z.text === 'Z' || z.text === 'z')) this.lx.next();
    const e = this.lx.peek();
    if (e.kind === 'ident' && e.text.toUpperCase() === 'EMPTY') throw syntaxError('empty geometries are not supported', e.pos);
    switch (name) {
      case 'POINT': {
        this.expect('(', `'(' after POINT`);
        const p = this.position();
        this.expect(')', `')' after the point coordinates`);
        return { type: 'Point', coordinates: p };
      }
      case 'LINESTRING':
        return { type: 'LineString', coordinates: this.positions(2, 'a LINESTRING') };
      case 'POLYGON':
        return { type: 'Polygon', coordinates: this.polygon() };
      case 'MULTIPOINT':
        return {
          type: 'MultiPoint',
          coordinates: this.many('a MULTIPOINT', () => {
            if (this.lx.peek().kind !== '(') return this.position();
            this.lx.next();
            const p = this.position();
            this.expect(')', `')' after the point coordinates`);
            return p;
          }),
        };
      case 'MULTILINESTRING':
        return { type: 'MultiLineString', coordinates: this.many('a MULTILINESTRING', () => this.positions(2, 'a line string')) };
      case 'MULTIPOLYGON':
        return { type: 'MultiPolygon', coordinates: this.many('a MULTIPOLYGON', this.polygon) };
      default: {
        const geometries = this.many('a GEOMETRYCOLLECTION', () => {
          const t = this.lx.peek();
          const n = t.kind === 'ident' ? t.text.toUpperCase() : '';
          if (!(WKT_TYPES as readonly string[]).includes(n)) {
            throw syntaxError(`expected a geometry (${WKT_TYPES.join(', ')}), found ${describeToken(t)}`, t.pos);
          }
          const g = this.read(this.lx.next());
          if (g.kind !== 'geometry') throw syntaxError('BBOX is not allowed inside a GEOMETRYCOLLECTION', t.pos);
          return g.geometry;
        });
        return { type: 'GeometryCollection', geometries };
      }
    }
  }
}

const num = (n: number): string => String(n);
const pos = (p: Position): string => p.map(num).join(' ');
const line = (l: Position[]): string => `(${l.map(pos).join(', ')})`;
const poly = (p: Position[][]): string => `(${p.map(line).join(', ')})`;

/** Canonical WKT of a geometry (no Z tag: a third number per position is read as z). */
export function geometryToWkt(g: Geometry): string {
  switch (g.type) {
    case 'Point':
      return `POINT (${pos(g.coordinates)})`;
    case 'MultiPoint':
      return `MULTIPOINT (${g.coordinates.map((p) => `(${pos(p)})`).join(', ')})`;
    case 'LineString':
      return `LINESTRING ${line(g.coordinates)}`;
    case 'MultiLineString':
      return `MULTILINESTRING (${g.coordinates.map(line).join(', ')})`;
    case 'Polygon':
      return `POLYGON ${poly(g.coordinates)}`;
    case 'MultiPolygon':
      return `MULTIPOLYGON (${g.coordinates.map(poly).join(', ')})`;
    case 'GeometryCollection':
      return `GEOMETRYCOLLECTION (${g.geometries.map(geometryToWkt).join(', ')})`;
  }
}
