/**
 * Map tiles, previews and TileJSON for catalogue rasters (GeoTIFF/COG, JPEG2000):
 *   GET /tiles/{z}/{x}/{y}.png?url=..&bands=..&rescale=min,max&colormap=..&nodata=..&resampling=..
 *   GET /preview.png?url=..&max_size=1024&...
 *   GET /tilejson.json?url=..&...   (TileJSON 3.0.0: bounds, min/max zoom, the tile URL template, a legend)
 * Only hrefs that ServerOptions.resolveAsset maps to a file, a blob or a URL are opened; anything else is a 404
 * problem, and no message shows the resolved path or URL (they are replaced by the href). `url` may also be the
 * public href that the STAC API shows (`<base>/assets/<key>`): its key is resolved. Blobs without a local file
 * (S3) open through `store.url(key)`, versioned by their entity tag (else size and modification time). Readers are kept open in a
 * bounded LRU cache (./reader-cache.ts). Rendering itself is src/raster/tile.ts.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GepError } from '../../core/errors.ts';
import { legend } from '../../raster/colormap.ts';
import { encodePng } from '../../raster/png.ts';
import { autoRescale, renderPreview, renderTile, resolveBands, tileRange, type RenderedImage, type RenderOptions } from '../../raster/tile.ts';
import type { RasterReader } from '../../raster/types.ts';
import type { BlobStore } from '../../store/blobs.ts';
import type { ApiPlugin, ResolvedAsset } from '../server.ts';
import { ownAssetKey } from './asset-hrefs.ts';
import { ReaderCache, type OpenFn, type ReaderLease } from './reader-cache.ts';
import { parseIndex, parseMaxSize, parseStyle, parseUrl, STYLE_PARAMETERS, styleQueryString, type Query, type StyleParams } from './tile-params.ts';

export interface TilesOptions {
  resolveAsset: (href: string) => Promise<ResolvedAsset | null>;
  /** Open readers kept (default 32). */
  cacheSize?: number;
  /** Opens a resolved path, store URL or URL (default src/raster/open.ts openRaster); for tests. */
  open?: OpenFn;
  /** Largest source window read per image, pixels (default 2^24). */
  maxReadPixels?: number;
}

const PNG = 'image/png';
/** How long a blob's version (from its head) is trusted before asking the store again, ms. */
const VERSION_MS = 1000;
const PROBLEM_RESPONSE = { $ref: '#/components/responses/Problem' };
const pngResponse = { description: 'A PNG image (RGBA; nodata and outside the raster transparent).', content: { [PNG]: { schema: { type: 'string', format: 'binary' } } } };

/** Replaces every occurrence of a private location (path, URL) in an error message by the public href. */
function scrub(e: unknown, secret: string, href: string): unknown {
  if (!(e instanceof GepError) || !secret || !e.message.includes(secret)) return e;
  return new GepError(e.code, e.message.split(secret).join(href), undefined, { cause: e });
}

export function tilesPlugin(opts: TilesOptions): ApiPlugin {
  const cache = new ReaderCache(opts.cacheSize ?? 32, opts.open);

  /** Blob versions (entity tag, else size and modification time) by store URL, kept for VERSION_MS. */
  const versions = new Map<string, { at: number; version: string }>();

  /** The version of a blob without a local file, from a short-lived memo of its head (one HEAD per blob per second). */
  async function blobVersion(store: BlobStore, key: string, source: string): Promise<string | null> {
    const now = Date.now();
    const hit = versions.get(source);
    if (hit && now - hit.at < VERSION_MS) return hit.version;
    const h = await store.head(key);
    if (!h) return null;
    const version = h.etag ?? `${h.size}-${h.modified instanceof Date ? h.modified.getTime() : ''}`;
    if (versions.size >= 1024) versions.delete(versions.keys().next().value as string);
    versions.set(source, { at: now, version });
    return version;
  }

  /** Where the reader of a resolved asset opens (a path, a store URL or an http(s) URL) and its version, or null. */
  async function sourceOf(r: ResolvedAsset): Promise<{ source: string; version: string } | null> {
    if (r.path) {
      const st = await stat(r.path).catch(() => null);
      return st?.isFile() ? { source: r.path, version: `${st.size}-${st.mtimeMs}` } : null;
    }
    if (r.blob) {
      const source = r.blob.store.url(r.blob.key);
      const version = await blobVersion(r.blob.store, r.blob.key, source);
      return version === null ? null : { source, version };
    }
    if (r.url && /^https?:\/\//i.test(r.url)) return { source: r.url, version: '' };
    return null;
  }

  /**
   * Resolves, (re)opens and leases the reader of an href; throws 404 for unknown hrefs. One of this server's own
   * /assets URLs (the public href of a catalogue asset) is resolved by its key first.
   */
  async function lease(href: string, base: string): Promise<{ lease: ReaderLease; version: string; secret: string }> {
    const notFound = (): GepError => new GepError('GEP_ERR_NOT_FOUND', `url: no raster asset is known as '${href.slice(0, 300)}'`, { parameter: 'url' });
    const key = ownAssetKey(href, base);
    const r = (key !== null ? await opts.resolveAsset(key) : null) ?? (await opts.resolveAsset(href));
    const s = r ? await sourceOf(r) : null;
    if (!s) throw notFound();
    try {
      return { lease: await cache.acquire(s.source, s.version), version: s.version, secret: s.source };
    } catch (e) {
      throw scrub(e, s.source, href);
    }
  }

  /** Render options with the automatic rescale memoised per reader. */
  async function renderOptions(l: ReaderLease, style: StyleParams): Promise<RenderOptions> {
    const o: RenderOptions = { ...style };
    if (opts.maxReadPixels !== undefined) o.maxReadPixels = opts.maxReadPixels;
    const reader: RasterReader = l.reader;
    if (!o.rescale && reader.info.dataType !== 'uint8') {
      const bands = resolveBands(reader.info, o.bands);
      const nd = o.nodata === undefined ? 'file' : String(o.nodata);
      o.rescale = await l.memo(`rescale:${bands.join(',')}:${nd}`, () =>
        autoRescale(reader, bands, o.nodata === undefined ? {} : { nodata: o.nodata }),
      );
    }
    return o;
  }

  /** Sends a PNG with an ETag derived from the file version and the request; 304 when the client has it. */
  function sendPng(req: FastifyRequest, reply: FastifyReply, version: string, img: RenderedImage): FastifyReply {
    const etag = `"${createHash('sha1').update(`${version}\n${req.url}`).digest('base64url')}"`;
    reply.header('etag', etag).header('cache-control', 'public, max-age=60');
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type(PNG).send(Buffer.from(encodePng(img.rgba, img.width, img.height, 4)));
  }

  async function withReader<T>(href: string, base: string, fn: (l: ReaderLease, version: string) => Promise<T>): Promise<T> {
    const { lease: l, version, secret } = await lease(href, base);
    try {
      return await fn(l, version);
    } catch (e) {
      throw scrub(e, secret, href);
    } finally {
      l.release();
    }
  }

  return {
    name: 'tiles',
    openapi: {
      paths: {
        '/tiles/{z}/{x}/{y}.png': {
          get: {
            summary: 'A Web-Mercator (XYZ) map tile of a raster asset',
            operationId: 'getTile',
            tags: ['Tiles'],
            parameters: [
              { name: 'z', in: 'path', required: true, schema: { type: 'integer', minimum: 0, maximum: 30 } },
              { name: 'x', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } },
              { name: 'y', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } },
              ...Object.values(STYLE_PARAMETERS),
            ],
            responses: { '200': pngResponse, '304': { description: 'Not modified.' }, default: PROBLEM_RESPONSE },
          },
        },
        '/preview.png': {
          get: {
            summary: 'A preview of a whole raster asset in its own grid',
            operationId: 'getPreview',
            tags: ['Tiles'],
            parameters: [
              ...Object.values(STYLE_PARAMETERS),
              { name: 'max_size', in: 'query', schema: { type: 'integer', minimum: 16, maximum: 4096, default: 1024 } },
            ],
            responses: { '200': pngResponse, '304': { description: 'Not modified.' }, default: PROBLEM_RESPONSE },
          },
        },
        '/tilejson.json': {
          get: {
            summary: 'TileJSON 3.0.0 of a raster asset: bounds, zoom range, tile URL template, legend',
            operationId: 'getTileJson',
            tags: ['Tiles'],
            parameters: Object.values(STYLE_PARAMETERS),
            responses: {
              '200': { description: 'TileJSON.', content: { 'application/json': { schema: { type: 'object' } } } },
              default: PROBLEM_RESPONSE,
            },
          },
        },
      },
    },
    register(app) {
      app.addHook('onClose', async () => cache.clear());

      app.get('/tiles/:z/:x/:y.png', async (req, reply) => {
        const p = req.params as { z: string; x: string; y: string };
        const z = parseIndex('z', p.z);
        const x = parseIndex('x', p.x);
        const y = parseIndex('y', p.y);
        const q = req.query as Query;
        const href = parseUrl(q);
        const style = parseStyle(q);
        return withReader(href, req.baseUrl, async (l, version) => {
          const img = await renderTile(l.reader, z, x, y, await renderOptions(l, style));
          return sendPng(req, reply, version, img);
        });
      });

      app.get('/preview.png', async (req, reply) => {
        const q = req.query as Query;
        const href = parseUrl(q);
        const style = parseStyle(q);
        const maxSize = parseMaxSize(q);
        return withReader(href, req.baseUrl, async (l, version) => {
          const img = await renderPreview(l.reader, { ...(await renderOptions(l, style)), maxSize });
          return sendPng(req, reply, version, img);
        });
      });

      app.get('/tilejson.json', async (req) => {
        const q = req.query as Query;
        const href = parseUrl(q);
        const style = parseStyle(q);
        return withReader(href, req.baseUrl, async (l) => {
          const info = l.reader.info;
          const bands = resolveBands(info, style.bands);
          const range = tileRange(info);
          const extra = styleQueryString(q);
          const template = `${req.baseUrl}/tiles/{z}/{x}/{y}.png?url=${encodeURIComponent(href)}${extra ? `&${extra}` : ''}`;
          const out: Record<string, unknown> = {
            tilejson: '3.0.0',
            name: href,
            scheme: 'xyz',
            tiles: [template],
            bounds: range.bounds,
            center: range.center,
            minzoom: range.minzoom,
            maxzoom: range.maxzoom,
          };
          if (bands.length === 1) {
            const o = await renderOptions(l, { ...style, bands });
            const [lo, hi] = o.rescale?.[0] ?? [0, 255];
            out.legend = legend(style.colormap ?? 'gray', lo, hi);
          }
          return out;
        });
      });
    },
  };
}
