/**
 * A sensor product: what a reader makes of a Sentinel-2 SAFE, a Landsat-8 scene, a Pléiades DIMAP or a plain
 * GeoTIFF. Metadata is typed (no untyped dictionaries); pixels are read lazily per band, whole or as a window.
 */
import type { StacItem } from '../core/stac.ts';
import type { Crs, GeoTransform, PixelWindow, Raster, RpcModel } from '../raster/types.ts';

export type SensorId = 'sentinel-2' | 'landsat-8' | 'landsat-9' | 'pleiades' | 'spot' | 'geotiff' | 'image';

export interface AngleStats {
  zenith: number;
  azimuth: number;
}

export interface ProductBand {
  /** Band name as the sensor calls it: "B04", "SR_B4", "P", "B0" ... */
  name: string;
  /** Common name per STAC eo: red, green, blue, nir, swir16 ... (when known). */
  commonName?: string;
  centerWavelength?: number; // micrometres
  gsd: number; // metres (or pixel units for ungeoreferenced images)
  width: number;
  height: number;
  transform: GeoTransform | null;
  crs: Crs | null;
  /** Where the pixels are: path, URL or `zip://archive.zip!/inner/path`. */
  href: string;
  /** Radiometric scaling to reflectance/physical units: physical = dn*scale + offset. */
  scale?: number;
  offset?: number;
  nodata?: number | null;
}

export interface ProductMetadata {
  sensor: SensorId;
  /** Product identifier as published (SAFE name, Landsat product id, DIMAP dataset name, file name). */
  productId: string;
  platform?: string; // "sentinel-2a", "landsat-8", "phr1b"
  instrument?: string;
  /** ISO 8601 acquisition (sensing) time. */
  datetime: string;
  processingLevel?: string; // "L1C", "L2A", "L1TP", "SENSOR", "ORTHO"
  processingBaseline?: string;
  tileId?: string; // Sentinel-2 MGRS tile, e.g. "33UUU"; Landsat WRS path/row "120038"
  relativeOrbit?: number;
  cloudCover?: number; // percent
  sun?: AngleStats; // mean sun zenith/azimuth in degrees
  view?: AngleStats; // mean viewing incidence zenith/azimuth in degrees
  epsg?: number;
  /** Footprint in WGS84 lon/lat. */
  footprint: { type: 'Polygon'; coordinates: number[][][] } | null;
  rpc?: RpcModel | null;
}

/** Extra per-product layers (detector footprints, scene classification, QA bands). */
export interface ProductMask {
  name: string; // "detector-footprint-B04", "scl", "qa_pixel"
  href: string;
  kind: 'detector-footprint' | 'scene-classification' | 'cloud' | 'qa';
}

export interface ReadOptions {
  window?: PixelWindow;
  /** 0 = full resolution; k = k-th overview where the format has them. */
  overview?: number;
  signal?: AbortSignal;
}

export interface Product {
  metadata: ProductMetadata;
  bands: ProductBand[];
  masks: ProductMask[];
  /** Reads one band; throws GEP_ERR_INVALID_INPUT naming the band when it does not exist. */
  readBand(name: string, opts?: ReadOptions): Promise<Raster>;
  /** Reads a mask layer (detector footprint raster, SCL) as a raster. */
  readMask(name: string, opts?: ReadOptions): Promise<Raster>;
  /** A STAC item describing the product, with asset hrefs as given (local paths or URLs). */
  toStacItem(): StacItem;
  /** Releases open files / archives. */
  close(): Promise<void>;
}
