/**
 * OGC API - Processes - Part 1: Core 1.0 (OGC 18-062r2) on the engine: conformance classes core,
 * ogc-process-description, json, job-list, dismiss and oas30; landing links rel `.../processes` and
 * `.../job-list`.
 *
 * - `GET /processes` (limit 1..10000, default 10; offset), `GET /processes/{processId}`: here.
 * - `POST /processes/{processId}/execution`: processes-execute.ts.
 * - `GET /jobs`, `GET|DELETE /jobs/{jobId}`, `GET /jobs/{jobId}/logs`: processes-jobs.ts.
 * - `GET /jobs/{jobId}/results[/{outputId}]`: processes-results.ts.
 * - `GET /jobs/{jobId}/events` (Server-Sent Events): processes-events.ts.
 * - `/subscriptions` (systematic processing, platform extension): subscriptions.ts.
 *
 * Usage: `buildServer({ plugins: [processesPlugin({ engine })] })`.
 */
import { listServices } from '../../services/registry.ts';
import { processDescription, processSummary } from '../../services/describe.ts';
import type { ApiPlugin } from '../server.ts';
import { intParam, PROCESSES_CONFORMANCE, queryString, REL_JOB_LIST, REL_PROCESSES, type ProcessesOptions } from './processes-common.ts';
import { registerEventsRoute } from './processes-events.ts';
import { registerExecuteRoute, requireService } from './processes-execute.ts';
import { registerJobRoutes } from './processes-jobs.ts';
import { processesOpenApi } from './processes-openapi.ts';
import { registerResultRoutes } from './processes-results.ts';
import { registerSubscriptionRoutes, subscriptionsOpenApi } from './subscriptions.ts';

export type { ProcessesOptions } from './processes-common.ts';
export { PROCESSES_CONFORMANCE, REL_JOB_LIST, REL_PROCESSES } from './processes-common.ts';

export function processesPlugin(o: ProcessesOptions): ApiPlugin {
  return {
    name: 'processes',
    conformance: PROCESSES_CONFORMANCE,
    links: (base) => [
      { rel: REL_PROCESSES, href: `${base}/processes`, type: 'application/json', title: 'Processes' },
      { rel: REL_JOB_LIST, href: `${base}/jobs`, type: 'application/json', title: 'Jobs' },
    ],
    openapi: {
      paths: { ...processesOpenApi.paths, ...subscriptionsOpenApi.paths },
      components: { schemas: { ...(processesOpenApi.components?.schemas as object), ...(subscriptionsOpenApi.components?.schemas as object) } },
    },
    register(app) {
      app.get<{ Querystring: Record<string, unknown> }>('/processes', async (req) => {
        const limit = intParam(req.query, 'limit', 10, 1, 10_000)!;
        const offset = intParam(req.query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER)!;
        const all = await listServices();
        const page = all.slice(offset, offset + limit);
        const base = `${req.baseUrl}/processes`;
        const links = [{ href: `${base}${queryString(req.query, {})}`, rel: 'self', type: 'application/json', title: 'this list of processes' }];
        if (offset + page.length < all.length)
          links.push({ href: `${base}${queryString(req.query, { offset: offset + limit, limit })}`, rel: 'next', type: 'application/json', title: 'next page' });
        if (offset > 0)
          links.push({ href: `${base}${queryString(req.query, { offset: offset > limit ? offset - limit : undefined, limit })}`, rel: 'prev', type: 'application/json', title: 'previous page' });
        return { processes: page.map((s) => processSummary(s.description, req.baseUrl)), links };
      });

      app.get<{ Params: { processId: string } }>('/processes/:processId', async (req) =>
        processDescription((await requireService(req.params.processId)).description, req.baseUrl),
      );

      registerExecuteRoute(app, o);
      registerJobRoutes(app, o.engine);
      registerResultRoutes(app, o.engine);
      registerEventsRoute(app, o.engine, o.keepAliveMs);
      registerSubscriptionRoutes(app, o);
    },
  };
}
