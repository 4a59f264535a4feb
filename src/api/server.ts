/**
 * The HTTP server: a thin Fastify adapter (DESIGN.md convention 6). Each ApiPlugin brings its routes (registered
 * in its own encapsulated Fastify scope), its OpenAPI paths, its conformance classes and its landing-page links;
 * the landing page (/), /conformance and /api are assembled from them.
 *
 * Cross-cutting behaviour: JSON responses; errors as RFC 7807 problem+json (./errors.ts); a request id per request
 * (a client's `X-Request-Id` when it is a short token, else a UUID), echoed in `X-Request-Id`; CORS for reads
 * (`Access-Control-Allow-Origin: *` on GET/HEAD responses, OPTIONS pre-flight answered for GET/HEAD with the
 * Range header allowed and Content-Range/ETag exposed, as browser COG readers need).
 * Everything is testable with `app.inject()`; `listen` is up to the caller.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { GepError } from '../core/errors.ts';
import type { StacLink } from '../core/stac.ts';
import type { BlobStore } from '../store/blobs.ts';
import { registerErrorHandlers } from './errors.ts';
import { assetsPlugin } from './plugins/assets.ts';
import { conformancePlugin } from './plugins/conformance.ts';
import { landingPlugin } from './plugins/landing.ts';
import { tilesPlugin } from './plugins/tiles.ts';
import { openapiPlugin } from './openapi.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Absolute URL of the API root without a trailing slash (ServerOptions.baseUrl, or from the Host header). */
    baseUrl: string;
  }
}

export interface OpenApiPart {
  /** OpenAPI 3.0 path items keyed by path ('/collections/{collectionId}'). */
  paths: Record<string, unknown>;
  /** OpenAPI 3.0 components by section (schemas, parameters, responses ...). */
  components?: Record<string, unknown>;
}

export interface ApiPlugin {
  name: string;
  register(app: FastifyInstance): Promise<void> | void;
  /** Conformance class URIs this plugin implements (listed at / and /conformance). */
  conformance?: string[];
  /** Landing-page links (data, search, processes ...), absolute from `baseUrl` (no trailing slash). */
  links?: (baseUrl: string) => StacLink[];
  openapi?: OpenApiPart;
}

/**
 * Where an asset href or blob key lives: a local file, a blob of a store that has no local file (S3: /assets
 * streams it with `store.get`, /tiles opens `store.url(key)`), or a URL; and optionally its media type.
 */
export interface ResolvedAsset {
  path?: string;
  blob?: { store: BlobStore; key: string };
  url?: string;
  /** Media type (e.g. the STAC asset's `type`); guessed from the name and content when absent. */
  type?: string;
}

export interface ServiceInfo {
  id: string;
  title: string;
  description: string;
  version: string;
}

export interface ServerOptions {
  /** Public root URL (e.g. https://gep.example.org); default: derived per request from the Host header. */
  baseUrl?: string;
  plugins?: ApiPlugin[];
  logger?: boolean;
  /**
   * Maps a catalogue asset href or a blob key to a local file or URL, or null when unknown. Tiles and downloads
   * serve only what this resolves (no arbitrary file access); without it the tiles and assets plugins are off.
   */
  resolveAsset?: (href: string) => Promise<ResolvedAsset | null>;
  /** Landing-page identity and the OpenAPI `info`. */
  info?: Partial<ServiceInfo>;
}

/** What the built-in plugins need from the server. */
export interface ServerContext {
  info: ServiceInfo;
  /** Every plugin of the server, the built-in ones included, in registration order. */
  plugins(): readonly ApiPlugin[];
}

export const DEFAULT_INFO: ServiceInfo = {
  id: 'gep',
  title: 'Geohazards Exploitation Platform',
  description: 'Optical ground-motion, landslide and surface-model services on STAC and OGC API - Processes.',
  version: '0.1.0',
};

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

function genReqId(req: IncomingMessage): string {
  const h = req.headers['x-request-id'];
  return typeof h === 'string' && REQUEST_ID.test(h) ? h : randomUUID();
}

function derivedBaseUrl(req: FastifyRequest): string {
  const host = req.host;
  return `${req.protocol}://${typeof host === 'string' && HOST.test(host) ? host : 'localhost'}`;
}

const CORS_EXPOSE = 'Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified, X-Request-Id';

/** Builds (but does not start) the server with the built-in plugins and `opts.plugins`. */
export async function buildServer(opts: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    genReqId,
    routerOptions: { maxParamLength: 2048 },
    return503OnClosing: true,
  });
  const fixedBase = opts.baseUrl?.replace(/\/+$/, '');
  if (fixedBase !== undefined && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(fixedBase))
    throw new GepError('GEP_ERR_INVALID_INPUT', `baseUrl: expected an absolute http(s) URL, got '${opts.baseUrl}'`, { parameter: 'baseUrl' });

  app.decorateRequest('baseUrl', '');
  app.addHook('onRequest', async (req, reply) => {
    req.baseUrl = fixedBase ?? derivedBaseUrl(req);
    reply.header('x-request-id', req.id);
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') {
      reply.header('access-control-allow-origin', '*');
      reply.header('access-control-expose-headers', CORS_EXPOSE);
    }
  });
  registerErrorHandlers(app);
  app.options('*', async (_req, reply) => {
    reply
      .code(204)
      .header('access-control-allow-methods', 'GET, HEAD, OPTIONS')
      .header('access-control-allow-headers', 'Range, If-None-Match, If-Modified-Since, If-Range, Accept, Content-Type, X-Request-Id')
      .header('access-control-max-age', '86400');
    return reply.send();
  });

  const info: ServiceInfo = { ...DEFAULT_INFO, ...opts.info };
  const all: ApiPlugin[] = [];
  const ctx: ServerContext = { info, plugins: () => all };
  all.push(landingPlugin(ctx), conformancePlugin(ctx), openapiPlugin(ctx));
  if (opts.resolveAsset) all.push(tilesPlugin({ resolveAsset: opts.resolveAsset }), assetsPlugin({ resolveAsset: opts.resolveAsset }));
  all.push(...(opts.plugins ?? []));
  const names = new Set<string>();
  for (const p of all) {
    if (names.has(p.name)) throw new GepError('GEP_ERR_INVALID_INPUT', `API plugin '${p.name}' is registered twice`);
    names.add(p.name);
  }
  for (const p of all) await app.register(async (scope) => p.register(scope));
  return app;
}
