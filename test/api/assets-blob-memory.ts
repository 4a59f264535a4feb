/**
 * An in-memory BlobStore for the API tests: blobs without local files (localPath is null, as on S3), an S3-like
 * quoted ETag, a modification time, streams that push CHUNK bytes per read (so a test can see a download
 * stopped half-way), and `url(key)` pointing at a temporary file copy (what openRaster opens for /tiles).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GepError, invalidInput } from '../../src/core/errors.ts';
import { checkBlobKey, type BlobHead, type BlobStore } from '../../src/store/blobs.ts';

export const CHUNK = 16 * 1024;

interface Blob {
  data: Buffer;
  contentType?: string;
  modified: Date;
}

/** What the store saw of one get(): the range asked, bytes pushed, and whether it was destroyed before its end. */
export interface GetRecord {
  key: string;
  range?: { start: number; end: number };
  pushed: number;
  ended: boolean;
  destroyed: boolean;
  closed: Promise<void>;
}

export class MemoryBlobStore implements BlobStore {
  readonly kind = 's3' as const;
  readonly location = 'memory://test';
  readonly blobs = new Map<string, Blob>();
  readonly gets: GetRecord[] = [];
  heads = 0;
  private readonly dir = mkdtempSync(join(tmpdir(), 'gep-memblobs-'));
  private readonly copied = new Map<string, Blob>();

  async put(key: string, data: Uint8Array | NodeJS.ReadableStream, opts: { contentType?: string } = {}): Promise<void> {
    checkBlobKey(key);
    const parts: Buffer[] = [];
    if (data instanceof Uint8Array) parts.push(Buffer.from(data));
    else for await (const c of data as AsyncIterable<Buffer>) parts.push(Buffer.from(c));
    const blob: Blob = { data: Buffer.concat(parts), modified: new Date(Math.floor(Date.now() / 1000) * 1000) };
    if (opts.contentType !== undefined) blob.contentType = opts.contentType;
    this.blobs.set(key, blob);
  }

  async putFile(): Promise<void> {
    throw new Error('not used by these tests');
  }

  async head(key: string): Promise<BlobHead | null> {
    this.heads++;
    const b = this.blobs.get(key);
    if (!b) return null;
    const h: BlobHead = { size: b.data.length, etag: `"${createHash('md5').update(b.data).digest('hex')}"`, modified: b.modified };
    if (b.contentType !== undefined) h.contentType = b.contentType;
    return h;
  }

  async get(key: string, range?: { start: number; end: number }): Promise<NodeJS.ReadableStream> {
    const b = this.blobs.get(key);
    if (!b) throw new GepError('GEP_ERR_NOT_FOUND', `blob ${JSON.stringify(key)} does not exist`);
    let start = 0;
    let end = b.data.length - 1;
    if (range) {
      if (range.start < 0 || range.end < range.start || range.start >= b.data.length) throw invalidInput(`blob ${key}: bad range ${range.start}-${range.end}`);
      start = range.start;
      end = Math.min(range.end, b.data.length - 1);
    }
    let pos = start;
    let closed!: () => void;
    const rec: GetRecord = { key, pushed: 0, ended: false, destroyed: false, closed: new Promise((r) => (closed = r)) };
    if (range) rec.range = range;
    this.gets.push(rec);
    const s = new Readable({
      read() {
        // Asynchronous, as a network stream: a consumer that stops reading leaves the rest unread.
        setImmediate(() => {
          if (pos > end) {
            rec.ended = true;
            this.push(null);
            return;
          }
          const n = Math.min(CHUNK, end - pos + 1);
          this.push(b.data.subarray(pos, pos + n));
          pos += n;
          rec.pushed += n;
        });
      },
      destroy(err, cb) {
        if (!rec.ended) rec.destroyed = true;
        cb(err);
      },
    });
    s.once('close', () => closed());
    return s;
  }

  async delete(key: string): Promise<void> {
    this.blobs.delete(key);
  }

  async deletePrefix(prefix: string): Promise<number> {
    let n = 0;
    for (const k of [...this.blobs.keys()]) if (k.startsWith(prefix)) n += Number(this.blobs.delete(k));
    return n;
  }

  async *list(prefix: string): AsyncIterable<string> {
    for (const k of [...this.blobs.keys()].sort()) if (k.startsWith(prefix)) yield k;
  }

  localPath(): string | null {
    return null;
  }

  /** A stable local name per key (as a store URL names the object), holding a copy of the current blob. */
  url(key: string): string {
    const b = this.blobs.get(key);
    const p = join(this.dir, encodeURIComponent(key));
    if (b && this.copied.get(key) !== b) {
      writeFileSync(p, b.data);
      this.copied.set(key, b);
    }
    return p;
  }

  /** Removes the temporary copies. */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
