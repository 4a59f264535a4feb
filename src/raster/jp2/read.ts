/**
 * JPEG 2000 reader (JP2 files and raw J2K codestreams) behind the RasterReader contract.
 *
 * Opening reads only the box headers, the metadata boxes and the codestream main header (SIZ/COD), so listing a
 * product's bands is cheap. Pixels: the codestream is decoded whole at the requested resolution level (OpenJPEG's
 * reduce = JPEG 2000 resolution levels serve as overviews) and the window is cropped; the last decoded level is
 * cached until close(). Exact integer samples (lossless files decode bit-exactly).
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { corruptFile, GepError, invalidInput, openFailed, throwIfAborted } from '../../core/errors.ts';
import type { DataType, Raster, RasterInfo, RasterReader, RasterReadOptions, TypedArray } from '../types.ts';
import { allocBand, windowTransform } from '../types.ts';
import type { CodestreamInfo, Jp2Box, Jp2Ihdr } from './boxes.ts';
import {
  hasJp2Signature,
  isCodestream,
  parseBoxes,
  parseCodestreamHeader,
  parseIhdr,
  readBoxHeader,
  reducedSize,
} from './boxes.ts';
import type { DecodedImage } from './codec.ts';
import { decodeCodestream } from './codec.ts';
import type { Georef } from './georef.ts';
import { GEOJP2_UUID, parseGeoJp2, parseGmlJp2 } from './georef.ts';

/** Metadata boxes above this size are not read (they cannot be georeferencing). */
const MAX_META_BOX = 16 << 20;
/** Bytes of the codestream read at open time to parse its main header. */
const HEADER_PROBE = 1 << 16;
const MAX_CODESTREAM = 2 ** 31 - 1;

interface ByteSource {
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

function memorySource(b: Uint8Array): ByteSource {
  return {
    size: b.length,
    read: (o, l) => Promise.resolve(b.subarray(o, Math.min(b.length, o + l))),
    close: () => Promise.resolve(),
  };
}

async function fileSource(path: string): Promise<ByteSource> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw openFailed(path, e);
  }
  const size = (await fh.stat()).size;
  return {
    size,
    async read(o, l) {
      const n = Math.max(0, Math.min(l, size - o));
      const buf = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await fh.read(buf, got, n - got, o + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === n ? buf : buf.subarray(0, got);
    },
    close: () => fh.close(),
  };
}

/** Top-level structure: where the codestream is, and the parsed metadata boxes. */
interface Layout {
  codestreamOffset: number;
  codestreamLength: number;
  ihdr: Jp2Ihdr | null;
  georef: Georef | null;
  xml: string[];
}

async function readLayout(src: ByteSource, name: string): Promise<Layout> {
  const head = await src.read(0, 16);
  if (isCodestream(head))
    return { codestreamOffset: 0, codestreamLength: src.size, ihdr: null, georef: null, xml: [] };
  if (!hasJp2Signature(head)) throw corruptFile(name, 'not a JPEG 2000 file (no JP2 signature box, no SOC+SIZ codestream)');
  let off = 0;
  let cs: { offset: number; length: number } | null = null;
  let ihdr: Jp2Ihdr | null = null;
  const geoJp2: Uint8Array[] = [];
  const gml: string[] = [];
  const xml: string[] = [];
  for (let count = 0; off < src.size; count++) {
    if (count > 4096) throw corruptFile(name, 'more than 4096 top-level JP2 boxes');
    const hdr = await src.read(off, 16);
    const h = readBoxHeader(hdr, 0, src.size - off, name);
    if (!h) throw corruptFile(name, `trailing ${src.size - off} bytes at ${off} are not a JP2 box`);
    const dataOffset = off + h.headerLength;
    const dataLength = h.length - h.headerLength;
    if (h.type === 'jp2c') {
      if (!cs) cs = { offset: dataOffset, length: dataLength };
    } else if (['jp2h', 'asoc', 'uuid', 'xml '].includes(h.type) && dataLength <= MAX_META_BOX) {
      const data = await src.read(dataOffset, dataLength);
      if (data.length !== dataLength) throw corruptFile(name, `box '${h.type}' at ${off} is truncated`);
      if (h.type === 'uuid') {
        const uuid = Buffer.from(data.subarray(0, 16)).toString('hex');
        if (uuid === GEOJP2_UUID && data.length > 16) geoJp2.push(data.subarray(16));
      } else if (h.type === 'xml ') {
        xml.push(new TextDecoder().decode(data));
      } else {
        const children = parseBoxes(data, name, 0, data.length, 1);
        if (h.type === 'jp2h') {
          const ih = children.find((c) => c.type === 'ihdr');
          if (!ih) throw corruptFile(name, 'jp2h header box has no ihdr box');
          ihdr = parseIhdr(data, ih, name);
        } else {
          collectGml(data, children, false, gml);
        }
      }
    }
    off += h.length;
  }
  if (!cs) throw corruptFile(name, 'JP2 file has no contiguous codestream (jp2c) box');
  if (cs.length > MAX_CODESTREAM)
    throw new GepError('GEP_ERR_TOO_LARGE', `${name}: codestream of ${cs.length} bytes exceeds ${MAX_CODESTREAM}`, {
      file: name,
    });
  let georef: Georef | null = null;
  for (const t of geoJp2) georef ??= await parseGeoJp2(t);
  for (const x of [...gml, ...xml]) georef ??= x.includes('RectifiedGrid') ? parseGmlJp2(x) : null;
  return { codestreamOffset: cs.offset, codestreamLength: cs.length, ihdr, georef, xml };
}

/** Collects the XML of asoc boxes under a 'gml.data' label (GMLJP2). */
function collectGml(b: Uint8Array, boxes: Jp2Box[], inGml: boolean, out: string[]): void {
  const label = boxes.find((c) => c.type === 'lbl ');
  const text = (bx: Jp2Box): string => new TextDecoder().decode(b.subarray(bx.dataOffset, bx.dataOffset + bx.dataLength));
  const gml = inGml || (label !== undefined && text(label).replace(/\0/g, '').trim().startsWith('gml.'));
  for (const c of boxes) {
    if (c.type === 'asoc') collectGml(b, c.children, gml, out);
    else if (c.type === 'xml ' && gml) out.push(text(c));
  }
}

const dataTypeFor = (bits: number, signed: boolean): DataType =>
  bits <= 8 ? (signed ? 'int8' : 'uint8') : signed ? 'int16' : 'uint16';

class Jp2Reader implements RasterReader {
  readonly info: RasterInfo;
  private cache: { level: number; img: DecodedImage } | null = null;

  constructor(
    private readonly src: ByteSource,
    private readonly name: string,
    private readonly layout: Layout,
    private readonly cs: CodestreamInfo,
  ) {
    const g = layout.georef;
    this.info = {
      width: cs.width,
      height: cs.height,
      bandCount: cs.components,
      dataType: dataTypeFor(cs.bits, cs.signed),
      transform: g ? g.transform : null,
      crs: g ? g.crs : null,
      nodata: null,
      bandNames: Array.from({ length: cs.components }, () => ''),
      overviews: Array.from({ length: cs.levels }, (_, i) => reducedSize(cs, i + 1)),
      tiled: cs.tileWidth < cs.width || cs.tileHeight < cs.height,
      blockWidth: Math.min(cs.tileWidth, cs.width),
      blockHeight: Math.min(cs.tileHeight, cs.height),
      compression: 'JPEG2000',
      rpc: null,
      acquisitionTime: null,
      metadata: {
        COMPRESSION_REVERSIBILITY: cs.reversible ? 'LOSSLESS' : 'LOSSY',
        ...(g ? { GEOREFERENCING_SOURCE: g.source } : {}),
        NBITS: String(cs.bits),
      },
    };
  }

  async read(opts: RasterReadOptions = {}): Promise<Raster> {
    const level = opts.overview ?? 0;
    if (!Number.isInteger(level) || level < 0 || level > this.cs.levels)
      throw invalidInput(`${this.name}: overview ${level} does not exist (0..${this.cs.levels})`);
    const size = level === 0 ? { width: this.cs.width, height: this.cs.height } : reducedSize(this.cs, level);
    const w = opts.window ?? { x0: 0, y0: 0, width: size.width, height: size.height };
    if (
      ![w.x0, w.y0, w.width, w.height].every(Number.isInteger) ||
      w.x0 < 0 ||
      w.y0 < 0 ||
      w.width <= 0 ||
      w.height <= 0 ||
      w.x0 + w.width > size.width ||
      w.y0 + w.height > size.height
    )
      throw invalidInput(
        `${this.name}: window ${w.x0},${w.y0} ${w.width}x${w.height} is outside the ${size.width}x${size.height} image`,
      );
    const nc = this.cs.components;
    const bandIdx = opts.bands ?? Array.from({ length: nc }, (_, i) => i);
    for (const b of bandIdx)
      if (!Number.isInteger(b) || b < 0 || b >= nc) throw invalidInput(`${this.name}: band index ${b} (0..${nc - 1})`);
    throwIfAborted(opts.signal);
    const img = await this.decodeLevel(level, size);
    throwIfAborted(opts.signal);
    const dataType = this.info.dataType;
    const bps = this.cs.bits <= 8 ? 1 : 2;
    const all = bps === 1 ? img.bytes : new Uint16Array(img.bytes.buffer, img.bytes.byteOffset, img.bytes.length / 2);
    const bands: TypedArray[] = bandIdx.map((c) => {
      const out = allocBand(dataType, w.width * w.height);
      for (let r = 0; r < w.height; r++) {
        const srcRow = ((w.y0 + r) * size.width + w.x0) * nc + c;
        const dstRow = r * w.width;
        if (nc === 1) out.set(all.subarray(srcRow, srcRow + w.width), dstRow);
        else for (let x = 0; x < w.width; x++) out[dstRow + x] = all[srcRow + x * nc]!;
      }
      return out;
    });
    const scale = 2 ** level;
    const t = this.info.transform;
    const lt = t ? ([t[0], t[1] * scale, t[2] * scale, t[3], t[4] * scale, t[5] * scale] as const) : null;
    return {
      width: w.width,
      height: w.height,
      dataType,
      bands,
      transform: lt ? windowTransform([...lt], w) : null,
      crs: this.info.crs,
      nodata: null,
      bandNames: bandIdx.map((i) => this.info.bandNames[i] ?? ''),
    };
  }

  private async decodeLevel(level: number, size: { width: number; height: number }): Promise<DecodedImage> {
    if (this.cache?.level === level) return this.cache.img;
    this.cache = null;
    const { codestreamOffset: o, codestreamLength: n } = this.layout;
    const bytes = await this.src.read(o, n);
    if (bytes.length !== n) throw corruptFile(this.name, `codestream truncated (${bytes.length} of ${n} bytes)`);
    const img = await decodeCodestream(bytes, level, { ...size, components: this.cs.components, bits: this.cs.bits }, this.name);
    this.cache = { level, img };
    return img;
  }

  async close(): Promise<void> {
    this.cache = null;
    await this.src.close();
  }
}

/** Opens a JP2 file or raw J2K codestream from a path or bytes. */
export async function openJp2(
  source: string | Uint8Array,
  opts: { name?: string; signal?: AbortSignal } = {},
): Promise<RasterReader> {
  const name = opts.name ?? (typeof source === 'string' ? source : '<memory>');
  throwIfAborted(opts.signal);
  const src = typeof source === 'string' ? await fileSource(source) : memorySource(source);
  try {
    const layout = await readLayout(src, name);
    const head = await src.read(layout.codestreamOffset, Math.min(HEADER_PROBE, layout.codestreamLength));
    const cs = parseCodestreamHeader(head, name);
    const ih = layout.ihdr;
    if (ih && (ih.width !== cs.width || ih.height !== cs.height || ih.components !== cs.components))
      throw corruptFile(
        name,
        `ihdr says ${ih.width}x${ih.height}x${ih.components} but the codestream says ${cs.width}x${cs.height}x${cs.components}`,
      );
    return new Jp2Reader(src, name, layout, cs);
  } catch (e) {
    await src.close();
    throw e;
  }
}
