/**
 * STAC items of MPIC-OPT (STAC 1.1 with the projection, raster and processing extensions): one per pair and one
 * for the fusion. Pair items span the pair in time (start_datetime = reference, end_datetime = secondary,
 * datetime = the middle; for a backward pair start/end are the earlier/later dates); the fused item spans all
 * acquisitions. Every item carries the run's provenance (processing:*, gep:parameters, gep:inputs) and its own
 * facts under gep:* keys. Asset hrefs are absolute paths here; writeStacCatalog makes them relative.
 */
import { STAC_EXT, STAC_VERSION, type StacAsset, type StacItem } from '../../core/stac.ts';
import { bboxOfPolygon, footprintWgs84 } from '../../sensors/common.ts';
import type { WorkGrid } from './inputs.ts';

export const COG_TYPE = 'image/tiff; application=geotiff; profile=cloud-optimized';

export interface AssetSpec {
  href: string;
  title: string;
  description: string;
  unit?: string;
  dataType: 'float32' | 'uint8' | 'uint16';
  nodata: number | 'nan';
  roles?: string[];
}

/** A COG asset with raster:bands / bands metadata. */
export function cogAsset(a: AssetSpec): StacAsset {
  const band: Record<string, unknown> = { data_type: a.dataType, nodata: a.nodata };
  if (a.unit) band.unit = a.unit;
  return { href: a.href, type: COG_TYPE, title: a.title, description: a.description, roles: a.roles ?? ['data'], 'raster:bands': [band] };
}

/** Geometry, bbox and proj:* fields of the working grid (null geometry for images without georeferencing). */
function gridFields(grid: WorkGrid): Pick<StacItem, 'geometry' | 'bbox'> & { props: Record<string, unknown>; exts: string[] } {
  const props: Record<string, unknown> = { 'proj:shape': [grid.height, grid.width] };
  if (!grid.transform || !grid.crs) return { geometry: null, props, exts: [STAC_EXT.proj] };
  const t = grid.transform;
  props['proj:transform'] = [t[1], t[2], t[0], t[4], t[5], t[3]];
  if (grid.crs.epsg !== undefined) props['proj:code'] = `EPSG:${grid.crs.epsg}`;
  else if (grid.crs.wkt) props['proj:wkt2'] = grid.crs.wkt;
  props.gsd = Math.sqrt(grid.gsdX * grid.gsdY);
  try {
    const geometry = footprintWgs84(grid.width, grid.height, t, grid.crs);
    return { geometry, bbox: bboxOfPolygon(geometry), props, exts: [STAC_EXT.proj] };
  } catch {
    return { geometry: null, props, exts: [STAC_EXT.proj] };
  }
}

const middle = (a: string, b: string): string => new Date((Date.parse(a) + Date.parse(b)) / 2).toISOString();

/** An item of this run. `start`/`end` are ISO datetimes; `facts` are the item's own properties (gep:* ...). */
export function makeItem(opts: {
  id: string;
  title: string;
  start: string;
  end: string;
  grid: WorkGrid;
  provenance: Record<string, unknown>;
  facts: Record<string, unknown>;
  assets: Record<string, StacAsset>;
}): StacItem {
  const [s, e] = Date.parse(opts.start) <= Date.parse(opts.end) ? [opts.start, opts.end] : [opts.end, opts.start];
  const g = gridFields(opts.grid);
  const item: StacItem = {
    type: 'Feature',
    stac_version: STAC_VERSION,
    stac_extensions: [...new Set([...g.exts, STAC_EXT.processing, STAC_EXT.raster])].sort(),
    id: opts.id,
    geometry: g.geometry,
    properties: {
      datetime: middle(s, e),
      start_datetime: new Date(Date.parse(s)).toISOString(),
      end_datetime: new Date(Date.parse(e)).toISOString(),
      title: opts.title,
      ...g.props,
      ...opts.provenance,
      ...opts.facts,
    },
    links: [],
    assets: opts.assets,
  };
  if (g.bbox) item.bbox = g.bbox;
  return item;
}
