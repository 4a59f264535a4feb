/**
 * Known answers for the planar predicates of src/catalog/cql2/geometry.ts (DE-9IM intersects / within /
 * contains / disjoint / equals) on points, lines, polygons with holes and multipolygons.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bboxOf, contains, disjoint, equals, intersects, within, type Geometry } from '../../src/catalog/cql2/geometry.ts';

const pt = (x: number, y: number): Geometry => ({ type: 'Point', coordinates: [x, y] });
const line = (...c: number[][]): Geometry => ({ type: 'LineString', coordinates: c });
const rect = (x0: number, y0: number, x1: number, y1: number): number[][] => [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]];
const poly = (...rings: number[][][]): Geometry => ({ type: 'Polygon', coordinates: rings });
const sq = (x0: number, y0: number, x1: number, y1: number): Geometry => poly(rect(x0, y0, x1, y1));

/** A 10×10 square with a 4×4 hole in the middle. */
const donut = poly(rect(0, 0, 10, 10), rect(3, 3, 7, 7).reverse());
/** A U shape (concave): the notch x in (3, 7), y in (3, 10) is outside. */
const U = poly([[0, 0], [10, 0], [10, 10], [7, 10], [7, 3], [3, 3], [3, 10], [0, 10], [0, 0]]);

describe('cql2 geometry: intersects / disjoint', () => {
  const cases: [string, Geometry, Geometry, boolean][] = [
    ['point inside square', pt(5, 5), sq(0, 0, 10, 10), true],
    ['point on edge', pt(10, 5), sq(0, 0, 10, 10), true],
    ['point at corner', pt(0, 0), sq(0, 0, 10, 10), true],
    ['point outside', pt(11, 5), sq(0, 0, 10, 10), false],
    ['point in hole', pt(5, 5), donut, false],
    ['point on hole edge', pt(3, 5), donut, true],
    ['point in U notch', pt(5, 8), U, false],
    ['equal points', pt(1, 2), pt(1, 2), true],
    ['different points', pt(1, 2), pt(1, 2.001), false],
    ['point on line', pt(1, 1), line([0, 0], [2, 2]), true],
    ['point off line', pt(1, 1.1), line([0, 0], [2, 2]), false],
    ['crossing lines', line([0, 0], [2, 2]), line([0, 2], [2, 0]), true],
    ['touching lines (T)', line([0, 0], [2, 0]), line([1, 0], [1, 5]), true],
    ['parallel lines', line([0, 0], [2, 0]), line([0, 1], [2, 1]), false],
    ['collinear overlapping', line([0, 0], [2, 0]), line([1, 0], [3, 0]), true],
    ['collinear apart', line([0, 0], [1, 0]), line([2, 0], [3, 0]), false],
    ['line through square', line([-5, 5], [15, 5]), sq(0, 0, 10, 10), true],
    ['line inside square', line([2, 2], [8, 8]), sq(0, 0, 10, 10), true],
    ['line inside hole', line([4, 4], [6, 6]), donut, false],
    ['line across U notch, above the bar', line([4, 8], [6, 8]), U, false],
    ['overlapping squares', sq(0, 0, 2, 2), sq(1, 1, 3, 3), true],
    ['square inside square', sq(2, 2, 3, 3), sq(0, 0, 10, 10), true],
    ['big square around small', sq(0, 0, 10, 10), sq(2, 2, 3, 3), true],
    ['edge-sharing squares', sq(0, 0, 1, 1), sq(1, 0, 2, 1), true],
    ['corner-touching squares', sq(0, 0, 1, 1), sq(1, 1, 2, 2), true],
    ['separate squares', sq(0, 0, 1, 1), sq(2, 2, 3, 3), false],
    ['square in the hole', sq(4, 4, 6, 6), donut, false],
    ['square in the U notch', sq(4, 5, 6, 9), U, false],
    ['bbox overlap but disjoint (U)', sq(4, 5, 6, 11), U, false],
    ['multipolygon second part', sq(20, 20, 21, 21), { type: 'MultiPolygon', coordinates: [[rect(0, 0, 1, 1)], [rect(20.5, 20.5, 30, 30)]] }, true],
    ['collection', pt(5, 5), { type: 'GeometryCollection', geometries: [pt(0, 0), sq(4, 4, 6, 6)] }, true],
  ];
  for (const [name, a, b, want] of cases) {
    test(name, () => {
      assert.equal(intersects(a, b), want, 'a, b');
      assert.equal(intersects(b, a), want, 'symmetric');
      assert.equal(disjoint(a, b), !want, 'disjoint');
    });
  }
});

describe('cql2 geometry: within / contains / equals', () => {
  const cases: [string, Geometry, Geometry, boolean][] = [
    ['point inside', pt(5, 5), sq(0, 0, 10, 10), true],
    ['point on boundary is not within', pt(10, 5), sq(0, 0, 10, 10), false],
    ['point in hole', pt(5, 5), donut, false],
    ['point within line', pt(1, 1), line([0, 0], [2, 2]), true],
    ['point within point', pt(1, 1), pt(1, 1), true],
    ['line inside', line([1, 1], [9, 9]), sq(0, 0, 10, 10), true],
    ['line touching boundary from inside', line([0, 5], [5, 5]), sq(0, 0, 10, 10), true],
    ['line on boundary only', line([0, 0], [10, 0]), sq(0, 0, 10, 10), false],
    ['line crossing the hole', line([1, 5], [9, 5]), donut, false],
    ['chord of U through the notch', line([1, 8], [9, 8]), U, false],
    ['line sticking out', line([5, 5], [15, 5]), sq(0, 0, 10, 10), false],
    ['sub-line of line', line([0.5, 0], [1.5, 0]), line([0, 0], [1, 0], [2, 0]), true],
    ['line leaving line', line([0.5, 0], [2.5, 0]), line([0, 0], [2, 0]), false],
    ['square inside', sq(2, 2, 3, 3), sq(0, 0, 10, 10), true],
    ['square sharing an edge inside', sq(0, 0, 3, 3), sq(0, 0, 10, 10), true],
    ['same square', sq(0, 0, 10, 10), sq(0, 0, 10, 10), true],
    ['square overlapping', sq(5, 5, 15, 15), sq(0, 0, 10, 10), false],
    ['square around the hole', sq(2, 2, 8, 8), donut, false],
    ['square beside the hole', sq(1, 1, 2, 9), donut, true],
    ['filled square vs donut with the same outline', sq(0, 0, 10, 10), donut, false],
    ['donut within its outline', donut, sq(0, 0, 10, 10), true],
    ['square over the U notch', sq(2, 5, 8, 9), U, false],
    ['square in a U arm', sq(0.5, 4, 2.5, 9), U, true],
    ['polygon within a line', sq(0, 0, 1, 1), line([0, 0], [5, 5]), false],
    ['multipolygon within big square', { type: 'MultiPolygon', coordinates: [[rect(1, 1, 2, 2)], [rect(5, 5, 6, 6)]] }, sq(0, 0, 10, 10), true],
    ['multipolygon partly outside', { type: 'MultiPolygon', coordinates: [[rect(1, 1, 2, 2)], [rect(9, 9, 11, 11)]] }, sq(0, 0, 10, 10), false],
  ];
  for (const [name, a, b, want] of cases) {
    test(name, () => {
      assert.equal(within(a, b), want, 'within');
      assert.equal(contains(b, a), want, 'contains is within reversed');
    });
  }

  test('equals is topological (vertex order and start do not matter)', () => {
    const a = sq(0, 0, 2, 2);
    const b = poly([[2, 2], [0, 2], [0, 0], [2, 0], [2, 2]]);
    const c = poly([[0, 0], [1, 0], [2, 0], [2, 2], [0, 2], [0, 0]]);
    assert.ok(equals(a, b));
    assert.ok(equals(a, c));
    assert.ok(!equals(a, sq(0, 0, 2, 2.5)));
    assert.ok(equals(line([0, 0], [2, 0]), line([2, 0], [1, 0], [0, 0])));
    assert.ok(equals(pt(3, 4), { type: 'MultiPoint', coordinates: [[3, 4], [3, 4]] }));
  });

  test('bboxOf', () => {
    assert.deepEqual(bboxOf(donut), [0, 0, 10, 10]);
    assert.deepEqual(bboxOf({ type: 'GeometryCollection', geometries: [pt(-1, 5), line([2, -3], [4, 4])] }), [-1, -3, 4, 5]);
  });

  test('large polygons stay fast (sweep)', () => {
    const n = 4000;
    const circle = (cx: number, r: number): Geometry => {
      const ring: number[][] = [];
      for (let i = 0; i < n; i++) ring.push([cx + r * Math.cos((2 * Math.PI * i) / n), r * Math.sin((2 * Math.PI * i) / n)]);
      ring.push(ring[0]!);
      return poly(ring);
    };
    const t0 = performance.now();
    assert.ok(intersects(circle(0, 10), circle(15, 10)));
    assert.ok(within(circle(0, 5), circle(0.5, 10)));
    assert.ok(!within(circle(0, 5), circle(8, 10)));
    const ms = performance.now() - t0;
    assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms`);
  });
});
