/**
 * Byte layout of a Cloud-Optimized GeoTIFF: header, GDAL "ghost" structural metadata, the IFDs of every level at
 * the start of the file, then tile data from the smallest overview to the full resolution.
 *
 * References: TIFF Revision 6.0 §2 (header, IFD entries, word-aligned values); BigTIFF (libtiff design note:
 * header 43, 8-byte offsets, 20-byte entries); GDAL COG layout (https://gdal.org/drivers/raster/cog.html,
 * "Header ghost area"), as checked by GDAL's validate_cloud_optimized_geotiff.py.
 *
 * The IFDs have a size that depends only on the tag set and the number of tiles (offsets and byte counts are
 * always LONG in classic TIFF and LONG8 in BigTIFF), so the writer lays the header out once with placeholder
 * offsets, streams the tiles after it and rewrites the header in place with the real offsets at the end.
 */
import { FIELD_TYPE, FIELD_TYPE_SIZE } from '../tiff/tags.ts';

/** One IFD entry, values already encoded little-endian. */
export interface TagEntry {
  tag: number;
  type: number;
  count: number;
  bytes: Uint8Array;
}

function encodeNumbers(type: number, values: ArrayLike<number>): Uint8Array {
  const size = FIELD_TYPE_SIZE[type]!;
  const out = new Uint8Array(values.length * size);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const o = i * size;
    switch (type) {
      case FIELD_TYPE.BYTE:
      case FIELD_TYPE.UNDEFINED:
        dv.setUint8(o, v);
        break;
      case FIELD_TYPE.SHORT:
        dv.setUint16(o, v, true);
        break;
      case FIELD_TYPE.LONG:
        dv.setUint32(o, v, true);
        break;
      case FIELD_TYPE.DOUBLE:
        dv.setFloat64(o, v, true);
        break;
      case FIELD_TYPE.LONG8:
        dv.setBigUint64(o, BigInt(v), true);
        break;
      default:
        throw new RangeError(`field type ${type} is not written by the COG writer`);
    }
  }
  return out;
}

export const shortTag = (tag: number, values: ArrayLike<number>): TagEntry => ({
  tag,
  type: FIELD_TYPE.SHORT,
  count: values.length,
  bytes: encodeNumbers(FIELD_TYPE.SHORT, values),
});

export const longTag = (tag: number, values: ArrayLike<number>): TagEntry => ({
  tag,
  type: FIELD_TYPE.LONG,
  count: values.length,
  bytes: encodeNumbers(FIELD_TYPE.LONG, values),
});

/** SHORT when every value fits in 16 bits, else LONG (image and tile sizes). */
export const shortOrLongTag = (tag: number, values: ArrayLike<number>): TagEntry =>
  Array.from(values).every((v) => v <= 0xffff) ? shortTag(tag, values) : longTag(tag, values);

export const doubleTag = (tag: number, values: ArrayLike<number>): TagEntry => ({
  tag,
  type: FIELD_TYPE.DOUBLE,
  count: values.length,
  bytes: encodeNumbers(FIELD_TYPE.DOUBLE, values),
});

/** Offsets / byte counts: LONG in classic TIFF, LONG8 in BigTIFF (fixed width, so the layout never moves). */
export const offsetTag = (tag: number, values: ArrayLike<number>, bigTiff: boolean): TagEntry => {
  const type = bigTiff ? FIELD_TYPE.LONG8 : FIELD_TYPE.LONG;
  return { tag, type, count: values.length, bytes: encodeNumbers(type, values) };
};

/**
 * NUL-terminated ASCII (TIFF 6.0 type 2). Non-ASCII text is stored as UTF-8, as GDAL and libtiff do for
 * GDAL_METADATA and descriptions; NUL characters inside the text are dropped.
 */
export const asciiTag = (tag: number, text: string): TagEntry => {
  const utf8 = new TextEncoder().encode(text.replace(/\0/g, ''));
  const bytes = new Uint8Array(utf8.length + 1);
  bytes.set(utf8);
  return { tag, type: FIELD_TYPE.ASCII, count: bytes.length, bytes };
};

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Bytes taken by an IFD placed at `pos` with its out-of-line values (8-byte aligned) after it. */
export function ifdByteSize(entries: TagEntry[], pos: number, bigTiff: boolean): number {
  const inline = bigTiff ? 8 : 4;
  let end = pos + (bigTiff ? 8 + 20 * entries.length + 8 : 2 + 12 * entries.length + 4);
  for (const e of [...entries].sort((a, b) => a.tag - b.tag)) if (e.bytes.length > inline) end = align(end, 8) + e.bytes.length;
  return align(end, 8) - pos;
}

/**
 * Encodes an IFD to be placed at absolute file position `pos`; `next` is the offset of the next IFD (0: last).
 * Entries are sorted by tag as TIFF 6.0 requires. Returns exactly ifdByteSize(entries, pos, bigTiff) bytes.
 */
export function encodeIfd(entries: TagEntry[], pos: number, next: number, bigTiff: boolean): Uint8Array {
  const sorted = [...entries].sort((a, b) => a.tag - b.tag);
  const out = new Uint8Array(ifdByteSize(sorted, pos, bigTiff));
  const dv = new DataView(out.buffer);
  const inline = bigTiff ? 8 : 4;
  const entrySize = bigTiff ? 20 : 12;
  const head = bigTiff ? 8 : 2;
  if (bigTiff) dv.setBigUint64(0, BigInt(sorted.length), true);
  else dv.setUint16(0, sorted.length, true);
  let valuePos = pos + head + entrySize * sorted.length + (bigTiff ? 8 : 4);
  sorted.forEach((e, i) => {
    const o = head + i * entrySize;
    dv.setUint16(o, e.tag, true);
    dv.setUint16(o + 2, e.type, true);
    if (bigTiff) dv.setBigUint64(o + 4, BigInt(e.count), true);
    else dv.setUint32(o + 4, e.count, true);
    const valueField = o + (bigTiff ? 12 : 8);
    if (e.bytes.length <= inline) {
      out.set(e.bytes, valueField);
    } else {
      valuePos = align(valuePos, 8);
      if (bigTiff) dv.setBigUint64(valueField, BigInt(valuePos), true);
      else dv.setUint32(valueField, valuePos, true);
      out.set(e.bytes, valuePos - pos);
      valuePos += e.bytes.length;
    }
  });
  const nextField = head + entrySize * sorted.length;
  if (bigTiff) dv.setBigUint64(nextField, BigInt(next), true);
  else dv.setUint32(nextField, next, true);
  return out;
}

/**
 * GDAL's header ghost area (COG driver): a text block right after the TIFF header, announcing that IFDs come
 * before the data, tiles are in row-major order, and each tile is preceded by its byte count as uint32 (leader)
 * and followed by a copy of its last 4 bytes (trailer). Readers that do not know it ignore it.
 */
export function ghostArea(): Uint8Array {
  const body =
    'LAYOUT=IFDS_BEFORE_DATA\n' +
    'BLOCK_ORDER=ROW_MAJOR\n' +
    'BLOCK_LEADER=SIZE_AS_UINT4\n' +
    'BLOCK_TRAILER=LAST_4_BYTES_REPEATED\n' +
    'KNOWN_INCOMPATIBLE_EDITION=NO\n';
  const text = `GDAL_STRUCTURAL_METADATA_SIZE=${String(body.length).padStart(6, '0')} bytes\n${body}`;
  return new TextEncoder().encode(text);
}

/** TIFF header ("II", 42 or 43) pointing at the first IFD. */
export function tiffHeader(firstIfd: number, bigTiff: boolean): Uint8Array {
  const out = new Uint8Array(bigTiff ? 16 : 8);
  const dv = new DataView(out.buffer);
  out[0] = 0x49;
  out[1] = 0x49;
  if (bigTiff) {
    dv.setUint16(2, 43, true);
    dv.setUint16(4, 8, true);
    dv.setUint16(6, 0, true);
    dv.setBigUint64(8, BigInt(firstIfd), true);
  } else {
    dv.setUint16(2, 42, true);
    dv.setUint32(4, firstIfd, true);
  }
  return out;
}

/**
 * Lays out header + ghost + IFD chain. `ifds[0]` is the full resolution, then overviews by decreasing size.
 * Returns the bytes of the whole header region (its length is where tile data starts) and each IFD's position.
 */
export function layoutHeader(ifds: TagEntry[][], bigTiff: boolean): { bytes: Uint8Array; ifdPos: number[] } {
  const ghost = ghostArea();
  let pos = (bigTiff ? 16 : 8) + ghost.length;
  pos += pos % 2; // the main IFD starts on a word boundary right after the ghost area (as the validator expects)
  const ifdPos: number[] = [];
  const sizes: number[] = [];
  for (const entries of ifds) {
    ifdPos.push(pos);
    const s = ifdByteSize(entries, pos, bigTiff);
    sizes.push(s);
    pos += s;
  }
  const bytes = new Uint8Array(pos);
  bytes.set(tiffHeader(ifdPos[0]!, bigTiff), 0);
  bytes.set(ghost, bigTiff ? 16 : 8);
  ifds.forEach((entries, i) => {
    const next = i + 1 < ifds.length ? ifdPos[i + 1]! : 0;
    bytes.set(encodeIfd(entries, ifdPos[i]!, next, bigTiff), ifdPos[i]!);
  });
  return { bytes, ifdPos };
}
