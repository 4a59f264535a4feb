/**
 * Shared pieces of the OGC API - Processes - Part 1 routes: conformance URIs, link relations, OGC exception
 * types (carried to problem+json through GepError details.exceptionType, see ../errors.ts), query-parameter
 * parsing (form style, explode false: `a,b` or repeated keys) and the plugin options.
 */
import { ERROR_TABLE, GepError, invalidInput, type GepErrorCode } from '../../core/errors.ts';
import type { Engine } from '../../engine/engine.ts';
import type { Job } from '../../engine/types.ts';
import type { FastifyRequest } from 'fastify';

const CONF = 'http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/';
/** Conformance classes of OGC API - Processes - Part 1 1.0 that these routes implement. */
export const PROCESSES_CONFORMANCE = ['core', 'ogc-process-description', 'json', 'job-list', 'dismiss', 'oas30'].map((c) => `${CONF}${c}`);

export const REL_PROCESSES = 'http://www.opengis.net/def/rel/ogc/1.0/processes';
export const REL_JOB_LIST = 'http://www.opengis.net/def/rel/ogc/1.0/job-list';
export const REL_RESULTS = 'http://www.opengis.net/def/rel/ogc/1.0/results';
/** Profile of a results document (/req/core/job-results-profile). */
export const PROFILE_RESULTS = 'https://www.opengis.net/def/profile/OGC/0/ogc-results';
export const RESULTS_PROFILE_LINK = `<${PROFILE_RESULTS}>; rel="profile"`;

const EXC = 'http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/';
export const EXC_NO_SUCH_PROCESS = `${EXC}no-such-process`;
export const EXC_NO_SUCH_JOB = `${EXC}no-such-job`;
export const EXC_NO_SUCH_OUTPUT = `${EXC}no-such-output`;
export const EXC_RESULT_NOT_READY = `${EXC}result-not-ready`;
export const EXC_RESULT_NOT_AVAILABLE = `${EXC}result-not-available`;
export const EXC_INVALID_QUERY = `${EXC}invalid-query-parameter-value`;

export interface ProcessesOptions {
  engine: Engine;
  /** Longest wait of a synchronous execution, in ms (default 60 000); past it the answer is the async one (201). */
  syncTimeoutMs?: number;
  /** Owner of the jobs a request submits (e.g. from authentication); default none. */
  ownerOf?: (req: FastifyRequest) => string | null;
  /** Period of SSE keep-alive comments, in ms (default 15 000). */
  keepAliveMs?: number;
}

export const noSuchJob = (id: string): GepError =>
  new GepError('GEP_ERR_NOT_FOUND', `no job '${id}'`, { exceptionType: EXC_NO_SUCH_JOB, parameter: 'jobId' });

export const noSuchProcess = (id: string, known: string[]): GepError =>
  new GepError('GEP_ERR_NOT_FOUND', `no process '${id}' (known: ${known.join(', ')})`, { exceptionType: EXC_NO_SUCH_PROCESS, parameter: 'processId' });

/** The job, or 404 no-such-job. */
export async function requireJob(engine: Engine, id: string): Promise<Job> {
  const j = await engine.get(id);
  if (!j) throw noSuchJob(id);
  return j;
}

/** A job's stored failure as the error to answer with (status from the code table; unknown codes are internal). */
export function jobFailure(job: Job): GepError {
  const code = job.error && job.error.code in ERROR_TABLE ? (job.error.code as GepErrorCode) : 'GEP_ERR_INTERNAL';
  return new GepError(code, job.error?.message ?? `job '${job.id}' failed`, { job: job.id });
}

/** Values of a list parameter: repeated keys and/or comma-separated (OpenAPI form style, explode false). */
export function listParam(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  const raw = Array.isArray(v) ? v : [v];
  const out = raw.flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter(Boolean);
  return out.length ? out : undefined;
}

/** A single-valued query parameter (the last one when repeated). */
export function oneParam(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return v === undefined ? undefined : String(v);
}

/** An integer query parameter in [min, max], or `def` when absent; 400 naming it otherwise. */
export function intParam(q: Record<string, unknown>, name: string, def: number | undefined, min: number, max: number): number | undefined {
  const s = oneParam(q[name]);
  if (s === undefined || s === '') return def;
  const n = Number(s);
  if (!/^-?\d+$/.test(s.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
    throw invalidInput(`${name}: expected an integer from ${min} to ${max}, got '${s.slice(0, 40)}'`, { parameter: name, exceptionType: EXC_INVALID_QUERY });
  return n;
}

/** Query string of `q` with `over` applied (undefined removes a key); arrays as comma lists. */
export function queryString(q: Record<string, unknown>, over: Record<string, string | number | undefined>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (k in over || v === undefined) continue;
    sp.set(k, Array.isArray(v) ? v.map(String).join(',') : String(v));
  }
  for (const [k, v] of Object.entries(over)) if (v !== undefined) sp.set(k, String(v));
  const s = sp.toString();
  return s ? `?${s}` : '';
}
