/**
 * A byte source over any ranged-read transport (HTTP Range GETs, S3 GetObject with Range): a bounded LRU cache
 * of fixed-size blocks, coalescing of nearby missing blocks into one request (gaps of up to 2 blocks, at most
 * `maxRequestBytes` per request, 6 requests in flight), and sharing of in-flight blocks between concurrent
 * reads. Every read is checked against the size first (checkRange), so hostile offsets in a file become
 * GEP_ERR_CORRUPT_FILE before any request or allocation. The transport is a `fetchRange` callback.
 */
import { GepError } from '../../core/errors.ts';
import { checkRange, mapLimit, type ByteRange, type ByteSource } from './source.ts';

/** Fetches bytes start..endInclusive (both within the source); must return exactly that many bytes or throw. */
export type RangeFetcher = (start: number, endInclusive: number, signal?: AbortSignal) => Promise<Uint8Array>;

export interface RangedSourceOptions {
  /** Cache block size in bytes (default 16 KiB, as GDAL's /vsicurl). */
  blockSize?: number;
  /** Cache capacity in bytes (default 64 MiB). */
  cacheBytes?: number;
  /** Largest single request in bytes (default 8 MiB). */
  maxRequestBytes?: number;
}

export class RangedSource implements ByteSource {
  /** Requests made and bytes received, for tests and logs. */
  readonly stats = { requests: 0, bytes: 0 };
  /** The whole file, when a transport had to send it at once (see HttpSource); reads are then served from it. */
  protected whole: Uint8Array | null = null;
  private readonly cache = new Map<number, Uint8Array>();
  private cached = 0;
  private readonly inflight = new Map<number, Promise<Uint8Array>>();
  protected readonly bs: number;
  private readonly cap: number;
  private readonly maxReq: number;

  constructor(
    readonly name: string,
    readonly size: number,
    private readonly fetcher: RangeFetcher | null,
    opts: RangedSourceOptions = {},
  ) {
    this.bs = opts.blockSize ?? 16 * 1024;
    this.cap = opts.cacheBytes ?? 64 * 1024 * 1024;
    this.maxReq = Math.max(this.bs, opts.maxRequestBytes ?? 8 * 1024 * 1024);
  }

  /** The transport: the constructor's callback, or a subclass override. */
  protected fetchRange(start: number, endInclusive: number, signal?: AbortSignal): Promise<Uint8Array> {
    if (!this.fetcher) throw new Error('RangedSource: no fetchRange given');
    return this.fetcher(start, endInclusive, signal);
  }

  /** Puts bytes read at `offset` (a multiple of the block size, e.g. the opening request) into the cache. */
  seed(offset: number, bytes: Uint8Array): void {
    const b0 = offset / this.bs;
    if (!Number.isInteger(b0)) throw new Error(`RangedSource.seed: offset ${offset} is not a multiple of ${this.bs}`);
    for (let i = 0, b = b0; i < bytes.length; i += this.bs, b++) this.put(b, bytes.slice(i, Math.min(bytes.length, i + this.bs)));
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
      this.stats.requests++;
      const body = await this.fetchRange(start, end, signal);
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
    if (this.whole) return this.fromWhole(ranges);
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
    if (this.whole) return this.fromWhole(ranges);
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

  private fromWhole(ranges: ByteRange[]): Uint8Array[] {
    const w = this.whole!;
    return ranges.map((r) => w.subarray(r.offset, r.offset + r.length));
  }

  async close(): Promise<void> {
    this.cache.clear();
    this.cached = 0;
    this.whole = null;
  }
}

/**
 * Reads a web stream body into exactly `want` bytes, refusing a longer body without buffering it (the caller
 * checks a shorter one). `fail(message)` builds the error to throw (GEP_ERR_REMOTE naming the source).
 */
export async function readBody(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | null | undefined,
  want: number,
  fail: (msg: string) => GepError,
): Promise<Uint8Array> {
  const out = new Uint8Array(want);
  let n = 0;
  if (!body) return out.subarray(0, 0);
  try {
    if ('getReader' in body) {
      const reader = body.getReader();
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        if (n + value.length > want) {
          await reader.cancel();
          throw fail(`response is longer than the ${want} bytes asked for`);
        }
        out.set(value, n);
        n += value.length;
      }
    } else {
      for await (const value of body) {
        if (n + value.length > want) {
          const d = body as { destroy?: () => void };
          d.destroy?.();
          throw fail(`response is longer than the ${want} bytes asked for`);
        }
        out.set(value, n);
        n += value.length;
      }
    }
  } catch (e) {
    if (e instanceof GepError) throw e;
    throw fail(`reading the response failed: ${(e as Error).message}`);
  }
  return out.subarray(0, n);
}
