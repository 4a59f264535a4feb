/**
 * HTTP(S) byte source: `Range: bytes=a-b` GET requests (RFC 9110 §14) through fetch, a bounded LRU cache of
 * fixed-size blocks, and coalescing of nearby missing blocks into one request. A server that ignores ranges
 * (200 with the whole body) is accepted for small files (the body becomes the source) and refused with
 * GEP_ERR_REMOTE for big ones; any other failure is GEP_ERR_REMOTE (GEP_ERR_NOT_FOUND for 404/410).
 */
import { GepError } from '../../core/errors.ts';
import { checkRange, mapLimit, type ByteRange, type ByteSource } from './source.ts';

export interface HttpSourceOptions {
  name?: string;
  signal?: AbortSignal;
  /** Cache block size in bytes (default 16 KiB, as GDAL's /vsicurl). */
  blockSize?: number;
  /** Cache capacity in bytes (default 64 MiB). */
  cacheBytes?: number;
  /** Largest whole body accepted from a server that ignores ranges (default 16 MiB). */
  maxWholeBody?: number;
  /** Largest single request in bytes (default 8 MiB). */
  maxRequestBytes?: number;
  /** Extra request headers (e.g. Authorization). */
  headers?: Record<string, string>;
}

const remote = (name: string, msg: string, details?: Record<string, unknown>): GepError =>
  new GepError('GEP_ERR_REMOTE', `${name}: ${msg}`, { url: name, ...details });

export class HttpSource implements ByteSource {
  /** Requests made and bytes received, for tests and logs. */
  readonly stats = { requests: 0, bytes: 0 };
  private whole: Uint8Array | null = null;
  private readonly cache = new Map<number, Uint8Array>();
  private cached = 0;
  private readonly inflight = new Map<number, Promise<Uint8Array>>();
  private readonly bs: number;
  private readonly cap: number;
  private readonly maxWhole: number;
  private readonly maxReq: number;

  private constructor(
    readonly url: string,
    readonly name: string,
    readonly size: number,
    private readonly opts: HttpSourceOptions,
  ) {
    this.bs = opts.blockSize ?? 16 * 1024;
    this.cap = opts.cacheBytes ?? 64 * 1024 * 1024;
    this.maxWhole = opts.maxWholeBody ?? 16 * 1024 * 1024;
    this.maxReq = Math.max(this.bs, opts.maxRequestBytes ?? 8 * 1024 * 1024);
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
    s.storeRun(start / bs, body);
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

  /** Splits a fetched run starting at block `b0` into cache blocks. */
  private storeRun(b0: number, buf: Uint8Array): void {
    for (let i = 0, b = b0; i < buf.length; i += this.bs, b++) this.put(b, buf.slice(i, Math.min(buf.length, i + this.bs)));
  }

  private put(b: number, bytes: Uint8Array): void {
    const old = this.cache.get(b);
    if (old) {
      this.cache.delete(b);
      this.cached -= old.length;
    }
    this.cache.set(b, bytes);
    this.cached += bytes.length;
    for (const [k, v] of this.cache) {
      if (this.cached <= this.cap) break;
      this.cache.delete(k);
      this.cached -= v.length;
    }
  }

  private get(b: number): Uint8Array | undefined {
    const v = this.cache.get(b);
    if (v) {
      this.cache.delete(b);
      this.cache.set(b, v);
    }
    return v;
  }

  /** Fetches blocks [b0, b1] in one request; registers and returns each block's promise. */
  private fetchRun(b0: number, b1: number, signal?: AbortSignal): Promise<Uint8Array>[] {
    const start = b0 * this.bs;
    const end = Math.min(this.size, (b1 + 1) * this.bs) - 1;
    const run = (async (): Promise<Uint8Array> => {
      const res = await doFetch(this.url, this.name, start, end, this.opts.headers, signal);
      this.stats.requests++;
      if (res.status === 200) {
        const body = await this.readWholeBody(res);
        if (body.length !== this.size) throw remote(this.name, `file changed size on the server (${this.size} -> ${body.length} bytes)`);
        this.whole = body;
        this.stats.bytes += body.length;
        return body.subarray(start, end + 1);
      }
      const { start: s, body } = await rangeBody(res, this.name, start);
      if (s !== start || body.length !== end - start + 1)
        throw remote(this.name, `server answered bytes ${s}+${body.length} for the range ${start}-${end}`);
      this.stats.bytes += body.length;
      return body;
    })();
    const out: Promise<Uint8Array>[] = [];
    for (let b = b0; b <= b1; b++) {
      const off = (b - b0) * this.bs;
      const p = run.then((buf) => buf.slice(off, Math.min(buf.length, off + this.bs)));
      this.inflight.set(b, p);
      p.then(
        (v) => {
          this.put(b, v);
          if (this.inflight.get(b) === p) this.inflight.delete(b);
        },
        () => {
          if (this.inflight.get(b) === p) this.inflight.delete(b);
        },
      );
      out.push(p);
    }
    return out;
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    return (await this.readRanges([{ offset, length }], signal))[0]!;
  }

  async readRanges(ranges: ByteRange[], signal?: AbortSignal): Promise<Uint8Array[]> {
    for (const r of ranges) checkRange(this.name, this.size, r.offset, r.length);
    if (this.whole) return ranges.map((r) => this.whole!.subarray(r.offset, r.offset + r.length));
    const bs = this.bs;
    const needed = new Set<number>();
    for (const r of ranges) {
      if (r.length === 0) continue;
      for (let b = Math.floor(r.offset / bs); b <= Math.floor((r.offset + r.length - 1) / bs); b++) needed.add(b);
    }
    const blocks = new Map<number, Uint8Array | Promise<Uint8Array>>();
    const missing: number[] = [];
    for (const b of needed) {
      const c = this.get(b) ?? this.inflight.get(b);
      if (c) blocks.set(b, c);
      else missing.push(b);
    }
    missing.sort((a, b) => a - b);
    // Coalesce: fetch through gaps of up to 2 blocks, up to maxRequestBytes per request.
    const maxBlocks = Math.max(1, Math.floor(this.maxReq / bs));
    const runs: [number, number][] = [];
    for (const b of missing) {
      const last = runs[runs.length - 1];
      if (last && b - last[1] <= 3 && b - last[0] < maxBlocks) last[1] = b;
      else runs.push([b, b]);
    }
    // Blocks are held here until assembled, so cache eviction (by concurrent reads) cannot lose them.
    await mapLimit(runs, 6, async ([b0, b1]) => {
      if (this.whole) return;
      const ps = this.fetchRun(b0, b1, signal);
      ps.forEach((p, i) => blocks.set(b0 + i, p));
      await Promise.all(ps);
    });
    if (this.whole) return ranges.map((r) => this.whole!.subarray(r.offset, r.offset + r.length));
    const resolved = new Map<number, Uint8Array>();
    for (const [b, v] of blocks) resolved.set(b, await v);
    return ranges.map((r) => {
      if (r.length === 0) return new Uint8Array(0);
      const b0 = Math.floor(r.offset / bs);
      const b1 = Math.floor((r.offset + r.length - 1) / bs);
      if (b0 === b1) return resolved.get(b0)!.subarray(r.offset - b0 * bs, r.offset - b0 * bs + r.length);
      const out = new Uint8Array(r.length);
      for (let b = b0; b <= b1; b++) {
        const blk = resolved.get(b)!;
        const s = Math.max(r.offset, b * bs);
        const e = Math.min(r.offset + r.length, b * bs + blk.length);
        out.set(blk.subarray(s - b * bs, e - b * bs), s - r.offset);
      }
      return out;
    });
  }

  async close(): Promise<void> {
    this.cache.clear();
    this.cached = 0;
    this.whole = null;
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
  const body = await readBounded(res, name, want);
  if (body.length !== want) throw remote(name, `response has ${body.length} bytes, Content-Range says ${want}`);
  return { start, total: Number(m[3]), body };
}

/** Reads a response body, refusing (GEP_ERR_REMOTE) one longer than `max` bytes without buffering it. */
async function readBounded(res: Response, name: string, max: number): Promise<Uint8Array> {
  const out = new Uint8Array(max);
  let n = 0;
  if (!res.body) return out.subarray(0, 0);
  const reader = res.body.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (n + value.length > max) {
        await reader.cancel();
        throw remote(name, `response is longer than the ${max} bytes asked for`);
      }
      out.set(value, n);
      n += value.length;
    }
  } catch (e) {
    if (e instanceof GepError) throw e;
    throw remote(name, `reading the response failed: ${(e as Error).message}`);
  }
  return out.subarray(0, n);
}
