/**
 * JP2 box structure (ISO/IEC 15444-1 Annex I) and the JPEG 2000 codestream main header (Annex A: SIZ, COD).
 *
 * A box is LBox (u32 BE) + TBox (4 chars) [+ XLBox (u64 BE) when LBox = 1]; LBox = 0 means "to the end of the
 * enclosing box". Every length is checked against its container, nesting is limited and so is the number of boxes,
 * so a hostile file gives a GEP_ERR_CORRUPT_FILE, never an unbounded loop or allocation.
 */
import { corruptFile, GepError, unsupported } from '../../core/errors.ts';

/** Box types whose content is a sequence of boxes (superboxes) that we descend into. */
const SUPERBOXES = new Set(['jp2h', 'res ', 'asoc', 'uinf', 'jpch', 'jplh', 'cgrp']);
export const MAX_BOX_DEPTH = 8;
export const MAX_BOXES = 4096;

export interface Jp2Box {
  type: string;
  /** Offset of the box header in the buffer it was parsed from. */
  offset: number;
  /** Offset and length of the content (after LBox/TBox/XLBox). */
  dataOffset: number;
  dataLength: number;
  children: Jp2Box[];
}

const JP2_SIGNATURE = [0x0d, 0x0a, 0x87, 0x0a];

export function boxType(b: Uint8Array, off: number): string {
  return String.fromCharCode(b[off]!, b[off + 1]!, b[off + 2]!, b[off + 3]!);
}

export function readU32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) >>> 0) + (b[off + 1]! << 16) + (b[off + 2]! << 8) + b[off + 3]!;
}

export function readU16(b: Uint8Array, off: number): number {
  return (b[off]! << 8) | b[off + 1]!;
}

/**
 * Reads one box header at `off` in `b`, whose enclosing box ends at `end`. `fileEnd` is the end of the real file when
 * `b` holds only a prefix of it (top-level walk of a file read in pieces). Returns null when fewer than 8 bytes remain.
 */
export function readBoxHeader(
  b: Uint8Array,
  off: number,
  end: number,
  name: string,
): { type: string; headerLength: number; length: number } | null {
  if (end - off < 8) return null;
  const lbox = readU32(b, off);
  const type = boxType(b, off + 4);
  let headerLength = 8;
  let length: number;
  if (lbox === 1) {
    if (end - off < 16 || b.length - off < 16) throw corruptFile(name, `box '${type}' at ${off} is truncated (XLBox)`);
    const hi = readU32(b, off + 8);
    const lo = readU32(b, off + 12);
    if (hi >= 0x200000) throw corruptFile(name, `box '${type}' at ${off} declares an impossible length`);
    length = hi * 0x100000000 + lo;
    headerLength = 16;
  } else if (lbox === 0) {
    length = end - off;
  } else {
    length = lbox;
  }
  if (length < headerLength) throw corruptFile(name, `box '${type}' at ${off} has length ${length} < its header`);
  if (off + length > end)
    throw corruptFile(name, `box '${type}' at ${off} has length ${length}, beyond the end of its container (${end})`);
  if (!/^[\x20-\x7e]{4}$/.test(type)) throw corruptFile(name, `box at ${off} has a non-printable type`);
  return { type, headerLength, length };
}

/** Parses the boxes in b[start, end), descending into superboxes. */
export function parseBoxes(b: Uint8Array, name: string, start = 0, end = b.length, depth = 0, count = { n: 0 }): Jp2Box[] {
  if (depth > MAX_BOX_DEPTH) throw corruptFile(name, `JP2 boxes nested deeper than ${MAX_BOX_DEPTH}`);
  const out: Jp2Box[] = [];
  let off = start;
  while (off < end) {
    const h = readBoxHeader(b, off, end, name);
    if (!h) throw corruptFile(name, `trailing ${end - off} bytes at ${off} are not a box`);
    if (++count.n > MAX_BOXES) throw corruptFile(name, `more than ${MAX_BOXES} JP2 boxes`);
    const box: Jp2Box = {
      type: h.type,
      offset: off,
      dataOffset: off + h.headerLength,
      dataLength: h.length - h.headerLength,
      children: [],
    };
    if (SUPERBOXES.has(h.type)) box.children = parseBoxes(b, name, box.dataOffset, off + h.length, depth + 1, count);
    out.push(box);
    off += h.length;
  }
  return out;
}

/** Checks the JP2 signature box (12 bytes) at the start of a file. */
export function hasJp2Signature(b: Uint8Array): boolean {
  return (
    b.length >= 12 &&
    readU32(b, 0) === 12 &&
    boxType(b, 4) === 'jP  ' &&
    JP2_SIGNATURE.every((v, i) => b[8 + i] === v)
  );
}

/** True when b starts with a raw codestream (SOC followed by SIZ). */
export function isCodestream(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0xff && b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51;
}

/** Image header box (I.5.3.1). */
export interface Jp2Ihdr {
  width: number;
  height: number;
  components: number;
  /** Bits per component (1..38), or 0 when they vary (a bpcc box then gives them). */
  bits: number;
  signed: boolean;
}

export function parseIhdr(b: Uint8Array, box: Jp2Box, name: string): Jp2Ihdr {
  if (box.dataLength !== 14) throw corruptFile(name, `ihdr box has ${box.dataLength} bytes, expected 14`);
  const o = box.dataOffset;
  const bpc = b[o + 10]!;
  return {
    height: readU32(b, o),
    width: readU32(b, o + 4),
    components: readU16(b, o + 8),
    bits: bpc === 255 ? 0 : (bpc & 0x7f) + 1,
    signed: bpc !== 255 && (bpc & 0x80) !== 0,
  };
}

/** What we need from the codestream main header (A.5.1 SIZ, A.6.1 COD). */
export interface CodestreamInfo {
  width: number;
  height: number;
  /** Image offset on the reference grid (XOsiz, YOsiz); reduced sizes depend on it. */
  x0: number;
  y0: number;
  tileWidth: number;
  tileHeight: number;
  components: number;
  bits: number;
  signed: boolean;
  /** Number of wavelet decomposition levels (from COD); reduced levels 1..levels can be decoded. */
  levels: number;
  layers: number;
  /** true for the reversible 5-3 wavelet (lossless capable), false for 9-7. */
  reversible: boolean;
}

const MAX_PIXELS = 2 ** 31;

/** Parses SIZ and COD from the start of a codestream (the first few kilobytes are enough). */
export function parseCodestreamHeader(b: Uint8Array, name: string): CodestreamInfo {
  if (!isCodestream(b)) throw corruptFile(name, 'JPEG 2000 codestream does not start with SOC + SIZ markers');
  if (b.length < 6) throw corruptFile(name, 'codestream truncated in SIZ');
  const lsiz = readU16(b, 4);
  if (lsiz < 41 || 4 + lsiz > b.length) throw corruptFile(name, `SIZ marker segment length ${lsiz} is invalid or truncated`);
  const o = 6;
  const Xsiz = readU32(b, o + 2);
  const Ysiz = readU32(b, o + 6);
  const XOsiz = readU32(b, o + 10);
  const YOsiz = readU32(b, o + 14);
  const XTsiz = readU32(b, o + 18);
  const YTsiz = readU32(b, o + 22);
  const Csiz = readU16(b, o + 34);
  if (Csiz < 1 || Csiz > 16384 || lsiz !== 38 + 3 * Csiz)
    throw corruptFile(name, `SIZ declares ${Csiz} components but has length ${lsiz}`);
  const width = Xsiz - XOsiz;
  const height = Ysiz - YOsiz;
  if (width <= 0 || height <= 0 || XTsiz === 0 || YTsiz === 0)
    throw corruptFile(name, `SIZ declares an empty image or tile (${width}x${height}, tile ${XTsiz}x${YTsiz})`);
  if (width * height * Csiz > MAX_PIXELS)
    throw new GepError('GEP_ERR_TOO_LARGE', `${name}: ${width}x${height}x${Csiz} samples exceed the limit of ${MAX_PIXELS}`, {
      file: name,
    });
  let bits = 0;
  let signed = false;
  for (let c = 0; c < Csiz; c++) {
    const ssiz = b[o + 36 + 3 * c]!;
    const xr = b[o + 37 + 3 * c]!;
    const yr = b[o + 38 + 3 * c]!;
    const cb = (ssiz & 0x7f) + 1;
    if (c === 0) {
      bits = cb;
      signed = (ssiz & 0x80) !== 0;
    } else if (cb !== bits || signed !== ((ssiz & 0x80) !== 0)) {
      throw unsupported(name, 'JPEG 2000 components with different bit depths');
    }
    if (xr !== 1 || yr !== 1) throw unsupported(name, 'sub-sampled JPEG 2000 components');
  }
  if (bits > 16) throw unsupported(name, `${bits}-bit JPEG 2000 samples (at most 16 bits are read)`);
  // Walk the main-header marker segments until COD (or the first tile-part SOT).
  let off = 4 + lsiz;
  let levels = -1;
  let layers = 1;
  let reversible = false;
  for (let guard = 0; guard < 1000 && off + 4 <= b.length; guard++) {
    if (b[off] !== 0xff) throw corruptFile(name, `codestream main header: expected a marker at ${off}`);
    const marker = b[off + 1]!;
    if (marker === 0x90 || marker === 0x93 || marker === 0xd9) break; // SOT, SOD, EOC
    const len = readU16(b, off + 2);
    if (len < 2) throw corruptFile(name, `codestream marker 0xFF${marker.toString(16)} has length ${len}`);
    if (marker === 0x52) {
      if (len < 12 || off + 2 + len > b.length) throw corruptFile(name, 'COD marker segment truncated');
      layers = readU16(b, off + 6);
      levels = b[off + 9]!;
      reversible = b[off + 13] === 1;
      break;
    }
    off += 2 + len;
  }
  if (levels < 0) throw corruptFile(name, 'codestream main header has no COD marker segment');
  if (levels > 32) throw corruptFile(name, `COD declares ${levels} decomposition levels (at most 32)`);
  return {
    width,
    height,
    x0: XOsiz,
    y0: YOsiz,
    tileWidth: XTsiz,
    tileHeight: YTsiz,
    components: Csiz,
    bits,
    signed,
    levels,
    layers,
    reversible,
  };
}

/** Size of the image at reduced resolution level r (B.5: ceil(x / 2^r) on the reference grid). */
export function reducedSize(cs: CodestreamInfo, r: number): { width: number; height: number } {
  const d = 2 ** r;
  return {
    width: Math.ceil((cs.x0 + cs.width) / d) - Math.ceil(cs.x0 / d),
    height: Math.ceil((cs.y0 + cs.height) / d) - Math.ceil(cs.y0 / d),
  };
}
