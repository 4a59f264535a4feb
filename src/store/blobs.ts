/**
 * Blob storage behind one small interface: a local folder or S3-compatible object storage (DESIGN.md
 * "Two deployments, one code path"). Keys are relative, '/'-separated paths, validated here for every back-end.
 */
import { resolve } from 'node:path';
import { GepError, invalidInput } from '../core/errors.ts';
import { DEFAULT_DATA_DIR } from './db.ts';

/** What `head` tells about a blob. */
export interface BlobHead {
  /** Size in bytes. */
  size: number;
  /** MIME type given at put time, when one was. */
  contentType?: string;
  /** Opaque version tag (S3: the object's ETag; local: `"<size hex>-<mtime ms hex>"`), quotes included. */
  etag?: string;
  /** Last modification time. */
  modified?: Date;
}

export interface BlobStore {
  /** 'local' (a folder) or 's3' (S3-compatible object storage). */
  readonly kind: 'local' | 's3';
  /** The store's own URL (`file:///abs/dir` or `s3://bucket/prefix/?endpoint=...`), for logs. Holds no secret. */
  readonly location: string;
  /**
   * Stores `data` under `key`, replacing any previous blob; readers never see a partial blob. Portable callers
   * never make a key that is a folder of another ('a' and 'a/b'): S3 allows it, the local store refuses it.
   */
  put(key: string, data: Uint8Array | NodeJS.ReadableStream, opts?: { contentType?: string }): Promise<void>;
  /**
   * Stores the local file `path` under `key` (streamed: fit for multi-GB COGs), replacing any previous blob.
   * With `move` the source file is gone afterwards (renamed where possible, else deleted after a complete copy).
   */
  putFile(key: string, path: string, opts?: { contentType?: string; move?: boolean }): Promise<void>;
  /**
   * Streams the blob, or bytes start..end (inclusive, end clamped to the size). GEP_ERR_NOT_FOUND when absent;
   * GEP_ERR_INVALID_INPUT when start > end, either is not a non-negative integer, or start is at/after the end.
   */
  get(key: string, range?: { start: number; end: number }): Promise<NodeJS.ReadableStream>;
  /** Size, content type, etag and modification time, or null when absent. */
  head(key: string): Promise<BlobHead | null>;
  /** Removes the blob; absent keys are not an error. */
  delete(key: string): Promise<void>;
  /** Removes every blob whose key starts with `prefix` (checked like a list prefix, '' refused); returns the count. */
  deletePrefix(prefix: string): Promise<number>;
  /** Keys starting with `prefix` (a plain string prefix, '' for all), in ascending (UTF-16 code unit) order. */
  list(prefix: string): AsyncIterable<string>;
  /** A file path for tools that need one (GDAL), or null where blobs are not files (S3). */
  localPath(key: string): string | null;
  /**
   * Where readers outside the store open the blob: an absolute file path (local) or
   * `s3://bucket/<prefix><key>[?endpoint=..&region=..]` (S3). `openRaster(url(key))` reads both.
   */
  url(key: string): string;
}

/** Longest key accepted, in UTF-16 code units. */
export const MAX_KEY_LENGTH = 1024;
/** Top-level names reserved by the local store (temporary files, metadata sidecars). */
export const RESERVED_PREFIXES = ['.gep-tmp', '.gep-meta'] as const;

/**
 * Checks a blob key: 1..MAX_KEY_LENGTH characters, '/'-separated non-empty segments, no '.' or '..' segment,
 * no leading '/', no backslash, no NUL or other control character, not under a reserved prefix.
 */
export function checkBlobKey(key: unknown, what = 'blob key'): string {
  const show = JSON.stringify(typeof key === 'string' && key.length > 200 ? `${key.slice(0, 200)}...` : key);
  const bad = (why: string): GepError => invalidInput(`${what} ${show}: ${why}`, { key: typeof key === 'string' ? key.slice(0, 200) : key });
  if (typeof key !== 'string' || key.length === 0) throw bad('expected a non-empty string');
  if (key.length > MAX_KEY_LENGTH) throw bad(`longer than ${MAX_KEY_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw bad('contains NUL or a control character');
  if (key.includes('\\')) throw bad("contains '\\' (use '/' between segments)");
  if (key.startsWith('/') || /^[A-Za-z]:/.test(key)) throw bad('must be relative, not an absolute path');
  for (const seg of key.split('/')) {
    if (seg === '') throw bad("has an empty segment ('//' or a trailing '/')");
    if (seg === '.' || seg === '..') throw bad(`has a '${seg}' segment`);
  }
  const top = key.split('/')[0]!;
  if ((RESERVED_PREFIXES as readonly string[]).includes(top)) throw bad(`'${top}' is reserved`);
  return key;
}

/** Checks a list prefix: '' or a key prefix (a trailing '/' allowed). */
export function checkBlobPrefix(prefix: unknown): string {
  if (prefix === '') return '';
  if (typeof prefix !== 'string') throw invalidInput(`blob prefix ${JSON.stringify(prefix)}: expected a string`);
  checkBlobKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix, 'blob prefix');
  return prefix;
}

/**
 * Opens `file://<dir>` (or, when undefined, `<dataDir>/blobs`), or `s3://BUCKET[/PREFIX][?endpoint=..&region=..]`
 * (see src/core/s3.ts for the URL form, environment fallbacks and where credentials go).
 */
export async function openBlobStore(url: string | undefined, opts: { dataDir?: string } = {}): Promise<BlobStore> {
  if (url === undefined || url === '' || url.startsWith('file://')) {
    const { LocalBlobStore } = await import('./blobs-local.ts');
    if (url === undefined || url === '') return LocalBlobStore.open(resolve(opts.dataDir ?? DEFAULT_DATA_DIR, 'blobs'));
    const dir = url.slice('file://'.length);
    if (dir === '') throw invalidInput(`blob store URL ${JSON.stringify(url)}: expected file://<dir>`, { input: 'blobs' });
    return LocalBlobStore.open(resolve(dir));
  }
  if (/^s3:\/\//i.test(url)) {
    const { S3BlobStore } = await import('./blobs-s3.ts');
    return S3BlobStore.open(url);
  }
  throw invalidInput(`blob store URL ${JSON.stringify(url)}: expected file://<dir> or s3://BUCKET[/PREFIX][?endpoint=http://host:port]`, { input: 'blobs' });
}
