import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { crc32, isUnsafeEntryName, openZip, parseZipHref, zipHref } from '../../src/sensors/archive.ts';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gep-zip-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
function writeZip(name: string, files: Record<string, Uint8Array>, level: 0 | 6 = 6): string {
  const p = join(dir, name);
  writeFileSync(p, zipSync(files, { level }));
  return p;
}
/** Offset of the first central directory header (signature PK\1\2). */
function centralOffset(z: Uint8Array): number {
  for (let i = 0; i + 4 <= z.length; i++) if (z[i] === 0x50 && z[i + 1] === 0x4b && z[i + 2] === 1 && z[i + 3] === 2) return i;
  return -1;
}

describe('openZip', () => {
  test('lists and reads stored and deflated entries, folders excluded', async () => {
    const big = new Uint8Array(300_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const p = writeZip('ok.zip', {
      'S2A.SAFE/manifest.safe': text('<xfdu/>'),
      'S2A.SAFE/GRANULE/L1C/IMG_DATA/T33UUU_B04.jp2': big,
      'S2A.SAFE/empty.txt': new Uint8Array(0),
    });
    const z = await openZip(p);
    try {
      assert.deepEqual(z.list(), ['S2A.SAFE/manifest.safe', 'S2A.SAFE/GRANULE/L1C/IMG_DATA/T33UUU_B04.jp2', 'S2A.SAFE/empty.txt']);
      assert.equal(new TextDecoder().decode(z.read('S2A.SAFE/manifest.safe')), '<xfdu/>');
      assert.deepEqual(z.read('S2A.SAFE/GRANULE/L1C/IMG_DATA/T33UUU_B04.jp2'), big);
      assert.equal(z.read('S2A.SAFE/empty.txt').length, 0);
      assert.throws(() => z.read('S2A.SAFE/nope'), { code: 'GEP_ERR_NOT_FOUND' });
    } finally {
      z.close();
    }
    const stored = await openZip(writeZip('stored.zip', { 'a/b.bin': big }, 0));
    assert.deepEqual(stored.read('a/b.bin'), big);
    stored.close();
  });

  test('known CRC-32 and href helpers', () => {
    assert.equal(crc32(text('123456789')), 0xcbf43926);
    assert.equal(zipHref('/d/x.zip', 'A/B.jp2'), 'zip:///d/x.zip!/A/B.jp2');
    assert.deepEqual(parseZipHref('zip:///d/x.zip!/A/B.jp2'), { archive: '/d/x.zip', entry: 'A/B.jp2' });
    assert.equal(parseZipHref('/d/x.jp2'), null);
  });

  test('path traversal and absolute names are refused', async () => {
    for (const n of ['../evil.txt', 'a/../../evil', '/etc/passwd', 'C:/win.ini', 'a\\..\\b'])
      assert.ok(isUnsafeEntryName(n), n);
    assert.ok(!isUnsafeEntryName('a/b..c/d'));
    const p = writeZip('trav.zip', { 'ok.txt': text('x'), '../../evil.txt': text('y') });
    await assert.rejects(openZip(p), { code: 'GEP_ERR_CORRUPT_FILE', message: /unsafe entry name/ });
  });

  test('zip bomb: small declared size, huge inflation -> GEP_ERR_TOO_LARGE', async () => {
    const z = zipSync({ 'bomb.bin': new Uint8Array(64 << 20) }, { level: 9 });
    assert.ok(z.length < 200_000);
    const c = centralOffset(z);
    const dv = new DataView(z.buffer, z.byteOffset);
    dv.setUint32(c + 24, 1000, true); // declared uncompressed size in the central directory
    dv.setUint32(26 - 4, 1000, true); // and in the local header (offset 22)
    const p = join(dir, 'bomb.zip');
    writeFileSync(p, z);
    const a = await openZip(p);
    const t0 = Date.now();
    assert.throws(() => a.read('bomb.bin'), { code: 'GEP_ERR_TOO_LARGE' });
    assert.ok(Date.now() - t0 < 2000);
    a.close();
  });

  test('limits on declared sizes and entry count', async () => {
    const p = writeZip('lim.zip', { a: new Uint8Array(5000), b: new Uint8Array(5000), c: text('x') });
    await assert.rejects(openZip(p, { maxEntryBytes: 4000 }), { code: 'GEP_ERR_TOO_LARGE' });
    await assert.rejects(openZip(p, { maxTotalBytes: 8000 }), { code: 'GEP_ERR_TOO_LARGE' });
    await assert.rejects(openZip(p, { maxEntries: 2 }), { code: 'GEP_ERR_TOO_LARGE' });
  });

  test('garbage, truncated, corrupted archives', async () => {
    const g = join(dir, 'garbage.zip');
    writeFileSync(g, text('not a zip'.repeat(10)));
    await assert.rejects(openZip(g), { code: 'GEP_ERR_CORRUPT_FILE' });
    await assert.rejects(openZip(join(dir, 'missing.zip')), { code: 'GEP_ERR_NOT_FOUND' });
    const data = new Uint8Array(10_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    const z = zipSync({ 'x.bin': data }, { level: 6 });
    const t = join(dir, 'trunc.zip');
    writeFileSync(t, z.subarray(0, z.length - 30));
    await assert.rejects(openZip(t), { code: 'GEP_ERR_CORRUPT_FILE' });
    // Flip a byte of the compressed data: either invalid deflate or CRC mismatch.
    const flipped = z.slice();
    flipped[60] = flipped[60]! ^ 0x55;
    const f = join(dir, 'flip.zip');
    writeFileSync(f, flipped);
    const a = await openZip(f);
    assert.throws(() => a.read('x.bin'), { code: 'GEP_ERR_CORRUPT_FILE' });
    a.close();
    // Central directory offset pointing beyond the file.
    const far = z.slice();
    new DataView(far.buffer).setUint32(far.length - 6, 0x7fffffff, true);
    const fp = join(dir, 'far.zip');
    writeFileSync(fp, far);
    await assert.rejects(openZip(fp), { code: 'GEP_ERR_CORRUPT_FILE' });
  });
});
