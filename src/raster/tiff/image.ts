/**
 * One TIFF image (an IFD holding pixels): size, sample type, block grid and codec, all validated against
 * the limits before anything is allocated. Block locations (Strip/Tile Offsets and ByteCounts) load lazily.
 */
import { corruptFile, GepError } from '../../core/errors.ts';
import type { DataType } from '../types.ts';
import { COMPRESSION, PREDICTOR, SAMPLE_FORMAT, TAG } from './tags.ts';
import { readArrayTag, tagNumber, tagNumbers, type Ifd, type TiffFile } from './ifd.ts';
import type { BlockLayout } from './decode.ts';

export interface TiffImage {
  ifd: Ifd;
  width: number;
  height: number;
  /** SamplesPerPixel = band count. */
  bands: number;
  dataType: DataType;
  bytesPerSample: number;
  /** 1 = chunky (pixel-interleaved), 2 = separate planes. */
  planar: 1 | 2;
  tiled: boolean;
  /** Block size in pixels (for strips: image width x RowsPerStrip clamped to the height). */
  blockWidth: number;
  blockHeight: number;
  blocksAcross: number;
  blocksDown: number;
  compression: number;
  predictor: number;
  newSubfileType: number;
  layout: BlockLayout;
  /** Decoded size of a full block in bytes. */
  blockBytes: number;
  /** Filled by loadBlockIndex. */
  offsets: Float64Array | null;
  byteCounts: Float64Array | null;
}

const tooLarge = (name: string, msg: string): GepError => new GepError('GEP_ERR_TOO_LARGE', `${name}: ${msg}`, { file: name });

function sampleType(name: string, format: number, bits: number): DataType {
  const f = format === SAMPLE_FORMAT.VOID ? SAMPLE_FORMAT.UINT : format;
  const t: DataType | undefined =
    f === SAMPLE_FORMAT.UINT
      ? ({ 8: 'uint8', 16: 'uint16', 32: 'uint32' } as const)[bits as 8 | 16 | 32]
      : f === SAMPLE_FORMAT.INT
        ? ({ 8: 'int8', 16: 'int16', 32: 'int32' } as const)[bits as 8 | 16 | 32]
        : f === SAMPLE_FORMAT.IEEEFP
          ? ({ 32: 'float32', 64: 'float64' } as const)[bits as 32 | 64]
          : undefined;
  if (!t)
    throw new GepError('GEP_ERR_UNSUPPORTED', `${name}: samples of ${bits} bits with SampleFormat ${format} are not supported`, {
      file: name,
    });
  return t;
}

/** Interprets and validates an IFD as an image. */
export function makeImage(f: TiffFile, ifd: Ifd): TiffImage {
  const { name, limits } = f;
  const width = tagNumber(ifd, TAG.ImageWidth, 0);
  const height = tagNumber(ifd, TAG.ImageLength, 0);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw corruptFile(name, `image size ${width}x${height} is not positive`);
  if (width > limits.maxDimension || height > limits.maxDimension)
    throw tooLarge(name, `image size ${width}x${height} exceeds the limit of ${limits.maxDimension} pixels per side`);
  if (width * height > limits.maxPixels)
    throw tooLarge(name, `image of ${width}x${height} pixels exceeds the limit of ${limits.maxPixels} pixels`);
  const bands = tagNumber(ifd, TAG.SamplesPerPixel, 1);
  if (!Number.isInteger(bands) || bands < 1) throw corruptFile(name, `SamplesPerPixel ${bands} is not positive`);
  const bitsArr = tagNumbers(ifd, TAG.BitsPerSample) ?? [1];
  const bits = bitsArr[0]!;
  if (bitsArr.some((b) => b !== bits))
    throw new GepError('GEP_ERR_UNSUPPORTED', `${name}: bands with different BitsPerSample (${bitsArr.join(',')})`, { file: name });
  const fmtArr = tagNumbers(ifd, TAG.SampleFormat) ?? [SAMPLE_FORMAT.UINT];
  const fmt = fmtArr[0]!;
  if (fmtArr.some((x) => x !== fmt))
    throw new GepError('GEP_ERR_UNSUPPORTED', `${name}: bands with different SampleFormat (${fmtArr.join(',')})`, { file: name });
  const dataType = sampleType(name, fmt, bits);
  const bytesPerSample = bits / 8;
  const planarTag = tagNumber(ifd, TAG.PlanarConfiguration, 1);
  if (planarTag !== 1 && planarTag !== 2) throw corruptFile(name, `PlanarConfiguration ${planarTag} is neither 1 nor 2`);
  const planar: 1 | 2 = bands === 1 ? 1 : planarTag;
  const tiled = ifd.entries.has(TAG.TileWidth) || ifd.entries.has(TAG.TileOffsets);
  let blockWidth: number;
  let blockHeight: number;
  if (tiled) {
    blockWidth = tagNumber(ifd, TAG.TileWidth, 0);
    blockHeight = tagNumber(ifd, TAG.TileLength, 0);
    if (!Number.isInteger(blockWidth) || !Number.isInteger(blockHeight) || blockWidth < 1 || blockHeight < 1)
      throw corruptFile(name, `tile size ${blockWidth}x${blockHeight} is not positive`);
    if (blockWidth > limits.maxDimension || blockHeight > limits.maxDimension)
      throw tooLarge(name, `tile size ${blockWidth}x${blockHeight} exceeds ${limits.maxDimension}`);
  } else {
    blockWidth = width;
    const rps = tagNumber(ifd, TAG.RowsPerStrip, height);
    if (!Number.isInteger(rps) || rps < 1) throw corruptFile(name, `RowsPerStrip ${rps} is not positive`);
    blockHeight = Math.min(rps, height);
  }
  const spb = planar === 1 ? bands : 1;
  const blockBytes = blockWidth * blockHeight * spb * bytesPerSample;
  if (blockBytes > limits.maxBlockBytes)
    throw tooLarge(name, `a ${blockWidth}x${blockHeight} block of ${spb} samples takes ${blockBytes} bytes (limit ${limits.maxBlockBytes})`);
  const blocksAcross = Math.ceil(width / blockWidth);
  const blocksDown = Math.ceil(height / blockHeight);
  const compression = tagNumber(ifd, TAG.Compression, COMPRESSION.NONE);
  const predictor = tagNumber(ifd, TAG.Predictor, PREDICTOR.NONE);
  const nBlocks = blocksAcross * blocksDown * (planar === 2 ? bands : 1);
  const offTag = ifd.entries.get(tiled ? TAG.TileOffsets : TAG.StripOffsets);
  if (!offTag) throw corruptFile(name, `image has no ${tiled ? 'TileOffsets' : 'StripOffsets'}`);
  if (offTag.count < nBlocks) throw corruptFile(name, `${offTag.count} block offsets for ${nBlocks} blocks`);
  if (nBlocks * 8 > limits.maxTagBytes) throw tooLarge(name, `${nBlocks} blocks exceed the block-index limit`);
  return {
    ifd,
    width,
    height,
    bands,
    dataType,
    bytesPerSample,
    planar,
    tiled,
    blockWidth,
    blockHeight,
    blocksAcross,
    blocksDown,
    compression,
    predictor,
    newSubfileType: tagNumber(ifd, TAG.NewSubfileType, 0),
    layout: { compression, predictor, bytesPerSample, samplesPerPixel: spb, blockWidth, littleEndian: f.littleEndian },
    blockBytes,
    offsets: null,
    byteCounts: null,
  };
}

/** Loads the block offsets and byte counts (once). Missing byte counts are inferred for uncompressed data. */
export async function loadBlockIndex(f: TiffFile, img: TiffImage, signal?: AbortSignal): Promise<void> {
  if (img.offsets) return;
  const offs = await readArrayTag(f, img.ifd, img.tiled ? TAG.TileOffsets : TAG.StripOffsets, signal);
  let counts = await readArrayTag(f, img.ifd, img.tiled ? TAG.TileByteCounts : TAG.StripByteCounts, signal);
  if (!offs) throw corruptFile(f.name, 'image has no block offsets');
  if (!counts || counts.length < offs.length) {
    if (img.compression !== COMPRESSION.NONE) throw corruptFile(f.name, 'image has no block byte counts');
    counts = new Float64Array(offs.length);
    for (let i = 0; i < offs.length; i++) counts[i] = Math.max(0, Math.min(img.blockBytes, f.src.size - offs[i]!));
  }
  img.byteCounts = counts;
  img.offsets = offs;
}
