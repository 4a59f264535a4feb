/**
 * The description of MPIC-OPT (multiple pairwise image correlation of optical images, MISSION §2): inputs with
 * GEP's parameter names, defaults and ranges, and the catalog output. Light on purpose (no algorithm imports):
 * `gep services` loads every description.
 */
import { BBOX_SCHEMA, type ServiceDescription } from '../types.ts';

/** Typed view of the validated inputs (defaults applied by validate.ts). */
export interface MpicOptInputs {
  images: string[];
  band: string;
  temporalRange: number;
  splitDate?: string;
  backward: boolean;
  windowSize: number;
  threshold: number;
  spatialRange: number;
  regularization: number;
  deramp: boolean;
  destripe: 'none' | 'mean' | 'median';
  cloudMask: boolean;
  roi?: { bbox: number[]; crs?: string };
  pixelSize?: number;
  /** Path of a raster whose first band is 1 on stable ground (see the input's description). */
  stableMask?: string;
}

/** Integer search radius S (px) scored by the correlator for a spatial matching range R (px): round(R/0.8) + 2. */
export const searchRadius = (spatialRange: number): number => Math.round(spatialRange / 0.8) + 2;

export const description: ServiceDescription = {
  id: 'mpic-opt',
  version: '1.0.0',
  title: 'MPIC-OPT: ground motion from optical image time series',
  description:
    'Multiple pairwise sub-pixel image correlation of optical images (Sentinel-2 L1C/L2A SAFE or STAC items, GeoTIFF/COG, ' +
    'JPEG2000, plain JPEG with a date in the name): cloud masks, pairs by temporal range, dense ZNCC correlation with ' +
    'regularisation, deramping, Sentinel-2 destriping, displacement in pixels and metres per pair, and a multi-temporal ' +
    'fusion (mean velocity, displacement magnitude, vector coherence, quality). Displacements east and north positive.',
  keywords: ['image correlation', 'ground motion', 'landslide', 'glacier', 'earthquake', 'Sentinel-2', 'MPIC'],
  jobControlOptions: ['async-execute'],
  inputs: {
    images: {
      title: 'Images',
      description:
        'Two or more acquisitions of one area: Sentinel-2 SAFE folders/zips, STAC item JSON, GeoTIFF/COG, JPEG2000 or JPEG files. ' +
        'Acquisition time from the metadata, else a YYYYMMDD in the file name. The first image defines the working grid; ' +
        'the others are resampled onto it (cubic) when their grids differ.',
      schema: { type: 'string', minLength: 1 },
      minOccurs: 2,
      maxOccurs: 'unbounded',
      kind: 'product',
      cli: { short: 'i' },
      group: 'Images',
    },
    band: {
      title: 'Band',
      description:
        'Band correlated: a name (B04, B08 ...) or a 1-based index (2 = second band of a multi-band file). Single-band files use ' +
        'their only band whatever is asked.',
      schema: { type: 'string', minLength: 1, default: 'B04' },
      cli: { short: 'b' },
      group: 'Images',
    },
    pixelSize: {
      title: 'Pixel size',
      description: 'Ground size of a pixel for images without georeferencing (plain JPEGs), used for metres and m/day. Ignored for georeferenced images.',
      schema: { type: 'number', exclusiveMinimum: 0, maximum: 10000, 'x-ogc-unit': 'm' },
      minOccurs: 0,
      group: 'Images',
    },
    roi: {
      title: 'Region of interest',
      description:
        'Crop of the first image: [minx, miny, maxx, maxy] in lon/lat (crs CRS84 or EPSG:4326, or no crs and values within ' +
        '±180/±90), in the CRS given as an EPSG URI, else in the first image\'s CRS; for images without georeferencing, ' +
        'pixel columns and rows (col0, row0, col1, row1).',
      schema: BBOX_SCHEMA,
      minOccurs: 0,
      kind: 'bbox',
      group: 'Images',
    },
    cloudMask: {
      title: 'Cloud mask',
      description:
        'Mask clouds and shadows per acquisition: Sen2Cor SCL for L2A, Fmask-like tests on B02, B03, B04, B08, B11, B12, B10 for ' +
        'L1C (also from sibling *_20m/_60m GeoTIFFs); skipped with a log line when the bands are missing.',
      schema: { type: 'boolean', default: true },
      group: 'Masks',
    },
    stableMask: {
      title: 'Stable-ground mask',
      description:
        'Raster (GeoTIFF/COG, JPEG2000, JPEG) whose first band is 1 on ground known to be stable and 0 elsewhere (nodata and ' +
        'other values: not stable). Brought onto the working grid (nearest neighbour; without georeferencing it must have the ' +
        "first image's size). When given, deramping and destriping are fitted on these pixels only, and each pair reports " +
        'statistics of its corrected displacement on them. Without it the robust fit treats moving areas as outliers, which ' +
        'fails when they cover much of the scene (a glacier, a large landslide).',
      schema: { type: 'string', minLength: 1 },
      minOccurs: 0,
      kind: 'raster',
      group: 'Masks',
    },
    temporalRange: {
      title: 'Temporal matching range',
      description: 'N: each image is paired with its next N images in time.',
      schema: { type: 'integer', minimum: 1, maximum: 100, default: 2 },
      cli: { short: 'n' },
      group: 'Pairs',
    },
    splitDate: {
      title: 'Split date',
      description: 'Only pairs across this date (reference before, secondary on or after): co-seismic pairs.',
      schema: { format: 'date' },
      minOccurs: 0,
      group: 'Pairs',
    },
    backward: {
      title: 'Backward matching',
      description: 'Also correlate every pair in reverse (t2 -> t1).',
      schema: { type: 'boolean', default: false },
      group: 'Pairs',
    },
    windowSize: {
      title: 'Template window size',
      description: 'SzW: the correlation template is (2·SzW+1)² pixels.',
      schema: { type: 'integer', minimum: 1, maximum: 7, default: 3 },
      group: 'Correlation',
    },
    threshold: {
      title: 'Correlation threshold',
      description: 'Matches with a zero-mean normalised cross-correlation below this value are discarded.',
      schema: { type: 'number', minimum: 0, maximum: 1, default: 0.2 },
      group: 'Correlation',
    },
    spatialRange: {
      title: 'Spatial matching range',
      description: 'R: expected largest displacement, pixels; every integer shift up to round(R/0.8)+2 pixels is scored.',
      schema: { type: 'integer', minimum: 1, maximum: 50, default: 4, 'x-ogc-unit': 'px' },
      group: 'Correlation',
    },
    regularization: {
      title: 'Regularisation',
      description: 'Weight of the L1 penalty on displacement jumps between neighbours (0: plain winner-take-all).',
      schema: { type: 'number', minimum: 0, maximum: 5, default: 0.3 },
      group: 'Correlation',
    },
    deramp: {
      title: 'Deramping',
      description: 'Fit a plane a + b·x + c·y per component on the valid pixels (robust: moving areas are outliers) and subtract it.',
      schema: { type: 'boolean', default: true },
      group: 'Corrections',
    },
    destripe: {
      title: 'Destriping',
      description:
        'Sentinel-2 only: one offset per detector stripe subtracted, from the steps of the field across the stripe boundaries ' +
        '(mean or median over rows; ground motion is continuous across a boundary, a stripe offset is not); stripes from the ' +
        'detector-footprint masks, else estimated from the field along the ground track (azimuth 12° from north). Ignored for ' +
        'other sensors.',
      schema: { enum: ['none', 'mean', 'median'], default: 'median' },
      group: 'Corrections',
    },
  },
  outputs: {
    catalog: {
      title: 'Catalog',
      description:
        'STAC catalog: one item per pair (dx, dy in pixels, dx_m, dy_m in metres, correlation, mask COGs) and one fused item ' +
        '(velocity_ew, velocity_ns in m/day, displacement_magnitude in m, vector_coherence, quality, uncertainties).',
      schema: { type: 'string', contentMediaType: 'application/json' },
    },
    pairs: { title: 'Pairs', description: 'Number of pairs correlated (empty pairs included).', schema: { type: 'integer' } },
    emptyPairs: { title: 'Empty pairs', description: 'Pairs without any usable pixel (clouds, no overlap).', schema: { type: 'integer' } },
  },
  example: {
    inputs: { images: ['S2_20230702_10m.tif', 'S2_20230712_10m.tif', 'S2_20230722_10m.tif'], temporalRange: 2 },
    note: 'gep simulate displacement --format cog writes such files',
  },
};
