/**
 * JPEG 2000 writer: one-band uint8/int8/uint16/int16 rasters as JP2 files (ISO/IEC 15444-1 Annex I) with
 * georeferencing in both a GeoJP2 'uuid' box and a GMLJP2 'asoc' box, as GDAL writes them, so GDAL, QGIS and our
 * reader all find it. Lossless (reversible 5-3 wavelet) by default, as Sentinel-2 SAFE band files need.
 */
import { writeFile, rename } from 'node:fs/promises';
import { invalidInput } from '../../core/errors.ts';
import type { Raster } from '../types.ts';
import { encodeCodestream } from './codec.ts';
import { buildGeoJp2Tiff, buildGmlJp2, GEOJP2_UUID } from './georef.ts';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** One box: LBox + TBox + content (XLBox only when the content needs it). */
export function box(type: string, ...parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const large = n + 8 > 0xffffffff;
  const header = large ? 16 : 8;
  const out = new Uint8Array(header + n);
  const dv = new DataView(out.buffer);
  if (large) {
    dv.setUint32(0, 1);
    dv.setBigUint64(8, BigInt(header + n));
  } else {
    dv.setUint32(0, header + n);
  }
  out.set(ascii(type), 4);
  let o = header;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function ihdr(width: number, height: number, bits: number, signed: boolean): Uint8Array {
  const b = new Uint8Array(14);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, height);
  dv.setUint32(4, width);
  dv.setUint16(8, 1); // components
  b[10] = (bits - 1) | (signed ? 0x80 : 0);
  b[11] = 7; // compression type: JPEG 2000
  b[12] = 0; // colourspace known
  b[13] = 0; // no intellectual property box
  return b;
}

/** Number of wavelet levels: the smallest level keeps at least 64 pixels on its short side, at most 5 levels. */
export function defaultLevels(width: number, height: number): number {
  return Math.max(0, Math.min(5, Math.floor(Math.log2(Math.min(width, height) / 64)) + 1));
}

/** Encodes band 0 of a raster as a JP2 file in memory. */
export async function encodeJp2(raster: Raster, opts: { lossless?: boolean; compressionRatio?: number } = {}): Promise<Uint8Array> {
  const { width, height, dataType } = raster;
  if (raster.bands.length !== 1) throw invalidInput(`JP2 writer takes one band, got ${raster.bands.length}`);
  if (!['uint8', 'int8', 'uint16', 'int16'].includes(dataType))
    throw invalidInput(`JP2 writer takes uint8/int8/uint16/int16 samples, got ${dataType}`);
  const samples = raster.bands[0] as Uint8Array | Int8Array | Uint16Array | Int16Array;
  const lossless = opts.lossless ?? true;
  const codestream = await encodeCodestream(samples, width, height, {
    lossless,
    decompositions: defaultLevels(width, height),
    ...(opts.compressionRatio ? { compressionRatio: opts.compressionRatio } : {}),
  });
  const bits = samples.BYTES_PER_ELEMENT * 8;
  const signed = dataType === 'int8' || dataType === 'int16';
  const colr = new Uint8Array([1, 0, 0, 0, 0, 0, 17]); // enumerated colourspace 17 = greyscale
  const sig = new Uint8Array([0x0d, 0x0a, 0x87, 0x0a]);
  const ftyp = new Uint8Array([...ascii('jp2 '), 0, 0, 0, 0, ...ascii('jp2 ')]);
  const parts = [box('jP  ', sig), box('ftyp', ftyp), box('jp2h', box('ihdr', ihdr(width, height, bits, signed)), box('colr', colr))];
  const t = raster.transform;
  if (t) {
    const epsg = raster.crs?.epsg ?? null;
    const uuid = Uint8Array.from(Buffer.from(GEOJP2_UUID, 'hex'));
    parts.push(box('uuid', uuid, buildGeoJp2Tiff(t, epsg)));
    if (epsg !== null) {
      const lbl = (s: string): Uint8Array => box('lbl ', ascii(s));
      const xml = box('xml ', ascii(buildGmlJp2(width, height, t, epsg)));
      parts.push(box('asoc', lbl('gml.data'), box('asoc', lbl('gml.root-instance'), xml)));
    }
  }
  parts.push(box('jp2c', codestream));
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Writes a JP2 file (to a temporary name, then renamed). */
export async function writeJp2(path: string, raster: Raster, opts: { lossless?: boolean } = {}): Promise<void> {
  const bytes = await encodeJp2(raster, opts);
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}
