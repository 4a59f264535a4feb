/**
 * Hostile input: seeded mutations of valid small TIFFs (classic + BigTIFF, either byte order, tiles +
 * strips, DEFLATE / LZW / PackBits) and hand-made hostile files. Every case must either read or throw a
 * GepError (never a RangeError, TypeError, hang or crash), within a per-case time bound.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { GepError } from '../../src/core/errors.ts';
import { openGeoTiff } from '../../src/raster/tiff/read.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasGdal } from '../helpers/env.ts';
import { rng } from '../helpers/random.ts';
import { makeBands, run, writeEnvi, writeTiff, type TiffSpec } from './fixtures-tiff.ts';

/** Opens, reads info, reads everything (all levels) and a window; returns the error, if any. */
async function exercise(bytes: Uint8Array): Promise<unknown> {
  try {
    const r = await openGeoTiff(bytes, { name: 'fuzz.tif' });
    try {
      await r.read();
      const { width, height } = r.info;
      await r.read({ window: { x0: width > 1 ? 1 : 0, y0: height > 1 ? 1 : 0, width: Math.min(3, width - (width > 1 ? 1 : 0)), height: Math.min(2, height - (height > 1 ? 1 : 0)) }, bands: [0] });
      for (let k = 1; k <= r.info.overviews.length; k++) await r.read({ overview: k });
    } finally {
      await r.close();
    }
    return null;
  } catch (e) {
    return e;
  }
}

function seeds(): { name: string; bytes: Uint8Array }[] {
  const b3 = makeBands('uint16', 37, 29, 2);
  const f1 = makeBands('float32', 37, 29, 1);
  const i1 = makeBands('int16', 37, 29, 1);
  const geo = [
    { tag: 33550, type: 12, values: [10, 10, 0] },
    { tag: 33922, type: 12, values: [0, 0, 0, 500000, 5000000, 0] },
    { tag: 34735, type: 3, values: [1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32633] },
    { tag: 42113, type: 2, values: '-9999' },
  ];
  const specs: [string, TiffSpec][] = [
    ['classic LE tiled deflate chunky pred2', { width: 37, height: 29, dataType: 'uint16', bands: b3, tile: [16, 16], compression: 8, predictor: 2, extraTags: geo }],
    ['classic BE striped LZW separate', { width: 37, height: 29, dataType: 'uint16', bands: b3, rowsPerStrip: 5, compression: 5, planar: 2, bigEndian: true }],
    ['BigTIFF LE striped deflate', { width: 37, height: 29, dataType: 'float32', bands: f1, rowsPerStrip: 8, compression: 8, bigTiff: true, extraTags: geo }],
    ['BigTIFF BE tiled LZW pred2', { width: 37, height: 29, dataType: 'int16', bands: i1, tile: [16, 16], compression: 5, predictor: 2, bigTiff: true, bigEndian: true }],
    ['classic LE tiled PackBits', { width: 37, height: 29, dataType: 'uint16', bands: b3, tile: [32, 16], compression: 32773 }],
    ['classic LE striped none', { width: 37, height: 29, dataType: 'int16', bands: i1, rowsPerStrip: 3 }],
  ];
  const out = specs.map(([name, s]) => ({ name, bytes: writeTiff(s) }));
  if (hasGdal()) {
    // GDAL-written files add multi-IFD layouts: COG with overviews and an internal mask, BigTIFF LZW strips.
    const dir = mkdtempSync(join(tmpdir(), 'gep-tiff-fuzz-'));
    try {
      const raw = writeEnvi(dir, 'src', makeBands('uint16', 100, 70, 2), 100, 70, 'uint16');
      const gdal: [string, string[]][] = [
        ['GDAL COG deflate + overviews + mask', ['-of', 'COG', '-co', 'COMPRESS=DEFLATE', '-co', 'BLOCKSIZE=32', '-co', 'OVERVIEW_COUNT=2', '-mask', '1']],
        ['GDAL BigTIFF LZW strips pred2', ['-co', 'BIGTIFF=YES', '-co', 'COMPRESS=LZW', '-co', 'PREDICTOR=2', '-co', 'BLOCKYSIZE=9']],
      ];
      for (const [name, args] of gdal) {
        const f = join(dir, 'out.tif');
        run('gdal_translate', ['-q', ...args, raw, f]);
        out.push({ name, bytes: new Uint8Array(readFileSync(f)) });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}

/** Offsets of the first IFD and of each of its entries. */
function ifdLayout(b: Uint8Array): { big: boolean; le: boolean; ifd: number; entries: number[] } {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = b[0] === 0x49;
  const big = dv.getUint16(2, le) === 43;
  const ifd = big ? Number(dv.getBigUint64(8, le)) : dv.getUint32(4, le);
  const n = big ? Number(dv.getBigUint64(ifd, le)) : dv.getUint16(ifd, le);
  const entries = Array.from({ length: n }, (_, i) => ifd + (big ? 8 : 2) + i * (big ? 20 : 12));
  return { big, le, ifd, entries };
}

const EXTREMES = [0, 1, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 65536, 2 ** 20 + 1];

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const b = src.slice();
  const dv = new DataView(b.buffer);
  const L = ifdLayout(src);
  const pick = <T,>(a: T[]): T => a[Math.floor(r() * a.length)]!;
  const entry = pick(L.entries);
  const kind = Math.floor(r() * 7);
  switch (kind) {
    case 0: {
      // random byte flips anywhere
      const n = 1 + Math.floor(r() * 8);
      for (let i = 0; i < n; i++) {
        const at = Math.floor(r() * b.length);
        b[at] = b[at]! ^ (1 << Math.floor(r() * 8));
      }
      return b;
    }
    case 1: {
      // 4- or 8-byte overwrite inside the IFD (counts, offsets, values)
      const w = pick([4, 8]);
      const at = entry + Math.floor(r() * (L.big ? 20 : 12));
      for (let i = 0; i < w && at + i < b.length; i++) b[at + i] = r() < 0.5 ? Math.floor(r() * 256) : pick([0, 0xff]);
      return b;
    }
    case 2:
      // truncation
      return b.slice(0, Math.floor(r() * b.length));
    case 3: {
      // next-IFD pointer loops back (to itself or to the header) or points elsewhere
      const n = L.entries.length;
      const at = L.ifd + (L.big ? 8 : 2) + n * (L.big ? 20 : 12);
      const target = pick([L.ifd, 8, L.big ? 16 : 8, Math.floor(r() * b.length), b.length + 10]);
      if (L.big) dv.setBigUint64(at, BigInt(target), L.le);
      else dv.setUint32(at, target, L.le);
      return b;
    }
    case 4: {
      // huge width / height / tile size / rows per strip
      const tags = [256, 257, 322, 323, 278, 277, 258];
      for (const at of L.entries) {
        const tag = dv.getUint16(at, L.le);
        if (tags.includes(tag) && r() < 0.5) {
          const v = pick(EXTREMES);
          const vp = at + (L.big ? 12 : 8);
          if (dv.getUint16(at + 2, L.le) === 3) dv.setUint16(vp, v & 0xffff, L.le);
          else dv.setUint32(vp, v >>> 0, L.le);
        }
      }
      return b;
    }
    case 5: {
      // huge or wrong count of one entry
      const v = pick(EXTREMES);
      if (L.big) dv.setBigUint64(entry + 4, r() < 0.3 ? 2n ** 60n : BigInt(v), L.le);
      else dv.setUint32(entry + 4, v >>> 0, L.le);
      return b;
    }
    default: {
      // corrupt a value pointer (block offsets / byte counts arrays live behind it)
      const vp = entry + (L.big ? 12 : 8);
      const v = pick([...EXTREMES, b.length - 2, b.length]);
      if (L.big) dv.setBigUint64(vp, BigInt(v), L.le);
      else dv.setUint32(vp, v >>> 0, L.le);
      return b;
    }
  }
}

function assertGep(e: unknown, what: string): void {
  if (e === null) return;
  if (!(e instanceof GepError)) assert.fail(`${what}: threw a non-GepError: ${(e as Error)?.stack ?? String(e)}`);
  assert.ok(['GEP_ERR_CORRUPT_FILE', 'GEP_ERR_TOO_LARGE', 'GEP_ERR_UNSUPPORTED'].includes(e.code), `${what}: code ${e.code} (${e.message})`);
}

describe('TIFF reader under hostile input', () => {
  const S = seeds();

  test('seed files read back exactly', async () => {
    for (const s of S) {
      if (s.name.startsWith('GDAL')) continue;
      const r = await openGeoTiff(s.bytes);
      const ras = await r.read();
      const want = s.name.includes('float') || s.name.includes('BigTIFF LE') ? makeBands('float32', 37, 29, 1) : s.name.includes('pred2') && s.name.includes('BE') ? makeBands('int16', 37, 29, 1) : s.name.includes('none') ? makeBands('int16', 37, 29, 1) : makeBands('uint16', 37, 29, 2);
      assert.equal(ras.bands.length, want.length, s.name);
      want.forEach((w, i) => assert.deepEqual(Array.from(ras.bands[i]!), Array.from(w), `${s.name} band ${i}`));
      if (s.name.includes('chunky')) {
        assert.deepEqual(r.info.transform, [500000, 10, 0, 5000000, 0, -10]);
        assert.equal(r.info.crs?.epsg, 32633);
        assert.equal(r.info.nodata, -9999);
      }
      await r.close();
    }
  });

  test('>= 2400 seeded mutations (400 per seed file): success or GepError, each within 2 s', async () => {
    const r = rng(20261124);
    const N = 2400 + 400 * (S.length - 6);
    const counts: Record<string, number> = { ok: 0 };
    let worst = 0;
    for (let i = 0; i < N; i++) {
      const s = S[i % S.length]!;
      const m = mutate(s.bytes, r);
      const t0 = performance.now();
      const e = await exercise(m);
      const dt = performance.now() - t0;
      // FUZZ_DEBUG=1 prints each new slowest case, to find what a slow mutation does.
      if (dt > worst && process.env.FUZZ_DEBUG) console.log(`# slowest so far: case ${i} ${dt.toFixed(1)} ms ${String(e)}`);
      worst = Math.max(worst, dt);
      assert.ok(dt < 2000, `case ${i} (${s.name}) took ${dt.toFixed(0)} ms`);
      assertGep(e, `case ${i} (${s.name})`);
      const k = e === null ? 'ok' : (e as GepError).code;
      counts[k] = (counts[k] ?? 0) + 1;
    }
    console.log(`# fuzz outcomes ${JSON.stringify(counts)}, slowest case ${worst.toFixed(1)} ms`);
    assert.ok(counts.ok! > 0 && counts.ok! < N, 'mutations should produce both successes and failures');
  });

  const one = makeBands('uint8', 8, 8, 1);
  const base = (extra: Partial<TiffSpec> = {}): Uint8Array => writeTiff({ width: 8, height: 8, dataType: 'uint8', bands: one, ...extra });
  const expectCode = async (bytes: Uint8Array, code: string, re?: RegExp): Promise<void> => {
    const e = await exercise(bytes);
    assert.ok(e instanceof GepError, `expected ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
  };
  const setEntry = (b: Uint8Array, tag: number, v: number, field: 'count' | 'value' = 'value'): Uint8Array => {
    const L = ifdLayout(b);
    const dv = new DataView(b.buffer, b.byteOffset);
    for (const at of L.entries)
      if (dv.getUint16(at, L.le) === tag) {
        const p = at + (field === 'count' ? 4 : L.big ? 12 : 8);
        if (L.big) dv.setBigUint64(p, BigInt(v), L.le);
        else if (field === 'value' && dv.getUint16(at + 2, L.le) === 3) dv.setUint16(p, v, L.le);
        else dv.setUint32(p, v, L.le);
        return b;
      }
    throw new Error(`tag ${tag} not found`);
  };

  test('empty file, non-TIFF bytes, bad version', async () => {
    await expectCode(new Uint8Array(0), 'GEP_ERR_CORRUPT_FILE');
    await expectCode(new TextEncoder().encode('%PDF-1.7 this is not a tiff at all'), 'GEP_ERR_CORRUPT_FILE', /not a TIFF/);
    const b = base();
    b[2] = 99;
    await expectCode(b, 'GEP_ERR_CORRUPT_FILE', /version/);
  });

  test('IFD loop and IFD beyond EOF', async () => {
    for (const big of [false, true]) {
      const b = base({ bigTiff: big });
      const L = ifdLayout(b);
      const dv = new DataView(b.buffer);
      const at = L.ifd + (big ? 8 : 2) + L.entries.length * (big ? 20 : 12);
      if (big) dv.setBigUint64(at, BigInt(L.ifd), true);
      else dv.setUint32(at, L.ifd, true);
      await expectCode(b, 'GEP_ERR_CORRUPT_FILE', /loops/);
      if (big) dv.setBigUint64(at, BigInt(b.length + 100), true);
      else dv.setUint32(at, b.length + 100, true);
      await expectCode(b, 'GEP_ERR_CORRUPT_FILE', /outside the file/);
    }
  });

  test('2^31 x 2^31 image and zero-size image', async () => {
    const b = setEntry(setEntry(base(), 256, 2 ** 31), 257, 2 ** 31);
    await expectCode(b, 'GEP_ERR_TOO_LARGE', /2147483648x2147483648/);
    await expectCode(setEntry(base(), 256, 0), 'GEP_ERR_CORRUPT_FILE', /not positive/);
    // Within maxDimension but beyond maxPixels.
    const c = setEntry(setEntry(base(), 256, 1_000_000), 257, 1_000_000);
    await expectCode(c, 'GEP_ERR_TOO_LARGE');
  });

  test('strip offset beyond EOF and 4 GB strip byte count', async () => {
    await expectCode(setEntry(base(), 273, 1e9), 'GEP_ERR_CORRUPT_FILE', /outside the file/);
    await expectCode(setEntry(base(), 279, 0xffffffff), 'GEP_ERR_TOO_LARGE', /4294967295/);
    await expectCode(setEntry(base({ bigTiff: true }), 279, 2 ** 40), 'GEP_ERR_TOO_LARGE');
  });

  test('huge tag counts', async () => {
    await expectCode(setEntry(base({ bigTiff: true }), 258, 2 ** 50, 'count'), 'GEP_ERR_TOO_LARGE');
    await expectCode(setEntry(base(), 273, 0xffffffff, 'count'), 'GEP_ERR_TOO_LARGE');
    const b = base({ bigTiff: true });
    new DataView(b.buffer).setBigUint64(ifdLayout(b).ifd, 2n ** 40n, true);
    await expectCode(b, 'GEP_ERR_TOO_LARGE', /tags/);
  });

  test('decompression bomb and short blocks', async () => {
    const bomb = base({ compression: 8 });
    // Replace the strip by a stream that inflates to 1 MiB (the block holds 64 bytes).
    const z = deflateSync(new Uint8Array(1 << 20));
    const file = new Uint8Array(bomb.length + z.length);
    file.set(bomb);
    file.set(z, bomb.length);
    setEntry(file, 273, bomb.length);
    setEntry(file, 279, z.length);
    await expectCode(file, 'GEP_ERR_CORRUPT_FILE', /DEFLATE/);
    const short = base({ compression: 8 });
    const z2 = deflateSync(new Uint8Array(10));
    const f2 = new Uint8Array(short.length + z2.length);
    f2.set(short);
    f2.set(z2, short.length);
    setEntry(f2, 273, short.length);
    setEntry(f2, 279, z2.length);
    await expectCode(f2, 'GEP_ERR_CORRUPT_FILE', /expected 64/);
    await expectCode(setEntry(base(), 279, 10), 'GEP_ERR_CORRUPT_FILE', /cannot hold the 64 bytes/);
  });

  test('unsupported compressions are named', async () => {
    for (const [code, name] of [[7, 'JPEG'], [50000, 'ZSTD'], [34887, 'LERC'], [50001, 'WEBP']] as const) {
      const b = setEntry(base(), 259, code);
      const r = await openGeoTiff(b);
      assert.equal(r.info.compression, name);
      await assert.rejects(r.read(), (e: unknown) => e instanceof GepError && e.code === 'GEP_ERR_UNSUPPORTED' && e.message.includes(name));
    }
  });
});
