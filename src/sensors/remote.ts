/**
 * Products held remotely: `http(s)://` URLs and `s3://BUCKET/KEY[?endpoint=..]` objects (see core/s3.ts).
 *
 * What a remote href is comes from its first bytes, read through the same ranged byte sources as the raster
 * readers (raster/tiff/http-source.ts, s3-source.ts), not from its name alone: TIFF/BigTIFF -> the plain
 * GeoTIFF/COG product, `{` -> a STAC item JSON (its relative asset hrefs resolve against the item URL). Formats
 * that are folders or archives of many files (Sentinel-2 SAFE folder or zip, Landsat MTL scene, Pléiades DIMAP) and
 * JPEG2000 files are refused with GEP_ERR_UNSUPPORTED before any pixel is read ("download it first, or ingest
 * it"). A missing object is GEP_ERR_NOT_FOUND naming the URL.
 */
import { GepError, unsupported } from '../core/errors.ts';
import type { RangedSource } from '../raster/tiff/ranged-source.ts';
import { HttpSource } from '../raster/tiff/http-source.ts';
import type { Product } from './types.ts';

/** True for the hrefs this module opens: http://, https:// and s3:// URLs. */
export const isRemoteHref = (href: string): boolean => /^(https?|s3):\/\//i.test(href);

/** The URL without its query and fragment (`s3://b/k?endpoint=..` -> `s3://b/k`). */
function withoutQuery(url: string): string {
  const i = url.search(/[?#]/);
  return i < 0 ? url : url.slice(0, i);
}

/**
 * The file name of a path or URL: the last segment of a local path, or of a URL's path (query and fragment
 * removed, percent-decoding applied). `s3://b/d/S2_20230702_10m.tif?endpoint=http://h:9000` -> `S2_20230702_10m.tif`.
 */
export function hrefFileName(href: string): string {
  if (!isRemoteHref(href)) return href.replace(/[\\/]+$/, '').replace(/^.*[\\/]/, '');
  const path = withoutQuery(href).replace(/^[a-z0-9+.-]+:\/\/[^/]*/i, '').replace(/\/+$/, '');
  const last = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/**
 * The URL of `name` next to a remote object: the last path segment replaced, the query (S3 endpoint, region) kept.
 * `s3://b/d/X_10m.tif?endpoint=E`, `X_20m.tif` -> `s3://b/d/X_20m.tif?endpoint=E`.
 */
export function remoteSibling(url: string, name: string): string {
  const base = withoutQuery(url);
  const rest = url.slice(base.length);
  const query = rest.startsWith('#') ? '' : rest.replace(/#.*$/, '');
  return `${base.slice(0, base.lastIndexOf('/') + 1)}${encodeURIComponent(name)}${query}`;
}

/**
 * A relative href resolved against a remote base URL (an item's own URL), RFC 3986 §5.2 on the path; the
 * base's query is kept for s3:// (it names the server, not the object). Absolute URLs are returned as they are.
 */
export function resolveRemoteHref(href: string, base: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(href)) return href;
  const u = new URL(href, base).href;
  if (!/^s3:\/\//i.test(base)) return u;
  const q = base.slice(withoutQuery(base).length).replace(/#.*$/, '');
  return withoutQuery(u) + q;
}

/** Opens the ranged byte source of a remote object (the first request reads `blockSize` bytes and the size). */
export async function openRemoteSource(url: string, opts: { signal?: AbortSignal; blockSize?: number } = {}): Promise<RangedSource> {
  const o = { name: url, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.blockSize ? { blockSize: opts.blockSize } : {}) };
  if (/^s3:\/\//i.test(url)) return (await import('../raster/tiff/s3-source.ts')).openS3Source(url, o);
  return HttpSource.open(url, o);
}

/**
 * The whole content of a remote object of at most `maxBytes` bytes (GEP_ERR_TOO_LARGE beyond), read in ranges.
 * Errors: GEP_ERR_NOT_FOUND (no such object), GEP_ERR_REMOTE, GEP_ERR_ABORTED.
 */
export async function readRemoteBytes(url: string, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
  const src = await openRemoteSource(url, signal ? { signal } : {});
  try {
    if (src.size > maxBytes) throw new GepError('GEP_ERR_TOO_LARGE', `${url}: ${src.size} bytes, more than the ${maxBytes} accepted`, { url });
    return (await src.read(0, src.size, signal)).slice();
  } finally {
    await src.close();
  }
}

export type RemoteKind = 'tiff' | 'json' | 'zip' | 'jp2' | 'xml' | 'text' | 'unknown';

/** What the first bytes of a file are. */
export function sniffProduct(head: Uint8Array): RemoteKind {
  const b = (i: number): number => head[i] ?? -1;
  if ((b(0) === 0x49 && b(1) === 0x49 && (b(2) === 42 || b(2) === 43) && b(3) === 0) || (b(0) === 0x4d && b(1) === 0x4d && b(2) === 0 && (b(3) === 42 || b(3) === 43)))
    return 'tiff';
  if (b(0) === 0x50 && b(1) === 0x4b && (b(2) === 3 || b(2) === 5) && (b(3) === 4 || b(3) === 6)) return 'zip';
  if ((b(4) === 0x6a && b(5) === 0x50 && b(6) === 0x20 && b(7) === 0x20) || (b(0) === 0xff && b(1) === 0x4f && b(2) === 0xff && b(3) === 0x51)) return 'jp2';
  let i = b(0) === 0xef && b(1) === 0xbb && b(2) === 0xbf ? 3 : 0; // UTF-8 byte order mark
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
  if (b(i) === 0x7b) return 'json';
  if (b(i) === 0x3c) return 'xml';
  if (i < head.length && head.subarray(i, Math.min(head.length, i + 64)).every((c) => c === 0x09 || c === 0x0a || c === 0x0d || (c >= 0x20 && c < 0x7f))) return 'text';
  return 'unknown';
}

const DOWNLOAD_FIRST = 'download it first, or ingest it (gep ingest) into a data folder';

/** GEP_ERR_UNSUPPORTED for a remote product whose format is a folder or archive, decided from its name alone. */
function refuseByName(url: string): void {
  const path = withoutQuery(url);
  const name = hrefFileName(url);
  if (/\.SAFE(\/|$)/i.test(path) || /^manifest\.safe$/i.test(name) || (/\.zip$/i.test(name) && /S2[ABCD]?_MSI/i.test(name)))
    throw unsupported(url, `a remote Sentinel-2 SAFE (folder or zip) is not read over the network; ${DOWNLOAD_FIRST}`, { url });
  if (/_MTL\.(txt|xml)$/i.test(name)) throw unsupported(url, `a remote Landsat scene (MTL and band files) is not read over the network; ${DOWNLOAD_FIRST}`, { url });
  if (/^DIM_.*\.XML$/i.test(name)) throw unsupported(url, `a remote DIMAP product is not read over the network; ${DOWNLOAD_FIRST}`, { url });
  if (/^s3:/i.test(path) && /\/$/.test(path)) throw unsupported(url, `a remote folder is not a product we read (expected a GeoTIFF/COG or a STAC item JSON); ${DOWNLOAD_FIRST}`, { url });
}

/**
 * Opens a remote product (see the module comment). The first bytes are read once (one ranged request), then the
 * format's reader opens the URL itself.
 */
export async function openRemoteProduct(url: string, opts: { signal?: AbortSignal } = {}): Promise<Product> {
  refuseByName(url);
  const src = await openRemoteSource(url, { ...opts, blockSize: 4096 });
  let head: Uint8Array;
  try {
    head = await src.read(0, Math.min(src.size, 512), opts.signal);
  } finally {
    await src.close();
  }
  const kind = sniffProduct(head);
  switch (kind) {
    case 'tiff':
      return (await import('./geotiff/product.ts')).openGeoTiffProduct(url, opts);
    case 'json':
      return (await import('./sentinel2/stac.ts')).openSentinel2StacItem(url, opts);
    case 'zip':
      throw unsupported(url, `a remote zip archive (e.g. a Sentinel-2 SAFE zip) is not read over the network; ${DOWNLOAD_FIRST}`, { url });
    case 'jp2':
      throw unsupported(url, `remote JPEG2000 files are not read over the network (GeoTIFF/COG only); ${DOWNLOAD_FIRST}`, { url });
    case 'xml':
    case 'text':
      throw unsupported(url, `a remote ${kind === 'xml' ? 'XML' : 'text'} file is not a product we read over the network (a product metadata file needs its band files: ${DOWNLOAD_FIRST})`, { url });
    default:
      throw unsupported(url, `not a product we recognise (${src.size} bytes; expected a GeoTIFF/COG or a STAC item JSON)`, { url });
  }
}
