/**
 * Byte sources for the TIFF reader: a local file, an in-memory buffer, or (see http-source.ts) an HTTP(S) URL
 * read with range requests. Every read is checked against the source size before any allocation, so a hostile
 * offset or count in a file becomes GEP_ERR_CORRUPT_FILE, never a RangeError or a huge buffer.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { corruptFile, GepError, openFailed, throwIfAborted } from '../../core/errors.ts';

/** A byte range of a source: `length` bytes from `offset` (bytes). */
export interface ByteRange {
  offset: number;
  length: number;
}

/** Random-access bytes. Returned arrays must be treated as read-only (they may be shared with a cache). */
export interface ByteSource {
  /** Name used in error messages (path or URL). */
  readonly name: string;
  /** Total size in bytes. */
  readonly size: number;
  /** Reads `length` bytes at `offset`; throws GEP_ERR_CORRUPT_FILE when the range is outside the source. */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** Reads several ranges at once; sources merge nearby ranges into fewer I/O operations. */
  readRanges(ranges: ByteRange[], signal?: AbortSignal): Promise<Uint8Array[]>;
  close(): Promise<void>;
}

/** Throws GEP_ERR_CORRUPT_FILE unless [offset, offset+length) lies inside a source of `size` bytes. */
export function checkRange(name: string, size: number, offset: number, length: number): void {
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > size
  )
    throw corruptFile(name, `byte range ${offset}+${length} lies outside the file (${size} bytes)`, {
      offset,
      length,
    });
}

/** Groups ranges (any order) into merged spans: nearby ranges (gap <= maxGap) are read as one, up to maxSpan. */
export function mergeRanges(
  ranges: ByteRange[],
  maxGap: number,
  maxSpan: number,
): { offset: number; length: number; members: number[] }[] {
  const order = ranges.map((_, i) => i).sort((a, b) => ranges[a]!.offset - ranges[b]!.offset);
  const spans: { offset: number; length: number; members: number[] }[] = [];
  for (const i of order) {
    const r = ranges[i]!;
    const last = spans[spans.length - 1];
    const end = r.offset + r.length;
    if (last && r.offset <= last.offset + last.length + maxGap && Math.max(end, last.offset + last.length) - last.offset <= maxSpan) {
      last.length = Math.max(end, last.offset + last.length) - last.offset;
      last.members.push(i);
    } else spans.push({ offset: r.offset, length: r.length, members: [i] });
  }
  return spans;
}

/** Runs `fn` over items with at most `limit` promises in flight; results keep the input order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** An in-memory file (e.g. a zip entry). */
export class MemorySource implements ByteSource {
  readonly size: number;
  constructor(
    readonly name: string,
    private readonly bytes: Uint8Array,
  ) {
    this.size = bytes.length;
  }
  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    throwIfAborted(signal);
    checkRange(this.name, this.size, offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
  async readRanges(ranges: ByteRange[], signal?: AbortSignal): Promise<Uint8Array[]> {
    throwIfAborted(signal);
    return ranges.map((r) => {
      checkRange(this.name, this.size, r.offset, r.length);
      return this.bytes.subarray(r.offset, r.offset + r.length);
    });
  }
  async close(): Promise<void> {}
}

/** A local file read through a file handle; nearby ranges are merged into one read of at most 32 MiB. */
export class FileSource implements ByteSource {
  private constructor(
    readonly name: string,
    readonly size: number,
    private readonly fh: FileHandle,
  ) {}

  static async open(path: string, name = path): Promise<FileSource> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      throw openFailed(name, e);
    }
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      throw new GepError('GEP_ERR_NOT_FOUND', `${name}: not a regular file`, { file: name });
    }
    return new FileSource(name, st.size, fh);
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    throwIfAborted(signal);
    checkRange(this.name, this.size, offset, length);
    const buf = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.fh.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) throw corruptFile(this.name, `file shrank while reading at ${offset + done}`);
      done += bytesRead;
    }
    return buf;
  }

  async readRanges(ranges: ByteRange[], signal?: AbortSignal): Promise<Uint8Array[]> {
    for (const r of ranges) checkRange(this.name, this.size, r.offset, r.length);
    const spans = mergeRanges(ranges, 64 * 1024, 32 * 1024 * 1024);
    const out = new Array<Uint8Array>(ranges.length);
    await mapLimit(spans, 4, async (s) => {
      const buf = await this.read(s.offset, s.length, signal);
      for (const i of s.members) {
        const r = ranges[i]!;
        out[i] = buf.subarray(r.offset - s.offset, r.offset - s.offset + r.length);
      }
    });
    return out;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
