/**
 * Downloads: `GET|HEAD /assets/<key>` streams what ServerOptions.resolveAsset maps `key` to — a local file, or a
 * blob of a BlobStore that has no local file (S3), streamed from the store — with HTTP range requests (RFC 9110
 * §14: `Accept-Ranges: bytes`; one `Range: bytes=a-b | a- | -n` -> 206 with Content-Range; unsatisfiable -> 416
 * with `Content-Range: bytes *\/size`; several ranges, a malformed header or a failed If-Range -> the whole body,
 * 200), validators (a strong ETag: the store's entity tag, else size and modification time; Last-Modified;
 * If-None-Match / If-Modified-Since -> 304) and a content type (the resolver's, else the blob's, else from the
 * name; TIFFs that carry GDAL's COG layout marker get `image/tiff; application=geotiff; profile=cloud-optimized`).
 * Files and blobs go through one code path (./asset-sources.ts). GDAL's /vsicurl/ and browser COG readers work
 * against it. A key resolved to a URL is redirected (302). A client that goes away stops the store's stream.
 *
 * The plugin never builds a path itself: keys with '.'/'..' segments, backslashes, control characters or a
 * leading '/' are refused (400) before the resolver sees them, and only resolved regular files and existing blobs are served.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GepError, invalidInput } from '../../core/errors.ts';
import { PROBLEM_JSON, problemOf } from '../errors.ts';
import type { ApiPlugin, ResolvedAsset } from '../server.ts';
import { assetKeyProblem } from './asset-hrefs.ts';
import { blobSource, fileSource, type BodySource } from './asset-sources.ts';

export interface AssetsOptions {
  resolveAsset: (href: string) => Promise<ResolvedAsset | null>;
}

export const COG_TYPE = 'image/tiff; application=geotiff; profile=cloud-optimized';
export const GEOTIFF_TYPE = 'image/tiff; application=geotiff';

const TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  jp2: 'image/jp2',
  json: 'application/json',
  geojson: 'application/geo+json',
  fgb: 'application/vnd.flatgeobuf',
  zip: 'application/zip',
  xml: 'application/xml',
  csv: 'text/csv; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  log: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  pdf: 'application/pdf',
  nc: 'application/netcdf',
  gpkg: 'application/geopackage+sqlite3',
};

/** Checks an asset key: relative '/'-separated segments, none empty, '.' or '..'; no backslash or control characters. */
export function checkAssetKey(key: string): string {
  const why = assetKeyProblem(key);
  if (why !== null) throw invalidInput(`asset key '${key.slice(0, 200)}': ${why}`, { parameter: 'key' });
  return key;
}

/** Media type from the file name and, for TIFFs, the first bytes (GDAL's COG ghost header). */
async function guessType(name: string, src: BodySource): Promise<string> {
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
  if (ext === 'tif' || ext === 'tiff') return (await src.sniff(512)).includes('LAYOUT=IFDS_BEFORE_DATA') ? COG_TYPE : GEOTIFF_TYPE;
  return TYPES[ext] ?? 'application/octet-stream';
}

export type RangeResult = { kind: 'none' } | { kind: 'range'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * Interprets a Range header for a representation of `size` bytes. Only one `bytes` range is honoured; a
 * malformed header or several ranges give 'none' (serve everything, as RFC 9110 §14.2 allows).
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'none' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'none' };
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? Infinity : Number(m[2]);
  if (!Number.isSafeInteger(start) || last < start) return { kind: 'none' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'range', start, end: Math.min(last, size - 1) };
}

/** If-None-Match: '*' or any listed tag equal to `etag` (weak comparison, RFC 9110 §13.1.2). */
function etagMatches(list: string, etag: string | undefined): boolean {
  if (list.trim() === '*') return true;
  return etag !== undefined && list.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/** The body source of a resolved asset (a file, or a blob without a local file), or null (-> 404). */
async function sourceOf(r: ResolvedAsset): Promise<BodySource | null> {
  if (r.path) return fileSource(r.path);
  if (r.blob) return blobSource(r.blob.store, r.blob.key);
  return null;
}

async function serve(req: FastifyRequest, reply: FastifyReply, opts: AssetsOptions): Promise<FastifyReply> {
  const key = checkAssetKey((req.params as { '*': string })['*']);
  const notFound = (): GepError => new GepError('GEP_ERR_NOT_FOUND', `no asset '${key.slice(0, 300)}'`);
  const r = await opts.resolveAsset(key);
  if (!r) throw notFound();
  if (!r.path && !r.blob) {
    if (r.url && /^https?:\/\//i.test(r.url)) return reply.redirect(r.url, 302);
    throw notFound();
  }
  const src = await sourceOf(r);
  if (!src) throw notFound();
  try {
    return await sendSource(req, reply, key, r, src);
  } finally {
    await src.close();
  }
}

/**
 * Answers GET/HEAD for one source: validators, conditional requests, one range, then the bytes. `key` names the
 * download (its last segment) and the messages; `r.type` overrides the source's type. Also used for job results.
 */
export async function sendSource(req: FastifyRequest, reply: FastifyReply, key: string, r: ResolvedAsset, src: BodySource): Promise<FastifyReply> {
  const { size, etag } = src;
  const lastModified = src.modified?.toUTCString();
  const name = key.split('/').pop() ?? 'asset';
  reply
    .header('accept-ranges', 'bytes')
    .header('cache-control', 'public, max-age=0, must-revalidate')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('content-disposition', `inline; filename="${name.replace(/[^\w.\-+@ ]/g, '_')}"`);
  if (etag !== undefined) reply.header('etag', etag);
  if (lastModified !== undefined) reply.header('last-modified', lastModified);
  const inm = req.headers['if-none-match'];
  const ims = req.headers['if-modified-since'];
  const notModified =
    inm !== undefined
      ? etagMatches(inm, etag)
      : ims !== undefined && src.modified !== undefined && Math.floor(src.modified.getTime() / 1000) <= Date.parse(ims) / 1000;
  if (notModified) return reply.code(304).send();
  reply.type(r.type ?? src.type ?? (await guessType(r.path ?? name, src)));

  let range = parseRange(req.headers.range, size);
  const ifRangeHeader = req.headers['if-range'];
  const ifRange = Array.isArray(ifRangeHeader) ? ifRangeHeader[0] : ifRangeHeader;
  if (range.kind !== 'none' && ifRange !== undefined) {
    const ok = ifRange.startsWith('"') ? etag !== undefined && ifRange === etag : lastModified !== undefined && Date.parse(ifRange) === Date.parse(lastModified);
    if (!ok) range = { kind: 'none' };
  }
  if (range.kind === 'unsatisfiable') {
    reply.code(416).header('content-range', `bytes */${size}`);
    const p = problemOf(invalidInput(`range '${String(req.headers.range).slice(0, 100)}' is outside the ${size} bytes of '${key.slice(0, 300)}'`, { parameter: 'Range' }), req.url, req.id);
    return reply.type(PROBLEM_JSON).send({ ...p, status: 416 });
  }
  const start = range.kind === 'range' ? range.start : 0;
  const end = range.kind === 'range' ? range.end : size - 1;
  if (range.kind === 'range') reply.code(206).header('content-range', `bytes ${start}-${end}/${size}`);
  reply.header('content-length', String(end - start + 1));
  if (req.method === 'HEAD' || size === 0) return reply.send(size === 0 && req.method !== 'HEAD' ? Buffer.alloc(0) : undefined);
  // Fastify destroys the stream (closing the file, or aborting the store's request) when the client goes away.
  return reply.send(await src.stream(start, end));
}

export function assetsPlugin(opts: AssetsOptions): ApiPlugin {
  const problem = { $ref: '#/components/responses/Problem' };
  return {
    name: 'assets',
    openapi: {
      paths: {
        '/assets/{key}': {
          parameters: [
            { name: 'key', in: 'path', required: true, description: "The asset's key; may contain '/'.", schema: { type: 'string' } },
          ],
          get: {
            summary: 'Download an asset (range requests supported)',
            operationId: 'getAsset',
            tags: ['Assets'],
            parameters: [{ name: 'Range', in: 'header', schema: { type: 'string', example: 'bytes=0-16383' } }],
            responses: {
              '200': { description: 'The whole file.', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
              '206': { description: 'The requested byte range.', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
              '302': { description: 'The asset lives at another URL (Location).' },
              '304': { description: 'Not modified.' },
              '416': problem,
              default: problem,
            },
          },
          head: {
            summary: 'Size, type and validators of an asset',
            operationId: 'headAsset',
            tags: ['Assets'],
            responses: { '200': { description: 'Headers only.' }, default: problem },
          },
        },
      },
    },
    register(app) {
      app.route({ method: ['GET', 'HEAD'], url: '/assets/*', handler: (req, reply) => serve(req, reply, opts) });
    },
  };
}
