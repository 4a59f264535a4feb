/**
 * Downloads: `GET|HEAD /assets/<key>` streams the file that ServerOptions.resolveAsset maps `key` to, with
 * HTTP range requests (RFC 9110 §14: `Accept-Ranges: bytes`; one `Range: bytes=a-b | a- | -n` -> 206 with
 * Content-Range; unsatisfiable -> 416 with `Content-Range: bytes *\/size`; several ranges, a malformed header or
 * a failed If-Range -> the whole file, 200), validators (strong ETag from size and mtime, Last-Modified;
 * If-None-Match / If-Modified-Since -> 304) and a content type (the resolver's, else from the name; TIFFs that
 * carry GDAL's COG layout marker get `image/tiff; application=geotiff; profile=cloud-optimized`). GDAL's
 * /vsicurl/ and browser COG readers work against it. A key resolved to a URL is redirected (302).
 *
 * The plugin never builds a path itself: keys with '.'/'..' segments, backslashes, control characters or a
 * leading '/' are refused (400) before the resolver sees them, and only resolved regular files are served.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GepError, invalidInput } from '../../core/errors.ts';
import { PROBLEM_JSON, problemOf } from '../errors.ts';
import type { ApiPlugin, ResolvedAsset } from '../server.ts';

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
  const bad = (why: string): GepError => invalidInput(`asset key '${key.slice(0, 200)}': ${why}`, { parameter: 'key' });
  if (key.length === 0) throw bad('empty');
  if (key.length > 1024) throw bad('longer than 1024 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw bad('contains control characters');
  if (key.includes('\\')) throw bad("contains '\\'");
  if (key.startsWith('/') || /^[A-Za-z]:/.test(key)) throw bad('must be relative');
  for (const seg of key.split('/')) if (seg === '' || seg === '.' || seg === '..') throw bad(`has an empty, '.' or '..' segment`);
  return key;
}

/** Media type from the file name and, for TIFFs, the first bytes (GDAL's COG ghost header). */
async function guessType(name: string, fh: FileHandle): Promise<string> {
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
  if (ext === 'tif' || ext === 'tiff') {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    return head.subarray(0, bytesRead).includes('LAYOUT=IFDS_BEFORE_DATA') ? COG_TYPE : GEOTIFF_TYPE;
  }
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

function etagMatches(list: string, etag: string): boolean {
  if (list.trim() === '*') return true;
  return list.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

async function serve(req: FastifyRequest, reply: FastifyReply, opts: AssetsOptions): Promise<FastifyReply> {
  const key = checkAssetKey((req.params as { '*': string })['*']);
  const notFound = (): GepError => new GepError('GEP_ERR_NOT_FOUND', `no asset '${key.slice(0, 300)}'`);
  const r = await opts.resolveAsset(key);
  if (!r) throw notFound();
  if (!r.path) {
    if (r.url && /^https?:\/\//i.test(r.url)) return reply.redirect(r.url, 302);
    throw notFound();
  }
  let fh: FileHandle;
  try {
    fh = await open(r.path, 'r');
  } catch {
    throw notFound();
  }
  let handedOff = false;
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw notFound();
    const size = st.size;
    const etag = `"${size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    const lastModified = st.mtime.toUTCString();
    const name = key.split('/').pop() ?? 'asset';
    reply
      .header('accept-ranges', 'bytes')
      .header('etag', etag)
      .header('last-modified', lastModified)
      .header('cache-control', 'public, max-age=0, must-revalidate')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('content-disposition', `inline; filename="${name.replace(/[^\w.\-+@ ]/g, '_')}"`);
    const inm = req.headers['if-none-match'];
    const ims = req.headers['if-modified-since'];
    if (inm !== undefined ? etagMatches(inm, etag) : ims !== undefined && Math.floor(st.mtimeMs / 1000) <= Date.parse(ims) / 1000)
      return reply.code(304).send();
    reply.type(r.type ?? (await guessType(r.path, fh)));

    let range = parseRange(req.headers.range, size);
    const ifRangeHeader = req.headers['if-range'];
    const ifRange = Array.isArray(ifRangeHeader) ? ifRangeHeader[0] : ifRangeHeader;
    if (range.kind !== 'none' && ifRange !== undefined) {
      const ok = ifRange.startsWith('"') ? ifRange === etag : Date.parse(ifRange) === Date.parse(lastModified);
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
    const stream = fh.createReadStream({ start, end, autoClose: true });
    handedOff = true;
    return reply.send(stream);
  } finally {
    if (!handedOff) await fh.close().catch(() => undefined);
  }
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
