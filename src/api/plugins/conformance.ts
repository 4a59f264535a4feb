/**
 * `/conformance`: the conformance classes of every plugin (OGC API - Processes /req/core/conformance-success,
 * confClasses.yaml: `{ "conformsTo": [uri ...] }`), sorted, without duplicates. The landing page repeats them in
 * `conformsTo` (STAC API - Core).
 */
import type { ApiPlugin, ServerContext } from '../server.ts';

/** The union of the plugins' conformance URIs, sorted. */
export function collectConformance(plugins: readonly ApiPlugin[]): string[] {
  const set = new Set<string>();
  for (const p of plugins) for (const c of p.conformance ?? []) set.add(c);
  return [...set].sort();
}

export function conformancePlugin(ctx: ServerContext): ApiPlugin {
  return {
    name: 'conformance',
    openapi: {
      paths: {
        '/conformance': {
          get: {
            summary: 'The conformance classes this API implements',
            operationId: 'getConformance',
            tags: ['Capabilities'],
            responses: {
              '200': {
                description: 'The conformance declaration.',
                content: { 'application/json': { schema: { $ref: '#/components/schemas/ConfClasses' } } },
              },
              default: { $ref: '#/components/responses/Problem' },
            },
          },
        },
      },
      components: {
        schemas: {
          ConfClasses: {
            type: 'object',
            required: ['conformsTo'],
            properties: { conformsTo: { type: 'array', items: { type: 'string' } } },
          },
        },
      },
    },
    register(app) {
      app.get('/conformance', async () => ({ conformsTo: collectConformance(ctx.plugins()) }));
    },
  };
}
