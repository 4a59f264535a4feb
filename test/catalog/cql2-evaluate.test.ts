/**
 * evaluateCql2 known answers: three-valued logic, comparisons and type rules, LIKE wildcards and escapes,
 * CASEI/ACCENTI, the fifteen temporal relations (instants, DATE as a whole day, open intervals, STAC
 * start/end_datetime), array set relations and spatial predicates on item geometries.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Cql2Item, evaluateCql2, evaluateCql2Tri, parseCql2Text } from '../../src/catalog/cql2/index.ts';
import { likeMatch } from '../../src/catalog/cql2/like.ts';
import { foldAccents } from '../../src/catalog/cql2/text-fold.ts';

const item = (properties: Record<string, unknown>, geometry: unknown = null): Cql2Item => ({ id: 'S2A_1', collection: 'sentinel-2-l2a', geometry, properties });
const ev = (f: string, it: Cql2Item): boolean | null => evaluateCql2Tri(parseCql2Text(f), it);

describe('cql2 evaluate: logic and comparisons', () => {
  const it = item({ cc: 12.5, platform: 'Sentinel-2A', flag: true, n: null, datetime: '2021-05-05T10:30:00Z', 'eo:bands': 13 });

  test('three-valued logic as SQL', () => {
    assert.equal(ev('missing = 1', it), null);
    assert.equal(ev('NOT missing = 1', it), null);
    assert.equal(ev('missing = 1 AND cc > 100', it), false);
    assert.equal(ev('missing = 1 OR cc > 10', it), true);
    assert.equal(ev('missing = 1 OR cc > 100', it), null);
    assert.equal(ev('n IS NULL AND missing IS NULL AND cc IS NOT NULL', it), true);
    assert.equal(evaluateCql2(parseCql2Text('NOT missing = 1'), it), false, 'unknown is not a match');
  });

  test('numbers, strings, booleans, members', () => {
    assert.equal(ev('cc = 12.5 AND cc <> 12 AND cc >= 12.5 AND cc < 13', it), true);
    assert.equal(ev("platform > 'Sentinel-2' AND platform < 'sentinel'", it), true, 'code-point order: upper case first');
    assert.equal(ev('flag = TRUE AND NOT flag = FALSE', it), true);
    assert.equal(ev("id = 'S2A_1' AND collection = 'sentinel-2-l2a'", it), true);
    assert.equal(ev("properties.platform = 'Sentinel-2A'", it), true);
    assert.equal(ev("cc = '12.5'", it), null, 'number vs text is unknown');
    assert.equal(ev('cc BETWEEN 12.5 AND 20 AND cc NOT BETWEEN 0 AND 12', it), true);
    assert.equal(ev('cc BETWEEN missing AND 20', it), null);
    assert.equal(ev('cc BETWEEN missing AND 10', it), false, 'one side false decides');
    assert.equal(ev("platform IN ('a', 'Sentinel-2A')", it), true);
    assert.equal(ev("platform IN ('a', missing)", it), null);
    assert.equal(ev("platform NOT IN ('a', 'b')", it), true);
  });

  test('timestamps compare as time, also with date-time text', () => {
    assert.equal(ev("datetime > TIMESTAMP('2021-05-05T10:29:59Z')", it), true);
    assert.equal(ev("datetime = TIMESTAMP('2021-05-05T12:30:00+02:00')", it), true);
    assert.equal(ev("datetime < DATE('2021-05-06') AND datetime > DATE('2021-05-05')", it), true);
    assert.equal(ev("datetime >= '2021-05-05' AND datetime <= '2021-05-05T10:30:00.000Z'", it), true);
  });
});

describe('cql2 evaluate: LIKE, CASEI, ACCENTI', () => {
  test('likeMatch wildcards and escapes', () => {
    const cases: [string, string, boolean][] = [
      ['abc', 'abc', true], ['abc', 'a%', true], ['abc', '%c', true], ['abc', '%b%', true], ['abc', 'a_c', true],
      ['abc', 'a_', false], ['', '%', true], ['', '_', false], ['a%c', 'a\\%c', true], ['abc', 'a\\%c', false],
      ['a_c', 'a\\_c', true], ['abc', 'a\\_c', false], ['a\\c', 'a\\\\c', true], ['é😀x', '__x', true], ['aaaa', '%a%a%a%a%a', false],
      ['mississippi', 'm%iss%pi', true], ['mississippi', 'm%iss%ppx', false],
    ];
    for (const [v, p, want] of cases) assert.equal(likeMatch(v, p), want, `${v} LIKE ${p}`);
    const t0 = performance.now();
    assert.equal(likeMatch('a'.repeat(20_000), `${'%a'.repeat(30)}%b`), false);
    assert.ok(performance.now() - t0 < 1000, 'no catastrophic backtracking');
  });

  test('CASEI and ACCENTI', () => {
    const it = item({ name: 'Pléiades-1A', city: 'Straße' });
    assert.equal(ev("name LIKE 'pl%'", it), false);
    assert.equal(ev("CASEI(name) LIKE CASEI('PL%')", it), true);
    assert.equal(ev("ACCENTI(name) = ACCENTI('Pleiades-1A')", it), true);
    assert.equal(ev("ACCENTI(CASEI(name)) = ACCENTI(CASEI('PLÉIADES-1a'))", it), true);
    assert.equal(ev("CASEI(city) = CASEI('STRASSE')", it), false, 'case folding is lower(), not full folding');
    assert.equal(foldAccents('Ærøskøbing Łódź Ångström çà'), 'Ærøskøbing Łódź Ångström çà'.replace('ø', 'o').replace('ø', 'o').replace('Ł', 'L').replace('ó', 'o').replace('ź', 'z').replace('Å', 'A').replace('ö', 'o').replace('ç', 'c').replace('à', 'a'));
  });
});

describe('cql2 evaluate: temporal', () => {
  const instant = item({ datetime: '2021-05-05T10:00:00Z' });
  const span = item({ datetime: null, start_datetime: '2021-05-01T00:00:00Z', end_datetime: '2021-05-31T00:00:00Z' });

  test('instant against intervals and dates', () => {
    assert.equal(ev("T_INTERSECTS(datetime, DATE('2021-05-05'))", instant), true, 'a DATE is the whole day');
    assert.equal(ev("T_DURING(datetime, DATE('2021-05-05'))", instant), true);
    assert.equal(ev("T_EQUALS(datetime, TIMESTAMP('2021-05-05T10:00:00Z'))", instant), true);
    assert.equal(ev("T_AFTER(datetime, INTERVAL('..', '2021-05-04'))", instant), true);
    assert.equal(ev("T_AFTER(datetime, INTERVAL('..', '2021-05-05'))", instant), false, 'interval ends at 23:59:59.999');
    assert.equal(ev("T_BEFORE(datetime, INTERVAL('2021-05-06', '..'))", instant), true);
    assert.equal(ev("T_DURING(datetime, INTERVAL('2021-01-01T00:00:00Z', '..'))", instant), true);
    assert.equal(ev("T_DISJOINT(datetime, INTERVAL('2022-01-01', '..'))", instant), true);
    assert.equal(ev("T_INTERSECTS(datetime, INTERVAL('..', '..'))", instant), true);
  });

  test('STAC start/end_datetime when datetime is null; all fifteen relations', () => {
    const rel = (op: string, iv: string): boolean | null => ev(`${op}(datetime, INTERVAL(${iv}))`, span);
    const s = "'2021-05-01T00:00:00Z'";
    const e = "'2021-05-31T00:00:00Z'";
    const before = "'2021-04-01T00:00:00Z'";
    const mid = "'2021-05-15T00:00:00Z'";
    const after = "'2021-06-30T00:00:00Z'";
    const truth: [string, string, boolean][] = [
      ['T_EQUALS', `${s}, ${e}`, true],
      ['T_INTERSECTS', `${mid}, ${after}`, true],
      ['T_DURING', `${before}, ${after}`, true],
      ['T_DURING', `${s}, ${after}`, false],
      ['T_CONTAINS', `${mid}, ${mid}`, true],
      ['T_STARTS', `${s}, ${after}`, true],
      ['T_STARTEDBY', `${s}, ${mid}`, true],
      ['T_FINISHES', `${before}, ${e}`, true],
      ['T_FINISHEDBY', `${mid}, ${e}`, true],
      ['T_MEETS', `${e}, ${after}`, true],
      ['T_METBY', `${before}, ${s}`, true],
      ['T_OVERLAPS', `${mid}, ${after}`, true],
      ['T_OVERLAPPEDBY', `${before}, ${mid}`, true],
      ['T_OVERLAPS', `${before}, ${mid}`, false],
      ['T_BEFORE', `${after}, '..'`, true],
      ['T_AFTER', `'..', ${before}`, true],
      ['T_DISJOINT', `${after}, '..'`, true],
      ['T_DISJOINT', `${mid}, '..'`, false],
    ];
    for (const [op, iv, want] of truth) assert.equal(rel(op, iv), want, `${op}(span, INTERVAL(${iv}))`);
    assert.equal(ev("T_INTERSECTS(datetime, DATE('2021-05-10'))", item({ datetime: null })), null, 'no time: unknown');
    assert.equal(ev("T_DURING(INTERVAL(start_datetime, end_datetime), INTERVAL('2021-04-30', '2021-06-01'))", span), true);
  });
});

describe('cql2 evaluate: arrays and geometry', () => {
  const it = item({ instruments: ['oli', 'tirs'], orbits: [1, 2, 3], nested: [[1], [2]] }, { type: 'Polygon', coordinates: [[[0, 0], [4, 0], [0, 4], [0, 0]]] });

  test('arrays are sets', () => {
    assert.equal(ev("A_EQUALS(instruments, ('tirs', 'oli', 'oli'))", it), true);
    assert.equal(ev("A_CONTAINS(instruments, ('oli'))", it), true);
    assert.equal(ev("A_CONTAINS(instruments, ('oli', 'msi'))", it), false);
    assert.equal(ev("A_CONTAINEDBY(instruments, ('oli', 'tirs', 'msi'))", it), true);
    assert.equal(ev("A_OVERLAPS(instruments, ('msi', 'tirs'))", it), true);
    assert.equal(ev("A_OVERLAPS(instruments, ())", it), false);
    assert.equal(ev('A_CONTAINS(orbits, (3, 1))', it), true);
    assert.equal(ev('A_CONTAINS(nested, ((2)))', it), true);
    assert.equal(ev("A_CONTAINS(missing, ('x'))", it), null);
  });

  test('spatial predicates on the item geometry (a triangle)', () => {
    assert.equal(ev('S_INTERSECTS(geometry, POINT(1 1))', it), true);
    assert.equal(ev('S_INTERSECTS(geometry, POINT(3 3))', it), false, 'inside the bbox, outside the triangle');
    assert.equal(ev('S_INTERSECTS(geometry, BBOX(2.5, 2.5, 5, 5))', it), false);
    assert.equal(ev('S_INTERSECTS(geometry, BBOX(1.5, 1.5, 5, 5))', it), true);
    assert.equal(ev('S_WITHIN(geometry, BBOX(0, 0, 4, 4))', it), true);
    assert.equal(ev('S_CONTAINS(geometry, LINESTRING(0.5 0.5, 1 2))', it), true);
    assert.equal(ev('S_DISJOINT(geometry, POINT(3 3))', it), true);
    assert.equal(ev('S_EQUALS(geometry, POLYGON((4 0, 0 4, 0 0, 4 0)))', it), true);
    assert.equal(ev('S_INTERSECTS(geometry, POINT(1 1))', item({})), null, 'no geometry: unknown');
    assert.equal(ev('S_INTERSECTS(geometry, POINT(1 1))', item({}, { type: 'Polygon', coordinates: [[[0, 0], [1, 1]]] })), null, 'invalid geometry: unknown');
  });
});
