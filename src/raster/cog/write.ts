/**
 * Cloud-Optimized GeoTIFF writer.
 *
 * Output layout (GDAL COG driver conventions, checked by GDAL's validate_cloud_optimized_geotiff.py):
 * TIFF/BigTIFF header, ghost structural metadata, the IFDs of the full resolution then of each overview
 * (NewSubfileType=1, decreasing size), then tile data from the smallest overview to the full resolution, tiles
 * in row-major order. Multi-band rasters are pixel-interleaved (PlanarConfiguration=1, like GDAL's COG driver
 * default INTERLEAVE=PIXEL), PhotometricInterpretation MinIsBlack with unspecified ExtraSamples for bands 2..n.
 * Compression DEFLATE (8, zlib streams) with predictor 2 for integers and 3 for floats.
 *
 * Files are written to `path.tmp-<random>` and renamed when complete; on error or abort the temporary file is
 * removed, so `path` is either absent, its previous content, or complete (no fsync: durability against power
 * loss is the file system's). Tiles are streamed in order through a file handle and the IFDs (whose size is
 * known in advance) are rewritten with the real offsets at the end: memory stays at the raster plus its
 * overviews plus a window of tiles. Tiles are compressed in parallel by node's async zlib (libuv threadpool),
 * which measured as fast as or faster than piscina workers on 2 CPUs (BENCHMARKS.md, cog-io).
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { deflate } from 'node:zlib';
import { GepError, throwIfAborted } from '../../core/errors.ts';
import { noProgress, subProgress, type ProgressFn } from '../../core/progress.ts';
import { SOFTWARE } from '../../core/version.ts';
import type { Raster, RpcModel, TypedArray } from '../types.ts';
import { BYTES_PER_SAMPLE, isFloat } from '../types.ts';
import { COMPRESSION, PREDICTOR, SAMPLE_FORMAT, TAG } from '../tiff/tags.ts';
import { gdalMetadataXml, nodataText, rpcTagValues, tiffDateTime } from './gdal-metadata.ts';
import { geoTiffTags } from './geokeys-encode.ts';
import { asciiTag, doubleTag, layoutHeader, longTag, offsetTag, shortOrLongTag, shortTag, type TagEntry } from './layout.ts';
import { buildOverviews, overviewFactors } from './overviews.ts';
import { FileSink, MemorySink, runTiles, type Sink, type TileJob } from './pipeline.ts';
import { extractTile, predictTile, type LevelImage } from './tile-encode.ts';
import { checkRaster, checkOptions } from './validate.ts';

export interface CogWriteOptions {
  /** Tile width and height in pixels, a multiple of 16. Default 512. */
  tileSize?: number;
  /** Default 'deflate'. */
  compression?: 'deflate' | 'none';
  /** zlib level 0-9, default 6. */
  level?: number;
  /** auto: 2 (horizontal) for integers, 3 (floating point) for floats. Ignored without compression. */
  predictor?: 'auto' | 'none';
  /** auto: factors 2, 4, 8 ... until the level fits in one tile. */
  overviews?: 'auto' | number[] | false;
  /** Overview resampling, default 'average' (NaN/nodata-aware). */
  resampling?: 'average' | 'nearest';
  /** auto: BigTIFF when the file may exceed 4 GB. */
  bigTiff?: boolean | 'auto';
  /** TIFF Software tag; default "gep/<version>" (src/core/version.ts). */
  software?: string;
  /** ISO 8601 -> TIFF DateTime tag (UTC). */
  datetime?: string;
  /** Dataset-level GDAL_METADATA items (added to raster.metadata; these win). */
  metadata?: Record<string, string>;
  /** Written as tag 50844. */
  rpc?: RpcModel | null;
  signal?: AbortSignal;
  progress?: ProgressFn;
}

const SAMPLE_FORMAT_OF = {
  uint8: SAMPLE_FORMAT.UINT,
  uint16: SAMPLE_FORMAT.UINT,
  uint32: SAMPLE_FORMAT.UINT,
  int8: SAMPLE_FORMAT.INT,
  int16: SAMPLE_FORMAT.INT,
  int32: SAMPLE_FORMAT.INT,
  float32: SAMPLE_FORMAT.IEEEFP,
  float64: SAMPLE_FORMAT.IEEEFP,
} as const;

/** Everything decided before writing. */
interface Plan {
  raster: Raster;
  tileSize: number;
  spp: number;
  compression: number;
  predictor: 1 | 2 | 3;
  zlevel: number;
  bigTiff: boolean;
  /** levels[0] = full resolution, then overviews by decreasing size. */
  levels: LevelImage[];
  mainExtra: TagEntry[];
  commonExtra: TagEntry[];
  fill: number;
}

const tilesOf = (l: LevelImage, t: number): [number, number] => [Math.ceil(l.width / t), Math.ceil(l.height / t)];

function levelEntries(p: Plan, i: number, offsets: number[], counts: number[]): TagEntry[] {
  const l = p.levels[i]!;
  const bits = BYTES_PER_SAMPLE[p.raster.dataType] * 8;
  const e: TagEntry[] = [
    shortOrLongTag(TAG.ImageWidth, [l.width]),
    shortOrLongTag(TAG.ImageLength, [l.height]),
    shortTag(TAG.BitsPerSample, new Array<number>(p.spp).fill(bits)),
    shortTag(TAG.Compression, [p.compression]),
    shortTag(TAG.PhotometricInterpretation, [1]),
    shortTag(TAG.SamplesPerPixel, [p.spp]),
    shortTag(TAG.PlanarConfiguration, [1]),
    shortOrLongTag(TAG.TileWidth, [p.tileSize]),
    shortOrLongTag(TAG.TileLength, [p.tileSize]),
    offsetTag(TAG.TileOffsets, offsets, p.bigTiff),
    offsetTag(TAG.TileByteCounts, counts, p.bigTiff),
    shortTag(TAG.SampleFormat, new Array<number>(p.spp).fill(SAMPLE_FORMAT_OF[p.raster.dataType])),
    ...p.commonExtra,
  ];
  if (i > 0) e.push(longTag(TAG.NewSubfileType, [1]));
  if (p.predictor !== PREDICTOR.NONE) e.push(shortTag(TAG.Predictor, [p.predictor]));
  if (p.spp > 1) e.push(shortTag(TAG.ExtraSamples, new Array<number>(p.spp - 1).fill(0)));
  if (i === 0) e.push(...p.mainExtra);
  return e;
}

/**
 * Whether `tiles` tiles of `tileRaw` uncompressed bytes may make a file of 4 GiB or more, in the worst case of
 * incompressible data (zlib adds < 0.1 % + a few bytes), with tile leaders/trailers and IFD entries.
 */
export function mayExceed4GiB(tiles: number, tileRaw: number): boolean {
  return tiles * (tileRaw * 1.001 + 64) + 1e6 >= 2 ** 32;
}

function makePlan(raster: Raster, opts: CogWriteOptions, levels: LevelImage[]): Plan {
  const tileSize = opts.tileSize ?? 512;
  const compress = (opts.compression ?? 'deflate') === 'deflate';
  const float = isFloat(raster.dataType);
  const predictor: 1 | 2 | 3 =
    !compress || opts.predictor === 'none' ? PREDICTOR.NONE : float ? PREDICTOR.FLOATING_POINT : PREDICTOR.HORIZONTAL;
  const mainExtra: TagEntry[] = [...geoTiffTags(raster.transform ?? null, raster.crs ?? null)];
  mainExtra.push(asciiTag(TAG.Software, opts.software ?? SOFTWARE));
  if (opts.datetime) mainExtra.push(asciiTag(TAG.DateTime, tiffDateTime(opts.datetime)));
  const xml = gdalMetadataXml({ ...(raster.metadata ?? {}), ...(opts.metadata ?? {}) }, raster.bandNames ?? []);
  if (xml) mainExtra.push(asciiTag(TAG.GdalMetadata, xml));
  if (opts.rpc) mainExtra.push(doubleTag(TAG.RpcCoefficients, rpcTagValues(opts.rpc)));
  const commonExtra: TagEntry[] = [];
  const nodata = raster.nodata ?? null;
  if (nodata !== null) commonExtra.push(asciiTag(TAG.GdalNodata, nodataText(nodata)));
  const spp = raster.bands.length;
  const tileRaw = tileSize * tileSize * spp * BYTES_PER_SAMPLE[raster.dataType];
  let tiles = 0;
  for (const l of levels) tiles += tilesOf(l, tileSize).reduce((a, b) => a * b);
  const bigTiff = opts.bigTiff === 'auto' || opts.bigTiff === undefined ? mayExceed4GiB(tiles, tileRaw) : opts.bigTiff;
  const fill =
    nodata !== null && (float || Number.isInteger(nodata)) ? nodata : 0;
  return {
    raster,
    tileSize,
    spp,
    compression: compress ? COMPRESSION.ADOBE_DEFLATE : COMPRESSION.NONE,
    predictor,
    zlevel: opts.level ?? 6,
    bigTiff,
    levels,
    mainExtra,
    commonExtra,
    fill,
  };
}

function deflateAsync(data: Uint8Array, level: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    deflate(data, { level }, (err, out) => (err ? reject(err) : resolve(new Uint8Array(out.buffer, out.byteOffset, out.length)))),
  );
}

/** Writes the whole COG through `sink`. */
async function writeTo(sink: Sink, raster: Raster, opts: CogWriteOptions): Promise<void> {
  const progress = opts.progress ?? noProgress;
  const tileSize = opts.tileSize ?? 512;
  const full: LevelImage = { width: raster.width, height: raster.height, bands: raster.bands };
  const factors = overviewFactors(raster.width, raster.height, tileSize, opts.overviews ?? 'auto');
  const ovr = buildOverviews(full, factors, raster.dataType, opts.resampling ?? 'average', raster.nodata ?? null, opts.signal);
  progress(0.1, 'overviews built');
  const plan = makePlan(raster, opts, [full, ...ovr]);
  const zeros = (l: LevelImage): number[] => new Array<number>(tilesOf(l, tileSize).reduce((a, b) => a * b)).fill(0);
  const placeholder = plan.levels.map((l, i) => levelEntries(plan, i, zeros(l), zeros(l)));
  const header = layoutHeader(placeholder, plan.bigTiff);
  await sink.append([header.bytes]);

  // Smallest overview first, full resolution last; row-major tiles within a level.
  const jobs: TileJob[] = [];
  for (let li = plan.levels.length - 1; li >= 0; li--) {
    const n = tilesOf(plan.levels[li]!, tileSize).reduce((a, b) => a * b);
    for (let k = 0; k < n; k++) jobs.push({ level: li, index: k });
  }
  const prepare = (job: TileJob): Uint8Array => {
    const l = plan.levels[job.level]!;
    const across = Math.ceil(l.width / tileSize);
    const tile: TypedArray = extractTile(l, job.index % across, Math.floor(job.index / across), tileSize, plan.fill);
    return predictTile(tile, tileSize, plan.spp, plan.predictor);
  };
  const encode =
    plan.compression === COMPRESSION.NONE
      ? (raw: Uint8Array) => Promise.resolve(raw)
      : (raw: Uint8Array) => deflateAsync(raw, plan.zlevel);
  const { offsets, counts } = await runTiles(sink, {
    jobs,
    prepare,
    encode,
    start: header.bytes.length,
    window: Math.max(8, 4 * availableParallelism()),
    maxPos: plan.bigTiff ? Number.MAX_SAFE_INTEGER : 2 ** 32,
    signal: opts.signal,
    progress: subProgress(progress, 0.1, 1),
  });
  const perLevelOffsets = plan.levels.map(() => [] as number[]);
  const perLevelCounts = plan.levels.map(() => [] as number[]);
  jobs.forEach((j, i) => {
    perLevelOffsets[j.level]![j.index] = offsets[i]!;
    perLevelCounts[j.level]![j.index] = counts[i]!;
  });
  const final = layoutHeader(
    plan.levels.map((_, i) => levelEntries(plan, i, perLevelOffsets[i]!, perLevelCounts[i]!)),
    plan.bigTiff,
  );
  if (final.bytes.length !== header.bytes.length) throw new GepError('GEP_ERR_INTERNAL', 'COG header size changed');
  await sink.patch(0, final.bytes);
  progress(1, 'done');
}

/** Encodes `raster` as a COG in memory (small rasters; use writeCog for files). */
export async function encodeCog(raster: Raster, opts: CogWriteOptions = {}): Promise<Uint8Array> {
  checkRaster(raster, 'raster');
  checkOptions(opts);
  throwIfAborted(opts.signal);
  const sink = new MemorySink();
  await writeTo(sink, raster, opts);
  return sink.bytes();
}

/**
 * Writes `raster` as a COG at `path`, atomically (temporary file + rename). Throws GEP_ERR_INVALID_INPUT for a
 * bad raster or options before touching the file system, GEP_ERR_ABORTED when `signal` fires.
 */
export async function writeCog(path: string, raster: Raster, opts: CogWriteOptions = {}): Promise<void> {
  checkRaster(raster, 'raster');
  checkOptions(opts);
  throwIfAborted(opts.signal);
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  let fh;
  try {
    fh = await open(tmp, 'wx');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new GepError(
      code === 'ENOENT' ? 'GEP_ERR_NOT_FOUND' : 'GEP_ERR_INVALID_INPUT',
      `${path}: cannot create the output file (${code ?? String(e)})`,
      { file: path },
    );
  }
  try {
    await writeTo(new FileSink(fh), raster, opts);
    await fh.close();
    fh = undefined;
    throwIfAborted(opts.signal);
    await rename(tmp, path);
  } catch (e) {
    if (fh) await fh.close().catch(() => {});
    await rm(tmp, { force: true }).catch(() => {});
    if (e instanceof GepError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new GepError('GEP_ERR_INTERNAL', `${path}: writing the COG failed (${code ?? (e as Error).message})`, { file: path }, { cause: e });
  }
}
