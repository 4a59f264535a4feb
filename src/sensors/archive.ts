/**
 * Read-only ZIP access without extracting to disk (PKWARE APPNOTE 6.3.x: end of central directory, ZIP64 records,
 * central and local file headers; methods 0 = stored and 8 = deflate, inflated with fflate).
 *
 * Hostile archives are refused: entry names that could escape a folder (absolute, '..', backslashes, drive letters),
 * duplicate names, more entries or larger declared sizes than the limits, entries that inflate beyond their declared
 * size (zip bombs, GEP_ERR_TOO_LARGE, detected while inflating in small chunks), CRC mismatches.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Inflate } from 'fflate';
import { corruptFile, GepError, openFailed, unsupported } from '../core/errors.ts';

export interface Archive {
  /** File entry names (folders excluded), in central-directory order. */
  list(): string[];
  /** The uncompressed bytes of one entry; GEP_ERR_NOT_FOUND when absent. */
  read(entry: string): Uint8Array;
  close(): void;
}

export interface ZipLimits {
  maxEntries?: number;
  /** Largest uncompressed entry, bytes. */
  maxEntryBytes?: number;
  /** Largest sum of uncompressed entry sizes declared in the central directory, bytes. */
  maxTotalBytes?: number;
}

export const DEFAULT_ZIP_LIMITS: Required<ZipLimits> = {
  maxEntries: 100_000,
  maxEntryBytes: 2 ** 31 - 1,
  maxTotalBytes: 2 ** 40,
};

interface Entry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const INFLATE_CHUNK = 1 << 14;

let crcTable: Uint32Array | undefined;
/** CRC-32 (ISO 3309, polynomial 0xEDB88320), as stored in ZIP headers. */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const t = crcTable;
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** True for names that could escape the folder they are extracted into. */
export function isUnsafeEntryName(name: string): boolean {
  return (
    name.length === 0 ||
    name.includes('\0') ||
    name.includes('\\') ||
    name.startsWith('/') ||
    /^[A-Za-z]:/.test(name) ||
    name.split('/').some((seg) => seg === '..')
  );
}

/** `zip://<archive>!/<entry>`: how product hrefs point inside an archive. */
export const zipHref = (archive: string, entry: string): string => `zip://${archive}!/${entry}`;

export function parseZipHref(href: string): { archive: string; entry: string } | null {
  const m = /^zip:\/\/(.+?)!\/(.+)$/.exec(href);
  return m ? { archive: m[1]!, entry: m[2]! } : null;
}

class ZipArchive implements Archive {
  private fd: number | null;
  constructor(
    fd: number,
    private readonly path: string,
    private readonly size: number,
    private readonly entries: Map<string, Entry>,
  ) {
    this.fd = fd;
  }

  list(): string[] {
    return [...this.entries.keys()].filter((n) => !n.endsWith('/'));
  }

  private readAt(offset: number, length: number): Uint8Array {
    if (this.fd === null) throw new GepError('GEP_ERR_INTERNAL', `${this.path}: archive is closed`);
    if (offset < 0 || length < 0 || offset + length > this.size)
      throw corruptFile(this.path, `read of ${length} bytes at ${offset} is beyond the end of the archive`);
    const buf = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd, buf, got, length - got, offset + got);
      if (n === 0) throw corruptFile(this.path, `archive truncated at ${offset + got}`);
      got += n;
    }
    return buf;
  }

  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e || name.endsWith('/'))
      throw new GepError('GEP_ERR_NOT_FOUND', `${this.path}: no entry '${name}' in the archive`, { file: this.path, entry: name });
    const where = `${this.path}!/${name}`;
    const lh = this.readAt(e.localOffset, 30);
    const dv = new DataView(lh.buffer);
    if (dv.getUint32(0, true) !== SIG_LOCAL) throw corruptFile(where, 'local file header signature missing');
    const dataOffset = e.localOffset + 30 + dv.getUint16(26, true) + dv.getUint16(28, true);
    const comp = this.readAt(dataOffset, e.compressedSize);
    let out: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.size) throw corruptFile(where, 'stored entry with different compressed and plain sizes');
      out = comp;
    } else {
      out = inflateBounded(comp, e.size, where);
    }
    if (crc32(out) !== e.crc) throw corruptFile(where, 'CRC-32 mismatch (corrupt archive)');
    return out;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Inflates raw deflate data into exactly `size` bytes, failing as soon as the output would exceed it. */
function inflateBounded(comp: Uint8Array, size: number, where: string): Uint8Array {
  const out = new Uint8Array(size);
  let n = 0;
  let done = false;
  const inf = new Inflate((chunk, final) => {
    if (n + chunk.length > size)
      throw new GepError('GEP_ERR_TOO_LARGE', `${where}: entry inflates beyond its declared ${size} bytes (zip bomb?)`, {
        file: where,
      });
    out.set(chunk, n);
    n += chunk.length;
    if (final) done = true;
  });
  try {
    for (let o = 0; o < comp.length; o += INFLATE_CHUNK) {
      const end = Math.min(comp.length, o + INFLATE_CHUNK);
      inf.push(comp.subarray(o, end), end === comp.length);
    }
    if (comp.length === 0) inf.push(new Uint8Array(0), true);
  } catch (e) {
    if (e instanceof GepError) throw e;
    throw corruptFile(where, `deflate data is invalid (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!done || n !== size) throw corruptFile(where, `entry inflates to ${n} bytes, declared ${size}`);
  return out;
}

const u64 = (dv: DataView, o: number): number => {
  const v = dv.getBigUint64(o, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  return Number(v);
};

/** Opens a ZIP file and reads its central directory; entries are read (and inflated) on demand. */
export async function openZip(path: string, limits: ZipLimits = {}): Promise<Archive> {
  const lim = { ...DEFAULT_ZIP_LIMITS, ...limits };
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw openFailed(path, e);
  }
  try {
    const size = fstatSync(fd).size;
    const readAt = (o: number, l: number): DataView => {
      if (o < 0 || o + l > size) throw corruptFile(path, `ZIP structure points beyond the end of the file (${o}+${l})`);
      const b = new Uint8Array(l);
      let got = 0;
      while (got < l) {
        const k = readSync(fd, b, got, l - got, o + got);
        if (k === 0) throw corruptFile(path, 'ZIP file truncated');
        got += k;
      }
      return new DataView(b.buffer);
    };
    // End of central directory: 22 bytes + up to 65535 of comment, at the end of the file.
    const tailLen = Math.min(size, 22 + 0xffff);
    if (tailLen < 22) throw corruptFile(path, 'not a ZIP file (too short)');
    const tail = readAt(size - tailLen, tailLen);
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0 && eocd < 0; i--) if (tail.getUint32(i, true) === SIG_EOCD) eocd = i;
    if (eocd < 0) throw corruptFile(path, 'not a ZIP file (no end of central directory record)');
    let count = tail.getUint16(eocd + 10, true);
    let cdSize = tail.getUint32(eocd + 12, true);
    let cdOffset = tail.getUint32(eocd + 16, true);
    const eocdAbs = size - tailLen + eocd;
    if (eocdAbs >= 20 && (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff)) {
      const loc = readAt(eocdAbs - 20, 20);
      if (loc.getUint32(0, true) === SIG_ZIP64_LOCATOR) {
        const z = readAt(u64(loc, 8), 56);
        if (z.getUint32(0, true) !== SIG_ZIP64_EOCD) throw corruptFile(path, 'ZIP64 end of central directory missing');
        count = u64(z, 32);
        cdSize = u64(z, 40);
        cdOffset = u64(z, 48);
      }
    }
    if (count > lim.maxEntries)
      throw new GepError('GEP_ERR_TOO_LARGE', `${path}: ${count} entries exceed the limit of ${lim.maxEntries}`, { file: path });
    if (cdOffset + cdSize > size) throw corruptFile(path, 'central directory lies beyond the end of the file');
    if (cdSize > 46 * count + 3 * 0xffff * count + 1) throw corruptFile(path, 'central directory size is implausible');
    const cd = readAt(cdOffset, cdSize);
    const bytes = new Uint8Array(cd.buffer);
    const entries = new Map<string, Entry>();
    let p = 0;
    let total = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cdSize || cd.getUint32(p, true) !== SIG_CENTRAL)
        throw corruptFile(path, `central directory entry ${i} is missing or truncated`);
      const flags = cd.getUint16(p + 8, true);
      const method = cd.getUint16(p + 10, true);
      const crc = cd.getUint32(p + 16, true);
      let csize = cd.getUint32(p + 20, true);
      let usize = cd.getUint32(p + 24, true);
      const nlen = cd.getUint16(p + 28, true);
      const xlen = cd.getUint16(p + 30, true);
      const clen = cd.getUint16(p + 32, true);
      let local = cd.getUint32(p + 42, true);
      if (p + 46 + nlen + xlen + clen > cdSize) throw corruptFile(path, `central directory entry ${i} overruns`);
      const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nlen));
      // ZIP64 extended information extra field (id 0x0001): only the fields saturated in the header are present.
      for (let x = p + 46 + nlen; x + 4 <= p + 46 + nlen + xlen; ) {
        const id = cd.getUint16(x, true);
        const len = cd.getUint16(x + 2, true);
        if (id === 0x0001) {
          let q = x + 4;
          const take = (): number => {
            if (q + 8 > x + 4 + len) throw corruptFile(path, `entry '${name}': ZIP64 extra field too short`);
            const v = u64(cd, q);
            q += 8;
            return v;
          };
          if (usize === 0xffffffff) usize = take();
          if (csize === 0xffffffff) csize = take();
          if (local === 0xffffffff) local = take();
        }
        x += 4 + len;
      }
      p += 46 + nlen + xlen + clen;
      if (isUnsafeEntryName(name)) throw corruptFile(path, `unsafe entry name '${name}' (absolute or escaping path)`);
      if (entries.has(name)) throw corruptFile(path, `duplicate entry name '${name}'`);
      if (flags & 1) throw unsupported(path, `entry '${name}' is encrypted`);
      if (method !== 0 && method !== 8) throw unsupported(path, `entry '${name}' uses compression method ${method}`);
      if (usize > lim.maxEntryBytes)
        throw new GepError('GEP_ERR_TOO_LARGE', `${path}: entry '${name}' declares ${usize} bytes (limit ${lim.maxEntryBytes})`, {
          file: path,
        });
      total += usize;
      if (total > lim.maxTotalBytes)
        throw new GepError('GEP_ERR_TOO_LARGE', `${path}: entries declare more than ${lim.maxTotalBytes} bytes in all`, {
          file: path,
        });
      if (local + 30 + csize > size) throw corruptFile(path, `entry '${name}' lies beyond the end of the file`);
      entries.set(name, { name, method, flags, crc, compressedSize: csize, size: usize, localOffset: local });
    }
    return new ZipArchive(fd, path, size, entries);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}
