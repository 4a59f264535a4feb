/**
 * BlobStore on S3-compatible object storage (AWS S3, MinIO, Ceph RGW, s3rver). Keys are stored as
 * `<prefix><key>` in one bucket. Readers never see a partial blob: a PUT and a multipart upload's
 * CompleteMultipartUpload are atomic in S3 (the object appears whole, or the old one stays).
 * Streams of unknown length and files go through lib-storage's multipart `Upload` (8-16 MiB parts, 2 in
 * flight, so memory stays ~32 MiB whatever the size); ranges use `Range: bytes=a-b` (RFC 9110 §14).
 * Listing order is S3's (UTF-8 byte order), which matches the local store's UTF-16 order for all keys
 * without characters beyond U+FFFF mixed with U+E000..U+FFFF.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat, unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { GepError, invalidInput, openFailed } from '../core/errors.ts';
import { formatS3Url, parseS3Url, s3Client, s3ErrorToGep, type S3Location } from '../core/s3.ts';
import type { BlobHead, BlobStore } from './blobs.ts';
import { checkBlobKey, checkBlobPrefix } from './blobs.ts';

/** Multipart part size bounds (bytes) and parts in flight. S3 allows at most 10,000 parts per upload. */
const MIN_PART = 8 * 1024 * 1024;
const MAX_PARTS = 10_000;
const QUEUE_SIZE = 2;

function statusOf(e: unknown): number | undefined {
  const m = typeof e === 'object' && e !== null && '$metadata' in e ? (e as { $metadata?: { httpStatusCode?: number } }).$metadata : undefined;
  return m?.httpStatusCode;
}

function nameOf(e: unknown): string {
  return typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : '';
}

/** Part size for a body of `size` bytes (unknown: the minimum): >= 8 MiB, 16 MiB up to 160 GB, more beyond. */
function partSizeFor(size: number | undefined): number {
  if (size === undefined || size <= MIN_PART * 64) return MIN_PART;
  return Math.max(2 * MIN_PART, Math.ceil(size / (MAX_PARTS - 1) / (1024 * 1024)) * 1024 * 1024);
}

export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  readonly location: string;

  private constructor(
    readonly loc: S3Location,
    private readonly client: S3Client,
  ) {
    this.location = formatS3Url(loc);
  }

  /** Opens `s3://BUCKET[/PREFIX][?endpoint=..]` and checks that the bucket exists and is reachable. */
  static async open(url: string): Promise<S3BlobStore> {
    const loc = parseS3Url(url);
    const client = s3Client(loc);
    const store = new S3BlobStore(loc, client);
    try {
      await client.send(new HeadBucketCommand({ Bucket: loc.bucket }));
    } catch (e) {
      // HEAD answers carry no error code: a 404 here is the bucket.
      if (statusOf(e) === 404 || nameOf(e) === 'NotFound') throw s3ErrorToGep({ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } }, store.location, loc);
      throw s3ErrorToGep(e, store.location, loc);
    }
    return store;
  }

  private objectKey(key: string): string {
    return this.loc.prefix + checkBlobKey(key);
  }

  private err(e: unknown, key: string): GepError {
    if (nameOf(e) === 'NoSuchBucket') return s3ErrorToGep(e, this.location, this.loc);
    if (statusOf(e) === 404 || nameOf(e) === 'NoSuchKey' || nameOf(e) === 'NotFound')
      return new GepError('GEP_ERR_NOT_FOUND', `blob ${JSON.stringify(key)} does not exist`, { key });
    return s3ErrorToGep(e, this.url(key), this.loc);
  }

  localPath(_key: string): null {
    return null;
  }

  url(key: string): string {
    return formatS3Url(this.loc, checkBlobKey(key));
  }

  async put(key: string, data: Uint8Array | NodeJS.ReadableStream, opts: { contentType?: string } = {}): Promise<void> {
    const Key = this.objectKey(key);
    const ct = opts.contentType !== undefined ? { ContentType: opts.contentType } : {};
    if (data instanceof Uint8Array) {
      try {
        await this.client.send(new PutObjectCommand({ Bucket: this.loc.bucket, Key, Body: data, ContentLength: data.length, ...ct }));
      } catch (e) {
        throw this.err(e, key);
      }
      return;
    }
    await this.upload(key, Key, data as Readable, undefined, ct);
  }

  private async upload(key: string, Key: string, body: Readable, size: number | undefined, ct: { ContentType?: string }): Promise<void> {
    const up = new Upload({
      client: this.client,
      params: { Bucket: this.loc.bucket, Key, Body: body, ...ct },
      partSize: partSizeFor(size),
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    // A failing source must fail the upload (lib-storage aborts the multipart upload, no object appears).
    let sourceError: unknown;
    const onError = (e: unknown): void => {
      sourceError ??= e;
      void up.abort().catch(() => undefined);
    };
    body.once('error', onError);
    try {
      await up.done();
    } catch (e) {
      if (sourceError !== undefined) throw sourceError;
      throw this.err(e, key);
    } finally {
      body.off('error', onError);
    }
    if (sourceError !== undefined) throw sourceError;
  }

  /** Uploads a local file as a stream (multipart above 8 MiB); `move` deletes the file after success. */
  async putFile(key: string, path: string, opts: { contentType?: string; move?: boolean } = {}): Promise<void> {
    const Key = this.objectKey(key);
    let size: number;
    try {
      const s = await stat(path);
      if (!s.isFile()) throw new GepError('GEP_ERR_NOT_FOUND', `${path}: not a regular file`, { file: path });
      size = s.size;
    } catch (e) {
      if (e instanceof GepError) throw e;
      throw openFailed(path, e);
    }
    const ct = opts.contentType !== undefined ? { ContentType: opts.contentType } : {};
    if (size < MIN_PART) {
      // One PUT of the bytes (< 8 MiB, an empty file included): a buffer, so that SDK retries can resend it.
      let body: Uint8Array;
      try {
        body = await readFile(path);
      } catch (e) {
        throw openFailed(path, e);
      }
      try {
        await this.client.send(new PutObjectCommand({ Bucket: this.loc.bucket, Key, Body: body, ContentLength: body.length, ...ct }));
      } catch (e) {
        throw this.err(e, key);
      }
    } else {
      await this.upload(key, Key, createReadStream(path), size, ct);
    }
    if (opts.move) await unlink(path);
  }

  async head(key: string): Promise<BlobHead | null> {
    const Key = this.objectKey(key);
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.loc.bucket, Key }));
      const out: BlobHead = { size: r.ContentLength ?? 0 };
      if (r.ContentType !== undefined) out.contentType = r.ContentType;
      if (r.ETag !== undefined) out.etag = r.ETag;
      if (r.LastModified !== undefined) out.modified = r.LastModified;
      return out;
    } catch (e) {
      if (statusOf(e) === 404 && nameOf(e) !== 'NoSuchBucket') return null;
      throw this.err(e, key);
    }
  }

  async get(key: string, range?: { start: number; end: number }): Promise<NodeJS.ReadableStream> {
    const Key = this.objectKey(key);
    if (range) {
      const { start, end } = range;
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
        // As the local store: an absent blob is reported first.
        if ((await this.head(key)) === null) throw new GepError('GEP_ERR_NOT_FOUND', `blob ${JSON.stringify(key)} does not exist`, { key });
        throw invalidInput(`blob ${JSON.stringify(key)}: range ${start}-${end} must be integers with 0 <= start <= end`, { key });
      }
    }
    try {
      const r = await this.client.send(
        new GetObjectCommand({ Bucket: this.loc.bucket, Key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
      const body = r.Body as Readable | undefined;
      if (range) {
        // A server must answer 206 with the asked start; one that ignores Range (or an empty object) is caught here.
        const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(r.ContentRange ?? '');
        const size = m ? Number(m[3]) : (r.ContentLength ?? 0);
        if (range.start >= size) {
          body?.destroy();
          throw invalidInput(`blob ${JSON.stringify(key)}: range start ${range.start} is beyond its size ${size}`, { key, size });
        }
        if (!m || Number(m[1]) !== range.start || Number(m[2]) !== Math.min(range.end, size - 1)) {
          body?.destroy();
          throw new GepError('GEP_ERR_REMOTE', `${this.url(key)}: server answered "${r.ContentRange ?? 'no Content-Range'}" for bytes ${range.start}-${range.end}`, { key });
        }
      }
      if (!body) throw new GepError('GEP_ERR_REMOTE', `${this.url(key)}: server sent no body`, { key });
      return body;
    } catch (e) {
      if (e instanceof GepError) throw e;
      if (range && (statusOf(e) === 416 || nameOf(e) === 'InvalidRange')) {
        const h = await this.head(key);
        if (h === null) throw new GepError('GEP_ERR_NOT_FOUND', `blob ${JSON.stringify(key)} does not exist`, { key });
        throw invalidInput(`blob ${JSON.stringify(key)}: range start ${range.start} is beyond its size ${h.size}`, { key, size: h.size });
      }
      throw this.err(e, key);
    }
  }

  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key }));
    } catch (e) {
      if (statusOf(e) === 404 && nameOf(e) !== 'NoSuchBucket') return;
      throw this.err(e, key);
    }
  }

  /**
   * Object keys (store prefix included) starting with `<prefix><p>`, ascending, all pages. ListObjects (v1) with
   * Marker paging: every S3-compatible server has it, and s3rver on Node 20 cannot make V2 continuation tokens
   * (DES is gone from OpenSSL 3). Each page is sorted, for servers (s3rver) that do not list in key order.
   */
  private async *rawList(p: string): AsyncIterable<string> {
    let marker: string | undefined;
    while (true) {
      let r;
      try {
        r = await this.client.send(new ListObjectsCommand({ Bucket: this.loc.bucket, Prefix: this.loc.prefix + p, ...(marker ? { Marker: marker } : {}) }));
      } catch (e) {
        throw s3ErrorToGep(e, formatS3Url(this.loc, p), this.loc);
      }
      const page: string[] = [];
      for (const o of r.Contents ?? []) if (o.Key !== undefined) page.push(o.Key);
      page.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      yield* page;
      const last = r.NextMarker ?? page[page.length - 1];
      if (!r.IsTruncated || last === undefined || last === marker) return;
      marker = last;
    }
  }

  /** Keys under `prefix`, store prefix stripped; objects whose names are not valid blob keys are skipped. */
  async *list(prefix: string): AsyncIterable<string> {
    checkBlobPrefix(prefix);
    for await (const k of this.rawList(prefix)) {
      const key = k.slice(this.loc.prefix.length);
      try {
        checkBlobKey(key);
      } catch {
        continue;
      }
      yield key;
    }
  }

  /** Deletes every object under `prefix` with DeleteObjects, 1000 keys per request. '' is refused. */
  async deletePrefix(prefix: string): Promise<number> {
    checkBlobPrefix(prefix);
    if (prefix === '') throw invalidInput("blob prefix '': deletePrefix needs a non-empty prefix (refusing to empty the whole store)");
    let n = 0;
    let batch: string[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const Objects = batch.map((Key) => ({ Key }));
      batch = [];
      let r;
      try {
        r = await this.client.send(new DeleteObjectsCommand({ Bucket: this.loc.bucket, Delete: { Objects, Quiet: true } }));
      } catch (e) {
        throw s3ErrorToGep(e, formatS3Url(this.loc, prefix), this.loc);
      }
      const errs = r.Errors ?? [];
      if (errs.length > 0) {
        const first = errs[0]!;
        throw new GepError('GEP_ERR_REMOTE', `${formatS3Url(this.loc, prefix)}: ${errs.length} objects not deleted (first: ${first.Key ?? '?'}: ${first.Code ?? ''})`, { prefix });
      }
      n += Objects.length;
    };
    // Collect first, then delete: deleting while paging could shift the listing's continuation.
    const all: string[] = [];
    for await (const k of this.rawList(prefix)) all.push(k);
    for (const k of all) {
      batch.push(k);
      if (batch.length === 1000) await flush();
    }
    await flush();
    return n;
  }
}
