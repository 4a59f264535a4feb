/**
 * HTTP for talking to remote STAC APIs (harvesting) and to our own STAC transaction API (`gep ingest --server`):
 * JSON requests with a per-request timeout, a bounded response size, and bounded retries with exponential
 * backoff on network errors, HTTP 429 and 5xx (honouring Retry-After up to 10 s).
 */
import { GepError } from '../core/errors.ts';

export interface HttpOptions {
  fetch?: typeof fetch;
  /** Retries after the first attempt on network errors, 429 and 5xx (default 3). */
  retries?: number;
  /** First backoff delay in ms, doubled per retry (default 250). */
  retryDelayMs?: number;
  /** Per-request timeout in ms (default 60 000). */
  timeoutMs?: number;
  /** Largest response body read, in bytes (default 64 MiB). */
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface HttpRequest {
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  headers?: Record<string, string>;
}

export interface HttpResponse {
  status: number;
  url: string;
  headers: Headers;
  text: string;
}

const sleep = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new GepError('GEP_ERR_ABORTED', 'operation cancelled'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new GepError('GEP_ERR_ABORTED', 'operation cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Reads a body up to `max` bytes; larger bodies are a GEP_ERR_TOO_LARGE naming the URL. */
async function readBounded(res: Response, url: string, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > max) throw new GepError('GEP_ERR_TOO_LARGE', `${url}: response of ${declared} bytes exceeds ${max}`, { url });
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > max) {
      await reader.cancel().catch(() => undefined);
      throw new GepError('GEP_ERR_TOO_LARGE', `${url}: response larger than ${max} bytes`, { url });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const retryable = (status: number): boolean => status === 429 || status >= 500;

/**
 * One HTTP exchange with retries. Returns the final response whatever its status, except that network failures
 * and retryable statuses still failing after the last retry throw GEP_ERR_REMOTE naming the URL.
 */
export async function httpRequest(req: HttpRequest, opts: HttpOptions = {}): Promise<HttpResponse> {
  const doFetch = opts.fetch ?? fetch;
  const retries = Math.max(0, Math.min(10, opts.retries ?? 3));
  const base = opts.retryDelayMs ?? 250;
  const method = req.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/geo+json, application/json;q=0.9', ...req.headers };
  if (req.body !== undefined) headers['content-type'] = 'application/json';
  let last = '';
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw new GepError('GEP_ERR_ABORTED', 'operation cancelled');
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 60_000);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let wait = base * 2 ** attempt;
    try {
      const res = await doFetch(req.url, {
        method,
        headers,
        signal,
        ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
      });
      const text = await readBounded(res, req.url, opts.maxBytes ?? 64 << 20);
      if (!retryable(res.status)) return { status: res.status, url: res.url || req.url, headers: res.headers, text };
      last = `HTTP ${res.status}${text ? `: ${text.slice(0, 200).replace(/\s+/g, ' ')}` : ''}`;
      const ra = Number(res.headers.get('retry-after'));
      if (Number.isFinite(ra) && ra > 0) wait = Math.min(10_000, ra * 1000);
    } catch (e) {
      if (e instanceof GepError) throw e;
      if (opts.signal?.aborted) throw new GepError('GEP_ERR_ABORTED', 'operation cancelled');
      const cause = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
      last = timeout.aborted ? `no answer within ${opts.timeoutMs ?? 60_000} ms` : cause;
    }
    if (attempt >= retries)
      throw new GepError('GEP_ERR_REMOTE', `${method} ${req.url} failed after ${attempt + 1} attempt${attempt ? 's' : ''}: ${last}`, { url: req.url });
    await sleep(wait, opts.signal);
  }
}

/** Parses a JSON body, or throws GEP_ERR_REMOTE naming the URL and showing the start of what came back. */
export function parseJsonBody(res: HttpResponse, what: string): unknown {
  try {
    return JSON.parse(res.text);
  } catch {
    const head = res.text.slice(0, 80).replace(/\s+/g, ' ');
    throw new GepError('GEP_ERR_REMOTE', `${res.url}: ${what} is not JSON (starts with ${JSON.stringify(head)})`, { url: res.url });
  }
}

/** Joins an API root and a path ('/collections/x'), keeping the root's own path. */
export function apiUrl(root: string, path: string): string {
  return `${root.replace(/\/+$/, '')}${path}`;
}
