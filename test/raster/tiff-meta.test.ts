/**
 * Unit tests of the TIFF reader's parts without GDAL: codecs (PackBits example of TIFF 6.0 §9, LZW round
 * trips), GDAL_METADATA / GDAL_NODATA / DateTime parsing, GeoKeys -> Crs (EPSG, user-defined -> proj4,
 * citations), model tags -> GeoTransform (PixelIsPoint), RPC tag, sparse blocks, read-option validation, abort.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GepError } from '../../src/core/errors.ts';
import { lzwDecode, packBitsDecode } from '../../src/raster/tiff/codecs.ts';
import { acquisitionTime, parseGdalMetadata, parseNodata, parseTiffDate } from '../../src/raster/tiff/metadata.ts';
import { openGeoTiff } from '../../src/raster/tiff/read.ts';
import { lzwEncode, makeBands, writeTiff, type TiffTag } from './fixtures-tiff.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(s.split(/\s+/).map((h) => parseInt(h, 16)));

describe('codecs', () => {
  test('PackBits: the TIFF 6.0 §9 example', () => {
    const packed = hex('FE AA 02 80 00 2A FD AA 03 80 00 2A 22 F7 AA');
    const want = hex('AA AA AA 80 00 2A AA AA AA AA 80 00 2A 22 AA AA AA AA AA AA AA AA AA AA');
    const out = new Uint8Array(want.length);
    assert.equal(packBitsDecode(packed, out), want.length);
    assert.deepEqual(out, want);
    // Output is bounded by the caller's buffer.
    assert.equal(packBitsDecode(packed, new Uint8Array(5)), 5);
  });

  test('LZW: round trips (short, repetitive, long enough to need CLEAR codes), bounded output, malformed', () => {
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 0xff;
    const inputs = [
      new Uint8Array([1]),
      new TextEncoder().encode('TOBEORNOTTOBEORTOBEORNOT#'),
      new Uint8Array(100_000).fill(9),
      Uint8Array.from({ length: 200_000 }, () => rnd()),
      Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) % 13 + (i >> 12)),
    ];
    for (const src of inputs) {
      const enc = lzwEncode(src);
      const out = new Uint8Array(src.length);
      assert.equal(lzwDecode(enc, out), src.length);
      assert.deepEqual(out, src);
      assert.equal(lzwDecode(enc, new Uint8Array(10)), Math.min(10, src.length));
    }
    // A first code after CLEAR that is not a literal is malformed; CLEAR + EOI is empty.
    assert.equal(lzwDecode(hex('80 4B 00'), new Uint8Array(10)), -1); // CLEAR, then code 300
    assert.equal(lzwDecode(hex('80 40 40'), new Uint8Array(10)), 0); // CLEAR, EOI
  });
});

describe('GDAL metadata, nodata and dates', () => {
  test('GDAL_METADATA items, band descriptions, domains, entities', () => {
    const xml = `<GDALMetadata>
  <Item name="CLOUD_COVER">12.5</Item>
  <Item name="NOTE">a &lt;b&gt; &amp; c</Item>
  <Item name="DESCRIPTION" sample="0" role="description">B04</Item>
  <Item name="DESCRIPTION" sample="1" role="description">B08</Item>
  <Item name="SCALE" sample="1" role="scale">0.0001</Item>
  <Item name="WAVELENGTH" sample="0">665</Item>
  <Item name="SPACECRAFT" domain="IMAGERY">Sentinel-2A</Item>
</GDALMetadata>`;
    const m = parseGdalMetadata(xml);
    assert.deepEqual([...m.descriptions.entries()], [[0, 'B04'], [1, 'B08']]);
    assert.equal(m.metadata.CLOUD_COVER, '12.5');
    assert.equal(m.metadata.NOTE, 'a <b> & c');
    assert.equal(m.metadata['band2.scale'], '0.0001');
    assert.equal(m.metadata['band1.WAVELENGTH'], '665');
    assert.equal(m.metadata['IMAGERY:SPACECRAFT'], 'Sentinel-2A');
    assert.deepEqual(parseGdalMetadata('<GDALMetadata><Item'), { metadata: {}, descriptions: new Map() });
    assert.deepEqual(parseGdalMetadata('not xml at all').metadata, {});
  });

  test('GDAL_NODATA text', () => {
    assert.ok(Number.isNaN(parseNodata('nan')));
    assert.ok(Number.isNaN(parseNodata(' NaN ')));
    assert.equal(parseNodata('-9999'), -9999);
    assert.equal(parseNodata('1e20'), 1e20);
    assert.equal(parseNodata('-inf'), -Infinity);
    assert.equal(parseNodata(''), null);
    assert.equal(parseNodata('abc'), null);
    assert.equal(parseNodata(null), null);
  });

  test('dates -> ISO 8601', () => {
    assert.equal(parseTiffDate('2016:06:08 15:31:21'), '2016-06-08T15:31:21Z');
    assert.equal(parseTiffDate('2016-06-08T15:31:21.024Z'), '2016-06-08T15:31:21.024Z');
    assert.equal(parseTiffDate('2016-06-08'), '2016-06-08T00:00:00Z');
    assert.equal(parseTiffDate('2016-06-08T17:31:21+02:00'), '2016-06-08T15:31:21Z');
    assert.equal(parseTiffDate('2016:13:08 15:31:21'), null);
    assert.equal(parseTiffDate('    :  :     :  :  '), null);
    assert.equal(acquisitionTime({ ACQUISITIONDATETIME: '2020-01-02T03:04:05Z' }, '2021:01:01 00:00:00'), '2020-01-02T03:04:05Z');
    assert.equal(acquisitionTime({}, '2021:01:01 00:00:00'), '2021-01-01T00:00:00Z');
    assert.equal(acquisitionTime({ TIFFTAG_DATETIME: '2019:05:06 07:08:09' }, null), '2019-05-06T07:08:09Z');
    assert.equal(acquisitionTime({}, null), null);
  });
});

const bands = makeBands('uint16', 20, 10, 1);
const tiff = (extraTags: TiffTag[], more: Partial<Parameters<typeof writeTiff>[0]> = {}): Uint8Array =>
  writeTiff({ width: 20, height: 10, dataType: 'uint16', bands, extraTags, ...more });
const keysTag = (keys: number[][]): TiffTag => ({ tag: 34735, type: 3, values: [1, 1, 0, keys.length, ...keys.flat()] });

describe('georeferencing from tags', () => {
  test('ModelTransformation, and PixelIsPoint half-pixel shift (GDAL convention)', async () => {
    const mt: TiffTag = { tag: 34264, type: 12, values: [2, 0.5, 0, 1000, 0.25, -3, 0, 2000, 0, 0, 0, 0, 0, 0, 0, 1] };
    let r = await openGeoTiff(tiff([mt]));
    assert.deepEqual(r.info.transform, [1000, 2, 0.5, 2000, 0.25, -3]);
    assert.equal(r.info.crs, null);
    const scale: TiffTag = { tag: 33550, type: 12, values: [10, 20, 0] };
    const tie: TiffTag = { tag: 33922, type: 12, values: [0, 0, 0, 500000, 4000000, 0] };
    r = await openGeoTiff(tiff([scale, tie, keysTag([[1024, 0, 1, 1], [1025, 0, 1, 2], [3072, 0, 1, 32631]])]));
    assert.deepEqual(r.info.transform, [499995, 10, 0, 4000010, 0, -20]);
    assert.equal(r.info.crs?.epsg, 32631);
    assert.equal(r.info.metadata.AREA_OR_POINT, 'Point');
    // A tie point at pixel (2, 3).
    r = await openGeoTiff(tiff([scale, { tag: 33922, type: 12, values: [2, 3, 0, 500000, 4000000, 0] }]));
    assert.deepEqual(r.info.transform, [499980, 10, 0, 4000060, 0, -20]);
  });

  test('GeoKeys: geographic EPSG, user-defined projected -> proj4, citation-only CRS kept', async () => {
    let r = await openGeoTiff(tiff([keysTag([[1024, 0, 1, 2], [2048, 0, 1, 4326]])]));
    assert.deepEqual(r.info.crs, { epsg: 4326 });
    const ascii: TiffTag = { tag: 34737, type: 2, values: 'My custom TM|WGS 84|' };
    const dbl: TiffTag = { tag: 34736, type: 12, values: [9, 0, 0.9996, 500000, 0] };
    r = await openGeoTiff(
      tiff([
        keysTag([
          [1024, 0, 1, 1], [1026, 34737, 13, 0], [2048, 0, 1, 4326], [3072, 0, 1, 32767], [3074, 0, 1, 32767], [3075, 0, 1, 1],
          [3076, 0, 1, 9001], [3080, 34736, 1, 0], [3081, 34736, 1, 1], [3082, 34736, 1, 3], [3083, 34736, 1, 4], [3092, 34736, 1, 2],
        ]),
        dbl,
        ascii,
      ]),
    );
    assert.equal(r.info.crs?.epsg, undefined);
    assert.equal(r.info.crs?.proj4, '+proj=tmerc +lat_0=0 +lon_0=9 +k=0.9996 +x_0=500000 +y_0=0 +datum=WGS84 +units=m +no_defs');
    // UTM through ProjectionGeoKey (Proj_UTM_zone_33S = 16133) on a user-defined datum.
    r = await openGeoTiff(tiff([keysTag([[1024, 0, 1, 1], [2048, 0, 1, 32767], [2050, 0, 1, 6326], [3072, 0, 1, 32767], [3074, 0, 1, 16133]])]));
    assert.equal(r.info.crs?.proj4, '+proj=utm +zone=33 +south +datum=WGS84 +units=m +no_defs');
    // Nothing usable but a citation: keep the text, no EPSG.
    r = await openGeoTiff(tiff([keysTag([[1024, 0, 1, 1], [1026, 34737, 13, 0], [3072, 0, 1, 32767]]), ascii]));
    assert.deepEqual(r.info.crs, { wkt: 'My custom TM' });
    // Garbage GeoKey directory: no crash, no CRS.
    r = await openGeoTiff(tiff([{ tag: 34735, type: 3, values: [1, 1, 0, 50, 1024, 34737, 999, 999] }]));
    assert.equal(r.info.crs, null);
  });
});

describe('other tags and read options', () => {
  test('RPC tag, DateTime, GDAL metadata and nodata from a file', async () => {
    const rpc = Array.from({ length: 92 }, (_, i) => i + 0.5);
    const r = await openGeoTiff(
      tiff([
        { tag: 50844, type: 12, values: rpc },
        { tag: 306, type: 2, values: '2013:06:29 06:37:14' },
        { tag: 42112, type: 2, values: '<GDALMetadata><Item name="DESCRIPTION" sample="0" role="description">pan</Item></GDALMetadata>' },
        { tag: 42113, type: 2, values: 'nan' },
      ]),
    );
    const m = r.info.rpc!;
    assert.equal(m.errBias, 0.5);
    assert.equal(m.lineOffset, 2.5);
    assert.equal(m.heightScale, 11.5);
    assert.deepEqual(m.lineNumCoeff, rpc.slice(12, 32));
    assert.deepEqual(m.sampDenCoeff, rpc.slice(72, 92));
    assert.equal(r.info.acquisitionTime, '2013-06-29T06:37:14Z');
    assert.deepEqual(r.info.bandNames, ['pan']);
    assert.ok(Number.isNaN(r.info.nodata));
    const ras = await r.read();
    assert.deepEqual(ras.bandNames, ['pan']);
  });

  test('sparse blocks (byte count 0) read as nodata', async () => {
    const f = tiff([{ tag: 42113, type: 2, values: '77' }], { rowsPerStrip: 5 });
    // Zero the second strip's byte count.
    const dv = new DataView(f.buffer);
    const ifd = dv.getUint32(4, true);
    const n = dv.getUint16(ifd, true);
    for (let i = 0; i < n; i++) {
      const at = ifd + 2 + 12 * i;
      if (dv.getUint16(at, true) === 279) dv.setUint32(dv.getUint32(at + 8, true) + 4, 0, true);
    }
    const ras = await (await openGeoTiff(f)).read();
    assert.equal(ras.bands[0]![0], bands[0]![0]);
    assert.equal(ras.bands[0]![5 * 20 + 3], 77);
  });

  test('invalid read options are GEP_ERR_INVALID_INPUT; abort is GEP_ERR_ABORTED', async () => {
    const r = await openGeoTiff(tiff([]), { name: 'mem.tif' });
    const bad = async (o: Parameters<typeof r.read>[0], re: RegExp): Promise<void> =>
      assert.rejects(r.read(o), (e: unknown) => e instanceof GepError && e.code === 'GEP_ERR_INVALID_INPUT' && re.test(e.message));
    await bad({ overview: 1 }, /overview 1/);
    await bad({ window: { x0: 15, y0: 0, width: 10, height: 2 } }, /window/);
    await bad({ window: { x0: 0.5, y0: 0, width: 1, height: 1 } }, /window/);
    await bad({ bands: [1] }, /bands/);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(r.read({ signal: ac.signal }), (e: unknown) => e instanceof GepError && e.code === 'GEP_ERR_ABORTED');
    await assert.rejects(openGeoTiff('/nonexistent/file.tif'), (e: unknown) => e instanceof GepError && e.code === 'GEP_ERR_NOT_FOUND');
    const lim = await openGeoTiff(tiff([]), { limits: { maxPixels: 100 } }).catch((e: unknown) => e);
    assert.ok(lim instanceof GepError && lim.code === 'GEP_ERR_TOO_LARGE');
  });
});
