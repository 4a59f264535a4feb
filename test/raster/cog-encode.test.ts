/**
 * Unit tests of the COG writer's building blocks (no GDAL): predictors with known answers and an independent
 * decoder, IFD byte layout, ghost area, GDAL metadata text.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { floatingPointPredict, horizontalDifference, extractTile } from '../../src/raster/cog/tile-encode.ts';
import { encodeIfd, ghostArea, ifdByteSize, layoutHeader, longTag, shortTag, asciiTag, doubleTag } from '../../src/raster/cog/layout.ts';
import { mayExceed4GiB } from '../../src/raster/cog/write.ts';
import { gdalMetadataXml, nodataText, tiffDateTime, rpcTagValues } from '../../src/raster/cog/gdal-metadata.ts';

/** Inverse of the floating-point predictor (TIFF Tech Note 3), written independently for the round trip. */
function undoFloatPredictor(bytes: Uint8Array, rowSamples: number, spp: number, bps: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  const rowBytes = rowSamples * bps;
  for (let base = 0; base < bytes.length; base += rowBytes) {
    const row = bytes.slice(base, base + rowBytes);
    for (let i = spp; i < rowBytes; i++) row[i] = (row[i]! + row[i - spp]!) & 0xff;
    for (let i = 0; i < rowSamples; i++)
      for (let k = 0; k < bps; k++) out[base + i * bps + (bps - 1 - k)] = row[k * rowSamples + i]!;
  }
  return out;
}

describe('predictors', () => {
  test('horizontal differencing wraps modulo 2^bits, per sample of pixel-interleaved rows', () => {
    const a = Uint16Array.from([10, 5, 65535, 0]);
    horizontalDifference(a, 4, 1);
    assert.deepEqual(Array.from(a), [10, 65531, 65530, 1]);
    const b = Int8Array.from([1, 2, -128, 127, 0, 0]); // 3 pixels x 2 samples
    horizontalDifference(b, 6, 2);
    assert.deepEqual(Array.from(b), [1, 2, 127, 125, -128, -127]); // -128 - 1 wraps to 127
    const c = Uint32Array.from([0, 4294967295, 1, 2]); // two rows of 2
    horizontalDifference(c, 2, 1);
    assert.deepEqual(Array.from(c), [0, 4294967295, 1, 1]);
  });

  test('floating-point predictor: known bytes for [1.0, 2.0]', () => {
    // 1.0f = 3F800000, 2.0f = 40000000; MSB-first planes: 3F 40 | 80 00 | 00 00 | 00 00, then byte differences.
    const out = floatingPointPredict(Float32Array.from([1, 2]), 2, 1);
    assert.deepEqual(Array.from(out), [0x3f, 0x01, 0x40, 0x80, 0, 0, 0, 0]);
  });

  test('floating-point predictor round-trips float32/float64 with NaN, -0 and 3 samples per pixel', () => {
    const f32 = Float32Array.from({ length: 2 * 12 }, (_, i) => (i % 5 === 0 ? NaN : i === 3 ? -0 : Math.sin(i) * 1e5));
    const orig32 = new Uint8Array(f32.slice().buffer);
    assert.deepEqual(undoFloatPredictor(floatingPointPredict(f32, 12, 3), 12, 3, 4), orig32);
    const f64 = Float64Array.from({ length: 3 * 8 }, (_, i) => (i === 7 ? Infinity : i * 1e-300 - 5));
    const orig64 = new Uint8Array(f64.slice().buffer);
    assert.deepEqual(undoFloatPredictor(floatingPointPredict(f64, 8, 1), 8, 1, 8), orig64);
  });

  test('extractTile interleaves bands and pads edge tiles with the fill value', () => {
    const level = { width: 3, height: 2, bands: [Uint8Array.from([1, 2, 3, 4, 5, 6]), Uint8Array.from([11, 12, 13, 14, 15, 16])] };
    const t = extractTile(level, 1, 0, 2, 9); // columns 2..3, rows 0..1
    assert.deepEqual(Array.from(t), [3, 13, 9, 9, 6, 16, 9, 9]);
  });
});

describe('TIFF layout', () => {
  test('classic IFD: sorted entries, inline and 8-byte aligned out-of-line values', () => {
    const entries = [doubleTag(33550, [10, 10, 0]), shortTag(256, [7]), longTag(324, [1, 2]), asciiTag(305, 'abc')];
    const pos = 100;
    const bytes = encodeIfd(entries, pos, 0, false);
    assert.equal(bytes.length, ifdByteSize(entries, pos, false));
    const dv = new DataView(bytes.buffer);
    assert.equal(dv.getUint16(0, true), 4);
    const tags = [0, 1, 2, 3].map((i) => dv.getUint16(2 + 12 * i, true));
    assert.deepEqual(tags, [256, 305, 324, 33550]);
    assert.equal(dv.getUint16(2 + 8, true), 7, 'ImageWidth inline');
    assert.deepEqual([...bytes.subarray(2 + 12 + 8, 2 + 12 + 12)], [97, 98, 99, 0], 'ASCII inline (4 bytes)');
    const off = dv.getUint32(2 + 24 + 8, true);
    assert.equal(off % 8, 0);
    assert.deepEqual([dv.getUint32(off - pos, true), dv.getUint32(off - pos + 4, true)], [1, 2]);
    const doff = dv.getUint32(2 + 36 + 8, true);
    assert.equal(dv.getFloat64(doff - pos, true), 10);
    assert.equal(dv.getUint32(2 + 48, true), 0, 'next IFD');
  });

  test('header, ghost area and IFD chain; the main IFD follows the ghost area on a word boundary', () => {
    const ghost = new TextDecoder().decode(ghostArea());
    assert.match(ghost, /^GDAL_STRUCTURAL_METADATA_SIZE=\d{6} bytes\n/);
    const size = Number(ghost.slice(30, 36));
    assert.equal(ghost.length, 43 + size);
    for (const bigTiff of [false, true]) {
      const { bytes, ifdPos } = layoutHeader([[shortTag(256, [1])], [shortTag(256, [2])]], bigTiff);
      const dv = new DataView(bytes.buffer);
      const first = bigTiff ? Number(dv.getBigUint64(8, true)) : dv.getUint32(4, true);
      const expected = (bigTiff ? 16 : 8) + ghost.length;
      assert.equal(first, expected + (expected % 2));
      assert.equal(first, ifdPos[0]);
      const next = bigTiff ? Number(dv.getBigUint64(ifdPos[0]! + 8 + 20, true)) : dv.getUint32(ifdPos[0]! + 2 + 12, true);
      assert.equal(next, ifdPos[1]);
    }
  });
});

describe('GDAL metadata text', () => {
  test('XML items, escaping, band descriptions', () => {
    const xml = gdalMetadataXml({ 'A&B': '<1>' }, ['B04', '', 'B08']);
    assert.equal(
      xml,
      '<GDALMetadata>\n  <Item name="A&amp;B">&lt;1&gt;</Item>\n' +
        '  <Item name="DESCRIPTION" sample="0" role="description">B04</Item>\n' +
        '  <Item name="DESCRIPTION" sample="2" role="description">B08</Item>\n</GDALMetadata>',
    );
    assert.equal(gdalMetadataXml({}, ['', '']), null);
  });
  test('nodata, datetime and RPC values', () => {
    assert.deepEqual([NaN, Infinity, -Infinity, -9999, 0.1].map(nodataText), ['nan', 'inf', '-inf', '-9999', '0.1']);
    assert.equal(tiffDateTime('2024-02-29T23:59:58+01:00'), '2024:02:29 22:59:58');
    const z = new Array<number>(20).fill(0);
    const v = rpcTagValues({ lineOffset: 1, sampOffset: 2, latOffset: 3, longOffset: 4, heightOffset: 5, lineScale: 6, sampScale: 7, latScale: 8, longScale: 9, heightScale: 10, lineNumCoeff: z, lineDenCoeff: z, sampNumCoeff: z, sampDenCoeff: z });
    assert.equal(v.length, 92);
    assert.deepEqual(v.slice(0, 12), [-1, -1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});

describe('BigTIFF auto', () => {
  test('classic TIFF for a Sentinel-2 tile, BigTIFF beyond 4 GiB of tiles', () => {
    const tiles = (n: number, t = 512): number => Math.ceil(n / t) ** 2;
    // 10980x10980 uint16 + overviews (~4/3): 22x22 full-resolution tiles.
    assert.equal(mayExceed4GiB(Math.ceil(tiles(10980) * 4 / 3), 512 * 512 * 2), false);
    // 40000x40000 float32 x 1 band = 6.4 GB raw.
    assert.equal(mayExceed4GiB(tiles(40000), 512 * 512 * 4), true);
    assert.equal(mayExceed4GiB(8192, 512 * 512 * 2), true, '8192 tiles of 512 KiB = 4 GiB');
  });
});
