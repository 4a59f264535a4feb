/**
 * One BlobStore contract, run against both back-ends: the local folder and S3 (s3rver on loopback).
 * Anything that the engine or the API relies on is asserted here, with the same expectations for both:
 * bytes, ranges and their errors, head, listing order, prefixes, delete, deletePrefix, putFile (copy and
 * move, a 40 MiB file through multipart), overwrite, zero-byte blobs, content types, hostile keys, url().
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { openBlobStore } from '../../src/store/blobs.ts';
import type { BlobStore } from '../../src/store/blobs.ts';
import { parseS3ObjectUrl, s3Client } from '../../src/core/s3.ts';
import { startS3, type S3Server } from '../helpers/s3.ts';
import { listKeys, readAll } from '../helpers/blobs.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Every kind of key checkBlobKey refuses. */
export const HOSTILE_KEYS = [
  '../etc/passwd',
  'a/../../b',
  '/etc/passwd',
  'a//b',
  'a/./b',
  '.',
  '..',
  'nul\u0000byte',
  'tab\tkey',
  'del\u007fkey',
  'C:/win',
  'back\\slash',
  '',
  'x'.repeat(1025),
  '.gep-tmp/x',
  '.gep-meta',
  'dir/',
];

/** Reads a blob through its url(): a file path (local) or an s3:// URL (S3, read with the SDK). */
async function readUrl(url: string): Promise<Uint8Array> {
  if (!url.startsWith('s3://')) return new Uint8Array(readFileSync(url));
  const loc = parseS3ObjectUrl(url);
  const r = await s3Client(loc).send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
  return new Uint8Array(await readAll(r.Body as Readable));
}

interface Backend {
  name: string;
  open(): Promise<BlobStore>;
  close(): Promise<void>;
}

function contract(b: Backend): void {
  describe(`BlobStore contract: ${b.name}`, () => {
    let store: BlobStore;
    let work: string;
    const bytes = Uint8Array.from({ length: 1000 }, (_v, i) => i % 251);

    before(async () => {
      store = await b.open();
      work = mkdtempSync(join(tmpdir(), 'gep-blobs-src-'));
    });
    after(async () => {
      rmSync(work, { recursive: true, force: true });
      await b.close();
    });

    test('put, get, head (size, type, etag, modified), ranges', async () => {
      assert.equal(store.kind, b.name);
      await store.put('jobs/1/out.tif', bytes, { contentType: 'image/tiff; application=geotiff' });
      const h = await store.head('jobs/1/out.tif');
      assert.ok(h);
      assert.equal(h.size, 1000);
      assert.equal(h.contentType, 'image/tiff; application=geotiff');
      assert.match(h.etag ?? '', /^".+"$/);
      assert.ok(h.modified instanceof Date && Math.abs(h.modified.getTime() - Date.now()) < 60_000);
      assert.deepEqual(new Uint8Array(await readAll(await store.get('jobs/1/out.tif'))), bytes);
      assert.deepEqual([...(await readAll(await store.get('jobs/1/out.tif', { start: 10, end: 14 })))], [10, 11, 12, 13, 14]);
      assert.deepEqual([...(await readAll(await store.get('jobs/1/out.tif', { start: 999, end: 999 })))], [999 % 251]);
      // end beyond the size is clamped; start at or beyond it is refused; so are reversed or fractional ranges.
      assert.deepEqual([...(await readAll(await store.get('jobs/1/out.tif', { start: 998, end: 5000 })))], [998 % 251, 999 % 251]);
      for (const r of [{ start: 1000, end: 1001 }, { start: 5000, end: 6000 }, { start: 5, end: 4 }, { start: -1, end: 4 }, { start: 0.5, end: 4 }]) {
        await assert.rejects(store.get('jobs/1/out.tif', r), (e: { code?: string; message: string }) => {
          assert.equal(e.code, 'GEP_ERR_INVALID_INPUT', JSON.stringify(r));
          assert.match(e.message, /jobs\/1\/out\.tif/);
          return true;
        });
      }
      await assert.rejects(store.get('jobs/1/none.tif'), (e: { code?: string; message: string }) => {
        assert.equal(e.code, 'GEP_ERR_NOT_FOUND');
        assert.match(e.message, /jobs\/1\/none\.tif/);
        return true;
      });
      await assert.rejects(store.get('jobs/1/none.tif', { start: 0, end: 1 }), { code: 'GEP_ERR_NOT_FOUND' });
      await assert.rejects(store.get('jobs/1/none.tif', { start: 5, end: 1 }), { code: 'GEP_ERR_NOT_FOUND' });
      assert.equal(await store.head('jobs/1/none.tif'), null);
      assert.equal(await store.head('jobs/1'), null, 'a prefix is not a blob');
    });

    test('overwrite replaces bytes, type and etag; no type given keeps none of the old one', async () => {
      await store.put('ow/k', new Uint8Array([1, 2, 3]), { contentType: 'text/plain' });
      const h1 = await store.head('ow/k');
      await store.put('ow/k', new Uint8Array([9, 9, 9, 9]), { contentType: 'application/json' });
      const h2 = await store.head('ow/k');
      assert.deepEqual([...(await readAll(await store.get('ow/k')))], [9, 9, 9, 9]);
      assert.equal(h2?.size, 4);
      assert.equal(h2?.contentType, 'application/json');
      assert.notEqual(h2?.etag, h1?.etag);
      await store.put('ow/k', new Uint8Array([5]));
      assert.notEqual((await store.head('ow/k'))?.contentType, 'application/json');
    });

    test('zero-byte blobs from bytes, streams and files', async () => {
      await store.put('zero/bytes', new Uint8Array(0), { contentType: 'text/plain' });
      await store.put('zero/stream', Readable.from([]));
      const empty = join(work, 'empty');
      writeFileSync(empty, '');
      await store.putFile('zero/file', empty);
      for (const k of ['zero/bytes', 'zero/stream', 'zero/file']) {
        assert.equal((await store.head(k))?.size, 0, k);
        assert.equal((await readAll(await store.get(k))).length, 0, k);
        await assert.rejects(store.get(k, { start: 0, end: 0 }), { code: 'GEP_ERR_INVALID_INPUT' });
      }
      assert.equal((await store.head('zero/bytes'))?.contentType, 'text/plain');
      assert.deepEqual(await listKeys(store, 'zero/'), ['zero/bytes', 'zero/file', 'zero/stream']);
    });

    test('streams in; a failing source leaves the old blob', async () => {
      const chunks = Array.from({ length: 64 }, (_v, i) => Buffer.alloc(16384, i));
      await store.put('big/stream.bin', Readable.from(chunks), { contentType: 'application/octet-stream' });
      assert.equal((await store.head('big/stream.bin'))?.size, 64 * 16384);
      assert.deepEqual([...(await readAll(await store.get('big/stream.bin', { start: 16384 * 3 - 1, end: 16384 * 3 })))], [2, 3]);
      await store.put('big/stream.bin', new Uint8Array([7]));
      let sent = 0;
      const failing = new Readable({
        read() {
          if (sent++ < 3) this.push(Buffer.alloc(1 << 20, 1));
          else this.destroy(new Error('source broke'));
        },
      });
      await assert.rejects(store.put('big/stream.bin', failing), /source broke/);
      assert.deepEqual([...(await readAll(await store.get('big/stream.bin')))], [7]);
      assert.deepEqual(await listKeys(store, 'big/'), ['big/stream.bin']);
    });

    test('list by prefix in ascending key order', async () => {
      for (const k of ['a/b/c.txt', 'a/b.txt', 'a/b-c/d', 'ab', 'a/é.txt', 'a/Z', 'a/b/c/d/e/f']) await store.put(k, new Uint8Array([1]));
      assert.deepEqual(await listKeys(store, 'a/'), ['a/Z', 'a/b-c/d', 'a/b.txt', 'a/b/c.txt', 'a/b/c/d/e/f', 'a/é.txt']);
      assert.deepEqual(await listKeys(store, 'a/b'), ['a/b-c/d', 'a/b.txt', 'a/b/c.txt', 'a/b/c/d/e/f']);
      assert.deepEqual(await listKeys(store, 'a/b/'), ['a/b/c.txt', 'a/b/c/d/e/f']);
      assert.deepEqual(await listKeys(store, 'a/b/c'), ['a/b/c.txt', 'a/b/c/d/e/f']);
      assert.deepEqual(await listKeys(store, 'a'), ['a/Z', 'a/b-c/d', 'a/b.txt', 'a/b/c.txt', 'a/b/c/d/e/f', 'a/é.txt', 'ab']);
      assert.deepEqual(await listKeys(store, 'zz/'), []);
      const everything = await listKeys(store, '');
      assert.deepEqual(everything, [...everything].sort());
      assert.ok(everything.includes('jobs/1/out.tif') && !everything.some((k) => k.startsWith('.gep')));
    });

    test('delete (absent keys are fine) and deletePrefix (folder and plain prefixes, > 1000 keys)', async () => {
      await store.delete('a/b/c.txt');
      await store.delete('a/b/c.txt');
      await store.delete('never/was');
      assert.equal(await store.head('a/b/c.txt'), null);
      assert.deepEqual(await listKeys(store, 'a/b/'), ['a/b/c/d/e/f']);
      // Plain prefix: 'a/b' takes 'a/b-c/d', 'a/b.txt' and 'a/b/...' but not 'a/Z' or 'ab'.
      assert.equal(await store.deletePrefix('a/b'), 3);
      assert.deepEqual(await listKeys(store, 'a'), ['a/Z', 'a/é.txt', 'ab']);
      const many = Array.from({ length: 1003 }, (_v, i) => `many/${String(i).padStart(4, '0')}`);
      for (let i = 0; i < many.length; i += 32) await Promise.all(many.slice(i, i + 32).map((k) => store.put(k, new Uint8Array([1]), { contentType: 'x/y' })));
      await store.put('many-not/x', new Uint8Array([1]));
      assert.equal((await listKeys(store, 'many/')).length, 1003);
      assert.equal(await store.deletePrefix('many/'), 1003);
      assert.deepEqual(await listKeys(store, 'many'), ['many-not/x']);
      assert.equal(await store.head('many/0000'), null);
      assert.equal(await store.deletePrefix('many/'), 0);
      await assert.rejects(store.deletePrefix(''), { code: 'GEP_ERR_INVALID_INPUT' });
      await assert.rejects(store.deletePrefix('../'), { code: 'GEP_ERR_INVALID_INPUT' });
    });

    test('putFile: copy keeps the source, move removes it, 40 MiB goes through multipart', async () => {
      const src = join(work, 'small.bin');
      writeFileSync(src, bytes);
      await store.putFile('pf/copy.bin', src, { contentType: 'image/tiff' });
      assert.ok(existsSync(src));
      assert.deepEqual(new Uint8Array(await readAll(await store.get('pf/copy.bin'))), bytes);
      assert.equal((await store.head('pf/copy.bin'))?.contentType, 'image/tiff');
      await store.putFile('pf/move.bin', src, { move: true });
      assert.equal(existsSync(src), false);
      assert.deepEqual(new Uint8Array(await readAll(await store.get('pf/move.bin'))), bytes);

      const big = new Uint8Array(40 * 1024 * 1024 + 12345);
      let x = 12345;
      for (let i = 0; i < big.length; i += 4) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        big[i] = x >>> 24;
      }
      const bigPath = join(work, 'big.tif');
      writeFileSync(bigPath, big);
      const t0 = performance.now();
      await store.putFile('pf/big.tif', bigPath, { contentType: 'image/tiff; application=geotiff', move: true });
      const ms = performance.now() - t0;
      console.log(`# ${b.name}: putFile 40 MiB in ${ms.toFixed(0)} ms`);
      assert.equal(existsSync(bigPath), false);
      const h = await store.head('pf/big.tif');
      assert.equal(h?.size, big.length);
      assert.equal(h?.contentType, 'image/tiff; application=geotiff');
      assert.equal(sha(await readAll(await store.get('pf/big.tif'))), sha(big));
      const tail = await readAll(await store.get('pf/big.tif', { start: big.length - 5, end: big.length + 100 }));
      assert.deepEqual(new Uint8Array(tail), big.subarray(big.length - 5));
      assert.equal(sha(await readUrl(store.url('pf/big.tif'))), sha(big));
      await assert.rejects(store.putFile('pf/none', join(work, 'absent.bin')), { code: 'GEP_ERR_NOT_FOUND' });
      await assert.rejects(store.putFile('pf/dir', work), { code: 'GEP_ERR_NOT_FOUND' });
      assert.equal(await store.head('pf/none'), null);
    });

    test('url() is where outside readers find the blob', async () => {
      await store.put('u/key with spaces/é #1?.bin', bytes);
      const u = store.url('u/key with spaces/é #1?.bin');
      if (b.name === 'local') assert.ok(u.startsWith('/'), u);
      else assert.match(u, /^s3:\/\/[a-z0-9.-]+\/.*\?endpoint=http:\/\/127\.0\.0\.1:\d+$/);
      assert.deepEqual(await readUrl(u), bytes);
      assert.equal(typeof store.location, 'string');
      assert.equal(store.localPath('u/x') === null, b.name === 's3');
    });

    test('hostile keys are refused with GEP_ERR_INVALID_INPUT naming the key, by every method', async () => {
      const f = join(work, 'h.bin');
      writeFileSync(f, 'x');
      for (const k of HOSTILE_KEYS) {
        await assert.rejects(store.put(k, new Uint8Array([1])), (e: { code?: string; message: string }) => {
          assert.equal(e.code, 'GEP_ERR_INVALID_INPUT', JSON.stringify(k));
          assert.ok(e.message.includes(JSON.stringify(k.length > 200 ? `${k.slice(0, 200)}...` : k)), e.message);
          return true;
        });
        await assert.rejects(store.get(k), { code: 'GEP_ERR_INVALID_INPUT' });
        await assert.rejects(store.head(k), { code: 'GEP_ERR_INVALID_INPUT' });
        await assert.rejects(store.delete(k), { code: 'GEP_ERR_INVALID_INPUT' });
        await assert.rejects(store.putFile(k, f), { code: 'GEP_ERR_INVALID_INPUT' });
        assert.throws(() => store.url(k), { code: 'GEP_ERR_INVALID_INPUT' });
      }
      assert.ok(existsSync(f));
      for (const p of ['../', '/abs', 'a//', 'x\u0000', '.gep-tmp/']) {
        await assert.rejects(listKeys(store, p), { code: 'GEP_ERR_INVALID_INPUT' }, JSON.stringify(p));
        await assert.rejects(store.deletePrefix(p), { code: 'GEP_ERR_INVALID_INPUT' }, JSON.stringify(p));
      }
    });
  });
}

contract({
  name: 'local',
  dir: '',
  async open() {
    this.dir = mkdtempSync(join(tmpdir(), 'gep-blobs-'));
    return openBlobStore(`file://${this.dir}`);
  },
  async close() {
    rmSync(this.dir, { recursive: true, force: true });
  },
} as Backend & { dir: string });

let s3: S3Server | undefined;
contract({
  name: 's3',
  async open() {
    s3 = await startS3({ bucket: 'gep-contract', setEnv: true });
    // A prefix, so that the store's keys are not the bucket's keys.
    return openBlobStore(`s3://${s3.bucket}/tenant-1/blobs/?endpoint=${s3.endpoint}`);
  },
  async close() {
    await s3?.stop();
  },
});
