/** Input validation from the service description: every rule, good and bad values, messages naming the input. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GepError } from '../../src/core/errors.ts';
import { BBOX_SCHEMA, GEOMETRY_SCHEMA, type InputDescription, type JSONSchema, type ServiceDescription } from '../../src/services/types.ts';
import { describeSchema, validateInputs } from '../../src/services/validate.ts';

function svc(inputs: Record<string, InputDescription>): ServiceDescription {
  return { id: 'demo', version: '1', title: 'Demo', description: 'd', keywords: [], inputs, outputs: {} };
}
const one = (schema: JSONSchema, extra: Partial<InputDescription> = {}): ServiceDescription =>
  svc({ x: { title: 'X', description: 'x', schema, minOccurs: 0, ...extra } });

function fails(desc: ServiceDescription, inputs: Record<string, unknown>, re: RegExp, input = 'x'): GepError {
  try {
    validateInputs(desc, inputs);
  } catch (e) {
    assert.ok(e instanceof GepError, String(e));
    assert.equal(e.code, 'GEP_ERR_INVALID_INPUT');
    assert.match(e.message, re);
    assert.equal(e.details?.input, input);
    return e;
  }
  assert.fail(`expected ${JSON.stringify(inputs)} to be refused`);
}

// [schema, good values, [bad value, expected message]]
const TABLE: [string, JSONSchema, unknown[], [unknown, RegExp][]][] = [
  ['integer range', { type: 'integer', minimum: 1, maximum: 7 }, [1, 7, 4, 3.0],
    [[9, /^input 'x': expected an integer from 1 to 7, got 9$/], [0, /from 1 to 7, got 0/], [2.5, /got 2\.5/], ['3', /expected an integer from 1 to 7, got '3'/], [true, /got true/]]],
  ['number exclusive', { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 }, [0.5, 1e-9],
    [[0, /expected a number greater than 0 and less than 1, got 0/], [1, /got 1$/], [Number.NaN, /got NaN/]]],
  ['number lower bound only', { type: 'number', minimum: -5 }, [-5, 1e9], [[-6, /expected a number at least -5, got -6/]]],
  ['multipleOf', { type: 'number', multipleOf: 0.5 }, [1.5, 2], [[1.2, /expected a multiple of 0.5, got 1.2/]]],
  ['boolean', { type: 'boolean' }, [true, false], [['true', /expected true or false, got 'true'/], [1, /got 1/]]],
  ['string length/pattern', { type: 'string', minLength: 2, maxLength: 4, pattern: '^[a-z]+$' }, ['ab', 'abcd'],
    [['a', /expected a string of 2 to 4 characters matching \/\^\[a-z\]\+\$\/, got 'a'/], ['ABC', /got 'ABC'/], [5, /got 5/]]],
  ['enum (typed)', { type: 'string', enum: ['nearest', 'bilinear'] }, ['nearest'], [['cubic', /expected one of 'nearest', 'bilinear', got 'cubic'/]]],
  ['enum (type inferred)', { enum: ['a', 'b'] }, ['b'], [[1, /expected one of 'a', 'b', got 1/]]],
  ['const', { const: 'x' }, ['x'], [['y', /expected 'x', got 'y'/]]],
  ['date-time', { type: 'string', format: 'date-time' }, ['2024-02-29T10:00:00Z', '2020-01-01T00:00:00.123+02:00', '2020-06-30t23:59:60z'],
    [['2023-02-29T10:00:00Z', /expected a date-time \(RFC 3339/], ['2020-01-01', /got '2020-01-01'/], ['2020-01-01T25:00:00Z', /date-time/], ['yesterday', /date-time/]]],
  ['date-time (type inferred)', { format: 'date-time' }, ['2024-01-01T00:00:00Z'], [[20240101, /expected a date-time/]]],
  ['date', { type: 'string', format: 'date' }, ['2024-12-31'], [['2024-13-01', /expected a date \(YYYY-MM-DD\)/]]],
  ['uri', { type: 'string', format: 'uri' }, ['https://example.org/a.tif', 'file:///data/x.tif', 's3://bucket/key', 'urn:ogc:def:crs:EPSG::4326'],
    [['not a uri', /expected a URI/], ['/data/x.tif', /expected a URI/]]],
  ['array', { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 3 }, [[1, 2], [1, 2, 3]],
    [[[1], /expected an array of 2 to 3 numbers, got an array of 1 item$/], [[1, 2, 3, 4], /got an array of 4 items/], [[1, 'a'], /^input 'x': \[1\]: expected a number, got 'a'/], [5, /expected an array of 2 to 3 numbers, got 5/]]],
  ['unique array', { type: 'array', items: { type: 'integer' }, uniqueItems: true }, [[1, 2]], [[[1, 1], /distinct items/]]],
  ['bbox', BBOX_SCHEMA, [{ bbox: [0, 1, 2, 3] }, { bbox: [0, 1, -5, 2, 3, 10], crs: 'urn:ogc:def:crs:EPSG:6.6:4326' }],
    [[{ bbox: [0, 1, 2] }, /^input 'x': bbox: expected an array of 4 or 6 numbers, got an array of 3 items/], [{}, /property 'bbox' is missing/], [[0, 1, 2, 3], /expected a bounding box/], [{ bbox: [0, 1, 2, 3], crs: 'EPSG 4326' }, /crs: expected a URI/]]],
  ['object with additionalProperties false', { type: 'object', properties: { a: { type: 'integer' } }, additionalProperties: false }, [{ a: 1 }, {}],
    [[{ a: 1, b: 2 }, /^input 'x': b: unexpected property 'b' \(expected one of: a\)/], [{ a: 'z' }, /a: expected an integer/]]],
  ['geometry', GEOMETRY_SCHEMA, [{ type: 'Point', coordinates: [1, 2] }, { type: 'GeometryCollection', geometries: [] }],
    [[{ type: 'Circle', coordinates: [1] }, /expected a GeoJSON geometry/], [{ type: 'Polygon' }, /GeoJSON geometry/]]],
  ['oneOf', { oneOf: [{ type: 'integer' }, { type: 'string', enum: ['auto'] }] }, [3, 'auto'], [['manual', /expected an integer or one of 'auto', got 'manual'/]]],
  ['several types', { type: ['number', 'null'] }, [1.5, null], [['1', /expected a number or null, got '1'/]]],
];

describe('validateInputs: rule table', () => {
  for (const [name, schema, good, bad] of TABLE) {
    test(name, () => {
      const d = one(schema);
      for (const v of good) assert.deepEqual(validateInputs(d, { x: v }).x !== undefined, true, `${JSON.stringify(v)} should pass`);
      for (const [v, re] of bad) fails(d, { x: v }, re);
    });
  }
});

describe('validateInputs: defaults, required, occurrences, unknown inputs', () => {
  const desc = svc({
    windowSize: { title: 'Window', description: 'w', schema: { type: 'integer', minimum: 1, maximum: 7, default: 5 } },
    image: { title: 'Image', description: 'i', schema: { type: 'string' }, kind: 'raster' },
    images: { title: 'Images', description: 'i', schema: { type: 'string' }, minOccurs: 2, maxOccurs: 'unbounded', kind: 'raster' },
    optional: { title: 'Opt', description: 'o', schema: { type: 'number' }, minOccurs: 0 },
    area: { title: 'Area', description: 'a', schema: BBOX_SCHEMA, minOccurs: 0 },
    list: { title: 'List', description: 'l', schema: { type: 'array', items: { type: 'integer' }, default: [1, 2] } },
  });

  test('the brief example message, exactly', () => {
    const e = fails(desc, { windowSize: 9, image: 'a.tif', images: ['a', 'b'] }, /^input 'windowSize': expected an integer from 1 to 7, got 9$/, 'windowSize');
    assert.deepEqual(e.details?.problems, [{ input: 'windowSize', path: '', message: "input 'windowSize': expected an integer from 1 to 7, got 9" }]);
  });

  test('defaults applied (deep copies), absent optional inputs left out, nested defaults filled', () => {
    const v = validateInputs(desc, { image: 'a.tif', images: ['a.tif', 'b.tif'], area: { bbox: [0, 0, 1, 1] } });
    assert.equal(v.windowSize, 5);
    assert.deepEqual(v.list, [1, 2]);
    assert.notEqual(v.list, desc.inputs.list!.schema.default);
    assert.equal('optional' in v, false);
    assert.deepEqual(v.area, { bbox: [0, 0, 1, 1], crs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84' });
  });

  test('required input missing', () => {
    fails(desc, { images: ['a', 'b'] }, /^input 'image' is required: expected a string$/, 'image');
  });

  test('maxOccurs > 1: a list of values, each checked; a lone value is a list of one; counts checked', () => {
    assert.deepEqual(validateInputs(desc, { image: 'a', images: ['a', 'b', 'c'] }).images, ['a', 'b', 'c']);
    fails(desc, { image: 'a', images: 'a.tif' }, /^input 'images': expected at least 2 values, got 1$/, 'images');
    fails(desc, { image: 'a', images: ['a', 3] }, /^input 'images': \[1\]: expected a string, got 3$/, 'images');
    const d2 = svc({ tags: { title: 'T', description: 't', schema: { type: 'string' }, minOccurs: 0, maxOccurs: 2 } });
    assert.deepEqual(validateInputs(d2, { tags: 'teststring' }).tags, ['teststring']);
    fails(d2, { tags: ['a', 'b', 'c'] }, /expected 0 to 2 values, got 3/, 'tags');
  });

  test('unknown input refused, naming it and the known ones', () => {
    fails(desc, { image: 'a', images: ['a', 'b'], windowsize: 3 }, /^input 'windowsize' is not an input of process 'demo' \(known: windowSize, image, images, optional, area, list\)$/, 'windowsize');
  });

  test('all problems collected: first in the message, every one in details', () => {
    const e = fails(desc, { windowSize: 0, optional: 'x', bogus: 1 }, /^input 'bogus' is not an input .*\(and 4 more problems\)$/, 'bogus');
    const problems = e.details?.problems as { input: string; message: string }[];
    assert.deepEqual(problems.map((p) => p.input), ['bogus', 'windowSize', 'image', 'images', 'optional']);
    assert.match(problems[3]!.message, /^input 'images' is required: expected at least 2 values, each a string$/);
  });

  test('inputs must be an object', () => {
    assert.throws(() => validateInputs(desc, [] as unknown as Record<string, unknown>), /must be an object/);
  });
});

describe('describeSchema', () => {
  test('phrases', () => {
    assert.equal(describeSchema({ type: 'integer', minimum: 1, maximum: 7 }), 'an integer from 1 to 7');
    assert.equal(describeSchema({ type: 'number', minimum: 0, exclusiveMaximum: 1 }), 'a number at least 0 and less than 1');
    assert.equal(describeSchema({ type: 'array', items: { type: 'string', format: 'uri' }, minItems: 1 }), 'an array of at least 1 URIs');
    assert.equal(describeSchema(BBOX_SCHEMA.properties!.bbox!), 'an array of 4 or 6 numbers');
  });
});
