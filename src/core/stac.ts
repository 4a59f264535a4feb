/**
 * STAC 1.1 item and collection types (the subset we produce and consume). Extensions used:
 * eo, proj, sat, view, raster, processing. See ../shared/schemas/stac-spec.
 */
export const STAC_VERSION = '1.1.0';

export type Bbox = [number, number, number, number] | [number, number, number, number, number, number];

export interface GeoJsonPolygon {
  type: 'Polygon';
  coordinates: number[][][];
}
export interface GeoJsonMultiPolygon {
  type: 'MultiPolygon';
  coordinates: number[][][][];
}
export type GeoJsonGeometry = GeoJsonPolygon | GeoJsonMultiPolygon | { type: 'Point'; coordinates: number[] };

export interface StacLink {
  rel: string;
  href: string;
  type?: string;
  title?: string;
  method?: string;
  body?: unknown;
}

export interface StacAsset {
  href: string;
  title?: string;
  description?: string;
  type?: string;
  roles?: string[];
  [key: string]: unknown;
}

export interface StacItem {
  type: 'Feature';
  stac_version: string;
  stac_extensions: string[];
  id: string;
  geometry: GeoJsonGeometry | null;
  bbox?: Bbox;
  properties: { datetime: string | null; [key: string]: unknown };
  links: StacLink[];
  assets: Record<string, StacAsset>;
  collection?: string;
}

export interface StacCollection {
  type: 'Collection';
  stac_version: string;
  stac_extensions: string[];
  id: string;
  title?: string;
  description: string;
  keywords?: string[];
  license: string;
  providers?: { name: string; roles?: string[]; url?: string }[];
  extent: {
    spatial: { bbox: Bbox[] };
    temporal: { interval: [string | null, string | null][] };
  };
  summaries?: Record<string, unknown>;
  links: StacLink[];
  assets?: Record<string, StacAsset>;
}

export const STAC_EXT = {
  eo: 'https://stac-extensions.github.io/eo/v2.0.0/schema.json',
  proj: 'https://stac-extensions.github.io/projection/v2.0.0/schema.json',
  sat: 'https://stac-extensions.github.io/sat/v1.1.0/schema.json',
  view: 'https://stac-extensions.github.io/view/v1.0.0/schema.json',
  processing: 'https://stac-extensions.github.io/processing/v1.2.0/schema.json',
  raster: 'https://stac-extensions.github.io/raster/v1.1.0/schema.json',
} as const;
