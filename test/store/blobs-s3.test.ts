/**
 * S3 blob store specifics (the shared behaviour is in blobs-contract.test.ts): opening checks the bucket,
 * unreachable endpoints and missing credentials fail fast with clear messages, credentials in URLs are refused,
 * big files go through multipart parts, prefixes isolate stores, url() carries the endpoint.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBlobStore } from '../../src/store/blobs.ts';
import { parseS3Url, s3Client } from '../../src/core/s3.ts';
import { startS3, type S3Server } from '../helpers/s3.ts';

async function keys(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const k of it) out.push(k);
  return out;
}

/** A loopback port with nothing listening (bound, then closed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('S3 blob store', () => {
  let s3: S3Server;
  let work: string;
  before(async () => {
    s3 = await startS3({ bucket: 'gep-s3-specific', setEnv: true });
    work = mkdtempSync(join(tmpdir(), 'gep-blobs-s3-'));
  });
  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await s3.stop();
  });

  test('openBlobStore(s3://...) opens; kind, location and url carry bucket, prefix and endpoint', async () => {
    const store = await openBlobStore(`s3://${s3.bucket}/some/prefix?endpoint=${s3.endpoint}`);
    assert.equal(store.kind, 's3');
    assert.equal(store.location, `s3://${s3.bucket}/some/prefix/?endpoint=${s3.endpoint}`);
    assert.equal(store.url('a/b.tif'), `s3://${s3.bucket}/some/prefix/a/b.tif?endpoint=${s3.endpoint}`);
    assert.equal(store.localPath('a/b.tif'), null);
    // The endpoint may come from the environment (AWS_ENDPOINT_URL, set by startS3({ setEnv: true })).
    const viaEnv = await openBlobStore(`s3://${s3.bucket}`);
    assert.equal(viaEnv.location, `s3://${s3.bucket}?endpoint=${s3.endpoint}`);
  });

  test('prefixes isolate stores in one bucket', async () => {
    const a = await openBlobStore(`s3://${s3.bucket}/tenant-a?endpoint=${s3.endpoint}`);
    const b = await openBlobStore(`s3://${s3.bucket}/tenant-b/?endpoint=${s3.endpoint}`);
    const root = await openBlobStore(s3.url);
    await a.put('x/1', new Uint8Array([1]));
    await b.put('x/1', new Uint8Array([2]));
    assert.deepEqual(await keys(a.list('')), ['x/1']);
    assert.deepEqual(await keys(b.list('x/')), ['x/1']);
    assert.deepEqual(await keys(root.list('tenant-')), ['tenant-a/x/1', 'tenant-b/x/1']);
    assert.equal(await a.deletePrefix('x/'), 1);
    assert.deepEqual(await keys(root.list('tenant-')), ['tenant-b/x/1']);
  });

  test('a 40 MiB putFile is sent as 8 MiB multipart parts, two at a time', async () => {
    const store = await openBlobStore(s3.url);
    const client = s3Client(parseS3Url(s3.url));
    const seen: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const name = 'count-commands';
    client.middlewareStack.add(
      (next, ctx) => async (args) => {
        seen.push(ctx.commandName ?? '?');
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          return await next(args);
        } finally {
          inFlight--;
        }
      },
      { step: 'initialize', name },
    );
    try {
      const p = join(work, 'big.bin');
      writeFileSync(p, new Uint8Array(40 * 1024 * 1024 + 1).fill(7));
      await store.putFile('mp/big.bin', p);
      assert.equal(seen.filter((c) => c === 'CreateMultipartUploadCommand').length, 1);
      assert.equal(seen.filter((c) => c === 'UploadPartCommand').length, 6); // 5 x 8 MiB + 1 byte
      assert.equal(seen.filter((c) => c === 'CompleteMultipartUploadCommand').length, 1);
      assert.ok(maxInFlight <= 2, `at most 2 parts in flight, saw ${maxInFlight}`);
      seen.length = 0;
      // Small files are one PUT.
      writeFileSync(p, 'small');
      await store.putFile('mp/small.bin', p, { move: true });
      assert.deepEqual(seen, ['PutObjectCommand']);
    } finally {
      client.middlewareStack.remove(name);
    }
  });

  test('a missing bucket is GEP_ERR_NOT_FOUND naming it', async () => {
    await assert.rejects(openBlobStore(`s3://no-such-bucket?endpoint=${s3.endpoint}`), (e: { code?: string; message: string }) => {
      assert.equal(e.code, 'GEP_ERR_NOT_FOUND');
      assert.match(e.message, /bucket "no-such-bucket" does not exist/);
      return true;
    });
  });

  test('an endpoint refusing connections fails within a few seconds, naming the endpoint', async () => {
    const port = await closedPort();
    const t0 = performance.now();
    await assert.rejects(openBlobStore(`s3://gep-x?endpoint=http://127.0.0.1:${port}`), (e: { code?: string; message: string }) => {
      assert.equal(e.code, 'GEP_ERR_REMOTE');
      assert.match(e.message, new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
      return true;
    });
    const ms = performance.now() - t0;
    console.log(`# refused endpoint reported in ${ms.toFixed(0)} ms`);
    assert.ok(ms < 5000, `${ms} ms`);
  });

  test('missing credentials are a clear GEP_ERR_REMOTE; credentials in the URL are refused', async () => {
    const names = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE', 'AWS_EC2_METADATA_DISABLED'];
    const saved = names.map((k) => [k, process.env[k]] as const);
    try {
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
      delete process.env.AWS_PROFILE;
      process.env.AWS_SHARED_CREDENTIALS_FILE = join(work, 'none');
      process.env.AWS_CONFIG_FILE = join(work, 'none');
      process.env.AWS_EC2_METADATA_DISABLED = 'true';
      // A region of its own, so that a fresh client (with no cached credentials) is made.
      await assert.rejects(openBlobStore(`s3://${s3.bucket}?endpoint=${s3.endpoint}&region=no-creds-1`), (e: { code?: string; message: string }) => {
        assert.equal(e.code, 'GEP_ERR_REMOTE');
        assert.match(e.message, /no S3 credentials found.*AWS_ACCESS_KEY_ID/);
        return true;
      });
    } finally {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    for (const u of [`s3://key:secret@${s3.bucket}?endpoint=${s3.endpoint}`, `s3://${s3.bucket}?endpoint=${s3.endpoint}&secret_access_key=x`]) {
      await assert.rejects(openBlobStore(u), (e: { code?: string; message: string }) => {
        assert.equal(e.code, 'GEP_ERR_INVALID_INPUT');
        assert.match(e.message, /credentials never go in an s3:\/\/ URL/);
        return true;
      });
    }
  });

  test('bad store URLs fail clearly', async () => {
    for (const [u, re] of [
      ['s3://', /missing bucket/],
      ['s3:///x', /missing bucket/],
      ['s3://a', /3 to 63/],
      ['s3://gep-x?endpoint=localhost:9000', /http:\/\/ or https:\/\//],
    ] as const) {
      await assert.rejects(openBlobStore(u), (e: { code?: string; message: string }) => {
        assert.equal(e.code, 'GEP_ERR_INVALID_INPUT', u);
        assert.match(e.message, re, u);
        return true;
      });
    }
  });
});
