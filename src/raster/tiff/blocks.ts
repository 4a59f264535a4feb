/**
 * Window reads: find the blocks (tiles or strips) that intersect a pixel window, fetch their bytes in
 * batches (the source merges nearby ranges), decode them concurrently (DEFLATE runs on the libuv thread
 * pool) and copy the intersecting part of each block into one array per requested band.
 * Memory stays bounded: at most ~2 batches of compressed bytes plus the blocks being decoded.
 */
import { corruptFile, GepError, throwIfAborted } from '../../core/errors.ts';
import { allocBand, isFloat, type DataType, type PixelWindow, type TypedArray } from '../types.ts';
import { decodeBlock } from './decode.ts';
import { COMPRESSION, PREDICTOR } from './tags.ts';
import { loadBlockIndex, type TiffImage } from './image.ts';
import type { TiffFile } from './ifd.ts';
import { mapLimit, type ByteRange } from './source.ts';

/** Compressed bytes fetched per batch, and decodes kept in flight. */
const BATCH_BYTES = 32 * 1024 * 1024;
const BATCH_BLOCKS = 1024;
const DECODE_CONCURRENCY = 8;

/**
 * Largest decoded/encoded size ratio each codec can reach (DEFLATE: 258-byte matches in ~2 bits, < 1032:1;
 * LZW: a 12-bit code stands for at most 4094 bytes; PackBits: 2 bytes for 128). A block whose byte count
 * cannot hold what the image needs is corrupt, and is refused before anything is allocated for it.
 */
const MAX_RATIO: Readonly<Record<number, number>> = {
  [COMPRESSION.NONE]: 1,
  [COMPRESSION.ADOBE_DEFLATE]: 1100,
  [COMPRESSION.DEFLATE]: 1100,
  [COMPRESSION.LZW]: 2800,
  [COMPRESSION.PACKBITS]: 64,
};

interface BlockJob {
  /** Index into the offsets / byte-counts arrays. */
  index: number;
  bx: number;
  by: number;
  /** [output band index, sample index inside the block]. */
  targets: [number, number][];
}

function typedView(t: DataType, b: Uint8Array): TypedArray {
  switch (t) {
    case 'uint8':
      return b;
    case 'int8':
      return new Int8Array(b.buffer, b.byteOffset, b.length);
    case 'uint16':
      return new Uint16Array(b.buffer, b.byteOffset, b.length >>> 1);
    case 'int16':
      return new Int16Array(b.buffer, b.byteOffset, b.length >>> 1);
    case 'uint32':
      return new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2);
    case 'int32':
      return new Int32Array(b.buffer, b.byteOffset, b.length >>> 2);
    case 'float32':
      return new Float32Array(b.buffer, b.byteOffset, b.length >>> 2);
    case 'float64':
      return new Float64Array(b.buffer, b.byteOffset, b.length >>> 3);
  }
}

/** Reads `win` of `img` for the given zero-based sample indices; returns one array per requested band. */
export async function readWindow(
  f: TiffFile,
  img: TiffImage,
  win: PixelWindow,
  bandIdx: number[],
  nodata: number | null,
  signal?: AbortSignal,
): Promise<TypedArray[]> {
  await loadBlockIndex(f, img, signal);
  const offsets = img.offsets!;
  const counts = img.byteCounts!;
  const { blockWidth: bw, blockHeight: bh, blocksAcross, blocksDown } = img;
  const rowBytes = bw * img.layout.samplesPerPixel * img.bytesPerSample;
  const jobs: BlockJob[] = [];
  const by0 = Math.floor(win.y0 / bh);
  const by1 = Math.floor((win.y0 + win.height - 1) / bh);
  const bx0 = Math.floor(win.x0 / bw);
  const bx1 = Math.floor((win.x0 + win.width - 1) / bw);
  const chunkyTargets = bandIdx.map((s, i): [number, number] => [i, s]);
  for (let by = by0; by <= by1; by++)
    for (let bx = bx0; bx <= bx1; bx++) {
      const b = by * blocksAcross + bx;
      if (img.planar === 1) jobs.push({ index: b, bx, by, targets: chunkyTargets });
      else bandIdx.forEach((s, i) => jobs.push({ index: s * blocksAcross * blocksDown + b, bx, by, targets: [[i, 0]] }));
    }
  // Check every block location before allocating the output, so a hostile index fails fast.
  for (const j of jobs) {
    const o = offsets[j.index]!;
    const c = counts[j.index]!;
    if (!(c >= 0) || c > f.limits.maxBlockBytes)
      throw new GepError('GEP_ERR_TOO_LARGE', `${f.name}: block ${j.index} declares ${c} bytes (limit ${f.limits.maxBlockBytes})`, {
        file: f.name,
      });
    if (!(o >= 0) || o + c > f.src.size)
      throw corruptFile(f.name, `block ${j.index} at byte ${o} (+${c}) lies outside the file (${f.src.size} bytes)`);
    const need = Math.min(bh, img.height - j.by * bh) * rowBytes;
    if (c > 0 && c * (MAX_RATIO[img.compression] ?? Infinity) < need)
      throw corruptFile(f.name, `block ${j.index} of ${c} bytes cannot hold the ${need} bytes its image needs`, { block: j.index });
  }
  const out = bandIdx.map(() => allocBand(img.dataType, win.width * win.height));
  // Sort by file position so batches read contiguous bytes.
  jobs.sort((a, b) => offsets[a.index]! - offsets[b.index]!);
  const batches: BlockJob[][] = [];
  let cur: BlockJob[] = [];
  let curBytes = 0;
  for (const j of jobs) {
    const c = counts[j.index]!;
    if (cur.length > 0 && (curBytes + c > BATCH_BYTES || cur.length >= BATCH_BLOCKS)) {
      batches.push(cur);
      cur = [];
      curBytes = 0;
    }
    cur.push(j);
    curBytes += c;
  }
  if (cur.length) batches.push(cur);

  const fetchBatch = (batch: BlockJob[]): Promise<Uint8Array[]> => {
    const ranges: ByteRange[] = batch.map((j) => ({ offset: offsets[j.index]!, length: counts[j.index]! }));
    return f.src.readRanges(ranges, signal);
  };
  let pending: Promise<Uint8Array[]> | null = batches.length ? fetchBatch(batches[0]!) : null;
  for (let k = 0; k < batches.length; k++) {
    throwIfAborted(signal);
    const raws = await pending!;
    pending = k + 1 < batches.length ? fetchBatch(batches[k + 1]!) : null;
    // Avoid an unhandled rejection if decoding fails while the next fetch is in flight.
    pending?.catch(() => undefined);
    const batch = batches[k]!;
    await mapLimit(batch, DECODE_CONCURRENCY, async (j, i) => {
      throwIfAborted(signal);
      await decodeAndCopy(f, img, j, raws[i]!, win, out, nodata);
    });
  }
  return out;
}

async function decodeAndCopy(
  f: TiffFile,
  img: TiffImage,
  j: BlockJob,
  raw: Uint8Array,
  win: PixelWindow,
  out: TypedArray[],
  nodata: number | null,
): Promise<void> {
  const { blockWidth: bw, blockHeight: bh } = img;
  const spb = img.layout.samplesPerPixel;
  const rowsIn = Math.min(bh, img.height - j.by * bh);
  // Intersection of the block with the window, in image pixels.
  const c0 = Math.max(win.x0, j.bx * bw);
  const c1 = Math.min(win.x0 + win.width, j.bx * bw + bw, img.width);
  const r0 = Math.max(win.y0, j.by * bh);
  const r1 = Math.min(win.y0 + win.height, j.by * bh + rowsIn);
  if (raw.length === 0) {
    // Sparse block (offset and byte count 0, GDAL SPARSE_OK): nodata, or 0 when there is none.
    if (nodata !== null && nodata !== 0)
      for (const [o] of j.targets)
        for (let r = r0; r < r1; r++) {
          const d = (r - win.y0) * win.width - win.x0;
          out[o]!.fill(nodata, d + c0, d + c1);
        }
    return;
  }
  const bps = img.bytesPerSample;
  const rowBytes = bw * spb * bps;
  // Single-sample integer blocks with horizontal differencing: undo the predictor while copying (one pass).
  const fused = img.predictor === PREDICTOR.HORIZONTAL && spb === 1 && bps <= 4 && !isFloat(img.dataType);
  const blk = await decodeBlock(raw, img.layout, img.blockBytes, rowsIn * rowBytes, f.name, fused);
  const n = c1 - c0;
  if (fused) {
    // Same-width unsigned views keep each loop monomorphic; signed outputs wrap identically.
    const dst = out[j.targets[0]![0]]!;
    const cs = c0 - j.bx * bw;
    const i0 = (r0 - j.by * bh) * bw;
    const d0 = (r0 - win.y0) * win.width + (c0 - win.x0);
    const rows = r1 - r0;
    const { buffer: sb, byteOffset: so, length: sl } = blk;
    const { buffer: db, byteOffset: dof, length: dl } = dst;
    if (bps === 1) accumulate8(blk, new Uint8Array(db, dof, dl), i0, bw, cs, n, d0, win.width, rows);
    else if (bps === 2) accumulate16(new Uint16Array(sb, so, sl >>> 1), new Uint16Array(db, dof, dl), i0, bw, cs, n, d0, win.width, rows);
    else accumulate32(new Uint32Array(sb, so, sl >>> 2), new Uint32Array(db, dof, dl), i0, bw, cs, n, d0, win.width, rows);
    return;
  }
  const src = typedView(img.dataType, blk);
  for (const [o, s] of j.targets) {
    const dst = out[o]!;
    for (let r = r0; r < r1; r++) {
      const d = (r - win.y0) * win.width + (c0 - win.x0);
      const sRow = ((r - j.by * bh) * bw + (c0 - j.bx * bw)) * spb + s;
      if (spb === 1) dst.set(src.subarray(sRow, sRow + n), d);
      else for (let c = 0, si = sRow; c < n; c++, si += spb) dst[d + c] = src[si]!;
    }
  }
}

/**
 * Undoes horizontal differencing for `rows` block rows (row k starts at src[i0 + k*sw]) and writes samples
 * cs..cs+n-1 of each row to dst[d0 + k*dw ..]: s[c] = s[c-1] + diff[c] modulo 2^bits (TIFF 6.0 §14).
 */
function accumulate8(src: Uint8Array, dst: Uint8Array, i0: number, sw: number, cs: number, n: number, d0: number, dw: number, rows: number): void {
  for (let k = 0; k < rows; k++) {
    let acc = 0;
    let i = i0 + k * sw;
    let d = d0 + k * dw;
    for (const e = i + cs; i < e; i++) acc = (acc + src[i]!) & 0xff;
    for (const e = i + n; i < e; i++) dst[d++] = acc = (acc + src[i]!) & 0xff;
  }
}

function accumulate16(src: Uint16Array, dst: Uint16Array, i0: number, sw: number, cs: number, n: number, d0: number, dw: number, rows: number): void {
  for (let k = 0; k < rows; k++) {
    let acc = 0;
    let i = i0 + k * sw;
    let d = d0 + k * dw;
    for (const e = i + cs; i < e; i++) acc = (acc + src[i]!) & 0xffff;
    for (const e = i + n; i < e; i++) dst[d++] = acc = (acc + src[i]!) & 0xffff;
  }
}

function accumulate32(src: Uint32Array, dst: Uint32Array, i0: number, sw: number, cs: number, n: number, d0: number, dw: number, rows: number): void {
  for (let k = 0; k < rows; k++) {
    let acc = 0;
    let i = i0 + k * sw;
    let d = d0 + k * dw;
    for (const e = i + cs; i < e; i++) acc = (acc + src[i]!) >>> 0;
    for (const e = i + n; i < e; i++) dst[d++] = acc = (acc + src[i]!) >>> 0;
  }
}
