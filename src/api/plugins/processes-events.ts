/**
 * `GET /jobs/{jobId}/events`: live status and progress of one job as Server-Sent Events (WHATWG HTML,
 * "Server-sent events"). Each event is `event: status`, `id: <n>`, `data: <statusInfo JSON>`; the first carries
 * the job as it is when the stream opens, then one per change (status, progress, message) until the job ends
 * (successful, failed, dismissed), after which the stream closes. Comment lines keep idle connections alive.
 * The engine's job feed (Engine.events) also carries updates made by other processes (`gep worker`). Closing the
 * server ends open streams.
 */
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../engine/engine.ts';
import { statusInfo, type Job } from '../../engine/types.ts';
import { requireJob } from './processes-common.ts';

const FINAL = new Set(['successful', 'failed', 'dismissed']);

export const SSE_TYPE = 'text/event-stream';

/** One SSE frame (data on one line: JSON has no raw newlines). */
export const sseFrame = (event: string, id: number, data: unknown): string => `event: ${event}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`;

export function registerEventsRoute(app: FastifyInstance, engine: Engine, keepAliveMs = 15_000): void {
  // Open streams end when the server closes (otherwise `close` would wait for every watching client).
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });
  app.get<{ Params: { jobId: string } }>('/jobs/:jobId/events', async (req, reply) => {
    // Listen before reading the job, so that no change between the read and the subscription is lost.
    const pending: Job[] = [];
    let wake: (() => void) | undefined;
    const onJob = (j: Job): void => {
      if (j.id !== req.params.jobId) return;
      pending.push(j);
      wake?.();
    };
    engine.events.on('job', onJob);
    let job: Job;
    try {
      job = await requireJob(engine, req.params.jobId);
    } catch (e) {
      engine.events.off('job', onJob);
      throw e;
    }

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': SSE_TYPE,
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': req.id,
      'access-control-allow-origin': '*',
    });
    let closed = false;
    const onClose = (): void => {
      closed = true;
      wake?.();
    };
    res.on('close', onClose);
    open.add(onClose);
    const alive = setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs);
    alive.unref();

    let seq = 0;
    let last = job;
    try {
      res.write(sseFrame('status', ++seq, statusInfo(job, req.baseUrl)));
      while (!closed && !FINAL.has(last.status)) {
        if (pending.length === 0) {
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
          continue;
        }
        const j = pending.shift()!;
        // Skip stale or repeated states (the feed may deliver an update we already reported).
        if (j.updated < last.updated || (j.status === last.status && j.progress === last.progress && j.message === last.message)) continue;
        last = j;
        res.write(sseFrame('status', ++seq, statusInfo(j, req.baseUrl)));
      }
    } finally {
      clearInterval(alive);
      engine.events.off('job', onJob);
      res.off('close', onClose);
      open.delete(onClose);
      if (!res.writableEnded) res.end();
    }
  });
}
