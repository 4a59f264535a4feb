/**
 * CQL2 conformance examples (OGC 21-065r2 and the STAC API Filter extension) in both encodings: the text and
 * JSON forms of one filter give equal ASTs, and text → AST → text → AST and JSON → AST → JSON → AST round trip.
 * Also the error messages: where (character / JSON path) and what was expected.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isGepError } from '../../src/core/errors.ts';
import { cql2ToJson, cql2ToText, parseCql2Json, parseCql2Text, propertiesOf } from '../../src/catalog/cql2/index.ts';

const P = (property: string): { property: string } => ({ property });

/** [text, JSON] pairs of the same filter. */
const EXAMPLES: [string, unknown][] = [
  // Basic CQL2
  ["city='Toronto'", { op: '=', args: [P('city'), 'Toronto'] }],
  ["updated >= date('1970-01-01')", { op: '>=', args: [P('updated'), { date: '1970-01-01' }] }],
  ['geometry IS NOT NULL', { op: 'not', args: [{ op: 'isNull', args: [P('geometry')] }] }],
  ['eo:cloud_cover <= 10.5', { op: '<=', args: [P('eo:cloud_cover'), 10.5] }],
  ['"eo:cloud_cover" <> -1.5e-3', { op: '<>', args: [P('eo:cloud_cover'), -0.0015] }],
  ['landsat:wrs_row = 28 AND landsat:wrs_path = 203', { op: 'and', args: [{ op: '=', args: [P('landsat:wrs_row'), 28] }, { op: '=', args: [P('landsat:wrs_path'), 203] }] }],
  [
    'sentinel:data_coverage > 50 OR landsat:coverage_percent < 10 OR (sentinel:data_coverage IS NULL AND landsat:coverage_percent IS NULL)',
    {
      op: 'or',
      args: [
        { op: '>', args: [P('sentinel:data_coverage'), 50] },
        { op: '<', args: [P('landsat:coverage_percent'), 10] },
        { op: 'and', args: [{ op: 'isNull', args: [P('sentinel:data_coverage')] }, { op: 'isNull', args: [P('landsat:coverage_percent')] }] },
      ],
    },
  ],
  ['prop1 = prop2', { op: '=', args: [P('prop1'), P('prop2')] }],
  ['flag = TRUE AND NOT (done = false)', { op: 'and', args: [{ op: '=', args: [P('flag'), true] }, { op: 'not', args: [{ op: '=', args: [P('done'), false] }] }] }],
  ['TRUE', true],
  ["datetime > TIMESTAMP('2012-08-10T05:30:00Z')", { op: '>', args: [P('datetime'), { timestamp: '2012-08-10T05:30:00Z' }] }],
  // Advanced comparison operators
  ["name LIKE 'Smith%'", { op: 'like', args: [P('name'), 'Smith%'] }],
  ["name NOT LIKE 'Sm_th\\%'", { op: 'not', args: [{ op: 'like', args: [P('name'), 'Sm_th\\%'] }] }],
  ['depth BETWEEN 100.0 and 150.0', { op: 'between', args: [P('depth'), 100, 150] }],
  ["cityName IN ('Toronto','Frankfurt','Tokyo','New York')", { op: 'in', args: [P('cityName'), ['Toronto', 'Frankfurt', 'Tokyo', 'New York']] }],
  ['category NOT IN (1,2,3,4)', { op: 'not', args: [{ op: 'in', args: [P('category'), [1, 2, 3, 4]] }] }],
  // Case- and accent-insensitive comparison
  ["CASEI(road_class) IN (CASEI('Οδος'),CASEI('Straße'))", { op: 'in', args: [{ op: 'casei', args: [P('road_class')] }, [{ op: 'casei', args: ['Οδος'] }, { op: 'casei', args: ['Straße'] }]] }],
  ["ACCENTI(etat_vol) = ACCENTI('débárquér')", { op: '=', args: [{ op: 'accenti', args: [P('etat_vol')] }, { op: 'accenti', args: ['débárquér'] }] }],
  ["CASEI(name) LIKE CASEI('%sentinel%')", { op: 'like', args: [{ op: 'casei', args: [P('name')] }, { op: 'casei', args: ['%sentinel%'] }] }],
  // Spatial
  ['S_INTERSECTS(geometry,POINT(36.319836 32.288087))', { op: 's_intersects', args: [P('geometry'), { type: 'Point', coordinates: [36.319836, 32.288087] }] }],
  [
    'S_INTERSECTS(geometry, POLYGON((43.5845 -79.5442, 43.6079 -79.4893, 43.5677 -79.4632, 43.6129 -79.3925, 43.5845 -79.5442)))',
    { op: 's_intersects', args: [P('geometry'), { type: 'Polygon', coordinates: [[[43.5845, -79.5442], [43.6079, -79.4893], [43.5677, -79.4632], [43.6129, -79.3925], [43.5845, -79.5442]]] }] },
  ],
  ['S_WITHIN(location, BBOX(-118,33.8,-117.9,34))', { op: 's_within', args: [P('location'), { bbox: [-118, 33.8, -117.9, 34] }] }],
  ['S_CONTAINS(geometry, LINESTRING(0 0, 1 1, 2 0))', { op: 's_contains', args: [P('geometry'), { type: 'LineString', coordinates: [[0, 0], [1, 1], [2, 0]] }] }],
  [
    'S_DISJOINT(geometry, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5), (5.2 5.1, 5.8 5.1, 5.8 5.7, 5.2 5.1))))',
    { op: 's_disjoint', args: [P('geometry'), { type: 'MultiPolygon', coordinates: [[[[0, 0], [1, 0], [1, 1], [0, 0]]], [[[5, 5], [6, 5], [6, 6], [5, 5]], [[5.2, 5.1], [5.8, 5.1], [5.8, 5.7], [5.2, 5.1]]]] }] },
  ],
  ['S_EQUALS(POINT Z(1 2 3), geometry)', { op: 's_equals', args: [{ type: 'Point', coordinates: [1, 2, 3] }, P('geometry')] }],
  ['S_INTERSECTS(geometry, MULTIPOINT((1 2), (3 4)))', { op: 's_intersects', args: [P('geometry'), { type: 'MultiPoint', coordinates: [[1, 2], [3, 4]] }] }],
  [
    'S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 1 1)))',
    { op: 's_intersects', args: [P('geometry'), { type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [1, 2] }, { type: 'LineString', coordinates: [[0, 0], [1, 1]] }] }] },
  ],
  // Temporal
  [
    "T_INTERSECTS(event_time, INTERVAL('1969-07-16T05:32:00Z', '1969-07-24T16:50:35Z'))",
    { op: 't_intersects', args: [P('event_time'), { interval: ['1969-07-16T05:32:00Z', '1969-07-24T16:50:35Z'] }] },
  ],
  [
    "T_DURING(INTERVAL(touchdown, liftOff), INTERVAL('1969-07-16T13:32:00Z', '1969-07-24T16:50:35Z'))",
    { op: 't_during', args: [{ interval: [P('touchdown'), P('liftOff')] }, { interval: ['1969-07-16T13:32:00Z', '1969-07-24T16:50:35Z'] }] },
  ],
  ["T_BEFORE(datetime, DATE('2020-01-01'))", { op: 't_before', args: [P('datetime'), { date: '2020-01-01' }] }],
  ["T_AFTER(datetime, INTERVAL('..', '2020-01-01'))", { op: 't_after', args: [P('datetime'), { interval: ['..', '2020-01-01'] }] }],
  ["T_FINISHEDBY(INTERVAL(starts_at, ends_at), TIMESTAMP('1991-10-07T08:21:06.393262Z'))", { op: 't_finishedBy', args: [{ interval: [P('starts_at'), P('ends_at')] }, { timestamp: '1991-10-07T08:21:06.393262Z' }] }],
  ["T_METBY(INTERVAL('2000-01-01', '..'), updated)", { op: 't_metBy', args: [{ interval: ['2000-01-01', '..'] }, P('updated')] }],
  // Arrays
  ["A_CONTAINS(layer:ids, ('layers-ca','layers-us'))", { op: 'a_contains', args: [P('layer:ids'), ['layers-ca', 'layers-us']] }],
  ["A_CONTAINEDBY(instruments, ('msi', 'oli', 'tirs'))", { op: 'a_containedBy', args: [P('instruments'), ['msi', 'oli', 'tirs']] }],
  ['A_OVERLAPS(values, (1, 2, (3, 4)))', { op: 'a_overlaps', args: [P('values'), [1, 2, [3, 4]]] }],
  ['A_EQUALS((), tags)', { op: 'a_equals', args: [[], P('tags')] }],
  // STAC API filter extension examples
  [
    "id='LC08_L1TP_060247_20180905_20180912_01_T1_L1TP' AND collection='landsat8_l1tp'",
    { op: 'and', args: [{ op: '=', args: [P('id'), 'LC08_L1TP_060247_20180905_20180912_01_T1_L1TP'] }, { op: '=', args: [P('collection'), 'landsat8_l1tp'] }] },
  ],
  ["eo:cloud_cover BETWEEN 0 AND 50 AND platform = 'sentinel-2a'", { op: 'and', args: [{ op: 'between', args: [P('eo:cloud_cover'), 0, 50] }, { op: '=', args: [P('platform'), 'sentinel-2a'] }] }],
];

describe('CQL2 conformance examples', () => {
  for (const [text, json] of EXAMPLES) {
    test(text, () => {
      const a = parseCql2Text(text);
      const b = parseCql2Json(json);
      assert.deepEqual(a, b, 'text and JSON give the same AST');
      const t2 = cql2ToText(a);
      assert.deepEqual(parseCql2Text(t2), a, `text round trip via ${t2}`);
      assert.equal(cql2ToText(parseCql2Text(t2)), t2, 'canonical text is a fixed point');
      const j2 = JSON.parse(JSON.stringify(cql2ToJson(b))) as unknown;
      assert.deepEqual(parseCql2Json(j2), b, 'JSON round trip');
    });
  }
});

describe('CQL2 text details', () => {
  test('precedence: AND binds tighter than OR, NOT tighter than AND', () => {
    const e = parseCql2Text('a = 1 OR NOT b = 2 AND c = 3');
    assert.equal(e.kind, 'or');
    if (e.kind !== 'or') return;
    assert.equal(e.args[0]!.kind, 'comparison');
    const and = e.args[1]!;
    assert.equal(and.kind, 'and');
    if (and.kind === 'and') assert.equal(and.args[0]!.kind, 'not');
    assert.equal(cql2ToText(e), 'a = 1 OR (NOT (b = 2) AND c = 3)');
  });

  test('keywords are case-insensitive; quoted literals and names escape by doubling', () => {
    const e = parseCql2Text(`"we""ird" = 'it''s' and x iS nUlL`);
    assert.deepEqual(e, {
      kind: 'and',
      args: [
        { kind: 'comparison', op: '=', left: { kind: 'property', name: 'we"ird' }, right: { kind: 'string', value: "it's" } },
        { kind: 'isNull', value: { kind: 'property', name: 'x' } },
      ],
    });
    assert.equal(cql2ToText(e), `"we""ird" = 'it''s' AND x IS NULL`);
  });

  test('property names that look like function keywords stay properties', () => {
    assert.deepEqual(parseCql2Text('date = DATE(\'2020-02-29\')'), {
      kind: 'comparison', op: '=', left: { kind: 'property', name: 'date' }, right: { kind: 'date', value: '2020-02-29' },
    });
  });

  test('propertiesOf lists each property once', () => {
    assert.deepEqual(propertiesOf(parseCql2Text("a = 1 AND T_DURING(INTERVAL(s, e), INTERVAL('2020-01-01', '..')) OR a > b")), ['a', 's', 'e', 'b']);
  });
});

function throwsAt(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isGepError(e), `GepError expected, got ${String(e)}`);
    assert.equal(e.code, 'GEP_ERR_INVALID_INPUT');
    assert.match(e.message, re);
    return true;
  });
}

describe('CQL2 error messages', () => {
  test('text errors say where and what was expected', () => {
    throwsAt(() => parseCql2Text('eo:cloud_cover 10'), /^filter: expected a comparison operator .* after property 'eo:cloud_cover', found '10' at character 16$/);
    throwsAt(() => parseCql2Text("a = 1 AND (b = 'x'"), /expected '\)' to close the '\(' at character 11, found the end of the filter at character 19/);
    throwsAt(() => parseCql2Text("a = 'open"), /unterminated character literal \(started at character 5\)/);
    throwsAt(() => parseCql2Text("T_AFTER(datetime, TIMESTAMP('2020-13-01T00:00:00Z'))"), /invalid TIMESTAMP '2020-13-01T00:00:00Z', expected an RFC 3339 date-time .* at character 29/);
    throwsAt(() => parseCql2Text("DATE('2021-02-29') = d"), /invalid DATE '2021-02-29'/);
    throwsAt(() => parseCql2Text('S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 1)))'), /ring must end at its first position .* at character 32/);
    throwsAt(() => parseCql2Text('S_INTERSECTS(geometry, 5)'), /expected a geometry, BBOX or property, found a number at character 24/);
    throwsAt(() => parseCql2Text('S_TOUCHES(a, b)'), /S_TOUCHES is not supported/);
    throwsAt(() => parseCql2Text('avg(windSpeed) < 4'), /unknown function 'avg'/);
    throwsAt(() => parseCql2Text('a = 1 b = 2'), /expected AND, OR or the end of the filter, found 'b' at character 7/);
    throwsAt(() => parseCql2Text("x LIKE 'ab\\'"), /cannot end with the escape character/);
    throwsAt(() => parseCql2Text('a = #'), /unexpected character '#' at character 5/);
    throwsAt(() => parseCql2Text('   '), /empty filter/);
    throwsAt(() => parseCql2Text("INTERVAL('2021-01-01', '2020-01-01') = x"), /INTERVAL starts after it ends/);
    throwsAt(() => parseCql2Text('BBOX(1, 2, 3) = x'), /BBOX needs 4 or 6 numbers, got 3/);
    throwsAt(() => parseCql2Text('a = 1e999'), /out of range/);
  });

  test('JSON errors give the JSON path', () => {
    throwsAt(() => parseCql2Json({ op: '=', args: [P('a')] }), /^filter: expected 2 arguments for '=', got 1 at \$\.args$/);
    throwsAt(() => parseCql2Json({ op: 'and', args: [{ op: '=', args: [P('a'), 1] }, { op: 'nope', args: [] }] }), /unknown operator 'nope' at \$\.args\[1\]\.op/);
    throwsAt(() => parseCql2Json({ op: 's_intersects', args: [P('geometry'), { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [0, 0]]] }] }), /at least 4 positions, got 3 at \$\.args\[1\]\.coordinates\[0\]/);
    throwsAt(() => parseCql2Json({ op: 't_after', args: [P('datetime'), { timestamp: 'yesterday' }] }), /invalid timestamp 'yesterday'.* at \$\.args\[1\]\.timestamp/);
    throwsAt(() => parseCql2Json({ op: '<', args: [P('a'), { bbox: [0, 0, 1, 1] }] }), /a BBOX cannot be used with '<' at \$\.args\[1\]/);
    throwsAt(() => parseCql2Json({ op: '=', args: [P(''), 1] }), /non-empty string as property name at \$\.args\[0\]\.property/);
    throwsAt(() => parseCql2Json('a = 1'), /expected a CQL2 expression .* found 'a = 1' at \$/);
    throwsAt(() => parseCql2Json(null), /found null at \$/);
    throwsAt(() => parseCql2Json({ op: '>', args: [{ op: '+', args: [P('a'), 1] }, 2] }), /arithmetic \('\+'\) is not supported at \$\.args\[0\]\.op/);
  });

  test('JSON accepts the older {"casei": x} form, mixed-case ops and a bare isNull operand', () => {
    assert.deepEqual(parseCql2Json({ op: '=', args: [{ casei: P('a') }, { casei: 'X' }] }), parseCql2Text("CASEI(a) = CASEI('X')"));
    assert.deepEqual(parseCql2Json({ op: 'T_FINISHEDBY', args: [P('a'), P('b')] }), parseCql2Text('t_finishedby(a, b)'));
    assert.deepEqual(parseCql2Json({ op: 'isNull', args: P('a') }), parseCql2Text('a IS NULL'));
  });
});
