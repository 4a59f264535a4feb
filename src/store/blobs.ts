/**
 * Blob storage behind one small interface: a local folder now, S3-compatible object storage later (DESIGN.md
 * "Two deployments, one code path"). Keys are relative, '/'-separated paths, validated here for every back-end.
 */
import { resolve } from 'node:path';
import { GepError, invalidInput } from '../core/errors.ts';
import { DEFAULT_DATA_DIR } from './db.ts';

export interface BlobStore {
  /** Stores `data` under `key`, replacing any previous blob; readers never see a partial blob. */
  put(key: string, data: Uint8Array | NodeJS.ReadableStream, opts?: { contentType?: string }): Promise<void>;
  /** Streams the blob, or bytes start..end (inclusive, end clamped to the size). GEP_ERR_NOT_FOUND when absent. */
  get(key: string, range?: { start: number; end: number }): Promise<NodeJS.ReadableStream>;
  /** Size in bytes and content type, or null when absent. */
  head(key: string): Promise<{ size: number; contentType?: string } | null>;
  /** Removes the blob; absent keys are not an error. */
  delete(key: string): Promise<void>;
  /** Keys starting with `prefix` (a plain string prefix, '' for all), in ascending order. */
  list(prefix: string): AsyncIterable<string>;
  /** A file path for tools that need one (GDAL), or null where blobs are not files. */
  localPath?(key: string): string | null;
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

/** Opens `file://<dir>` (or, when undefined, `<dataDir>/blobs`). `s3://` is planned, not yet available. */
export async function openBlobStore(url: string | undefined, opts: { dataDir?: string } = {}): Promise<BlobStore> {
  const { LocalBlobStore } = await import('./blobs-local.ts');
  if (url === undefined || url === '') return LocalBlobStore.open(resolve(opts.dataDir ?? DEFAULT_DATA_DIR, 'blobs'));
  if (url.startsWith('file://')) {
    const dir = url.slice('file://'.length);
    if (dir === '') throw invalidInput(`blob store URL ${JSON.stringify(url)}: expected file://<dir>`);
    return LocalBlobStore.open(resolve(dir));
  }
  if (url.startsWith('s3://')) {
    throw new GepError(
      'GEP_ERR_UNSUPPORTED',
      `blob store ${url}: S3-compatible storage is planned but not implemented yet; use file://<dir> for now`,
      { input: 'blobs' },
    );
  }
  throw invalidInput(`blob store URL ${JSON.stringify(url)}: expected file://<dir> (or s3://, planned)`, { input: 'blobs' });
}
