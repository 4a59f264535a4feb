import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { checkBlobKey, openBlobStore } from '../../src/store/blobs.ts';
import type { BlobStore } from '../../src/store/blobs.ts';
import { listKeys, readAll } from '../helpers/blobs.ts';

describe('local blob store', () => {
  let dir: string;
  let store: BlobStore;
  const bytes = Uint8Array.from({ length: 1000 }, (_v, i) => i % 251);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gep-blobs-'));
    store = await openBlobStore(`file://${dir}`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('put, get, head with content type, ranges', async () => {
    await store.put('jobs/1/out.tif', bytes, { contentType: 'image/tiff; application=geotiff' });
    const h = await store.head('jobs/1/out.tif');
    assert.equal(h?.size, 1000);
    assert.equal(h?.contentType, 'image/tiff; application=geotiff');
    // Local etag: "<size hex>-<mtime ms hex>"; modified is the file's mtime.
    const st = statSync(join(dir, 'jobs', '1', 'out.tif'));
    assert.equal(h?.etag, `"${(1000).toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`);
    assert.equal(h?.modified?.getTime(), Math.floor(st.mtimeMs));
    assert.deepEqual(new Uint8Array(await readAll(await store.get('jobs/1/out.tif'))), bytes);
    assert.deepEqual([...(await readAll(await store.get('jobs/1/out.tif', { start: 10, end: 14 })))], [10, 11, 12, 13, 14]);
    // end beyond the size is clamped; start beyond it is refused.
    assert.deepEqual([...(await readAll(await store.get('jobs/1/out.tif', { start: 998, end: 5000 })))], [998 % 251, 999 % 251]);
    await assert.rejects(store.get('jobs/1/out.tif', { start: 1000, end: 1001 }), { code: 'GEP_ERR_INVALID_INPUT' });
    await assert.rejects(store.get('jobs/1/out.tif', { start: 5, end: 4 }), { code: 'GEP_ERR_INVALID_INPUT' });
    await assert.rejects(store.get('jobs/1/none.tif'), (e: { code?: string; message: string }) => {
      assert.equal(e.code, 'GEP_ERR_NOT_FOUND');
      assert.match(e.message, /jobs\/1\/none\.tif/);
      return true;
    });
    assert.equal(await store.head('jobs/1/none.tif'), null);
    assert.equal(store.localPath('jobs/1/out.tif'), join(dir, 'jobs', '1', 'out.tif'));
  });

  test('streams in, replaces atomically, leaves no temporary files', async () => {
    const chunks = Array.from({ length: 64 }, (_v, i) => Buffer.alloc(16384, i));
    await store.put('big/stream.bin', Readable.from(chunks));
    assert.equal((await store.head('big/stream.bin'))?.size, 64 * 16384);
    assert.equal((await store.head('big/stream.bin'))?.contentType, undefined);
    const part = await readAll(await store.get('big/stream.bin', { start: 16384 * 3 - 1, end: 16384 * 3 }));
    assert.deepEqual([...part], [2, 3]);
    await store.put('big/stream.bin', new Uint8Array([7]));
    assert.deepEqual([...readFileSync(join(dir, 'big', 'stream.bin'))], [7]);
    // A failing source leaves the old blob and no temporary file.
    const failing = new Readable({
      read() {
        this.destroy(new Error('source broke'));
      },
    });
    await assert.rejects(store.put('big/stream.bin', failing), /source broke/);
    assert.deepEqual([...readFileSync(join(dir, 'big', 'stream.bin'))], [7]);
    assert.deepEqual(readdirSync(join(dir, '.gep-tmp')), []);
  });

  test('list by prefix in key order; delete prunes empty folders', async () => {
    await store.put('a/b/c.txt', new Uint8Array([1]));
    await store.put('a/b.txt', new Uint8Array([1]));
    await store.put('a/b-c/d', new Uint8Array([1]));
    await store.put('ab', new Uint8Array([1]));
    assert.deepEqual(await listKeys(store, 'a/'), ['a/b-c/d', 'a/b.txt', 'a/b/c.txt']);
    assert.deepEqual(await listKeys(store, 'a/b'), ['a/b-c/d', 'a/b.txt', 'a/b/c.txt']);
    assert.deepEqual(await listKeys(store, 'a/b/'), ['a/b/c.txt']);
    assert.deepEqual(await listKeys(store, 'a'), ['a/b-c/d', 'a/b.txt', 'a/b/c.txt', 'ab']);
    assert.deepEqual(await listKeys(store, 'zz/'), []);
    const everything = await listKeys(store, '');
    assert.deepEqual(everything, [...everything].sort());
    assert.ok(everything.includes('jobs/1/out.tif') && !everything.some((k) => k.startsWith('.gep')));
    await store.delete('a/b/c.txt');
    await store.delete('a/b/c.txt'); // absent: no error
    assert.equal(existsSync(join(dir, 'a', 'b')), false);
    assert.equal(existsSync(join(dir, 'a')), true);
    await store.delete('jobs/1/out.tif');
    assert.equal(await store.head('jobs/1/out.tif'), null);
    assert.equal(existsSync(join(dir, '.gep-meta', 'jobs', '1', 'out.tif.json')), false);
  });

  test('hostile keys are rejected with GEP_ERR_INVALID_INPUT naming the key', async () => {
    const hostile = ['../etc/passwd', 'a/../../b', '/etc/passwd', 'a//b', 'a/./b', 'nul\u0000byte', 'C:/win', 'back\\slash', '', 'x'.repeat(1025), '.gep-tmp/x', 'dir/'];
    for (const k of hostile) {
      await assert.rejects(store.put(k, new Uint8Array([1])), (e: { code?: string; message: string }) => {
        assert.equal(e.code, 'GEP_ERR_INVALID_INPUT', k);
        assert.ok(e.message.includes(JSON.stringify(k.length > 200 ? `${k.slice(0, 200)}...` : k)), e.message);
        return true;
      });
      await assert.rejects(store.get(k), { code: 'GEP_ERR_INVALID_INPUT' });
      await assert.rejects(store.delete(k), { code: 'GEP_ERR_INVALID_INPUT' });
    }
    await assert.rejects(listKeys(store, '../'), { code: 'GEP_ERR_INVALID_INPUT' });
    assert.equal(checkBlobKey('ok/key with spaces/é.tif'), 'ok/key with spaces/é.tif');
  });

  test('putFile: move renames within the store, a refused key gives the source back; deletePrefix removes sidecars', async () => {
    const src = join(dir, 'outside.bin');
    writeFileSync(src, bytes);
    await store.put('pf/blob', new Uint8Array([1]));
    // 'pf/blob/x' cannot exist beside the blob 'pf/blob' in a folder: refused, and the moved file is back.
    await assert.rejects(store.putFile('pf/blob/x', src, { move: true }), { code: 'GEP_ERR_INVALID_INPUT' });
    assert.deepEqual(new Uint8Array(readFileSync(src)), bytes);
    await store.putFile('pf/moved', src, { move: true, contentType: 'text/plain' });
    assert.equal(existsSync(src), false);
    assert.deepEqual(readdirSync(join(dir, '.gep-tmp')), []);
    assert.ok(existsSync(join(dir, '.gep-meta', 'pf', 'moved.json')));
    assert.equal(await store.deletePrefix('pf/'), 2);
    assert.equal(existsSync(join(dir, 'pf')), false);
    assert.equal(existsSync(join(dir, '.gep-meta', 'pf')), false);
  });

  test('URLs: default folder under the data dir; s3:// needs a valid URL; others refused', async () => {
    const s = await openBlobStore(undefined, { dataDir: dir });
    assert.equal(s.localPath('k'), join(dir, 'blobs', 'k'));
    assert.equal(s.url('k'), join(dir, 'blobs', 'k'));
    assert.equal(s.kind, 'local');
    assert.equal(s.location, `file://${join(dir, 'blobs')}`);
    for (const u of ['s3://', 's3://x', 's3://Bad_Bucket', 's3://user:pw@bucket', 's3://bucket?secret_key=x', 's3://bucket/../x']) {
      await assert.rejects(openBlobStore(u), { code: 'GEP_ERR_INVALID_INPUT' }, u);
    }
    await assert.rejects(openBlobStore('ftp://x'), { code: 'GEP_ERR_INVALID_INPUT' });
    await assert.rejects(openBlobStore('file://'), { code: 'GEP_ERR_INVALID_INPUT' });
  });
});
