/**
 * MPIC-OPT step 2: which acquisitions are correlated with which (MISSION §2 "MPIC-OPT").
 *
 * Rules, applied in this order:
 * 1. acquisitions are sorted by time (UTC); the returned indices refer to the caller's array, not the sorted order;
 * 2. temporal matching range N (`temporalRange`, default 2): each image is paired with its next N images in time
 *    (forward pairs, reference earlier than secondary); N >= number of images - 1 gives every pair;
 * 3. split date (optional): only pairs across it are kept, i.e. reference < split <= secondary (an image taken
 *    exactly at the split date counts as "after"). It filters the pairs of rule 2, so with a split date the
 *    matching range still bounds how far apart the two images of a pair are (raise N to get more cross pairs);
 * 4. backward matching (optional): every forward pair (r, s) is followed in the list by its reverse (s, r), whose
 *    `days` is negative. A backward pair's displacement has the opposite sign, so its velocity d/days has the
 *    same sign as the forward one's (see fusion.ts).
 * Output order: forward pairs sorted by reference time then secondary time; with backward matching each forward
 * pair is immediately followed by its reverse.
 *
 * Decisions: two acquisitions with the same time (to the millisecond) are rejected (a pair would span 0 days and
 * have no velocity; mosaic or drop one granule first), as are two acquisitions with the same id. Datetimes are
 * RFC 3339 / ISO 8601 strings (STAC `datetime`); one without a zone designator is read as UTC.
 */
import { GepError } from '../../core/errors.ts';

export interface Acquisition {
  id: string;
  /** RFC 3339 / ISO 8601 (e.g. "2020-07-01T10:30:21.024Z" or "2020-07-01"); UTC when no zone is given. */
  datetime: string;
}

export interface PairOptions {
  /** N, default 2: each image with its next N images in time. Positive integer (Infinity allowed: all pairs). */
  temporalRange?: number;
  /** Keep only pairs with reference < splitDate <= secondary (co-seismic pairs). null or absent: no split. */
  splitDate?: string | null;
  /** Also add the reverse (t2 -> t1) of every pair, default false. */
  backward?: boolean;
}

export interface Pair {
  /** Index into the input acquisitions of the reference (first, "master") image. */
  reference: number;
  /** Index into the input acquisitions of the secondary (second, "slave") image. */
  secondary: number;
  /** Signed time span in days: time(secondary) - time(reference); negative for backward pairs. */
  days: number;
}

const MS_PER_DAY = 86_400_000;
const HAS_TIME = /T|\s\d/i;
const HAS_ZONE = /(Z|[+-]\d\d(:?\d\d)?)$/i;

/** Milliseconds since the epoch of an RFC 3339 / ISO 8601 string, UTC when it has a time but no zone. */
export function parseUtc(datetime: string, what: string): number {
  const s = typeof datetime === 'string' ? datetime.trim() : '';
  const iso = HAS_TIME.test(s) && !HAS_ZONE.test(s) ? `${s}Z` : s;
  const t = /^\d{4}-\d\d-\d\d/.test(iso) ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t)) {
    throw new GepError('GEP_ERR_INVALID_INPUT', `${what}: "${String(datetime)}" is not an ISO 8601 date-time (e.g. 2020-07-01T10:30:00Z)`, {
      input: what,
      value: datetime,
    });
  }
  return t;
}

/** Forms the correlation pairs of MPIC-OPT step 2 (rules in the module comment). */
export function formPairs(acqs: Acquisition[], opts: PairOptions = {}): Pair[] {
  const n = Array.isArray(acqs) ? acqs.length : 0;
  if (n < 2) {
    throw new GepError('GEP_ERR_INVALID_INPUT', `acquisitions: at least 2 images are needed to form pairs, got ${n}`, {
      input: 'acquisitions',
      count: n,
    });
  }
  const range = opts.temporalRange ?? 2;
  if (!(range === Infinity || (Number.isInteger(range) && range >= 1))) {
    throw new GepError('GEP_ERR_INVALID_INPUT', `temporalRange: expected an integer >= 1, got ${range}`, {
      input: 'temporalRange',
      value: range,
    });
  }
  const times = new Float64Array(n);
  const ids = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const a = acqs[i]!;
    const prev = ids.get(a.id);
    if (prev !== undefined) {
      throw new GepError('GEP_ERR_INVALID_INPUT', `acquisitions: id "${a.id}" appears twice (items ${prev} and ${i})`, {
        input: 'acquisitions',
        id: a.id,
      });
    }
    ids.set(a.id, i);
    times[i] = parseUtc(a.datetime, `acquisitions[${i}].datetime (id "${a.id}")`);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((p, q) => times[p]! - times[q]!);
  for (let k = 1; k < n; k++) {
    const p = order[k - 1]!;
    const q = order[k]!;
    if (times[p] === times[q]) {
      throw new GepError(
        'GEP_ERR_INVALID_INPUT',
        `acquisitions: "${acqs[p]!.id}" and "${acqs[q]!.id}" have the same time ${acqs[q]!.datetime}; keep one image per date`,
        { input: 'acquisitions', ids: [acqs[p]!.id, acqs[q]!.id] },
      );
    }
  }
  const split = opts.splitDate == null ? null : parseUtc(opts.splitDate, 'splitDate');
  if (split !== null && (times[order[0]!]! >= split || times[order[n - 1]!]! < split)) {
    throw new GepError(
      'GEP_ERR_INVALID_INPUT',
      `splitDate: ${opts.splitDate} must fall after the first acquisition (${acqs[order[0]!]!.datetime}) and at or before the last (${acqs[order[n - 1]!]!.datetime})`,
      { input: 'splitDate', value: opts.splitDate },
    );
  }
  const pairs: Pair[] = [];
  for (let k = 0; k < n - 1; k++) {
    const r = order[k]!;
    const last = Math.min(n - 1, k + range);
    for (let m = k + 1; m <= last; m++) {
      const s = order[m]!;
      if (split !== null && !(times[r]! < split && times[s]! >= split)) continue;
      const days = (times[s]! - times[r]!) / MS_PER_DAY;
      pairs.push({ reference: r, secondary: s, days });
      if (opts.backward === true) pairs.push({ reference: s, secondary: r, days: -days });
    }
  }
  // a valid split date always leaves the last image before it and the first after it consecutive: >= 1 pair
  return pairs;
}
