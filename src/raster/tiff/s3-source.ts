/**
 * S3 byte source: `s3://BUCKET/KEY[?endpoint=..&region=..]` read with GetObject `Range: bytes=a-b` requests
 * (credentials from the SDK default chain, see src/core/s3.ts), on RangedSource: the same block cache,
 * coalescing and range checks as the HTTP source. The first request fetches the header block and tells the
 * size (Content-Range), so opening a COG is one request. No presigned URLs.
 * Errors: GEP_ERR_NOT_FOUND (no such key or bucket), GEP_ERR_REMOTE (server, network, credentials; a server
 * answering another range than asked, or an object that changed size), GEP_ERR_ABORTED.
 */
import { GetObjectCommand, HeadObjectCommand, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { GepError } from '../../core/errors.ts';
import { parseS3ObjectUrl, s3Client, s3ErrorToGep, type S3Location } from '../../core/s3.ts';
import { RangedSource, readBody, type RangedSourceOptions } from './ranged-source.ts';

export interface S3SourceOptions extends RangedSourceOptions {
  /** Name used in messages (default: the URL). */
  name?: string;
  signal?: AbortSignal;
}

type Loc = S3Location & { key: string };

const remote = (name: string, msg: string): GepError => new GepError('GEP_ERR_REMOTE', `${name}: ${msg}`, { url: name });

async function getRange(loc: Loc, name: string, start: number, end: number, signal?: AbortSignal): Promise<GetObjectCommandOutput> {
  try {
    return await s3Client(loc).send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key, Range: `bytes=${start}-${end}` }), {
      ...(signal ? { abortSignal: signal } : {}),
    });
  } catch (e) {
    if (signal?.aborted) throw new GepError('GEP_ERR_ABORTED', 'operation cancelled');
    throw s3ErrorToGep(e, name, loc);
  }
}

/** The body of a ranged GetObject answer, checked against the asked start and, when known, the size. */
async function rangeBody(r: GetObjectCommandOutput, name: string, start: number, end: number, size?: number): Promise<{ total: number; body: Uint8Array }> {
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(r.ContentRange ?? '');
  const stream = r.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
  const fail = (msg: string): never => {
    stream?.destroy?.();
    throw remote(name, msg);
  };
  if (!m) return fail(`expected a ranged answer with Content-Range, got "${r.ContentRange ?? ''}"`);
  const [s, e, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (size !== undefined && total !== size) fail(`object changed size on the server (${size} -> ${total} bytes)`);
  if (total === 0) {
    // Some servers (s3rver) answer "bytes 0-0/0" for an empty object instead of 416.
    stream?.destroy?.();
    return { total, body: new Uint8Array(0) };
  }
  const want = Math.min(end, total - 1) - start + 1;
  if (s !== start || e - s + 1 !== want) fail(`server answered bytes ${s}-${e} for the range ${start}-${end}`);
  const body = await readBody(stream, want, (msg) => remote(name, msg));
  if (body.length !== want) fail(`response has ${body.length} bytes, Content-Range says ${want}`);
  return { total, body };
}

/** Opens an S3 object as a ranged byte source. */
export async function openS3Source(url: string, opts: S3SourceOptions = {}): Promise<RangedSource> {
  const loc = parseS3ObjectUrl(url);
  const name = opts.name ?? url;
  const bs = opts.blockSize ?? 16 * 1024;
  const fetcher = async (start: number, end: number, signal?: AbortSignal): Promise<Uint8Array> => {
    const r = await getRange(loc, name, start, end, signal);
    return (await rangeBody(r, name, start, end, src.size)).body;
  };
  let first: { total: number; body: Uint8Array };
  try {
    first = await rangeBody(await getRange(loc, name, 0, bs - 1, opts.signal), name, 0, bs - 1);
  } catch (e) {
    // An empty object cannot satisfy any range (416): HeadObject tells its size (0).
    if (!(e instanceof GepError) || e.details?.status !== 416) throw e;
    let size: number;
    try {
      size = (await s3Client(loc).send(new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key }))).ContentLength ?? 0;
    } catch (e2) {
      throw s3ErrorToGep(e2, name, loc);
    }
    first = { total: size, body: new Uint8Array(0) };
  }
  const src: RangedSource = new RangedSource(name, first.total, fetcher, opts);
  src.stats.requests = 1;
  src.stats.bytes = first.body.length;
  src.seed(0, first.body);
  return src;
}
