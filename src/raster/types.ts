/**
 * The Raster type: bands of row-major typed arrays on a georeferenced grid.
 *
 * Conventions (DESIGN.md "Numbers and arrays"):
 * - pixel (col, row) covers the area from its top-left corner; the affine transform maps the top-left corner of
 *   pixel (col, row) to world coordinates:  x = t[0] + col*t[1] + row*t[2],  y = t[3] + col*t[4] + row*t[5]
 *   (GDAL's GeoTransform order; t[5] is negative for north-up images);
 * - one typed array per band, length width*height, index row*width + col;
 * - NaN is nodata in float rasters computed by us; sensor rasters keep their source type and declare `nodata`.
 */

export type DataType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';

export type TypedArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

/** GDAL-order affine transform: [originX, pixelWidth, rowRotation, originY, columnRotation, pixelHeight]. */
export type GeoTransform = [number, number, number, number, number, number];

/** Coordinate reference system: an EPSG code when known, else WKT and/or a proj4 string. */
export interface Crs {
  epsg?: number;
  wkt?: string;
  proj4?: string;
}

export interface Raster {
  width: number;
  height: number;
  dataType: DataType;
  /** One array per band, each of length width*height. */
  bands: TypedArray[];
  /** null when the image is not georeferenced. */
  transform: GeoTransform | null;
  crs: Crs | null;
  /** Nodata value for integer rasters; NaN for float rasters that use NaN; null when none. */
  nodata: number | null;
  /** One name per band (e.g. "B04"); empty string when unknown. */
  bandNames: string[];
  /** Free-form string metadata (TIFF GDAL_METADATA, sensor keys). Typed metadata lives in sensor products. */
  metadata?: Record<string, string>;
}

/** A pixel window: columns [x0, x0+width), rows [y0, y0+height). */
export interface PixelWindow {
  x0: number;
  y0: number;
  width: number;
  height: number;
}

/** RPC camera model (RPC00B), as in GeoTIFF tag 50844, DIMAP and GDAL's RPC metadata domain. */
export interface RpcModel {
  errBias?: number;
  errRand?: number;
  lineOffset: number;
  sampOffset: number;
  latOffset: number;
  longOffset: number;
  heightOffset: number;
  lineScale: number;
  sampScale: number;
  latScale: number;
  longScale: number;
  heightScale: number;
  /** 20 coefficients each, in RPC00B order. */
  lineNumCoeff: number[];
  lineDenCoeff: number[];
  sampNumCoeff: number[];
  sampDenCoeff: number[];
}

/** What can be known about a raster file without reading its pixels. */
export interface RasterInfo {
  width: number;
  height: number;
  bandCount: number;
  dataType: DataType;
  transform: GeoTransform | null;
  crs: Crs | null;
  nodata: number | null;
  bandNames: string[];
  /** Sizes of the reduced-resolution levels, largest first (full resolution not included). */
  overviews: { width: number; height: number }[];
  /** Block layout of the full-resolution image. */
  tiled: boolean;
  blockWidth: number;
  blockHeight: number;
  compression: string;
  rpc: RpcModel | null;
  /** ISO 8601 acquisition time when the file says it (TIFF DateTime, metadata), else null. */
  acquisitionTime: string | null;
  metadata: Record<string, string>;
}

export const BYTES_PER_SAMPLE: Record<DataType, number> = {
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  float64: 8,
};

/** Smallest and largest value of each sample type: the integer ranges, [-Infinity, Infinity] for the float types. */
export const VALUE_RANGE: Readonly<Record<DataType, readonly [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
  float32: [-Infinity, Infinity],
  float64: [-Infinity, Infinity],
};

export function allocBand(dataType: DataType, length: number): TypedArray {
  switch (dataType) {
    case 'uint8':
      return new Uint8Array(length);
    case 'int8':
      return new Int8Array(length);
    case 'uint16':
      return new Uint16Array(length);
    case 'int16':
      return new Int16Array(length);
    case 'uint32':
      return new Uint32Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'float32':
      return new Float32Array(length);
    case 'float64':
      return new Float64Array(length);
  }
}

export function dataTypeOf(a: TypedArray): DataType {
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Float32Array) return 'float32';
  return 'float64';
}

export const isFloat = (t: DataType): boolean => t === 'float32' || t === 'float64';

/** Builds a Raster, checking that every band has width*height samples of one type. */
export function makeRaster(
  bands: TypedArray[],
  width: number,
  height: number,
  opts: Partial<Pick<Raster, 'transform' | 'crs' | 'nodata' | 'bandNames' | 'metadata'>> = {},
): Raster {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0)
    throw new RangeError(`raster size must be positive integers, got ${width}x${height}`);
  if (bands.length === 0) throw new RangeError('raster needs at least one band');
  const dataType = dataTypeOf(bands[0]!);
  bands.forEach((b, i) => {
    if (b.length !== width * height)
      throw new RangeError(`band ${i} has ${b.length} samples, expected ${width}x${height}=${width * height}`);
    if (dataTypeOf(b) !== dataType) throw new RangeError(`band ${i} is ${dataTypeOf(b)}, expected ${dataType}`);
  });
  return {
    width,
    height,
    dataType,
    bands,
    transform: opts.transform ?? null,
    crs: opts.crs ?? null,
    nodata: opts.nodata ?? null,
    bandNames: opts.bandNames ?? bands.map(() => ''),
    ...(opts.metadata ? { metadata: opts.metadata } : {}),
  };
}

/** World coordinates of a pixel position (col, row may be fractional; 0.5 is a pixel centre). */
export function pixelToWorld(t: GeoTransform, col: number, row: number): [number, number] {
  return [t[0] + col * t[1] + row * t[2], t[3] + col * t[4] + row * t[5]];
}

/** Inverse of pixelToWorld. Throws for a degenerate transform. */
export function worldToPixel(t: GeoTransform, x: number, y: number): [number, number] {
  const det = t[1] * t[5] - t[2] * t[4];
  if (det === 0) throw new RangeError('degenerate geotransform');
  const dx = x - t[0];
  const dy = y - t[3];
  return [(dx * t[5] - dy * t[2]) / det, (dy * t[1] - dx * t[4]) / det];
}

/** The transform of a window of a raster. */
export function windowTransform(t: GeoTransform, w: PixelWindow): GeoTransform {
  const [x, y] = pixelToWorld(t, w.x0, w.y0);
  return [x, t[1], t[2], y, t[4], t[5]];
}

/** Options for reading pixels from a raster file. */
export interface RasterReadOptions {
  window?: PixelWindow;
  /** 0 (default) = full resolution; k = k-th overview (1 = largest reduced level). */
  overview?: number;
  /** Zero-based band indices to read; default all. */
  bands?: number[];
  signal?: AbortSignal;
}

/** An open raster file (GeoTIFF/COG, JPEG2000 ...): metadata up front, pixels on demand. */
export interface RasterReader {
  readonly info: RasterInfo;
  /** Reads pixels; window coordinates are in the pixel grid of the chosen overview level. */
  read(opts?: RasterReadOptions): Promise<Raster>;
  close(): Promise<void>;
}
