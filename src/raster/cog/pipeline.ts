/**
 * The tile pipeline of the COG writer: tiles are prepared on the calling thread, compressed in parallel, and
 * written strictly in file order through a sink, with at most `window` tiles in flight (bounded memory).
 *
 * Each tile is written as [uint32 byte count][data][last 4 bytes of data] — GDAL's BLOCK_LEADER=SIZE_AS_UINT4
 * and BLOCK_TRAILER=LAST_4_BYTES_REPEATED, announced in the ghost area — so the TileOffsets entry points 4 bytes
 * after the tile's start.
 */
import type { FileHandle } from 'node:fs/promises';
import { GepError, throwIfAborted } from '../../core/errors.ts';
import type { ProgressFn } from '../../core/progress.ts';

/** Where the file goes: appended in order, with in-place patches of already written bytes. */
export interface Sink {
  /** Appends the chunks at the current end. */
  append(chunks: Uint8Array[]): Promise<void>;
  /** Overwrites bytes at absolute position `pos` (inside what was appended). */
  patch(pos: number, bytes: Uint8Array): Promise<void>;
}

export class FileSink implements Sink {
  private pos = 0;
  constructor(private readonly fh: FileHandle) {}
  async append(chunks: Uint8Array[]): Promise<void> {
    let n = 0;
    for (const c of chunks) n += c.length;
    // writev may write partially for huge batches; loop until everything is out.
    let pending = chunks;
    let written = 0;
    while (written < n) {
      const { bytesWritten } = await this.fh.writev(pending, this.pos + written);
      written += bytesWritten;
      if (written < n) pending = dropBytes(pending, bytesWritten);
    }
    this.pos += n;
  }
  async patch(pos: number, bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) done += (await this.fh.write(bytes, done, bytes.length - done, pos + done)).bytesWritten;
  }
}

function dropBytes(chunks: Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const c of chunks) {
    if (n >= c.length) n -= c.length;
    else {
      out.push(n > 0 ? c.subarray(n) : c);
      n = 0;
    }
  }
  return out;
}

export class MemorySink implements Sink {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private patches: { pos: number; bytes: Uint8Array }[] = [];
  async append(chunks: Uint8Array[]): Promise<void> {
    for (const c of chunks) {
      this.chunks.push(c);
      this.size += c.length;
    }
  }
  async patch(pos: number, bytes: Uint8Array): Promise<void> {
    this.patches.push({ pos, bytes: bytes.slice() });
  }
  /** The whole file. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    for (const p of this.patches) out.set(p.bytes, p.pos);
    return out;
  }
}

/** One tile to write: prepare() returns the uncompressed (predicted) bytes, encode() the stored bytes. */
export interface TileJob {
  level: number;
  index: number;
}

export interface PipelineOptions {
  jobs: TileJob[];
  /** Uncompressed, predicted tile bytes; called on the calling thread, in order. */
  prepare: (job: TileJob) => Uint8Array;
  /** Compression (may run off-thread). */
  encode: (raw: Uint8Array) => Promise<Uint8Array>;
  /** Absolute file position of the first tile. */
  start: number;
  window: number;
  /** Largest position + 1 allowed (classic TIFF: 2^32). */
  maxPos: number;
  signal: AbortSignal | undefined;
  progress: ProgressFn;
}

/** Runs the jobs, appends every tile to `sink`; returns, per job, the offset and byte count of its data. */
export async function runTiles(sink: Sink, o: PipelineOptions): Promise<{ offsets: number[]; counts: number[] }> {
  const n = o.jobs.length;
  const offsets = new Array<number>(n);
  const counts = new Array<number>(n);
  const queue: Promise<Uint8Array>[] = [];
  let next = 0;
  let pos = o.start;
  let batch: Uint8Array[] = [];
  let batchBytes = 0;
  const flushAt = 8 << 20;
  const maxChunks = 1020; // below IOV_MAX (1024), so one writev is one system call
  let writing: Promise<void> = Promise.resolve();
  try {
    for (let i = 0; i < n; i++) {
      throwIfAborted(o.signal);
      while (next < n && queue.length < o.window) {
        const p = o.encode(o.prepare(o.jobs[next]!));
        p.catch(() => {}); // awaited below in order; avoids an unhandled rejection while earlier tiles are awaited
        queue.push(p);
        next++;
      }
      const data = await queue.shift()!;
      throwIfAborted(o.signal);
      const leader = new Uint8Array(4);
      new DataView(leader.buffer).setUint32(0, data.length, true);
      const trailer = new Uint8Array(4);
      trailer.set(data.subarray(Math.max(0, data.length - 4)));
      offsets[i] = pos + 4;
      counts[i] = data.length;
      pos += data.length + 8;
      if (pos > o.maxPos)
        throw new GepError('GEP_ERR_TOO_LARGE', `COG exceeds 4 GiB; write it with bigTiff: true or 'auto'`, { bytes: pos });
      batch.push(leader, data, trailer);
      batchBytes += data.length + 8;
      if (batchBytes >= flushAt || batch.length >= maxChunks || i === n - 1) {
        // One write in flight at a time, not awaited here: file writes share libuv's threadpool with zlib, and
        // waiting for each would leave the compression queue unfed.
        await writing;
        o.progress(i / n, 'writing tiles');
        writing = sink.append(batch);
        writing.catch(() => {});
        batch = [];
        batchBytes = 0;
      }
    }
  } catch (e) {
    await writing.catch(() => {}); // never leave a write running on a handle the caller is about to close
    throw e;
  }
  await writing;
  o.progress(1, 'writing tiles');
  return { offsets, counts };
}
