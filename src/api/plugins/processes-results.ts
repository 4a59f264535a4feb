/**
 * Job results (OGC API - Processes - Part 1): the results document (results.yaml: output id -> inline value or
 * `{ href, type }` link for file outputs), one output raw, and the routes `GET /jobs/{jobId}/results` and
 * `GET /jobs/{jobId}/results/{outputId}`.
 *
 * File outputs (a schema with `contentMediaType`) hold a blob key under the job's prefix `jobs/<jobId>/` (the
 * engine published them there, src/engine/publish.ts); they are streamed from the blob store, local or S3, as
 * `/jobs/{jobId}/results/{outputId}`, and only from under that prefix. Jobs run before results went to the store
 * hold an absolute path inside their workspace, still served from there. Other outputs are JSON values; a raw
 * string answers as text/plain, anything else as application/json.
 */
import { isAbsolute, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { GepError } from '../../core/errors.ts';
import type { Engine } from '../../engine/engine.ts';
import type { Job } from '../../engine/types.ts';
import type { BlobStore } from '../../store/blobs.ts';
import { blobSource, fileSource, type BodySource } from './asset-sources.ts';
import { sendSource } from './assets.ts';
import { getService } from '../../services/registry.ts';
import type { ServiceDescription } from '../../services/types.ts';
import {
  EXC_NO_SUCH_OUTPUT,
  EXC_RESULT_NOT_AVAILABLE,
  EXC_RESULT_NOT_READY,
  jobFailure,
  listParam,
  requireJob,
  RESULTS_PROFILE_LINK,
} from './processes-common.ts';

/** The media type of a file output, or null for a JSON value. */
function fileType(desc: ServiceDescription | null, outputId: string): string | null {
  return desc?.outputs[outputId]?.schema.contentMediaType ?? null;
}

async function descriptionOf(job: Job): Promise<ServiceDescription | null> {
  try {
    return (await getService(job.processId)).description;
  } catch {
    return null; // a process removed since the job ran: its outputs still show, as JSON values
  }
}

const outputHref = (baseUrl: string, jobId: string, outputId: string): string =>
  `${baseUrl}/jobs/${encodeURIComponent(jobId)}/results/${encodeURIComponent(outputId)}`;

/** results.yaml for the outputs `ids` of a successful job. */
export function resultsDocument(job: Job, desc: ServiceDescription | null, ids: string[], baseUrl: string): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (const id of ids) {
    const v = job.outputs?.[id];
    if (v === undefined) continue;
    const type = fileType(desc, id);
    doc[id] = type !== null && typeof v === 'string' ? { href: outputHref(baseUrl, job.id, id), type, rel: 'enclosure' } : v;
  }
  return doc;
}

/** The error for a job that has no results (yet): not ready (queued, running), unavailable, or its failure. */
export function noResults(job: Job): GepError {
  if (job.status === 'failed') return jobFailure(job);
  if (job.status === 'dismissed')
    return new GepError('GEP_ERR_NOT_FOUND', `job '${job.id}' was dismissed: it has no results`, { exceptionType: EXC_RESULT_NOT_AVAILABLE, job: job.id });
  return new GepError('GEP_ERR_NOT_FOUND', `job '${job.id}' is ${job.status}: its results are not ready`, { exceptionType: EXC_RESULT_NOT_READY, job: job.id });
}

export const noSuchOutput = (id: string, job: Job): GepError =>
  new GepError('GEP_ERR_NOT_FOUND', `job '${job.id}' has no output '${id}' (outputs: ${Object.keys(job.outputs ?? {}).join(', ') || 'none'})`, {
    exceptionType: EXC_NO_SUCH_OUTPUT,
    parameter: 'outputs',
  });

/**
 * Sends one output raw: a file output streamed from the blob store (`blobs`, the engine's), else the value (text
 * or JSON).
 */
export async function sendRawOutput(reply: FastifyReply, job: Job, desc: ServiceDescription | null, outputId: string, blobs?: BlobStore): Promise<FastifyReply> {
  const v = job.outputs?.[outputId];
  if (v === undefined) throw noSuchOutput(outputId, job);
  const type = fileType(desc, outputId);
  if (type !== null && typeof v === 'string') {
    const gone = (): GepError => new GepError('GEP_ERR_NOT_FOUND', `output '${outputId}' of job '${job.id}': its file is gone`, { parameter: 'outputId' });
    const notWithJob = (): GepError => new GepError('GEP_ERR_NOT_FOUND', `output '${outputId}' of job '${job.id}' is not stored with the job`, { parameter: 'outputId' });
    let src: BodySource | null;
    if (!isAbsolute(v)) {
      if (!blobs || !v.startsWith(`jobs/${job.id}/`)) throw notWithJob();
      src = await blobSource(blobs, v);
    } else {
      // results of jobs run before results moved to the blob store: a file inside the job's workspace
      const ws = job.workspace && isAbsolute(job.workspace) ? resolve(job.workspace) + sep : null;
      const path = resolve(v);
      if (!ws || !path.startsWith(ws)) throw notWithJob();
      src = await fileSource(path);
    }
    if (!src) throw gone();
    // the same validators, conditional requests and byte ranges as /assets (GDAL /vsicurl/ reads COG outputs here)
    try {
      return await sendSource(reply.request, reply, v, { type }, src);
    } finally {
      await src.close();
    }
  }
  if (typeof v === 'string') return reply.type('text/plain; charset=utf-8').send(v);
  return reply.type('application/json').send(JSON.stringify(v));
}

/** Registers `GET /jobs/:jobId/results` and `GET /jobs/:jobId/results/:outputId`. */
export function registerResultRoutes(app: FastifyInstance, engine: Engine): void {
  app.get<{ Params: { jobId: string }; Querystring: Record<string, unknown> }>('/jobs/:jobId/results', async (req, reply) => {
    const job = await requireJob(engine, req.params.jobId);
    if (job.status !== 'successful') throw noResults(job);
    const desc = await descriptionOf(job);
    const wanted = listParam(req.query.outputs);
    for (const id of wanted ?? []) if (!Object.hasOwn(job.outputs ?? {}, id)) throw noSuchOutput(id, job);
    const doc = resultsDocument(job, desc, wanted ?? Object.keys(job.outputs ?? {}), req.baseUrl);
    return reply.header('link', RESULTS_PROFILE_LINK).type('application/json').send(doc);
  });

  app.get<{ Params: { jobId: string; outputId: string } }>('/jobs/:jobId/results/:outputId', async (req, reply) => {
    const job = await requireJob(engine, req.params.jobId);
    if (job.status !== 'successful') throw noResults(job);
    return sendRawOutput(reply, job, await descriptionOf(job), req.params.outputId, engine.blobs);
  });
}

export { descriptionOf };
