/**
 * The landing page `/`: a STAC Catalog with `conformsTo` (STAC API - Core) that is also an OGC API landing page
 * (OGC API - Processes /req/core/landingpage-success): links to itself, the API definition (service-desc), the
 * conformance declaration (rel `conformance` and the OGC URI), and whatever each plugin links (data, search,
 * processes ...).
 */
import { STAC_VERSION, type StacLink } from '../../core/stac.ts';
import { OPENAPI_JSON } from '../openapi.ts';
import type { ApiPlugin, ServerContext } from '../server.ts';
import { collectConformance } from './conformance.ts';

export const CONF_STAC_CORE = 'https://api.stacspec.org/v1.0.0/core';
export const REL_OGC_CONFORMANCE = 'http://www.opengis.net/def/rel/ogc/1.0/conformance';

/** Links of the landing page for a base URL (no trailing slash). */
export function landingLinks(ctx: ServerContext, baseUrl: string): StacLink[] {
  const root = `${baseUrl}/`;
  const links: StacLink[] = [
    { rel: 'self', href: root, type: 'application/json', title: 'This document' },
    { rel: 'root', href: root, type: 'application/json', title: ctx.info.title },
    { rel: 'service-desc', href: `${baseUrl}/api`, type: OPENAPI_JSON, title: 'The API definition (OpenAPI 3.0)' },
    { rel: 'conformance', href: `${baseUrl}/conformance`, type: 'application/json', title: 'Conformance classes' },
    { rel: REL_OGC_CONFORMANCE, href: `${baseUrl}/conformance`, type: 'application/json', title: 'Conformance classes' },
  ];
  for (const p of ctx.plugins()) if (p.links) links.push(...p.links(baseUrl));
  return links;
}

export function landingPlugin(ctx: ServerContext): ApiPlugin {
  return {
    name: 'landing',
    conformance: [CONF_STAC_CORE],
    openapi: {
      paths: {
        '/': {
          get: {
            summary: 'Landing page: a STAC Catalog with links to the API capabilities',
            operationId: 'getLandingPage',
            tags: ['Capabilities'],
            responses: {
              '200': {
                description: 'The landing page.',
                content: { 'application/json': { schema: { $ref: '#/components/schemas/LandingPage' } } },
              },
              default: { $ref: '#/components/responses/Problem' },
            },
          },
        },
      },
      components: {
        schemas: {
          LandingPage: {
            type: 'object',
            required: ['type', 'stac_version', 'id', 'description', 'conformsTo', 'links'],
            properties: {
              type: { type: 'string', enum: ['Catalog'] },
              stac_version: { type: 'string' },
              id: { type: 'string' },
              title: { type: 'string' },
              description: { type: 'string' },
              conformsTo: { type: 'array', items: { type: 'string' } },
              links: { type: 'array', items: { $ref: '#/components/schemas/Link' } },
            },
          },
        },
      },
    },
    register(app) {
      app.get('/', async (req) => ({
        type: 'Catalog',
        stac_version: STAC_VERSION,
        id: ctx.info.id,
        title: ctx.info.title,
        description: ctx.info.description,
        conformsTo: collectConformance(ctx.plugins()),
        links: landingLinks(ctx, req.baseUrl),
      }));
    },
  };
}
