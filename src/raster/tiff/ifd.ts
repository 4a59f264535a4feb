/**
 * TIFF / BigTIFF header and IFD parsing with limits (TIFF 6.0 §2; BigTIFF proposal, Aware Systems 2006).
 *
 * Only the tags the reader needs are decoded; the four block-location arrays (Strip/Tile Offsets and
 * ByteCounts) are loaded on first use, so opening a remote COG reads only its header. Every count and offset
 * is checked against the limits and the file size before reading; an IFD chain that loops or is too long is
 * rejected (visited-offset set).
 */
import { corruptFile, GepError } from '../../core/errors.ts';
import { FIELD_TYPE, FIELD_TYPE_SIZE, TAG } from './tags.ts';
import type { ByteSource } from './source.ts';
import type { TiffLimits } from './read.ts';

/** One directory entry: field type, count, and where its value bytes are (absolute offset or inline). */
export interface TagEntry {
  tag: number;
  type: number;
  count: number;
  /** Absolute file offset of the value bytes (meaningless when `inline` is set). */
  valueOffset: number;
  /** The value bytes when they fit in the entry itself. */
  inline: Uint8Array | null;
}

export type TagValue = number[] | string;

export interface Ifd {
  /** File offset of the directory. */
  offset: number;
  entries: Map<number, TagEntry>;
  /** Decoded values of the eagerly-loaded tags. */
  values: Map<number, TagValue>;
}

export interface TiffFile {
  src: ByteSource;
  name: string;
  littleEndian: boolean;
  bigTiff: boolean;
  limits: TiffLimits;
  ifds: Ifd[];
}

/** Tags loaded lazily (they can be large): the block location arrays. */
const LAZY_TAGS = new Set<number>([TAG.StripOffsets, TAG.StripByteCounts, TAG.TileOffsets, TAG.TileByteCounts]);
/** Tags decoded at open time; everything else is skipped. */
const EAGER_TAGS = new Set<number>(
  Object.values(TAG).filter((t) => !LAZY_TAGS.has(t) && t !== TAG.ColorMap && t !== TAG.JPEGTables),
);

const tooLarge = (name: string, msg: string, details?: Record<string, unknown>): GepError =>
  new GepError('GEP_ERR_TOO_LARGE', `${name}: ${msg}`, { file: name, ...details });

function u64(dv: DataView, at: number, le: boolean, name: string): number {
  const v = dv.getBigUint64(at, le);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw corruptFile(name, `64-bit value ${v} at byte ${at} is too large`);
  return Number(v);
}

const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Parses the header and the whole IFD chain (entries only, plus the small tags' values). */
export async function parseTiff(src: ByteSource, limits: TiffLimits, signal?: AbortSignal): Promise<TiffFile> {
  const name = src.name;
  if (src.size < 8) throw corruptFile(name, `not a TIFF file: only ${src.size} bytes`);
  const head = await src.read(0, Math.min(16, src.size), signal);
  const bo = String.fromCharCode(head[0]!, head[1]!);
  if (bo !== 'II' && bo !== 'MM') throw corruptFile(name, 'not a TIFF file: byte-order mark is neither II nor MM');
  const le = bo === 'II';
  const hv = view(head);
  const version = hv.getUint16(2, le);
  let bigTiff: boolean;
  let first: number;
  if (version === 42) {
    bigTiff = false;
    first = hv.getUint32(4, le);
  } else if (version === 43) {
    if (head.length < 16) throw corruptFile(name, 'BigTIFF header truncated');
    if (hv.getUint16(4, le) !== 8 || hv.getUint16(6, le) !== 0) throw corruptFile(name, 'BigTIFF header has a bad offset size');
    bigTiff = true;
    first = u64(hv, 8, le, name);
  } else throw corruptFile(name, `not a TIFF file: version ${version}, expected 42 (TIFF) or 43 (BigTIFF)`);

  const file: TiffFile = { src, name, littleEndian: le, bigTiff, limits, ifds: [] };
  const visited = new Set<number>();
  let off = first;
  if (off === 0) throw corruptFile(name, 'TIFF has no image directory');
  while (off !== 0) {
    if (visited.has(off)) throw corruptFile(name, `IFD chain loops back to offset ${off}`);
    if (file.ifds.length >= limits.maxIfds) throw tooLarge(name, `more than ${limits.maxIfds} IFDs`);
    visited.add(off);
    const { ifd, next } = await readIfd(file, off, signal);
    file.ifds.push(ifd);
    off = next;
  }
  return file;
}

async function readIfd(f: TiffFile, off: number, signal?: AbortSignal): Promise<{ ifd: Ifd; next: number }> {
  const { src, name, littleEndian: le, bigTiff, limits } = f;
  const countSize = bigTiff ? 8 : 2;
  const entrySize = bigTiff ? 20 : 12;
  const ptrSize = bigTiff ? 8 : 4;
  const cb = await src.read(off, countSize, signal);
  const n = bigTiff ? u64(view(cb), 0, le, name) : view(cb).getUint16(0, le);
  if (n === 0) throw corruptFile(name, `IFD at ${off} has no entries`);
  if (n > limits.maxTags) throw tooLarge(name, `IFD at ${off} declares ${n} tags (limit ${limits.maxTags})`);
  const body = await src.read(off + countSize, n * entrySize + ptrSize, signal);
  const dv = view(body);
  const entries = new Map<number, TagEntry>();
  for (let i = 0; i < n; i++) {
    const at = i * entrySize;
    const tag = dv.getUint16(at, le);
    const type = dv.getUint16(at + 2, le);
    const tsize = FIELD_TYPE_SIZE[type];
    if (tsize === undefined) continue; // unknown field type: skip the entry (TIFF 6.0 §2 says readers should)
    const count = bigTiff ? u64(dv, at + 4, le, name) : dv.getUint32(at + 4, le);
    const bytes = count * tsize;
    const valAt = at + (bigTiff ? 12 : 8);
    const inline = bytes <= ptrSize ? body.subarray(valAt, valAt + bytes) : null;
    const valueOffset = inline ? off + countSize + valAt : bigTiff ? u64(dv, valAt, le, name) : dv.getUint32(valAt, le);
    if (!entries.has(tag)) entries.set(tag, { tag, type, count, valueOffset, inline });
  }
  const next = bigTiff ? u64(dv, n * entrySize, le, name) : dv.getUint32(n * entrySize, le);
  const ifd: Ifd = { offset: off, entries, values: new Map() };
  for (const e of entries.values()) {
    if (EAGER_TAGS.has(e.tag)) ifd.values.set(e.tag, await readTagValue(f, e, signal));
  }
  return { ifd, next };
}

/** Raw value bytes of an entry, checked against maxTagBytes and the file size. */
async function tagBytes(f: TiffFile, e: TagEntry, signal?: AbortSignal): Promise<Uint8Array> {
  if (e.inline) return e.inline;
  const bytes = e.count * FIELD_TYPE_SIZE[e.type]!;
  if (bytes > f.limits.maxTagBytes)
    throw tooLarge(f.name, `tag ${e.tag} holds ${bytes} bytes (limit ${f.limits.maxTagBytes})`, { tag: e.tag });
  return f.src.read(e.valueOffset, bytes, signal);
}

/** Decodes an entry: ASCII as a string (NULs separate strings, joined by '\n'), everything else as numbers. */
export async function readTagValue(f: TiffFile, e: TagEntry, signal?: AbortSignal): Promise<TagValue> {
  const b = await tagBytes(f, e, signal);
  if (e.type === FIELD_TYPE.ASCII || (e.type === FIELD_TYPE.UNDEFINED && e.tag === TAG.GdalMetadata)) {
    let s = new TextDecoder('latin1').decode(b);
    while (s.endsWith('\0')) s = s.slice(0, -1);
    return s.split('\0').join('\n');
  }
  return Array.from(decodeNumbers(b, e.type, e.count, f.littleEndian, f.name));
}

/** Decodes `count` numeric values of TIFF field `type` into a Float64Array. */
export function decodeNumbers(b: Uint8Array, type: number, count: number, le: boolean, name: string): Float64Array {
  const dv = view(b);
  const out = new Float64Array(count);
  switch (type) {
    case FIELD_TYPE.BYTE:
    case FIELD_TYPE.UNDEFINED:
    case FIELD_TYPE.ASCII:
      for (let i = 0; i < count; i++) out[i] = b[i]!;
      break;
    case FIELD_TYPE.SBYTE:
      for (let i = 0; i < count; i++) out[i] = dv.getInt8(i);
      break;
    case FIELD_TYPE.SHORT:
      for (let i = 0; i < count; i++) out[i] = dv.getUint16(2 * i, le);
      break;
    case FIELD_TYPE.SSHORT:
      for (let i = 0; i < count; i++) out[i] = dv.getInt16(2 * i, le);
      break;
    case FIELD_TYPE.LONG:
    case FIELD_TYPE.IFD:
      for (let i = 0; i < count; i++) out[i] = dv.getUint32(4 * i, le);
      break;
    case FIELD_TYPE.SLONG:
      for (let i = 0; i < count; i++) out[i] = dv.getInt32(4 * i, le);
      break;
    case FIELD_TYPE.RATIONAL:
      for (let i = 0; i < count; i++) out[i] = dv.getUint32(8 * i, le) / dv.getUint32(8 * i + 4, le);
      break;
    case FIELD_TYPE.SRATIONAL:
      for (let i = 0; i < count; i++) out[i] = dv.getInt32(8 * i, le) / dv.getInt32(8 * i + 4, le);
      break;
    case FIELD_TYPE.FLOAT:
      for (let i = 0; i < count; i++) out[i] = dv.getFloat32(4 * i, le);
      break;
    case FIELD_TYPE.DOUBLE:
      for (let i = 0; i < count; i++) out[i] = dv.getFloat64(8 * i, le);
      break;
    case FIELD_TYPE.LONG8:
    case FIELD_TYPE.IFD8:
      for (let i = 0; i < count; i++) out[i] = u64(dv, 8 * i, le, name);
      break;
    case FIELD_TYPE.SLONG8:
      for (let i = 0; i < count; i++) out[i] = Number(dv.getBigInt64(8 * i, le));
      break;
    default:
      throw corruptFile(name, `unknown TIFF field type ${type}`);
  }
  return out;
}

/** Loads a (possibly large, lazily-read) numeric array tag; null when the tag is absent. */
export async function readArrayTag(f: TiffFile, ifd: Ifd, tag: number, signal?: AbortSignal): Promise<Float64Array | null> {
  const e = ifd.entries.get(tag);
  if (!e) return null;
  const b = await tagBytes(f, e, signal);
  return decodeNumbers(b, e.type, e.count, f.littleEndian, f.name);
}

/** First number of an eagerly-loaded tag, or `dflt`. */
export function tagNumber(ifd: Ifd, tag: number, dflt: number): number {
  const v = ifd.values.get(tag);
  if (Array.isArray(v) && v.length > 0) return v[0]!;
  return dflt;
}

export function tagNumbers(ifd: Ifd, tag: number): number[] | null {
  const v = ifd.values.get(tag);
  return Array.isArray(v) ? v : null;
}

export function tagString(ifd: Ifd, tag: number): string | null {
  const v = ifd.values.get(tag);
  return typeof v === 'string' ? v : null;
}
