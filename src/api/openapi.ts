/**
 * The OpenAPI 3.0 document of the whole API, assembled from what each plugin contributes (paths, components),
 * served at /api as application/vnd.oai.openapi+json;version=3.0 (STAC API - Core "service-desc"; OGC API -
 * Processes /req/core/api-definition-op). Two plugins declaring the same operation, or the same component name
 * with different content, is a programming error reported when the server is built.
 */
import { GepError } from '../core/errors.ts';
import { PROBLEM_COMPONENTS } from './errors.ts';
import type { ApiPlugin, ServerContext, ServiceInfo } from './server.ts';

export const OPENAPI_JSON = 'application/vnd.oai.openapi+json;version=3.0';

/** OGC API - Features "OpenAPI 3.0" class, which STAC API - Core recommends advertising with an OpenAPI 3.0 document. */
export const CONF_OAS30 = 'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30';

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers?: { url: string }[];
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, Record<string, unknown>>;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** Shared components used by the built-in plugins' paths. */
const BASE_COMPONENTS: Record<string, Record<string, unknown>> = {
  schemas: {
    ...PROBLEM_COMPONENTS.schemas,
    Link: {
      type: 'object',
      required: ['href', 'rel'],
      properties: {
        href: { type: 'string' },
        rel: { type: 'string' },
        type: { type: 'string' },
        title: { type: 'string' },
        method: { type: 'string' },
      },
    },
  },
  responses: { ...PROBLEM_COMPONENTS.responses },
};

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Merges the plugins' parts into one OpenAPI 3.0 document (without `servers`, which depend on the request). */
export function assembleOpenApi(plugins: readonly ApiPlugin[], info: ServiceInfo): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  const owner = new Map<string, string>();
  const components: Record<string, Record<string, unknown>> = {};
  const addComponents = (from: string, comps: Record<string, unknown>): void => {
    for (const [section, entries] of Object.entries(comps)) {
      if (!entries || typeof entries !== 'object') continue;
      const dst = (components[section] ??= {});
      for (const [name, value] of Object.entries(entries as Record<string, unknown>)) {
        if (name in dst && !same(dst[name], value))
          throw new GepError('GEP_ERR_INTERNAL', `OpenAPI component ${section}/${name} from plugin '${from}' conflicts with an earlier one`);
        dst[name] = value;
      }
    }
  };
  addComponents('server', BASE_COMPONENTS);
  for (const p of plugins) {
    if (!p.openapi) continue;
    for (const [path, item] of Object.entries(p.openapi.paths)) {
      if (!path.startsWith('/')) throw new GepError('GEP_ERR_INTERNAL', `OpenAPI path '${path}' of plugin '${p.name}' must start with '/'`);
      const dst = (paths[path] ??= {});
      for (const [key, op] of Object.entries((item ?? {}) as Record<string, unknown>)) {
        const id = `${key.toUpperCase()} ${path}`;
        if (HTTP_METHODS.has(key) && owner.has(id))
          throw new GepError('GEP_ERR_INTERNAL', `OpenAPI operation ${id} is declared by plugins '${owner.get(id)}' and '${p.name}'`);
        if (HTTP_METHODS.has(key)) owner.set(id, p.name);
        else if (key in dst && !same(dst[key], op))
          throw new GepError('GEP_ERR_INTERNAL', `OpenAPI path ${path} field '${key}' of plugin '${p.name}' conflicts with an earlier one`);
        dst[key] = op;
      }
    }
    if (p.openapi.components) addComponents(p.name, p.openapi.components);
  }
  return {
    openapi: '3.0.3',
    info: { title: info.title, version: info.version, description: info.description },
    paths,
    components,
  };
}

/** The `/api` plugin: serves the assembled document with `servers` set to the request's base URL. */
export function openapiPlugin(ctx: ServerContext): ApiPlugin {
  return {
    name: 'openapi',
    conformance: [CONF_OAS30],
    openapi: {
      paths: {
        '/api': {
          get: {
            summary: 'The OpenAPI 3.0 definition of this API',
            operationId: 'getApi',
            tags: ['Capabilities'],
            responses: {
              '200': { description: 'The API definition.', content: { [OPENAPI_JSON]: { schema: { type: 'object' } } } },
              default: { $ref: '#/components/responses/Problem' },
            },
          },
        },
      },
    },
    register(app) {
      const doc = assembleOpenApi(ctx.plugins(), ctx.info);
      app.get('/api', async (req, reply) => {
        // A Buffer, so that Fastify keeps the media type exactly as STAC API and OGC clients compare it.
        const body = Buffer.from(JSON.stringify({ ...doc, servers: [{ url: req.baseUrl }] }));
        return reply.header('content-type', OPENAPI_JSON).send(body);
      });
    },
  };
}
