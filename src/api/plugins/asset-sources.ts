/**
 * Body sources for /assets: one shape for whatever holds the bytes of an asset (a local file, a blob of a
 * BlobStore that has no local file, e.g. S3), so that ranges, validators and conditional requests are handled by
 * one code path (./assets.ts). A source knows its size and validators before any byte is sent, and streams an
 * inclusive byte range on demand.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { BlobStore } from '../../store/blobs.ts';

export interface BodySource {
  /** Size in bytes. */
  size: number;
  /** Strong entity tag, quoted (RFC 9110 §8.8.3), or undefined when the source has no stable validator. */
  etag?: string;
  /** Last modification time (seconds are what HTTP dates carry). */
  modified?: Date;
  /** Media type known to the source itself (blob metadata); undefined for files. */
  type?: string;
  /** The first `n` bytes (fewer when the source is shorter): for sniffing a TIFF's COG layout marker. */
  sniff(n: number): Promise<Buffer>;
  /** Bytes start..end, both inclusive, 0 <= start <= end < size. The caller owns (and may destroy) the stream. */
  stream(start: number, end: number): Promise<Readable>;
  /** Releases what the source holds (a file handle) unless stream() took it over. */
  close(): Promise<void>;
}

/**
 * Content types that say nothing (what S3 stores when a put gave none): treated as absent, so that the name and
 * the first bytes decide.
 */
export const GENERIC_TYPES: ReadonlySet<string> = new Set(['application/octet-stream', 'binary/octet-stream']);

/** Validator from size and modification time, as for files: `"<size hex>-<mtime ms hex>"`. */
export function sizeTimeEtag(size: number, modifiedMs: number): string {
  return `"${size.toString(16)}-${Math.floor(modifiedMs).toString(16)}"`;
}

/**
 * A store's entity tag as a strong quoted HTTP validator: surrounding quotes and a weak `W/` prefix are dropped,
 * characters not allowed in an entity tag (RFC 9110 §8.8.3 etagc) are removed; undefined when nothing is left.
 */
export function quotedEtag(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const bare = raw.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1').replace(/[^\x21\x23-\x7e]/g, '');
  return bare === '' ? undefined : `"${bare}"`;
}

/** A regular file as a source, or null when it cannot be opened or is not a regular file. */
export async function fileSource(path: string): Promise<BodySource | null> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch {
    return null;
  }
  let st;
  try {
    st = await fh.stat();
  } catch {
    st = null;
  }
  if (!st?.isFile()) {
    await fh.close().catch(() => undefined);
    return null;
  }
  const size = st.size;
  let handedOff = false;
  return {
    size,
    etag: sizeTimeEtag(size, st.mtimeMs),
    modified: st.mtime,
    async sniff(n) {
      const buf = Buffer.alloc(Math.min(n, size));
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      return buf.subarray(0, bytesRead);
    },
    async stream(start, end) {
      handedOff = true;
      return fh.createReadStream({ start, end, autoClose: true });
    },
    async close() {
      if (!handedOff) await fh.close().catch(() => undefined);
    },
  };
}

/** Reads a stream to its end (at most `max` bytes kept). */
async function collect(s: Readable, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of s) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    parts.push(b);
    n += b.length;
    if (n >= max) break;
  }
  s.destroy();
  return Buffer.concat(parts).subarray(0, max);
}

/** A NodeJS.ReadableStream as a stream.Readable (destroying it then destroys the store's stream). */
function asReadable(s: NodeJS.ReadableStream): Readable {
  return s instanceof Readable ? s : new Readable({ objectMode: false }).wrap(s);
}

/**
 * A blob of `store` as a source (its head: size, content type, entity tag, modification time), or null when the
 * blob is absent. The validator is the store's entity tag, else size and modification time, else none.
 */
export async function blobSource(store: BlobStore, key: string): Promise<BodySource | null> {
  const h = await store.head(key);
  if (!h) return null;
  const modified = h.modified instanceof Date && Number.isFinite(h.modified.getTime()) ? h.modified : undefined;
  const etag = quotedEtag(h.etag) ?? (modified ? sizeTimeEtag(h.size, modified.getTime()) : undefined);
  const src: BodySource = {
    size: h.size,
    async sniff(n) {
      if (h.size === 0 || n <= 0) return Buffer.alloc(0);
      return collect(asReadable(await store.get(key, { start: 0, end: Math.min(n, h.size) - 1 })), n);
    },
    async stream(start, end) {
      return asReadable(await store.get(key, { start, end }));
    },
    async close() {},
  };
  if (etag !== undefined) src.etag = etag;
  if (modified) src.modified = modified;
  if (h.contentType && !GENERIC_TYPES.has(h.contentType.toLowerCase())) src.type = h.contentType;
  return src;
}
