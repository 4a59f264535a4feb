/**
 * HTTP(S) byte source: `Range: bytes=a-b` GET requests (RFC 9110 §14) through fetch, on RangedSource (a bounded
 * LRU cache of fixed-size blocks, coalescing of nearby missing blocks into one request). A server that ignores ranges
 * (200 with the whole body) is accepted for small files (the body becomes the source) and refused with
 * GEP_ERR_REMOTE for big ones; any other failure is GEP_ERR_REMOTE (GEP_ERR_NOT_FOUND for 404/410).
 */
import { GepError } from '../../core/errors.ts';
import { RangedSource, readBody, type RangedSourceOptions } from './ranged-source.ts';

export interface HttpSourceOptions extends RangedSourceOptions {
  name?: string;
  signal?: AbortSignal;
  /** Largest whole body accepted from a server that ignores ranges (default 16 MiB). */
  maxWholeBody?: number;
  /** Extra request headers (e.g. Authorization). */
  headers?: Record<string, string>;
}

const remote = (name: string, msg: string, details?: Record<string, unknown>): GepError =>
  new GepError('GEP_ERR_REMOTE', `${name}: ${msg}`, { url: name, ...details });

/** The ranged source over fetch; block cache and coalescing come from RangedSource. */
export class HttpSource extends RangedSource {
  private readonly maxWhole: number;

  private constructor(
    readonly url: string,
    name: string,
    size: number,
    private readonly opts: HttpSourceOptions,
  ) {
    super(name, size, null, opts);
    this.maxWhole = opts.maxWholeBody ?? 16 * 1024 * 1024;
  }

  /** Opens the URL with a first range request (the header blocks), which also tells the file size. */
  static async open(url: string, opts: HttpSourceOptions = {}): Promise<HttpSource> {
    const name = opts.name ?? url;
    const bs = opts.blockSize ?? 16 * 1024;
    const res = await doFetch(url, name, 0, bs - 1, opts.headers, opts.signal);
    if (res.status === 416) {
      const m = /\/(\d+)\s*$/.exec(res.headers.get('content-range') ?? '');
      await res.body?.cancel();
      if (m) return new HttpSource(url, name, Number(m[1]), opts);
      throw remote(name, 'server refused the range request (416)');
    }
    if (res.status === 200) {
      const src = new HttpSource(url, name, 0, opts);
      const body = await src.readWholeBody(res);
      const s = new HttpSource(url, name, body.length, opts);
      s.whole = body;
      s.stats.requests = 1;
      s.stats.bytes = body.length;
      return s;
    }
    const { start, total, body } = await rangeBody(res, name, 0);
    const s = new HttpSource(url, name, total, opts);
    s.stats.requests = 1;
    s.stats.bytes = body.length;
    s.seed(start, body);
    return s;
  }

  private async readWholeBody(res: Response): Promise<Uint8Array> {
    const cl = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(cl) && cl > this.maxWhole) {
      await res.body?.cancel();
      throw remote(this.name, `server ignores Range requests and sends the whole ${cl}-byte file (limit ${this.maxWhole})`);
    }
    const chunks: Uint8Array[] = [];
    let n = 0;
    if (res.body) {
      const reader = res.body.getReader();
      try {
        while (true) {
          const { done, value } = await reader.read();
          if (done) break;
          n += value.length;
          if (n > this.maxWhole) {
            await reader.cancel();
            throw remote(this.name, `server ignores Range requests and sends more than ${this.maxWhole} bytes`);
          }
          chunks.push(value);
        }
      } catch (e) {
        if (e instanceof GepError) throw e;
        throw remote(this.name, `reading the response failed: ${(e as Error).message}`);
      }
    }
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  /** One Range GET; a server that answers 200 (whole file) switches the source to that body. */
  protected override async fetchRange(start: number, end: number, signal?: AbortSignal): Promise<Uint8Array> {
    const res = await doFetch(this.url, this.name, start, end, this.opts.headers, signal);
    if (res.status === 200) {
      const body = await this.readWholeBody(res);
      if (body.length !== this.size) throw remote(this.name, `file changed size on the server (${this.size} -> ${body.length} bytes)`);
      this.whole = body;
      this.stats.bytes += body.length - (end - start + 1);
      return body.subarray(start, end + 1);
    }
    const { start: s, body } = await rangeBody(res, this.name, start);
    if (s !== start || body.length !== end - start + 1)
      throw remote(this.name, `server answered bytes ${s}+${body.length} for the range ${start}-${end}`);
    return body;
  }
}

async function doFetch(
  url: string,
  name: string,
  start: number,
  end: number,
  headers: Record<string, string> | undefined,
  signal: AbortSignal | undefined,
): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { ...headers, Range: `bytes=${start}-${end}` }, signal: signal ?? null });
  } catch (e) {
    if (signal?.aborted) throw new GepError('GEP_ERR_ABORTED', 'operation cancelled');
    throw remote(name, `request failed: ${(e as Error).message}`);
  }
  if (res.status === 404 || res.status === 410) {
    await res.body?.cancel();
    throw new GepError('GEP_ERR_NOT_FOUND', `${name}: HTTP ${res.status}`, { url: name, status: res.status });
  }
  if (res.status !== 200 && res.status !== 206 && res.status !== 416) {
    await res.body?.cancel();
    throw remote(name, `HTTP ${res.status} ${res.statusText} for bytes ${start}-${end}`, { status: res.status });
  }
  return res;
}

/** Body of a 206 answer with its start offset and the total size from Content-Range. */
async function rangeBody(res: Response, name: string, expectStart: number): Promise<{ start: number; total: number; body: Uint8Array }> {
  const cr = res.headers.get('content-range') ?? '';
  const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(cr);
  if (res.status !== 206 || !m) {
    await res.body?.cancel();
    throw remote(name, `expected a 206 answer with Content-Range, got ${res.status} "${cr}"`);
  }
  if (m[3] === '*') {
    await res.body?.cancel();
    throw remote(name, 'server does not tell the file size in Content-Range');
  }
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start !== expectStart || end < start) {
    await res.body?.cancel();
    throw remote(name, `server answered the range ${start}-${end}, expected a range starting at ${expectStart}`);
  }
  const want = end - start + 1;
  const cl = res.headers.get('content-length');
  if (cl !== null && Number(cl) !== want) {
    await res.body?.cancel();
    throw remote(name, `response declares ${cl} bytes, Content-Range says ${want}`);
  }
  const body = await readBody(res.body, want, (msg) => remote(name, msg));
  if (body.length !== want) throw remote(name, `response has ${body.length} bytes, Content-Range says ${want}`);
  return { start, total: Number(m[3]), body };
}
