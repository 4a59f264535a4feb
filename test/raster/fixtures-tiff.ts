/**
 * Test fixtures for the TIFF reader: known arrays, raw ENVI files for GDAL to translate, GDAL/Python helpers,
 * and a small independent TIFF writer (classic/BigTIFF, either byte order, tiles/strips, none/DEFLATE/LZW/
 * PackBits, predictor 2) used by the fuzz and hostile-input tests without GDAL.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { allocBand, BYTES_PER_SAMPLE, type DataType, type TypedArray } from '../../src/raster/types.ts';
import { SYSTEM_PYTHON } from '../helpers/env.ts';

/** Deterministic test pattern: a ramp plus a pattern, with negatives for signed and fractions for floats. */
export function makeBands(dt: DataType, width: number, height: number, bands: number): TypedArray[] {
  const out: TypedArray[] = [];
  for (let b = 0; b < bands; b++) {
    const a = allocBand(dt, width * height);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const p = (x * 7 + y * 13 + b * 31 + ((x * y) % 17)) % 251;
        let v: number;
        switch (dt) {
          case 'uint8':
            v = p;
            break;
          case 'int8':
            v = p - 125;
            break;
          case 'uint16':
            v = p * 260 + x;
            break;
          case 'int16':
            v = (p - 125) * 250 + y;
            break;
          case 'uint32':
            v = p * 17_000_000 + x * y;
            break;
          case 'int32':
            v = (p - 125) * 17_000_000 - x * y;
            break;
          default:
            v = (p - 125) * 0.37 + x * 1e-3 - y * 0.5 + b;
        }
        a[y * width + x] = v;
      }
    out.push(a);
  }
  return out;
}

const ENVI_TYPE: Record<DataType, number> = { uint8: 1, int8: 1, int16: 2, int32: 3, float32: 4, float64: 5, uint16: 12, uint32: 13 };

/** Writes a band-sequential ENVI file (little-endian) `<dir>/<name>.raw` + `.hdr`; returns the .raw path. */
export function writeEnvi(dir: string, name: string, bands: TypedArray[], width: number, height: number, dt: DataType): string {
  const bps = BYTES_PER_SAMPLE[dt];
  const buf = Buffer.alloc(width * height * bands.length * bps);
  bands.forEach((b, i) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).copy(buf, i * width * height * bps));
  const raw = join(dir, `${name}.raw`);
  writeFileSync(raw, buf);
  writeFileSync(
    join(dir, `${name}.hdr`),
    `ENVI\nsamples = ${width}\nlines = ${height}\nbands = ${bands.length}\nheader offset = 0\nfile type = ENVI Standard\n` +
      `data type = ${ENVI_TYPE[dt]}\ninterleave = bsq\nbyte order = 0\n`,
  );
  return raw;
}

export function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** What GDAL (python osgeo) sees in a file: size, geotransform, EPSG, nodata, overview sizes. */
export interface GdalView {
  width: number;
  height: number;
  transform: number[];
  epsg: number | null;
  nodata: number | null;
  overviews: [number, number][];
}

export function gdalView(path: string): GdalView {
  const { levels: _levels, ...view } = gdalSnapshot(path, false);
  return view;
}

/**
 * One Python call: what GDAL sees (gdalView) plus, when `pixels`, every band of the full image and of every
 * overview as float64 (levels[0] = full resolution, levels[k] = overview k; each level one array per band).
 */
export function gdalSnapshot(path: string, pixels: boolean): GdalView & { levels: Float64Array[][] } {
  const script = `
import json, sys
import numpy as np
from osgeo import gdal
ds = gdal.Open(sys.argv[1])
b1 = ds.GetRasterBand(1)
srs = ds.GetSpatialRef()
epsg = None
if srs is not None:
    srs.AutoIdentifyEPSG()
    c = srs.GetAuthorityCode(None)
    epsg = int(c) if c else None
nd = b1.GetNoDataValue()
head = {"width": ds.RasterXSize, "height": ds.RasterYSize, "transform": list(ds.GetGeoTransform()),
  "epsg": epsg, "nodata": None if nd is None or nd != nd else nd,
  "overviews": [[b1.GetOverview(i).XSize, b1.GetOverview(i).YSize] for i in range(b1.GetOverviewCount())]}
sys.stdout.write(json.dumps(head) + "\\n")
sys.stdout.flush()
if sys.argv[2] == "1":
    for lvl in range(-1, b1.GetOverviewCount()):
        for b in range(1, ds.RasterCount + 1):
            band = ds.GetRasterBand(b)
            if lvl >= 0: band = band.GetOverview(lvl)
            sys.stdout.buffer.write(band.ReadAsArray().astype('<f8').tobytes())
`;
  const buf = execFileSync(SYSTEM_PYTHON, ['-c', script, path, pixels ? '1' : '0'], { maxBuffer: 1 << 28 });
  const nl = buf.indexOf(10);
  const view = JSON.parse(buf.subarray(0, nl).toString('utf8')) as GdalView;
  const levels: Float64Array[][] = [];
  if (pixels) {
    const data = new Float64Array(buf.buffer.slice(buf.byteOffset + nl + 1, buf.byteOffset + buf.byteLength));
    const sizes = [[view.width, view.height], ...view.overviews];
    const nb = Math.round(data.length / sizes.reduce((a, [w, h]) => a + w! * h!, 0));
    let o = 0;
    for (const [w, h] of sizes) {
      const lvl: Float64Array[] = [];
      for (let b = 0; b < nb; b++, o += w! * h!) lvl.push(data.subarray(o, o + w! * h!));
      levels.push(lvl);
    }
  }
  return { ...view, levels };
}

/** GDAL's read of band `band` (1-based) of overview `ovr` (0-based, -1 = full resolution) as float64. */
export function gdalReadOverview(path: string, band: number, ovr: number): Float64Array {
  const script = `
import sys
from osgeo import gdal
ds = gdal.Open(sys.argv[1])
b = ds.GetRasterBand(int(sys.argv[2]))
o = int(sys.argv[3])
if o >= 0: b = b.GetOverview(o)
sys.stdout.buffer.write(b.ReadAsArray().astype('<f8').tobytes())
`;
  const buf = execFileSync(SYSTEM_PYTHON, ['-c', script, path, String(band), String(ovr)], { maxBuffer: 1 << 28 });
  return new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

// ---------------------------------------------------------------------------------------------------------
// A minimal TIFF writer, independent of GDAL, for fuzzing and hand-made hostile files.

export interface TiffTag {
  tag: number;
  /** TIFF field type (3 SHORT, 4 LONG, 12 DOUBLE, 2 ASCII, 16 LONG8 ...). */
  type: number;
  values: number[] | string;
}

export interface TiffSpec {
  width: number;
  height: number;
  dataType: DataType;
  bands: TypedArray[];
  bigTiff?: boolean;
  bigEndian?: boolean;
  /** Tile size; strips when absent. */
  tile?: [number, number];
  rowsPerStrip?: number;
  /** 1 none, 5 LZW, 8 DEFLATE, 32773 PackBits. */
  compression?: number;
  planar?: 1 | 2;
  /** 1 or 2 (integer types only). */
  predictor?: number;
  extraTags?: TiffTag[];
}

const FIELD_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 11: 4, 12: 8, 16: 8, 17: 8 };
const SAMPLE_FORMAT: Record<DataType, number> = { uint8: 1, uint16: 1, uint32: 1, int8: 2, int16: 2, int32: 2, float32: 3, float64: 3 };

/** TIFF LZW (MSB-first, early change) encoder. */
export function lzwEncode(src: Uint8Array): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let nacc = 0;
  let len = 9;
  const put = (code: number): void => {
    acc = (acc << len) | code;
    nacc += len;
    while (nacc >= 8) {
      out.push((acc >>> (nacc - 8)) & 0xff);
      nacc -= 8;
    }
    acc &= (1 << nacc) - 1;
  };
  let dict = new Map<number, number>();
  let next = 258;
  put(256);
  let w = -1;
  const grow = (): void => {
    next++;
    if (next === 4094) {
      put(256);
      dict = new Map();
      next = 258;
      len = 9;
    } else if (next >= 1 << len) len++;
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (w < 0) {
      w = c;
      continue;
    }
    const k = w * 256 + c;
    const e = dict.get(k);
    if (e !== undefined) {
      w = e;
      continue;
    }
    put(w);
    dict.set(k, next);
    grow();
    w = c;
  }
  if (w >= 0) {
    put(w);
    grow();
  }
  put(257);
  if (nacc > 0) out.push((acc << (8 - nacc)) & 0xff);
  return Uint8Array.from(out);
}

/** PackBits encoder (runs of >= 3 equal bytes, literals otherwise). */
export function packBitsEncode(src: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < src.length) {
    let r = 1;
    while (i + r < src.length && r < 128 && src[i + r] === src[i]) r++;
    if (r >= 3) {
      out.push(257 - r, src[i]!);
      i += r;
      continue;
    }
    const s = i;
    while (i < src.length && i - s < 128 && !(i + 2 < src.length && src[i] === src[i + 1] && src[i] === src[i + 2])) i++;
    out.push(i - s - 1, ...src.subarray(s, i));
  }
  return Uint8Array.from(out);
}

/** Writes a TIFF from `spec`; returns the file bytes. */
export function writeTiff(spec: TiffSpec): Uint8Array {
  const { width, height, dataType: dt, bands } = spec;
  const big = spec.bigTiff ?? false;
  const le = !(spec.bigEndian ?? false);
  const spp = bands.length;
  const bps = BYTES_PER_SAMPLE[dt];
  const planar = spp === 1 ? 1 : (spec.planar ?? 1);
  const [tw, th] = spec.tile ?? [width, Math.min(spec.rowsPerStrip ?? height, height)];
  const across = Math.ceil(width / tw);
  const down = Math.ceil(height / th);
  const comp = spec.compression ?? 1;
  const pred = spec.predictor ?? 1;
  const blocks: Uint8Array[] = [];
  const planes = planar === 2 ? spp : 1;
  const spb = planar === 2 ? 1 : spp;
  for (let p = 0; p < planes; p++)
    for (let by = 0; by < down; by++)
      for (let bx = 0; bx < across; bx++) {
        const rows = spec.tile ? th : Math.min(th, height - by * th);
        const vals = new Float64Array(tw * rows * spb);
        for (let r = 0; r < rows; r++)
          for (let c = 0; c < tw; c++)
            for (let s = 0; s < spb; s++) {
              const x = bx * tw + c;
              const y = by * th + r;
              const band = planar === 2 ? p : s;
              vals[(r * tw + c) * spb + s] = x < width && y < height ? bands[band]![y * width + x]! : 0;
            }
        const raw = new Uint8Array(vals.length * bps);
        const dv = new DataView(raw.buffer);
        const typed = allocBand(dt, vals.length);
        typed.set(vals);
        if (pred === 2) {
          const mask = 2 ** (8 * bps);
          for (let r = 0; r < rows; r++)
            for (let i = tw * spb - 1; i >= spb; i--) {
              const a = r * tw * spb + i;
              const d = (vals[a]! - vals[a - spb]!) % mask;
              typed[a] = d;
            }
        }
        for (let i = 0; i < typed.length; i++) {
          const v = typed[i]!;
          const o = i * bps;
          switch (dt) {
            case 'uint8':
            case 'int8':
              raw[o] = v & 0xff;
              break;
            case 'uint16':
            case 'int16':
              dv.setUint16(o, v & 0xffff, le);
              break;
            case 'uint32':
            case 'int32':
              dv.setUint32(o, v >>> 0, le);
              break;
            case 'float32':
              dv.setFloat32(o, v, le);
              break;
            case 'float64':
              dv.setFloat64(o, v, le);
          }
        }
        blocks.push(comp === 8 ? new Uint8Array(deflateSync(raw)) : comp === 5 ? lzwEncode(raw) : comp === 32773 ? packBitsEncode(raw) : raw);
      }
  const offType = big ? 16 : 4;
  const tags: TiffTag[] = [
    { tag: 256, type: 4, values: [width] },
    { tag: 257, type: 4, values: [height] },
    { tag: 258, type: 3, values: Array(spp).fill(bps * 8) },
    { tag: 259, type: 3, values: [comp] },
    { tag: 262, type: 3, values: [1] },
    { tag: 277, type: 3, values: [spp] },
    { tag: 284, type: 3, values: [planar] },
    { tag: 339, type: 3, values: Array(spp).fill(SAMPLE_FORMAT[dt]) },
  ];
  if (pred !== 1) tags.push({ tag: 317, type: 3, values: [pred] });
  if (spec.tile) tags.push({ tag: 322, type: 4, values: [tw] }, { tag: 323, type: 4, values: [th] });
  else tags.push({ tag: 278, type: 4, values: [th] });
  // Offsets are filled in below once the layout is known.
  const offsTag: TiffTag = { tag: spec.tile ? 324 : 273, type: offType, values: [] };
  const cntTag: TiffTag = { tag: spec.tile ? 325 : 279, type: offType, values: blocks.map((b) => b.length) };
  tags.push(offsTag, cntTag, ...(spec.extraTags ?? []));
  tags.sort((a, b) => a.tag - b.tag);

  const headerSize = big ? 16 : 8;
  let pos = headerSize;
  const blockOffsets = blocks.map((b) => {
    const o = pos;
    pos += b.length + (b.length & 1);
    return o;
  });
  offsTag.values = blockOffsets;
  const ifdOffset = pos;
  const entrySize = big ? 20 : 12;
  const ifdSize = (big ? 8 : 2) + tags.length * entrySize + (big ? 8 : 4);
  let extra = ifdOffset + ifdSize;
  const enc = (t: TiffTag): Uint8Array => {
    if (typeof t.values === 'string') return new TextEncoder().encode(t.values + '\0');
    const n = t.values.length;
    const sz = FIELD_SIZE[t.type]!;
    const b = new Uint8Array(n * sz);
    const v = new DataView(b.buffer);
    t.values.forEach((x, i) => {
      const o = i * sz;
      if (sz === 1) b[o] = x;
      else if (sz === 2) v.setUint16(o, x, le);
      else if (t.type === 11) v.setFloat32(o, x, le);
      else if (sz === 4) v.setUint32(o, x >>> 0, le);
      else if (t.type === 12) v.setFloat64(o, x, le);
      else v.setBigUint64(o, BigInt(x), le);
    });
    return b;
  };
  const payloads = tags.map(enc);
  const extraOffsets = payloads.map((p) => {
    if (p.length <= (big ? 8 : 4)) return -1;
    const o = extra;
    extra += p.length + (p.length & 1);
    return o;
  });
  const file = new Uint8Array(extra);
  const dv = new DataView(file.buffer);
  file[0] = file[1] = le ? 0x49 : 0x4d;
  if (big) {
    dv.setUint16(2, 43, le);
    dv.setUint16(4, 8, le);
    dv.setBigUint64(8, BigInt(ifdOffset), le);
  } else {
    dv.setUint16(2, 42, le);
    dv.setUint32(4, ifdOffset, le);
  }
  blocks.forEach((b, i) => file.set(b, blockOffsets[i]!));
  let p = ifdOffset;
  if (big) dv.setBigUint64(p, BigInt(tags.length), le);
  else dv.setUint16(p, tags.length, le);
  p += big ? 8 : 2;
  tags.forEach((t, i) => {
    const pl = payloads[i]!;
    dv.setUint16(p, t.tag, le);
    dv.setUint16(p + 2, t.type, le);
    const count = typeof t.values === 'string' ? pl.length : t.values.length;
    if (big) dv.setBigUint64(p + 4, BigInt(count), le);
    else dv.setUint32(p + 4, count, le);
    const vp = p + (big ? 12 : 8);
    if (extraOffsets[i]! < 0) file.set(pl, vp);
    else {
      if (big) dv.setBigUint64(vp, BigInt(extraOffsets[i]!), le);
      else dv.setUint32(vp, extraOffsets[i]!, le);
      file.set(pl, extraOffsets[i]!);
    }
    p += entrySize;
  });
  return file;
}
