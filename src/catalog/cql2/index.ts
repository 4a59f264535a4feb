/**
 * OGC CQL2 for the STAC API Filter extension: parse the text and JSON encodings into one typed AST, print it
 * back canonically, translate it to parameterised PostgreSQL, and evaluate it on items in memory.
 *
 * Typical use by a search handler:
 *   const ast = lang === 'cql2-json' ? parseCql2Json(body.filter) : parseCql2Text(query.filter);
 *   const { sql, params, exact } = cql2ToSql(ast, queryables, nextParam);
 *   rows = await db.query(`... WHERE ${sql}`, params);
 *   if (!exact) rows = rows.filter((item) => evaluateCql2(ast, item));   // bbox prefilter → exact geometry
 */
export * from './ast.ts';
export { parseCql2Text } from './parse-text.ts';
export { parseCql2Json } from './parse-json.ts';
export { cql2ToText, cql2ToJson } from './to-text.ts';
export { cql2ToSql, type Cql2Sql, type SqlColumn, type SqlColumns, type SqlOptions, type SqlType } from './to-sql.ts';
export { evaluateCql2, evaluateCql2Tri, itemValue, type Cql2Item } from './evaluate.ts';
export { bboxOf, contains, disjoint, equals, intersects, within } from './geometry.ts';
