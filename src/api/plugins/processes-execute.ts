/**
 * `POST /processes/{processId}/execution` (OGC API - Processes - Part 1, execute.yaml).
 *
 * Execution mode (/req/core/process-execute-default-execution-mode, -auto-execution-mode): a process that only
 * runs one way runs that way; one that allows both runs synchronously unless the request carries
 * `Prefer: respond-async` (RFC 7240), which is then echoed in `Preference-Applied`.
 * - async: 201, `Location: /jobs/{jobId}`, statusInfo body.
 * - sync: the job runs and the answer waits for it (up to `syncTimeoutMs`; past that, the async answer). Outputs:
 *   `"outputs": {}` -> 204 without body; one requested output -> that output raw (unless `"response":
 *   "document"`); otherwise the results document with `Link: <...ogc-results>; rel="profile"`. A failed job answers
 *   with its error. Every sync answer links the job it made (`Link: </jobs/{id}>; rel="monitor"`).
 *
 * Inputs: qualified values (`{ "value": v, "mediaType": ... }`) are unwrapped; links (`{ "href", "type"? ... }`, an
 * input by reference) become their href for raster/product inputs, which take paths, URLs and catalogue ids, and are
 * kept for the others; the service description then validates them (400 naming the input). Extras outside OGC: `title` and
 * `visibility` ('private' | 'public') of the job.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GepError, invalidInput } from '../../core/errors.ts';
import { statusInfo, type Job } from '../../engine/types.ts';
import { getService, serviceIds } from '../../services/registry.ts';
import type { Service, ServiceDescription } from '../../services/types.ts';
import { jobFailure, noSuchProcess, RESULTS_PROFILE_LINK, type ProcessesOptions } from './processes-common.ts';
import { resultsDocument, sendRawOutput } from './processes-results.ts';

interface ExecuteBody {
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  response?: 'raw' | 'document';
  title?: string;
  visibility?: 'private' | 'public';
}

const QUALIFIED_KEYS = new Set(['value', 'mediaType', 'encoding', 'schema']);

const LINK_KEYS = new Set(['href', 'type', 'rel', 'title', 'hreflang']);

/**
 * A qualified input value `{ value, mediaType?, encoding?, schema? }` -> its value; with `byReference`, a link
 * `{ href, type?, rel?, title?, hreflang? }` -> its href (OGC API - Processes: an input passed by reference);
 * anything else unchanged.
 */
function unwrap(v: unknown, byReference: boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => unwrap(x, byReference));
  if (v && typeof v === 'object' && 'value' in v && Object.keys(v).every((k) => QUALIFIED_KEYS.has(k))) return (v as { value: unknown }).value;
  if (byReference && v && typeof v === 'object' && typeof (v as { href?: unknown }).href === 'string' && Object.keys(v).every((k) => LINK_KEYS.has(k)))
    return (v as { href: string }).href;
  return v;
}

/** The service, or 404 no-such-process. */
export async function requireService(id: string): Promise<Service> {
  if (!serviceIds().includes(id)) throw noSuchProcess(id, serviceIds());
  return getService(id);
}

/** Checks the execute request body and returns it typed; errors name the member at fault. */
export function parseExecuteBody(body: unknown, desc: ServiceDescription): ExecuteBody {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidInput('execute request: expected a JSON object with "inputs"', { parameter: 'body' });
  const b = body as Record<string, unknown>;
  const out: ExecuteBody = {};
  if (b.inputs !== undefined) {
    if (!b.inputs || typeof b.inputs !== 'object' || Array.isArray(b.inputs))
      throw invalidInput('inputs: expected an object of input id -> value', { parameter: 'inputs' });
    const byReference = (k: string): boolean => ['raster', 'product'].includes(desc.inputs[k]?.kind ?? '');
    out.inputs = Object.fromEntries(Object.entries(b.inputs as Record<string, unknown>).map(([k, v]) => [k, unwrap(v, byReference(k))]));
  }
  if (b.outputs !== undefined) {
    if (!b.outputs || typeof b.outputs !== 'object' || Array.isArray(b.outputs))
      throw invalidInput('outputs: expected an object of output id -> { format?, transmissionMode? }', { parameter: 'outputs' });
    for (const id of Object.keys(b.outputs))
      if (!Object.hasOwn(desc.outputs, id))
        throw invalidInput(`output '${id}': process '${desc.id}' has no such output (outputs: ${Object.keys(desc.outputs).join(', ')})`, { parameter: 'outputs', output: id });
    out.outputs = b.outputs as Record<string, unknown>;
  }
  if (b.response !== undefined) {
    if (b.response !== 'raw' && b.response !== 'document') throw invalidInput(`response: expected 'raw' or 'document', got ${JSON.stringify(b.response)}`, { parameter: 'response' });
    out.response = b.response;
  }
  if (b.title !== undefined) {
    if (typeof b.title !== 'string' || b.title.length > 500) throw invalidInput('title: expected a string of at most 500 characters', { parameter: 'title' });
    out.title = b.title;
  }
  if (b.visibility !== undefined) {
    if (b.visibility !== 'private' && b.visibility !== 'public') throw invalidInput(`visibility: expected 'private' or 'public', got ${JSON.stringify(b.visibility)}`, { parameter: 'visibility' });
    out.visibility = b.visibility;
  }
  return out;
}

/** Whether the Prefer header (RFC 7240, possibly several, comma-separated) asks for `respond-async`. */
export function prefersAsync(header: string | string[] | undefined): boolean {
  const all = Array.isArray(header) ? header.join(',') : (header ?? '');
  return all.split(',').some((p) => p.split(';')[0]!.trim().toLowerCase() === 'respond-async');
}

/** Validation errors of the engine carry `input`; the problem document names it as `parameter`. */
function namingInput(e: unknown): unknown {
  if (e instanceof GepError && e.code === 'GEP_ERR_INVALID_INPUT' && typeof e.details?.input === 'string' && e.details.parameter === undefined)
    return new GepError(e.code, e.message, { ...e.details, parameter: e.details.input }, { cause: e });
  return e;
}

function sendAsync(reply: FastifyReply, req: FastifyRequest, job: Job, applied: boolean): FastifyReply {
  const info = statusInfo(job, req.baseUrl);
  reply.code(201).header('location', `${req.baseUrl}/jobs/${encodeURIComponent(job.id)}`);
  if (applied) reply.header('preference-applied', 'respond-async');
  return reply.type('application/json').send(info);
}

export function registerExecuteRoute(app: FastifyInstance, o: ProcessesOptions): void {
  const { engine } = o;
  app.post<{ Params: { processId: string } }>('/processes/:processId/execution', async (req, reply) => {
    const svc = await requireService(req.params.processId);
    const desc = svc.description;
    const body = parseExecuteBody(req.body, desc);
    const modes = desc.jobControlOptions ?? ['async-execute'];
    const wantAsync = prefersAsync(req.headers.prefer);
    const canSync = modes.includes('sync-execute');
    const canAsync = modes.includes('async-execute');
    const async = !canSync || (canAsync && wantAsync);

    let job: Job;
    try {
      job = await engine.submit({
        process: desc.id,
        inputs: body.inputs ?? {},
        owner: o.ownerOf?.(req) ?? null,
        ...(body.visibility ? { visibility: body.visibility } : {}),
        ...(body.title !== undefined ? { title: body.title } : {}),
      });
    } catch (e) {
      throw namingInput(e);
    }
    if (async) return sendAsync(reply, req, job, wantAsync);

    const done = await engine.waitFor(job.id, { timeoutMs: o.syncTimeoutMs ?? 60_000 });
    if (done.status === 'accepted' || done.status === 'running') return sendAsync(reply, req, done, false);
    reply.header('link', `<${req.baseUrl}/jobs/${encodeURIComponent(job.id)}>; rel="monitor"`);
    if (done.status === 'failed') throw jobFailure(done);
    if (done.status === 'dismissed') throw new GepError('GEP_ERR_ABORTED', `job '${job.id}' was cancelled before it finished`, { job: job.id });
    const wanted = body.outputs ? Object.keys(body.outputs) : Object.keys(done.outputs ?? {});
    if (body.outputs && wanted.length === 0) return reply.code(204).send();
    if (wanted.length === 1 && body.response !== 'document') return sendRawOutput(reply, done, desc, wanted[0]!, engine.blobs);
    reply.header('link', [`<${req.baseUrl}/jobs/${encodeURIComponent(job.id)}>; rel="monitor"`, RESULTS_PROFILE_LINK].join(', '));
    return reply.type('application/json').send(resultsDocument(done, desc, wanted, req.baseUrl));
  });
}
