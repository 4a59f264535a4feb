/**
 * Job routes of OGC API - Processes - Part 1: `GET /jobs` (job-list class: status, processID, type, datetime,
 * minDuration, maxDuration, limit; ours: owner, visibility, title, subscription, offset), `GET /jobs/{jobId}` (statusInfo),
 * `DELETE /jobs/{jobId}` (dismiss class) and `GET /jobs/{jobId}/logs`. Results: processes-results.ts; live
 * updates: processes-events.ts.
 */
import type { FastifyInstance } from 'fastify';
import { invalidInput } from '../../core/errors.ts';
import type { Engine } from '../../engine/engine.ts';
import { JOB_STATUSES, statusInfo, type JobFilter, type JobStatus } from '../../engine/types.ts';
import { EXC_INVALID_QUERY, intParam, listParam, oneParam, queryString, REL_JOB_LIST, requireJob } from './processes-common.ts';

type Query = Record<string, unknown>;

/** Largest page the engine serves; a larger `limit` (the spec allows up to 10 000) is reduced to it. */
export const MAX_JOB_PAGE = 1000;

const badQuery = (name: string, msg: string): Error => invalidInput(`${name}: ${msg}`, { parameter: name, exceptionType: EXC_INVALID_QUERY });

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function instant(s: string): Date {
  const d = new Date(s);
  if (!RFC3339.test(s) || Number.isNaN(d.getTime())) throw badQuery('datetime', `expected an RFC 3339 date-time or an interval a/b (open ends '..' or empty), got '${s.slice(0, 60)}'`);
  return d;
}

/** `datetime` (job-list /req/job-list/datetime-definition): an instant or a closed/half-open interval on `created`. */
export function datetimeFilter(s: string): Pick<JobFilter, 'createdFrom' | 'createdTo'> {
  if (!s.includes('/')) {
    const d = instant(s);
    return { createdFrom: d, createdTo: d };
  }
  const [a = '', b = '', ...rest] = s.split('/');
  if (rest.length) throw badQuery('datetime', `expected at most one '/', got '${s.slice(0, 60)}'`);
  const open = (x: string): boolean => x === '' || x === '..';
  if (open(a) && open(b)) throw badQuery('datetime', 'an interval needs at least one end');
  const f: Pick<JobFilter, 'createdFrom' | 'createdTo'> = {};
  if (!open(a)) f.createdFrom = instant(a);
  if (!open(b)) f.createdTo = instant(b);
  if (f.createdFrom && f.createdTo && f.createdFrom > f.createdTo) throw badQuery('datetime', 'the interval starts after it ends');
  return f;
}

/** The engine filter of a `GET /jobs` query, and whether it can match anything (`type` other than process). */
export function jobFilterOf(q: Query): { filter: JobFilter; none: boolean } {
  const f: JobFilter = {};
  const status = listParam(q.status);
  if (status) {
    for (const s of status) if (!(JOB_STATUSES as readonly string[]).includes(s)) throw badQuery('status', `expected one of ${JOB_STATUSES.join(', ')}, got '${s.slice(0, 40)}'`);
    f.status = status as JobStatus[];
  }
  const proc = listParam(q.processID) ?? listParam(q.processId);
  if (proc) f.process = proc;
  const owner = oneParam(q.owner);
  if (owner) f.owner = owner;
  const vis = oneParam(q.visibility);
  if (vis !== undefined) {
    if (vis !== 'private' && vis !== 'public') throw badQuery('visibility', `expected 'private' or 'public', got '${vis.slice(0, 40)}'`);
    f.visibility = vis;
  }
  const title = oneParam(q.title);
  if (title) f.title = title;
  const subscription = oneParam(q.subscription);
  if (subscription) f.subscriptionId = subscription;
  const dt = oneParam(q.datetime);
  if (dt) Object.assign(f, datetimeFilter(dt));
  const minD = intParam(q, 'minDuration', undefined, 0, Number.MAX_SAFE_INTEGER);
  const maxD = intParam(q, 'maxDuration', undefined, 0, Number.MAX_SAFE_INTEGER);
  if (minD !== undefined) f.minDuration = minD;
  if (maxD !== undefined) f.maxDuration = maxD;
  // /req/job-list/duration-response: without `status`, only running or finished jobs take part in a duration filter.
  if ((minD !== undefined || maxD !== undefined) && !f.status) f.status = ['running', 'successful', 'failed', 'dismissed'];
  f.limit = Math.min(MAX_JOB_PAGE, intParam(q, 'limit', 10, 1, 10_000)!);
  f.offset = intParam(q, 'offset', 0, 0, Number.MAX_SAFE_INTEGER)!;
  const types = listParam(q.type);
  return { filter: f, none: types !== undefined && !types.includes('process') };
}

export function registerJobRoutes(app: FastifyInstance, engine: Engine): void {
  app.get<{ Querystring: Query }>('/jobs', async (req) => {
    const q = req.query;
    const { filter, none } = jobFilterOf(q);
    const page = none ? { jobs: [], total: 0 } : await engine.list(filter);
    const base = `${req.baseUrl}/jobs`;
    const limit = filter.limit!;
    const offset = filter.offset!;
    const links = [
      { href: `${base}${queryString(q, {})}`, rel: 'self', type: 'application/json', title: 'this list of jobs' },
      { href: `${base}${queryString(q, {})}`, rel: REL_JOB_LIST, type: 'application/json', title: 'this list of jobs' },
    ];
    if (offset + page.jobs.length < page.total)
      links.push({ href: `${base}${queryString(q, { offset: offset + limit, limit })}`, rel: 'next', type: 'application/json', title: 'next page' });
    if (offset > 0)
      links.push({ href: `${base}${queryString(q, { offset: offset - limit > 0 ? offset - limit : undefined, limit })}`, rel: 'prev', type: 'application/json', title: 'previous page' });
    return {
      jobs: page.jobs.map((j) => statusInfo(j, req.baseUrl)),
      links,
      numberMatched: page.total,
      numberReturned: page.jobs.length,
    };
  });

  app.get<{ Params: { jobId: string } }>('/jobs/:jobId', async (req) => statusInfo(await requireJob(engine, req.params.jobId), req.baseUrl));

  app.delete<{ Params: { jobId: string } }>('/jobs/:jobId', async (req) => {
    await requireJob(engine, req.params.jobId);
    const last = await engine.dismiss(req.params.jobId);
    const info = statusInfo(last, req.baseUrl);
    // The job is gone: only the links that still lead somewhere stay (the process description).
    return { ...info, links: info.links.filter((l) => l.rel === 'http://www.opengis.net/def/rel/ogc/1.0/process') };
  });

  app.get<{ Params: { jobId: string }; Querystring: Query }>('/jobs/:jobId/logs', async (req) => {
    const job = await requireJob(engine, req.params.jobId);
    const after = intParam(req.query, 'after', 0, 0, Number.MAX_SAFE_INTEGER)!;
    const limit = intParam(req.query, 'limit', 1000, 1, 10_000)!;
    const logs = await engine.logs(job.id, { after, limit });
    const self = `${req.baseUrl}/jobs/${encodeURIComponent(job.id)}`;
    const links = [
      { href: `${self}/logs${queryString(req.query, {})}`, rel: 'self', type: 'application/json', title: 'job log' },
      { href: self, rel: 'up', type: 'application/json', title: 'the job' },
    ];
    if (logs.length === limit)
      links.push({ href: `${self}/logs${queryString(req.query, { after: logs[logs.length - 1]!.seq })}`, rel: 'next', type: 'application/json', title: 'more log entries' });
    return {
      jobID: job.id,
      logs: logs.map((l) => ({ seq: l.seq, time: l.time.toISOString(), level: l.level, message: l.message })),
      links,
    };
  });
}
