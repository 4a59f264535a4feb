/**
 * cql2ToSql: parameters only (no filter value in the SQL text, injection attempts end up as values), operator
 * precedence, type errors, and — run in PGlite on seeded random items — the rows the SQL selects, refined by
 * evaluateCql2 when bbox-approximated, equal the items evaluateCql2 selects, and the SQL rows are a superset.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PGlite } from '@electric-sql/pglite';
import { isGepError } from '../../src/core/errors.ts';
import {
  type Cql2Expr, type Cql2Item, type SqlColumn, type SqlColumns, bboxOf, cql2ToSql, evaluateCql2, parseCql2Json, parseCql2Text,
} from '../../src/catalog/cql2/index.ts';
import { rng } from '../helpers/random.ts';

const COLUMNS: Record<string, SqlColumn> = {
  id: { sql: 'id', type: 'text' },
  collection: { sql: 'collection', type: 'text' },
  geometry: { sql: 'geom_box', type: 'geometry' },
  datetime: { sql: 'dt', type: 'timestamp', interval: { start: 'coalesce(dt, start_dt)', end: 'coalesce(dt, end_dt)' } },
  start_datetime: { sql: 'start_dt', type: 'timestamp' },
  end_datetime: { sql: 'end_dt', type: 'timestamp' },
  'eo:cloud_cover': { sql: 'cloud', type: 'number' },
  platform: { sql: 'platform', type: 'text' },
  instruments: { sql: 'instruments', type: 'array' },
  orbits: { sql: 'orbits', type: 'array', element: 'number' },
  flag: { sql: 'flag', type: 'boolean' },
};
const cols: SqlColumns = { resolve: (p) => COLUMNS[p] ?? null, names: () => Object.keys(COLUMNS) };

function makeItems(n: number): Cql2Item[] {
  const r = rng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const items: Cql2Item[] = [];
  for (let i = 0; i < n; i++) {
    const x = Math.round(r() * 200 - 100) / 10;
    const y = Math.round(r() * 200 - 100) / 10;
    const w = Math.round(r() * 40) / 10 + 0.1;
    const kind = r();
    const geometry =
      kind < 0.15
        ? null
        : kind < 0.35
          ? { type: 'Point', coordinates: [x, y] }
          : kind < 0.5
            ? { type: 'Polygon', coordinates: [[[x, y], [x + w, y], [x, y + w], [x, y]]] } // triangle: bbox ≠ shape
            : { type: 'Polygon', coordinates: [[[x, y], [x + w, y], [x + w, y + w], [x, y + w], [x, y]]] };
    const t = r() < 0.05 ? Date.UTC(2021, 4, 5) : Date.UTC(2020, 0, 1) + Math.floor(r() * 3 * 365) * 86_400_000 + Math.floor(r() * 86_400) * 1000;
    const interval = r() < 0.2;
    const props: Record<string, unknown> = {
      datetime: interval ? null : new Date(t).toISOString(),
      platform: pick(['sentinel-2a', 'Sentinel-2B', 'landsat-8', 'Pléiades 1A', 'PLEIADES 1B', "o'neil", 'sentinel_2c']),
      instruments: pick([['msi'], ['oli', 'tirs'], ['msi', 'oli'], [], ['hirs']]),
      orbits: pick([[1, 2], [3], [2, 5, 7]]),
      flag: pick([true, false, null]),
    };
    if (interval) {
      props.start_datetime = new Date(t).toISOString();
      props.end_datetime = new Date(t + Math.floor(r() * 60) * 86_400_000).toISOString();
    }
    if (r() < 0.85) props['eo:cloud_cover'] = Math.round(r() * 1000) / 10;
    items.push({ id: `item-${i}`, collection: pick(['s2', 'l8', 'phr']), geometry, properties: props });
  }
  items[0]!.geometry = { type: 'Point', coordinates: [1.5, 2] };
  return items;
}

const FILTERS = [
  "eo:cloud_cover < 10 AND collection = 's2'",
  'eo:cloud_cover < 10 OR eo:cloud_cover > 90 AND flag = TRUE',
  '(eo:cloud_cover < 10 OR eo:cloud_cover > 90) AND flag = TRUE',
  'NOT eo:cloud_cover >= 50',
  'eo:cloud_cover IS NULL OR NOT flag = FALSE',
  'flag IS NOT NULL AND eo:cloud_cover BETWEEN 20 AND 30.5',
  'eo:cloud_cover NOT BETWEEN 20 AND 80',
  "collection IN ('s2', 'l8') AND platform NOT IN ('landsat-8')",
  "platform LIKE 'sentinel%'",
  "CASEI(platform) LIKE CASEI('SENTINEL-2_')",
  "ACCENTI(CASEI(platform)) LIKE ACCENTI(CASEI('pléiades%'))",
  "platform NOT LIKE '%\\_%'",
  "platform = 'o''neil'",
  "platform > 'landsat' AND platform <= 'sentinel-2a'",
  "id BETWEEN 'item-1' AND 'item-3'",
  "datetime > TIMESTAMP('2021-06-01T00:00:00Z')",
  "datetime <= '2020-12-31T23:59:59Z' AND datetime >= '2020-06-01'",
  "T_INTERSECTS(datetime, INTERVAL('2021-01-01', '2021-03-31'))",
  "T_DURING(datetime, INTERVAL('2021-01-01T00:00:00Z', '..'))",
  "T_BEFORE(datetime, DATE('2020-07-01')) OR T_AFTER(datetime, TIMESTAMP('2022-06-01T00:00:00Z'))",
  "T_CONTAINS(datetime, TIMESTAMP('2021-05-05T12:00:00Z'))",
  "T_DISJOINT(datetime, INTERVAL('..', '2022-01-01'))",
  "T_OVERLAPS(INTERVAL(start_datetime, end_datetime), INTERVAL('2021-01-01', '2021-12-31'))",
  "T_EQUALS(datetime, DATE('2021-05-05')) OR T_STARTS(datetime, INTERVAL('2021-05-05', '2022-01-01'))",
  "NOT T_INTERSECTS(datetime, INTERVAL('2021-01-01', '2021-12-31'))",
  "A_CONTAINS(instruments, ('msi'))",
  "A_OVERLAPS(instruments, ('oli', 'hirs')) AND NOT A_EQUALS(instruments, ('tirs', 'oli'))",
  "A_CONTAINEDBY(instruments, ('msi', 'oli'))",
  'A_CONTAINS(orbits, (2, 7)) OR A_EQUALS(orbits, (3))',
  'S_INTERSECTS(geometry, BBOX(-5, -5, 5, 5))',
  'S_INTERSECTS(geometry, POLYGON((0 0, 8 0, 0 8, 0 0)))',
  'NOT S_INTERSECTS(geometry, POLYGON((0 0, 8 0, 0 8, 0 0)))',
  'S_DISJOINT(geometry, POLYGON((-3 -3, 3 -3, -3 3, -3 -3)))',
  'NOT S_DISJOINT(geometry, POLYGON((-3 -3, 3 -3, -3 3, -3 -3)))',
  'S_WITHIN(geometry, POLYGON((-10 -10, 10 -10, -10 10, -10 -10)))',
  'S_CONTAINS(geometry, POINT(1 1)) OR eo:cloud_cover < 5',
  'S_WITHIN(geometry, BBOX(-10, -10, 10, 10)) AND NOT S_INTERSECTS(geometry, LINESTRING(-10 0, 10 0))',
  'S_EQUALS(geometry, POINT(1.5 2))',
  'geometry IS NULL',
  "NOT (NOT (collection = 'l8' AND NOT (eo:cloud_cover > 50 OR flag = TRUE)))",
  'TRUE AND NOT FALSE',
];

function assertParameterised(sql: string): void {
  const stripped = sql.replace(/\$\d+::[a-z ]+(\[\])?/g, '$').replace(/'-?infinity'::timestamptz/g, '').replace(/COLLATE "C"/g, '');
  assert.doesNotMatch(stripped, /'/, `no quoted literal in ${sql}`);
  assert.doesNotMatch(stripped.replace(/[a-z_]+\d*/gi, ''), /\d/, `no number in ${sql}`);
}

describe('cql2ToSql: structure', () => {
  test('values are parameters; an injection attempt is just a value', () => {
    const r = cql2ToSql(parseCql2Text("id = 'x'' OR 1=1 --'"), cols);
    assert.equal(r.sql, '(id = $1::text)');
    assert.deepEqual(r.params, ["x' OR 1=1 --"]);
    const j = cql2ToSql(parseCql2Json({ op: 'like', args: [{ property: 'platform' }, "'; DROP TABLE items; --"] }), cols, 7);
    assert.equal(j.sql, '(platform LIKE $7::text)');
    assert.deepEqual(j.params, ["'; DROP TABLE items; --"]);
    for (const f of FILTERS) assertParameterised(cql2ToSql(parseCql2Text(f), cols).sql);
  });

  test('precedence: AND binds tighter than OR; NOT applies to its factor', () => {
    const r = cql2ToSql(parseCql2Text("collection = 'a' OR NOT flag = TRUE AND eo:cloud_cover < 3"), cols);
    assert.equal(r.sql, '((collection = $1::text) OR ((NOT (flag = $2::boolean)) AND (cloud < $3::double precision)))');
    assert.deepEqual(r.params, ['a', true, 3]);
  });

  test('bbox approximation with polarity, and PostGIS mode', () => {
    const f = parseCql2Text('S_INTERSECTS(geometry, POLYGON((0 0, 8 0, 0 8, 0 0))) AND NOT S_WITHIN(geometry, BBOX(1, 2, 3, 4))');
    const r = cql2ToSql(f, cols);
    assert.equal(r.sql, '((geom_box && $1::box) AND (NOT FALSE))');
    assert.deepEqual(r.params, ['(0,0),(8,8)']);
    assert.equal(r.exact, false);
    assert.deepEqual(r.exactGeometry.map((s) => s.op), ['s_intersects', 's_within']);
    const pg = cql2ToSql(f, { resolve: (p) => (p === 'geometry' ? { sql: 'geom', type: 'geometry' } : null) }, 1, { postgis: true });
    assert.equal(pg.sql, '(ST_Intersects(geom, ST_GeomFromGeoJSON($1::text)) AND (NOT ST_Within(geom, ST_MakeEnvelope($2::double precision, $3::double precision, $4::double precision, $5::double precision, 4326))))');
    assert.equal(pg.exact, true);
  });

  test('temporal SQL uses the interval columns and open ends', () => {
    const r = cql2ToSql(parseCql2Text("T_DURING(datetime, INTERVAL('2020-01-01', '..'))"), cols);
    assert.equal(r.sql, "(coalesce(dt, start_dt) > $1::timestamptz AND coalesce(dt, end_dt) < 'infinity'::timestamptz)");
    assert.deepEqual(r.params, ['2020-01-01T00:00:00Z']);
  });

  test('unknown properties and type mismatches are clear 400s', () => {
    const bad: [string, RegExp][] = [
      ['foo = 1', /^filter: unknown property 'foo' \(queryables: id, collection, geometry, datetime/],
      ['datetime > 5', /cannot compare property 'datetime' \(timestamp\) with a number in '>'/],
      ["eo:cloud_cover = 'high'", /cannot compare property 'eo:cloud_cover' \(number\) with a character literal in '='/],
      ["datetime = 'yesterday'", /cannot compare property 'datetime' \(timestamp\) with a character literal/],
      ['eo:cloud_cover LIKE \'1%\'', /cannot compare .* in LIKE/],
      ['S_INTERSECTS(platform, POINT(0 0))', /property 'platform' is text, not a geometry/],
      ["T_AFTER(platform, DATE('2020-01-01'))", /property 'platform' is text, not a timestamp/],
      ['A_CONTAINS(instruments, (1, 2))', /array element a number does not match an array of text/],
      ['geometry = 5', /property 'geometry' is a geometry and cannot be compared/],
      ['CASEI(eo:cloud_cover) = CASEI(\'a\')', /CASEI needs text/],
    ];
    for (const [f, re] of bad) {
      assert.throws(() => cql2ToSql(parseCql2Text(f), cols), (e: unknown) => isGepError(e) && e.code === 'GEP_ERR_INVALID_INPUT' && re.test(e.message), f);
    }
  });
});

describe('cql2ToSql in PGlite equals evaluateCql2', () => {
  const items = makeItems(400);
  let db: PGlite;

  before(async () => {
    db = new PGlite();
    await db.exec(`CREATE TABLE items (id text PRIMARY KEY, collection text, geom_box box, dt timestamptz, start_dt timestamptz,
      end_dt timestamptz, cloud double precision, platform text, instruments text[], orbits double precision[], flag boolean)`);
    for (const it of items) {
      const p = it.properties;
      const b = it.geometry ? bboxOf(it.geometry as Parameters<typeof bboxOf>[0]) : null;
      await db.query('INSERT INTO items VALUES ($1, $2, $3::box, $4, $5, $6, $7, $8, $9, $10, $11)', [
        it.id, it.collection, b ? `(${b[0]},${b[1]}),(${b[2]},${b[3]})` : null, p.datetime ?? null, p.start_datetime ?? null,
        p.end_datetime ?? null, p['eo:cloud_cover'] ?? null, p.platform, p.instruments, p.orbits, p.flag,
      ]);
    }
  });
  after(async () => {
    await db.close();
  });

  const run = async (e: Cql2Expr): Promise<{ sqlIds: string[]; refined: string[]; exact: boolean }> => {
    const r = cql2ToSql(e, cols, 1);
    const res = await db.query<{ id: string }>(`SELECT id FROM items WHERE ${r.sql} ORDER BY id`, r.params);
    const sqlIds = res.rows.map((x) => x.id);
    const byId = new Map(items.map((it) => [it.id, it]));
    const refined = r.exact ? sqlIds : sqlIds.filter((id) => evaluateCql2(e, byId.get(id)!));
    return { sqlIds, refined, exact: r.exact };
  };

  test('every filter selects the same items in SQL (+ refinement) and in memory', async () => {
    let nonTrivial = 0;
    for (const f of FILTERS) {
      const e = parseCql2Text(f);
      const want = items.filter((it) => evaluateCql2(e, it)).map((it) => it.id).sort();
      const { sqlIds, refined, exact } = await run(e);
      assert.deepEqual(refined, want, f);
      for (const id of want) assert.ok(sqlIds.includes(id), `${f}: SQL candidates include ${id}`);
      if (exact) assert.deepEqual(sqlIds, want, `${f}: exact SQL`);
      if (want.length > 0 && want.length < items.length) nonTrivial++;
    }
    assert.ok(nonTrivial >= FILTERS.length - 2, `filters discriminate (${nonTrivial} of ${FILTERS.length})`);
  });

  test('the injection attempt runs harmlessly', async () => {
    const { sqlIds } = await run(parseCql2Text("id = 'x'' OR 1=1 --'"));
    assert.deepEqual(sqlIds, []);
    const n = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM items');
    assert.equal(n.rows[0]!.n, items.length);
  });
});
