import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formPairs } from '../../../src/algorithms/motion/pairs.ts';
import type { Acquisition, Pair } from '../../../src/algorithms/motion/pairs.ts';
import { isGepError } from '../../../src/core/errors.ts';

/** Five dates 10 days apart, given out of order: index in this array -> date rank. */
const ACQS: Acquisition[] = [
  { id: 'c', datetime: '2020-01-21T10:30:00Z' }, // rank 2
  { id: 'a', datetime: '2020-01-01T10:30:00Z' }, // rank 0
  { id: 'e', datetime: '2020-02-10T10:30:00Z' }, // rank 4
  { id: 'b', datetime: '2020-01-11T10:30:00Z' }, // rank 1
  { id: 'd', datetime: '2020-01-31T10:30:00Z' }, // rank 3
];
/** Pairs as [referenceId, secondaryId, days]. */
const ids = (pairs: Pair[]): [string, string, number][] =>
  pairs.map((p) => [ACQS[p.reference]!.id, ACQS[p.secondary]!.id, p.days]);

function assertGep(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => isGepError(e) && e.code === 'GEP_ERR_INVALID_INPUT' && re.test(e.message));
}

describe('formPairs', () => {
  test('N = 2 (default): each image with its next two, sorted, indices into the input', () => {
    assert.deepEqual(ids(formPairs(ACQS)), [
      ['a', 'b', 10],
      ['a', 'c', 20],
      ['b', 'c', 10],
      ['b', 'd', 20],
      ['c', 'd', 10],
      ['c', 'e', 20],
      ['d', 'e', 10],
    ]);
    assert.deepEqual(formPairs(ACQS)[0], { reference: 1, secondary: 3, days: 10 });
  });

  test('N = 1 and N = Infinity', () => {
    assert.deepEqual(ids(formPairs(ACQS, { temporalRange: 1 })).map((p) => p[0] + p[1]), ['ab', 'bc', 'cd', 'de']);
    assert.equal(formPairs(ACQS, { temporalRange: Infinity }).length, 10);
    assert.equal(formPairs(ACQS, { temporalRange: 4 }).length, 10);
  });

  test('split date keeps only the pairs across it; an image at the split date counts as after', () => {
    const cross = [
      ['b', 'd', 20],
      ['c', 'd', 10],
      ['c', 'e', 20],
    ];
    assert.deepEqual(ids(formPairs(ACQS, { splitDate: '2020-01-25' })), cross);
    assert.deepEqual(ids(formPairs(ACQS, { splitDate: '2020-01-31T10:30:00Z' })), cross);
    assert.deepEqual(ids(formPairs(ACQS, { splitDate: '2020-01-25', temporalRange: Infinity })), [
      ['a', 'd', 30],
      ['a', 'e', 40],
      ['b', 'd', 20],
      ['b', 'e', 30],
      ['c', 'd', 10],
      ['c', 'e', 20],
    ]);
    assert.equal(formPairs(ACQS, { splitDate: null }).length, 7);
  });

  test('backward matching doubles the pairs: each followed by its reverse with negative days', () => {
    const p = ids(formPairs(ACQS, { backward: true }));
    assert.equal(p.length, 14);
    assert.deepEqual(p.slice(0, 4), [
      ['a', 'b', 10],
      ['b', 'a', -10],
      ['a', 'c', 20],
      ['c', 'a', -20],
    ]);
    assert.deepEqual(ids(formPairs(ACQS, { backward: true, splitDate: '2020-01-25' })), [
      ['b', 'd', 20],
      ['d', 'b', -20],
      ['c', 'd', 10],
      ['d', 'c', -10],
      ['c', 'e', 20],
      ['e', 'c', -20],
    ]);
  });

  test('fractional days; a date-time without zone is UTC', () => {
    const p = formPairs([
      { id: 'x', datetime: '2020-01-01T12:00:00' },
      { id: 'y', datetime: '2020-01-02T00:00:00+00:00' },
      { id: 'z', datetime: '2020-01-03' },
    ]);
    assert.deepEqual(
      p.map((q) => q.days),
      [0.5, 1.5, 1],
    );
  });

  test('errors name the input', () => {
    assertGep(() => formPairs([]), /acquisitions: at least 2 images.*got 0/);
    assertGep(() => formPairs([ACQS[0]!]), /at least 2 images.*got 1/);
    assertGep(() => formPairs([ACQS[0]!, { id: 'z', datetime: ACQS[0]!.datetime }]), /"c" and "z" have the same time/);
    assertGep(() => formPairs([ACQS[0]!, { id: 'c', datetime: '2021-01-01' }]), /id "c" appears twice/);
    assertGep(() => formPairs([ACQS[0]!, { id: 'z', datetime: 'yesterday' }]), /acquisitions\[1\]\.datetime \(id "z"\).*ISO 8601/);
    assertGep(() => formPairs(ACQS, { temporalRange: 0 }), /temporalRange: expected an integer >= 1, got 0/);
    assertGep(() => formPairs(ACQS, { temporalRange: 1.5 }), /temporalRange/);
    assertGep(() => formPairs(ACQS, { splitDate: '2019-12-31' }), /splitDate: 2019-12-31 must fall after the first/);
    assertGep(() => formPairs(ACQS, { splitDate: '2020-03-01' }), /splitDate/);
    assertGep(() => formPairs(ACQS, { splitDate: '2020-01-01T10:30:00Z' }), /splitDate/);
    assertGep(() => formPairs(ACQS, { splitDate: 'soon' }), /splitDate: "soon" is not an ISO 8601/);
  });
});
