/**
 * OGC process description and summary of every registered service, checked against the processes-core YAML
 * schemas in ../shared/schemas (read with a small reader for their block-style YAML; no YAML dependency) and
 * against the requirements of /req/ogc-process-description (links, keys, schema per input and output).
 *
 * Note: schema.yaml in that draft describes a feature schema (`type: object` with `properties`) although
 * OGC 18-062r2 says `schema` is the JSON Schema of ONE value (a literal input is `{type: integer}`); each
 * input/output schema is checked against the per-property definition inside schema.yaml instead.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { skipUnlessShared, SHARED_DATA } from '../helpers/env.ts';
import { PROFILE_OGC_PROCESS_DESCRIPTION, REL_EXECUTE, processDescription, processSummary } from '../../src/services/describe.ts';
import { listDescriptions } from '../../src/services/registry.ts';
import type { JSONSchema } from '../../src/services/types.ts';
import { checkValue } from '../../src/services/validate.ts';

const SCHEMAS = join(SHARED_DATA, '..', 'schemas', 'ogcapi-processes', 'openapi', 'schemas', 'processes-core');
const opts = skipUnlessShared(join('..', 'schemas', 'ogcapi-processes', 'openapi', 'schemas', 'processes-core', 'process.yaml'));

/** A scalar of block-style YAML: quoted strings, flow sequences of scalars, {} [], booleans, numbers. */
function scalar(t: string): unknown {
  t = t.trim();
  if (t.startsWith('"')) return JSON.parse(t) as unknown;
  if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
  if (t === '{}') return {};
  if (t.startsWith('[')) return t.slice(1, -1).trim() === '' ? [] : t.slice(1, -1).split(',').map(scalar);
  if (t === 'true' || t === 'false') return t === 'true';
  if (t === 'null' || t === '~') return null;
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return t;
}

/** Reads the YAML of the OGC schema files: block maps and sequences, `- key: v` items, | and > block scalars. */
function parseYaml(text: string): unknown {
  const lines = text.split('\n').map((raw) => ({ ind: raw.length - raw.trimStart().length, t: raw.trim(), raw }));
  let i = 0;
  const skip = (): void => {
    while (i < lines.length && (lines[i]!.t === '' || lines[i]!.t.startsWith('#'))) i++;
  };
  function block(ind: number): unknown {
    skip();
    if (i >= lines.length) return null;
    return lines[i]!.t.startsWith('- ') || lines[i]!.t === '-' ? seq(ind) : map(ind);
  }
  function value(rest: string, ind: number): unknown {
    if (/^[|>][-+]?$/.test(rest)) {
      const out: string[] = [];
      let bi = -1;
      while (i < lines.length && (lines[i]!.t === '' || lines[i]!.ind > ind)) {
        if (bi < 0 && lines[i]!.t) bi = lines[i]!.ind;
        out.push(lines[i]!.raw.slice(Math.max(0, bi)));
        i++;
      }
      return out.join(rest.startsWith('>') ? ' ' : '\n').trim();
    }
    if (rest !== '') return scalar(rest);
    skip();
    if (i >= lines.length) return null;
    const next = lines[i]!;
    if (next.ind > ind || (next.ind === ind && next.t.startsWith('- '))) return block(next.ind);
    return null;
  }
  function map(ind: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (skip(); i < lines.length && lines[i]!.ind === ind && !lines[i]!.t.startsWith('- '); skip()) {
      const m = /^("[^"]*"|'[^']*'|[^:]+):(?:\s+(.*))?$/.exec(lines[i]!.t);
      if (!m) throw new Error(`yaml: cannot read line '${lines[i]!.t}'`);
      i++;
      out[String(scalar(m[1]!))] = value((m[2] ?? '').replace(/\s+#.*$/, ''), ind);
    }
    return out;
  }
  function seq(ind: number): unknown[] {
    const out: unknown[] = [];
    for (skip(); i < lines.length && lines[i]!.ind === ind && lines[i]!.t.startsWith('- '); skip()) {
      const item = lines[i]!.t.slice(2);
      if (/^("[^"]*"|'[^']*'|[^:"'[{]+):(\s|$)/.test(item)) {
        lines[i] = { ind: ind + 2, t: item, raw: ' '.repeat(ind + 2) + item };
        out.push(map(ind + 2));
      } else {
        i++;
        out.push(scalar(item));
      }
    }
    return out;
  }
  return block(0);
}

/** Loads a schema file with every `$ref: "x.yaml"` replaced by that file's (resolved) schema. */
function loadSchema(file: string, replace: Record<string, unknown> = {}): JSONSchema {
  const resolveRefs = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolveRefs);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.$ref === 'string' && o.$ref.endsWith('.yaml')) return replace[o.$ref] ?? loadSchema(o.$ref, replace);
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolveRefs(x)]));
    }
    return v;
  };
  return resolveRefs(parseYaml(readFileSync(join(SCHEMAS, file), 'utf8'))) as JSONSchema;
}

function assertValid(schema: JSONSchema, value: unknown, what: string): void {
  const problems: { path: string; message: string }[] = [];
  checkValue(schema, structuredClone(value), '', problems);
  assert.deepEqual(problems, [], `${what} does not validate`);
}

describe('OGC process description', opts, () => {
  const base = 'https://gep.example.org/api/';

  test('the YAML reader reads the schema files it needs', () => {
    const s = loadSchema('schema.yaml') as { required: string[]; properties: { properties: { additionalProperties: { properties: { type: { enum: string[] } } } } } };
    assert.deepEqual(s.required, ['type', 'properties']);
    assert.deepEqual(s.properties.properties.additionalProperties.properties.type.enum, ['array', 'boolean', 'integer', 'null', 'number', 'object', 'string']);
    assert.deepEqual((loadSchema('inputDescription.yaml').allOf![5]!.properties!.valuePassing!.default), ['byValue', 'byReference']);
    assert.deepEqual(loadSchema('linkBaseExtended.yaml').properties!.method!.enum, ['POST', 'GET', 'DELETE', 'PATCH']);
    assert.match(String(loadSchema('apis.yaml').description), /^A non-exhaustive list of OGC and other data access APIs\. {2}This list can\nbe extended/);
  });

  test('each registered process validates against process.yaml and processSummary.yaml', async () => {
    const valueSchema = (loadSchema('schema.yaml') as { properties: { properties: { additionalProperties: JSONSchema } } }).properties.properties.additionalProperties;
    const processSchema = loadSchema('process.yaml', { 'schema.yaml': valueSchema });
    const summarySchema = loadSchema('processSummary.yaml');
    for (const d of await listDescriptions()) {
      const full = processDescription(d, base);
      assertValid(processSchema, full, `process ${d.id}`);
      assertValid(summarySchema, processSummary(d, base), `summary of ${d.id}`);
      // A JSON round trip keeps everything (no undefined, functions or typed arrays in the description).
      assert.deepEqual(JSON.parse(JSON.stringify(full)), full);
    }
  });

  test('required members, links and occurrences (echo)', async () => {
    const d = (await listDescriptions()).find((x) => x.id === 'echo')!;
    const p = processDescription(d, base);
    assert.equal(p.id, 'echo');
    assert.equal(p.version, '1.0.0');
    assert.deepEqual(p.jobControlOptions, ['sync-execute', 'async-execute']);
    assert.deepEqual(p.outputTransmission, ['value', 'reference']);
    const rel = (r: string): string | undefined => p.links.find((l) => l.rel === r)?.href;
    assert.equal(rel('self'), 'https://gep.example.org/api/processes/echo');
    assert.equal(rel(REL_EXECUTE), 'https://gep.example.org/api/processes/echo/execution');
    assert.equal(rel('profile'), PROFILE_OGC_PROCESS_DESCRIPTION);
    // Keys are the identifiers; every input has a schema and explicit occurrences.
    assert.deepEqual(Object.keys(p.inputs), Object.keys(d.inputs));
    assert.equal(Object.keys(p.inputs)[0], 'message', 'the OGC test suite sends "teststring" to the FIRST input and asks for the output of that id');
    for (const [id, inp] of Object.entries(p.inputs)) {
      assert.ok(inp.schema && typeof inp.schema === 'object', id);
      assert.ok(Number.isInteger(inp.minOccurs), id);
      assert.ok(inp.maxOccurs === 'unbounded' || Number.isInteger(inp.maxOccurs), id);
      assert.equal('cli' in inp, false, 'CLI extras stay out of the OGC description');
    }
    assert.equal(p.inputs.message!.minOccurs, 1);
    assert.equal(p.inputs.count!.minOccurs, 0);
    assert.equal(p.inputs.labels!.maxOccurs, 'unbounded');
    assert.deepEqual(p.inputs.count!.schema, { type: 'integer', minimum: 1, maximum: 10, default: 3 });
    assert.deepEqual(p.inputs.tiles!.metadata, [{ role: 'gep:group', value: 'Testing' }]);
    // Only `message` is a top-level string input, so the suite's "teststring" lands nowhere else.
    const stringInputs = Object.entries(p.inputs).filter(([, i]) => i.schema.type === 'string').map(([id]) => id);
    assert.deepEqual(stringInputs, ['message', 'labels']);
    for (const id of Object.keys(p.inputs)) if (id !== 'message') assert.equal(p.inputs[id]!.minOccurs, 0, `${id} must be optional`);
    const s = processSummary(d, 'http://localhost:8080');
    assert.equal('inputs' in s, false);
    assert.equal(s.links.find((l) => l.rel === 'self')?.href, 'http://localhost:8080/processes/echo');
  });
});
