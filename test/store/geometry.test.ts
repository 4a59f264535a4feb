import { test } from 'node:test';
import assert from 'node:assert/strict';
import { geometryBbox, geometryIntersectsBox, segmentHitsBox } from '../../src/store/geometry.ts';

const B = [0, 0, 10, 10] as const;

test('segments against a box (Liang–Barsky)', () => {
  assert.equal(segmentHitsBox(-5, 5, 15, 5, B), true); // crosses
  assert.equal(segmentHitsBox(-5, -5, -1, 20, B), false); // passes left
  assert.equal(segmentHitsBox(-5, 5, 0, 5, B), true); // ends on the edge
  assert.equal(segmentHitsBox(-1, 12, 12, -1, B), true); // cuts the corner region
  assert.equal(segmentHitsBox(-1, 12, 1, 11.5, B), false);
  assert.equal(segmentHitsBox(2, 2, 3, 3, B), true); // inside
});

test('geometries against a box', () => {
  const ring = (pts: number[][]): number[][][] => [pts];
  // Polygon enclosing the box: no vertex or edge inside, the box corner is inside.
  assert.equal(geometryIntersectsBox({ type: 'Polygon', coordinates: ring([[-5, -5], [15, -5], [15, 15], [-5, 15], [-5, -5]]) }, B), true);
  // Same polygon with a hole larger than the box: the box sits in the hole.
  const holed = [[[-5, -5], [15, -5], [15, 15], [-5, 15], [-5, -5]], [[-1, -1], [-1, 11], [11, 11], [11, -1], [-1, -1]]];
  assert.equal(geometryIntersectsBox({ type: 'Polygon', coordinates: holed }, B), false);
  assert.equal(geometryIntersectsBox({ type: 'Point', coordinates: [10, 10] }, B), true);
  assert.equal(geometryIntersectsBox({ type: 'Point', coordinates: [10.01, 10] }, B), false);
  assert.equal(geometryIntersectsBox({ type: 'MultiPolygon', coordinates: [ring([[20, 20], [21, 20], [21, 21], [20, 20]]), ring([[9, 9], [12, 9], [12, 12], [9, 9]])] }, B), true);
  assert.equal(geometryIntersectsBox({ type: 'LineString', coordinates: [[11, 0], [20, -5]] }, B), false);
  assert.equal(geometryIntersectsBox(null, B), false);
});

test('bbox of a geometry', () => {
  assert.deepEqual(geometryBbox({ type: 'Polygon', coordinates: [[[1, 2], [5, -3], [4, 8], [1, 2]]] }), [1, -3, 5, 8]);
  assert.deepEqual(geometryBbox({ type: 'Point', coordinates: [3, 4] }), [3, 4, 3, 4]);
  assert.equal(geometryBbox({ type: 'MultiPoint', coordinates: [] }), null);
});
