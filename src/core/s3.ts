/**
 * S3 locations and clients, shared by the blob store (src/store/blobs-s3.ts) and the raster byte source
 * (src/raster/tiff/s3-source.ts).
 *
 * URL form: `s3://BUCKET[/PREFIX][?endpoint=http://host:port&region=R&path_style=true]`. Fallbacks use the AWS
 * CLI/SDK environment names: AWS_ENDPOINT_URL_S3 then AWS_ENDPOINT_URL (endpoint), AWS_REGION then
 * AWS_DEFAULT_REGION (region, default us-east-1). Path-style addressing defaults to true when an endpoint is given
 * (S3-compatible servers: MinIO, Ceph, s3rver) and to false otherwise (AWS virtual-hosted style).
 * Credentials come ONLY from the SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, ...):
 * a URL carrying `user:pass@` or a credential-like parameter is refused, so no URL we log holds a secret.
 * Bucket rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
import { S3Client } from '@aws-sdk/client-s3';
import { GepError, invalidInput } from './errors.ts';

// Our runtime is pinned to Node 20; the SDK warns at every client creation that it will need Node >= 22 in 2027.
// The check runs when a client is constructed, so setting this before the first s3Client() call is enough.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface S3Location {
  bucket: string;
  /** Key prefix: '' or ending with exactly one '/'. */
  prefix: string;
  /** Endpoint origin (+ path, no trailing '/') of an S3-compatible server; undefined for AWS. */
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
}

export const DEFAULT_REGION = 'us-east-1';

const CREDENTIALS_HELP =
  'credentials never go in an s3:// URL: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in the environment';
const PARAMS = ['endpoint', 'region', 'path_style'] as const;

/** Checks a bucket name against the S3 rules (3-63 chars, lowercase letters, digits, '.', '-'). */
export function checkBucketName(bucket: string, url: string): string {
  const bad = (why: string): GepError => invalidInput(`S3 URL ${JSON.stringify(url)}: bucket name ${JSON.stringify(bucket)} ${why}`, { url });
  if (bucket.length < 3 || bucket.length > 63) throw bad('must be 3 to 63 characters long');
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(bucket)) throw bad('may hold only lowercase letters, digits, "." and "-", and must start and end with a letter or digit');
  if (bucket.includes('..') || bucket.includes('.-') || bucket.includes('-.')) throw bad('must not have ".." or "." next to "-"');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket)) throw bad('must not look like an IP address');
  if (/^(xn--|sthree-)/.test(bucket) || /(-s3alias|--ol-s3|--x-s3)$/.test(bucket)) throw bad('uses a prefix or suffix reserved by S3');
  return bucket;
}

function checkEndpoint(raw: string, url: string, from: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw invalidInput(`S3 URL ${JSON.stringify(url)}: endpoint ${JSON.stringify(raw)} (from ${from}) is not a URL; expected http://host:port`, { url });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw invalidInput(`S3 URL ${JSON.stringify(url)}: endpoint (from ${from}) must be an http:// or https:// URL`, { url });
  if (u.username !== '' || u.password !== '') throw invalidInput(`S3 URL ${JSON.stringify(url)}: endpoint (from ${from}) holds credentials; ${CREDENTIALS_HELP}`, { url });
  if (u.search !== '' || u.hash !== '') throw invalidInput(`S3 URL ${JSON.stringify(url)}: endpoint (from ${from}) must not have a query or fragment`, { url });
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

function decodePath(path: string, url: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw invalidInput(`S3 URL ${JSON.stringify(url)}: bad percent-encoding in the key`, { url });
  }
}

/** Splits and checks an s3:// URL; `path` is the decoded text after the bucket (no leading '/'). */
function parseParts(url: string): { loc: Omit<S3Location, 'prefix'>; path: string } {
  if (typeof url !== 'string' || !/^s3:\/\//i.test(url))
    throw invalidInput(`S3 URL ${JSON.stringify(url)}: expected s3://BUCKET[/PREFIX][?endpoint=http://host:port&region=R&path_style=true]`, { url });
  const rest = url.slice('s3://'.length);
  if (rest.includes('#')) throw invalidInput(`S3 URL ${JSON.stringify(url)}: must not have a '#' fragment`, { url });
  const q = rest.indexOf('?');
  const main = q >= 0 ? rest.slice(0, q) : rest;
  const query = new URLSearchParams(q >= 0 ? rest.slice(q + 1) : '');
  const slash = main.indexOf('/');
  const authority = slash >= 0 ? main.slice(0, slash) : main;
  if (authority.includes('@')) throw invalidInput(`S3 URL ${JSON.stringify(url)}: ${CREDENTIALS_HELP}`, { url });
  if (authority.includes(':'))
    throw invalidInput(`S3 URL ${JSON.stringify(url)}: the bucket name must not hold ':' (give a server as ?endpoint=http://host:port)`, { url });
  if (authority === '') throw invalidInput(`S3 URL ${JSON.stringify(url)}: missing bucket name; expected s3://BUCKET[/PREFIX]`, { url });
  const bucket = checkBucketName(authority, url);
  for (const k of query.keys()) {
    if (/key|secret|token|passw|credential|signature|auth/i.test(k)) throw invalidInput(`S3 URL ${JSON.stringify(url)}: parameter ${JSON.stringify(k)} refused; ${CREDENTIALS_HELP}`, { url });
    if (!(PARAMS as readonly string[]).includes(k)) throw invalidInput(`S3 URL ${JSON.stringify(url)}: unknown parameter ${JSON.stringify(k)}; expected ${PARAMS.join(', ')}`, { url });
    if (query.getAll(k).length > 1) throw invalidInput(`S3 URL ${JSON.stringify(url)}: parameter ${JSON.stringify(k)} given more than once`, { url });
  }
  const env = process.env;
  const qEndpoint = query.get('endpoint');
  const [rawEndpoint, from] =
    qEndpoint !== null ? [qEndpoint, 'the URL'] : env.AWS_ENDPOINT_URL_S3 ? [env.AWS_ENDPOINT_URL_S3, 'AWS_ENDPOINT_URL_S3'] : env.AWS_ENDPOINT_URL ? [env.AWS_ENDPOINT_URL, 'AWS_ENDPOINT_URL'] : [undefined, ''];
  const endpoint = rawEndpoint === undefined ? undefined : checkEndpoint(rawEndpoint, url, from);
  const region = query.get('region') ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || DEFAULT_REGION);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(region)) throw invalidInput(`S3 URL ${JSON.stringify(url)}: region ${JSON.stringify(region)} is not a region name (e.g. eu-west-1)`, { url });
  const ps = query.get('path_style');
  let forcePathStyle = endpoint !== undefined;
  if (ps !== null) {
    if (ps === 'true' || ps === '1') forcePathStyle = true;
    else if (ps === 'false' || ps === '0') forcePathStyle = false;
    else throw invalidInput(`S3 URL ${JSON.stringify(url)}: path_style must be true or false, got ${JSON.stringify(ps)}`, { url });
  }
  const path = decodePath(slash >= 0 ? main.slice(slash + 1) : '', url);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) throw invalidInput(`S3 URL ${JSON.stringify(url)}: the key or prefix contains a control character`, { url });
  if (path.startsWith('/')) throw invalidInput(`S3 URL ${JSON.stringify(url)}: the prefix must not start with '/' (use s3://BUCKET/PREFIX)`, { url });
  return { loc: { bucket, ...(endpoint !== undefined ? { endpoint } : {}), region, forcePathStyle }, path };
}

function checkSegments(path: string, url: string, what: string): void {
  for (const seg of path.split('/')) {
    if (seg === '') throw invalidInput(`S3 URL ${JSON.stringify(url)}: the ${what} has an empty segment ('//')`, { url });
    if (seg === '.' || seg === '..') throw invalidInput(`S3 URL ${JSON.stringify(url)}: the ${what} has a '${seg}' segment`, { url });
  }
}

/** Parses a store URL `s3://BUCKET[/PREFIX][?...]`; the prefix is normalised to '' or 'a/b/'. */
export function parseS3Url(url: string): S3Location {
  const { loc, path } = parseParts(url);
  const p = path.replace(/\/+$/, '');
  if (p !== '') checkSegments(p, url, 'prefix');
  return { ...loc, prefix: p === '' ? '' : `${p}/` };
}

/** Parses an object URL `s3://BUCKET/KEY[?...]` (a raster to read); prefix is ''. */
export function parseS3ObjectUrl(url: string): S3Location & { key: string } {
  const { loc, path } = parseParts(url);
  if (path === '' || path.endsWith('/')) throw invalidInput(`S3 URL ${JSON.stringify(url)}: expected s3://BUCKET/KEY naming an object`, { url });
  checkSegments(path, url, 'key');
  return { ...loc, prefix: '', key: path };
}

/** Percent-encodes the characters that would end or corrupt the path of an s3:// URL ('%', '?', '#'). */
function encodePath(path: string): string {
  return path.replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/**
 * The s3:// URL of `loc` (plus `key` under its prefix): endpoint always when set (readers in other processes may
 * lack the environment), region when not us-east-1, path_style when not the default for the endpoint.
 */
export function formatS3Url(loc: S3Location, key = ''): string {
  const q: string[] = [];
  if (loc.endpoint !== undefined) q.push(`endpoint=${loc.endpoint}`);
  if (loc.region !== DEFAULT_REGION) q.push(`region=${encodeURIComponent(loc.region)}`);
  if (loc.forcePathStyle !== (loc.endpoint !== undefined)) q.push(`path_style=${loc.forcePathStyle}`);
  const path = encodePath(loc.prefix + key);
  return `s3://${loc.bucket}${path === '' ? '' : `/${path}`}${q.length ? `?${q.join('&')}` : ''}`;
}

/** SDK retry/timeout settings: a dead endpoint fails within a few seconds instead of hanging. */
export const S3_CLIENT_LIMITS = {
  maxAttempts: 3,
  /** TCP connect timeout (ms). */
  connectionTimeout: 2000,
  /** Socket idle timeout (ms): no byte sent or received for this long fails the request. */
  requestTimeout: 30_000,
} as const;

const clients = new Map<string, S3Client>();

/** The shared client for a location's endpoint, region and addressing style (credentials: SDK default chain). */
export function s3Client(loc: S3Location): S3Client {
  const id = `${loc.endpoint ?? ''}|${loc.region}|${loc.forcePathStyle}`;
  let c = clients.get(id);
  if (!c) {
    c = new S3Client({
      region: loc.region,
      ...(loc.endpoint !== undefined ? { endpoint: loc.endpoint } : {}),
      forcePathStyle: loc.forcePathStyle,
      maxAttempts: S3_CLIENT_LIMITS.maxAttempts,
      requestHandler: { connectionTimeout: S3_CLIENT_LIMITS.connectionTimeout, requestTimeout: S3_CLIENT_LIMITS.requestTimeout },
      // Checksums only where the API requires them: many S3-compatible servers do not understand the
      // aws-chunked trailing-checksum uploads that newer SDKs send by default.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    clients.set(id, c);
  }
  return c;
}

function field(e: unknown, k: string): unknown {
  return typeof e === 'object' && e !== null && k in e ? (e as Record<string, unknown>)[k] : undefined;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/**
 * Maps an SDK error to a GepError. `what` names the object or bucket (an s3:// URL); `loc` lets network errors
 * name the endpoint. SDK messages are not repeated for auth failures (they may echo the request signature).
 */
export function s3ErrorToGep(e: unknown, what: string, loc?: S3Location): GepError {
  if (e instanceof GepError) return e;
  const name = String(field(e, 'name') ?? field(e, 'Code') ?? '');
  const code = String(field(e, 'code') ?? '');
  const meta = field(e, '$metadata');
  const status = Number(field(meta, 'httpStatusCode') ?? NaN);
  const details = { url: what, ...(Number.isFinite(status) ? { status } : {}) };
  const where = loc ? (loc.endpoint ?? `AWS S3 (${loc.region})`) : 'the S3 endpoint';
  if (name === 'AbortError' || code === 'ABORT_ERR') return new GepError('GEP_ERR_ABORTED', 'operation cancelled');
  if (name === 'NoSuchBucket') {
    const bucket = loc?.bucket ?? what;
    return new GepError('GEP_ERR_NOT_FOUND', `${what}: bucket ${JSON.stringify(bucket)} does not exist at ${where}`, details);
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) return new GepError('GEP_ERR_NOT_FOUND', `${what}: no such object`, details);
  if (['AccessDenied', 'Forbidden', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken'].includes(name) || status === 403)
    return new GepError('GEP_ERR_REMOTE', `${what}: access denied by ${where} (${name || 'HTTP 403'}); check the credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE and the bucket policy`, details);
  if (name === 'CredentialsProviderError' || /credential/i.test(name))
    return new GepError('GEP_ERR_REMOTE', `${what}: no S3 credentials found; ${CREDENTIALS_HELP}`, details);
  if (NETWORK_CODES.has(code) || name === 'TimeoutError' || name === 'RequestTimeout' || /timeout/i.test(name) || code === 'ECONNABORTED')
    return new GepError('GEP_ERR_REMOTE', `${what}: cannot reach ${where} (${code || name})`, details);
  const msg = e instanceof Error ? e.message.slice(0, 200) : String(e).slice(0, 200);
  return new GepError('GEP_ERR_REMOTE', `${what}: S3 request to ${where} failed (${[name, Number.isFinite(status) ? `HTTP ${status}` : '', msg].filter(Boolean).join(': ')})`, details);
}
