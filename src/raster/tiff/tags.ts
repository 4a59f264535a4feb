/**
 * TIFF 6.0, BigTIFF and GeoTIFF 1.1 constants shared by our reader and COG writer.
 * References: TIFF Revision 6.0 (Adobe, 1992); OGC GeoTIFF 1.1 (OGC 19-008r4); GDAL's GDAL_METADATA and
 * GDAL_NODATA private tags; RPCCoefficientTag 50844 (http://geotiff.maptools.org/rpc_prop.html).
 */

export const TAG = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  PhotometricInterpretation: 262,
  ImageDescription: 270,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  PlanarConfiguration: 284,
  Software: 305,
  DateTime: 306,
  Predictor: 317,
  ColorMap: 320,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  ExtraSamples: 338,
  SampleFormat: 339,
  JPEGTables: 347,
  ModelPixelScale: 33550,
  ModelTiepoint: 33922,
  ModelTransformation: 34264,
  GeoKeyDirectory: 34735,
  GeoDoubleParams: 34736,
  GeoAsciiParams: 34737,
  GdalMetadata: 42112,
  GdalNodata: 42113,
  RpcCoefficients: 50844,
} as const;

/** TIFF field types: code -> byte size. */
export const FIELD_TYPE_SIZE: Readonly<Record<number, number>> = {
  1: 1, // BYTE
  2: 1, // ASCII
  3: 2, // SHORT
  4: 4, // LONG
  5: 8, // RATIONAL
  6: 1, // SBYTE
  7: 1, // UNDEFINED
  8: 2, // SSHORT
  9: 4, // SLONG
  10: 8, // SRATIONAL
  11: 4, // FLOAT
  12: 8, // DOUBLE
  13: 4, // IFD
  16: 8, // LONG8 (BigTIFF)
  17: 8, // SLONG8
  18: 8, // IFD8
};

export const FIELD_TYPE = {
  BYTE: 1,
  ASCII: 2,
  SHORT: 3,
  LONG: 4,
  RATIONAL: 5,
  SBYTE: 6,
  UNDEFINED: 7,
  SSHORT: 8,
  SLONG: 9,
  SRATIONAL: 10,
  FLOAT: 11,
  DOUBLE: 12,
  IFD: 13,
  LONG8: 16,
  SLONG8: 17,
  IFD8: 18,
} as const;

export const COMPRESSION = {
  NONE: 1,
  LZW: 5,
  OJPEG: 6,
  JPEG: 7,
  ADOBE_DEFLATE: 8,
  PACKBITS: 32773,
  DEFLATE: 32946,
  LERC: 34887,
  ZSTD: 50000,
  WEBP: 50001,
} as const;

export const COMPRESSION_NAME: Readonly<Record<number, string>> = {
  1: 'none',
  5: 'LZW',
  6: 'OJPEG',
  7: 'JPEG',
  8: 'DEFLATE',
  32773: 'PACKBITS',
  32946: 'DEFLATE',
  34887: 'LERC',
  50000: 'ZSTD',
  50001: 'WEBP',
};

export const PREDICTOR = { NONE: 1, HORIZONTAL: 2, FLOATING_POINT: 3 } as const;

export const SAMPLE_FORMAT = { UINT: 1, INT: 2, IEEEFP: 3, VOID: 4 } as const;

/** GeoKey ids (GeoTIFF 1.1 §7). */
export const GEOKEY = {
  GTModelType: 1024,
  GTRasterType: 1025,
  GTCitation: 1026,
  GeographicType: 2048,
  GeogCitation: 2049,
  GeogAngularUnits: 2054,
  ProjectedCSType: 3072,
  PCSCitation: 3073,
  ProjLinearUnits: 3076,
  VerticalCSType: 4096,
} as const;

export const MODEL_TYPE = { PROJECTED: 1, GEOGRAPHIC: 2, GEOCENTRIC: 3 } as const;
export const RASTER_TYPE = { PIXEL_IS_AREA: 1, PIXEL_IS_POINT: 2 } as const;
/** GeoKey value meaning "user-defined": the CRS is described by other keys / citations. */
export const USER_DEFINED = 32767;
