/**
 * Public asset hrefs. The catalogue stores asset hrefs as written by ingestion and jobs: blob keys
 * (`thumbnails/c/a.png`, `jobs/<id>/velocity.tif`), paths relative to the data folder, absolute local paths or
 * file:// URLs of the data folder, and remote URLs. A STAC client can open none of the local forms, so the API
 * shows every href it may serve as `${base}/assets/<key>` (each segment percent-encoded, RFC 3986 §3.3) and
 * leaves the others as stored. This is a pure string mapping (no I/O, no database): it runs for every asset of
 * every item of a search page, and whether a key is really served stays the resolver's decision
 * (src/platform/app.ts makeResolver); `ownAssetKey` is its inverse for /tiles?url=<public href>.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Longest asset key, in UTF-16 code units (as src/store/blobs.ts MAX_KEY_LENGTH). */
export const MAX_ASSET_KEY = 1024;

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const WINDOWS_DRIVE = /^[a-z]:[\\/]/i;

/**
 * Why `key` is not an acceptable /assets key, or null when it is: relative '/'-separated segments, none empty,
 * '.' or '..'; no backslash, no control character; 1..MAX_ASSET_KEY characters.
 */
export function assetKeyProblem(key: string): string | null {
  if (key.length === 0) return 'empty';
  if (key.length > MAX_ASSET_KEY) return `longer than ${MAX_ASSET_KEY} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'contains control characters';
  if (key.includes('\\')) return "contains '\\'";
  if (key.startsWith('/') || /^[A-Za-z]:/.test(key)) return 'must be relative';
  for (const seg of key.split('/')) if (seg === '' || seg === '.' || seg === '..') return "has an empty, '.' or '..' segment";
  return null;
}

/** True for an href shaped like a blob key: a valid asset key without a URL scheme. */
export function looksLikeBlobKey(href: string): boolean {
  return !SCHEME.test(href) && assetKeyProblem(href) === null;
}

/** `${base}/assets/<key>` with every segment percent-encoded ('/' kept). */
export function assetUrl(base: string, key: string): string {
  return `${base}/assets/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** The data-folder-relative key of an absolute path, or null when the path is outside `dataDir` or is it. */
function keyInside(dataDir: string, abs: string): string | null {
  const r = relative(dataDir, abs);
  if (r === '' || r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r)) return null;
  const key = sep === '/' ? r : r.split(sep).join('/');
  return assetKeyProblem(key) === null ? key : null;
}

/**
 * The href a client should use for a catalogue asset href:
 * - http(s) URLs: unchanged;
 * - blob keys (`isBlobKey`, default looksLikeBlobKey) and, with `dataDir`, paths relative to it: `${base}/assets/<key>`;
 * - with `dataDir`, absolute paths and file:// URLs inside it: `${base}/assets/<path relative to dataDir>`;
 * - anything else (paths outside the data folder, other schemes, malformed file URLs): unchanged.
 * `base` is the API root without a trailing slash; `dataDir` an absolute path (as the server resolved it).
 */
export function publicAssetHref(href: string, base: string, dataDir?: string, isBlobKey: (href: string) => boolean = looksLikeBlobKey): string {
  if (href.length === 0 || /^https?:\/\//i.test(href)) return href;
  if (isBlobKey(href)) return assetUrl(base, href);
  if (dataDir === undefined || dataDir === '') return href;
  // Fast paths (the common stored forms) without URL parsing or path resolution: a POSIX path or a file:// URL
  // without escapes, no dot segments and no '//', is inside the data folder exactly when it starts with it.
  const plain = href.startsWith('/') ? href : href.startsWith('file:///') && !href.includes('%') ? href.slice(7) : null;
  if (plain !== null && sep === '/' && !/\/\.{0,2}(\/|$)|\/\//.test(plain)) {
    const root = dataDir.endsWith('/') ? dataDir : `${dataDir}/`;
    if (!plain.startsWith(root)) return href;
    const key = plain.slice(root.length);
    return assetKeyProblem(key) === null ? assetUrl(base, key) : href;
  }
  let abs: string;
  if (/^file:\/\//i.test(href)) {
    try {
      abs = fileURLToPath(href);
    } catch {
      return href;
    }
  } else if (SCHEME.test(href) && !WINDOWS_DRIVE.test(href)) return href;
  // eslint-disable-next-line no-control-regex
  else if (/[\u0000-\u001f\u007f]/.test(href)) return href;
  else abs = resolve(dataDir, href);
  const key = keyInside(dataDir, abs);
  return key === null ? href : assetUrl(base, key);
}

/**
 * The asset key of one of this server's own /assets URLs (`${base}/assets/<key>`, percent-decoded), or null for
 * any other href, a query or fragment, or a malformed escape.
 */
export function ownAssetKey(href: string, base: string): string | null {
  const prefix = `${base}/assets/`;
  if (!href.startsWith(prefix) || /[?#]/.test(href)) return null;
  try {
    const key = href.slice(prefix.length).split('/').map(decodeURIComponent).join('/');
    return assetKeyProblem(key) === null ? key : null;
  } catch {
    return null;
  }
}
