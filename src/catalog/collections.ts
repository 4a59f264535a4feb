/**
 * The catalogue's default collections (Sentinel-2 L1C/L2A, Landsat Collection 2 L1/L2, Pléiades, user GeoTIFFs),
 * the rule that files a product into one of them (sensor + processing level), and the collection extents, which
 * are recomputed from the stored items after each ingestion.
 *
 * Licences: Copernicus Sentinel data are free and open under the Sentinel data legal notice (not an SPDX licence:
 * `other` + a `license` link, STAC 1.1 §license); Landsat data are public domain (USGS), PDDL-1.0 as USGS's own STAC
 * server declares; Pléiades imagery is licensed per order by Airbus (`proprietary`).
 */
import { invalidInput } from '../core/errors.ts';
import { STAC_EXT, STAC_VERSION } from '../core/stac.ts';
import type { Bbox, StacCollection } from '../core/stac.ts';
import type { ProductMetadata } from '../sensors/types.ts';
import { S2_BANDS } from '../sensors/sentinel2/bands.ts';
import type { Db } from '../store/db.ts';
import { getCollection, upsertCollection } from '../store/items.ts';

/** Ids of the default collections. */
export const COLLECTION_IDS = {
  s2l1c: 'sentinel-2-l1c',
  s2l2a: 'sentinel-2-l2a',
  landsatL2: 'landsat-c2-l2',
  landsatL1: 'landsat-c2-l1',
  pleiades: 'pleiades',
  geotiff: 'geotiff',
} as const;

const WORLD: Bbox = [-180, -90, 180, 90];

interface Band {
  name: string;
  common_name: string;
  center_wavelength: number; // micrometres
}

const s2Bands: Band[] = S2_BANDS.map((b) => ({ name: b.name, common_name: b.commonName, center_wavelength: b.wavelength }));

/** Landsat 8/9 OLI/TIRS bands as Collection 2 names them (USGS Landsat 8-9 Data Format Control Book). */
const landsatBands = (prefix: string, only: number[]): Band[] =>
  (
    [
      [1, 'coastal', 0.443],
      [2, 'blue', 0.482],
      [3, 'green', 0.561],
      [4, 'red', 0.655],
      [5, 'nir08', 0.865],
      [6, 'swir16', 1.609],
      [7, 'swir22', 2.201],
      [8, 'pan', 0.59],
      [9, 'cirrus', 1.373],
      [10, 'lwir11', 10.895],
      [11, 'lwir12', 12.005],
    ] as const
  )
    .filter(([n]) => only.includes(n))
    .map(([n, c, w]) => ({ name: `${n >= 10 && prefix === 'SR_' ? 'ST_' : prefix}B${n}`, common_name: c, center_wavelength: w }));

const phrBands: Band[] = [
  { name: 'P', common_name: 'pan', center_wavelength: 0.65 },
  { name: 'B0', common_name: 'blue', center_wavelength: 0.49 },
  { name: 'B1', common_name: 'green', center_wavelength: 0.56 },
  { name: 'B2', common_name: 'red', center_wavelength: 0.655 },
  { name: 'B3', common_name: 'nir', center_wavelength: 0.84 },
];

const COPERNICUS_LICENCE = 'https://sentinel.esa.int/documents/247904/690755/Sentinel_Data_Legal_Notice';
const ESA = { name: 'European Space Agency', roles: ['producer', 'licensor'], url: 'https://sentinel.esa.int/web/sentinel/missions/sentinel-2' };
const USGS = { name: 'USGS', roles: ['producer', 'licensor'], url: 'https://www.usgs.gov/landsat-missions' };

function collection(
  id: string,
  title: string,
  description: string,
  license: string,
  extra: Partial<StacCollection> & { licenseHref?: string },
): StacCollection {
  const { licenseHref, ...rest } = extra;
  return {
    type: 'Collection',
    stac_version: STAC_VERSION,
    stac_extensions: [STAC_EXT.eo],
    id,
    title,
    description,
    license,
    extent: { spatial: { bbox: [WORLD] }, temporal: { interval: [[null, null]] } },
    links: licenseHref ? [{ rel: 'license', href: licenseHref, title: 'Licence' }] : [],
    ...rest,
  };
}

/** Fresh copies of the default collection definitions (extents are world/open until items arrive). */
export function defaultCollections(): StacCollection[] {
  return [
    collection(COLLECTION_IDS.s2l1c, 'Sentinel-2 Level-1C', 'Sentinel-2 MSI top-of-atmosphere reflectance, orthorectified 100 km MGRS tiles (SAFE or COG).', 'other', {
      keywords: ['sentinel-2', 'msi', 'copernicus', 'l1c'],
      providers: [ESA],
      licenseHref: COPERNICUS_LICENCE,
      summaries: { platform: ['sentinel-2a', 'sentinel-2b', 'sentinel-2c'], instruments: ['msi'], gsd: [10, 20, 60], 'eo:bands': s2Bands },
    }),
    collection(COLLECTION_IDS.s2l2a, 'Sentinel-2 Level-2A', 'Sentinel-2 MSI bottom-of-atmosphere reflectance with scene classification (SAFE or COG).', 'other', {
      keywords: ['sentinel-2', 'msi', 'copernicus', 'l2a'],
      providers: [ESA],
      licenseHref: COPERNICUS_LICENCE,
      summaries: {
        platform: ['sentinel-2a', 'sentinel-2b', 'sentinel-2c'],
        instruments: ['msi'],
        gsd: [10, 20, 60],
        'eo:bands': s2Bands.filter((b) => b.name !== 'B10'),
      },
    }),
    collection(COLLECTION_IDS.landsatL2, 'Landsat Collection 2 Level-2', 'Landsat 8/9 OLI/TIRS surface reflectance and surface temperature (L2SP/L2SR).', 'PDDL-1.0', {
      keywords: ['landsat', 'oli', 'tirs', 'usgs', 'l2'],
      providers: [USGS],
      licenseHref: 'https://www.usgs.gov/core-science-systems/hdds/data-policy',
      summaries: { platform: ['landsat-8', 'landsat-9'], instruments: ['oli', 'tirs'], gsd: [30, 100], 'eo:bands': landsatBands('SR_', [1, 2, 3, 4, 5, 6, 7, 10]) },
    }),
    collection(COLLECTION_IDS.landsatL1, 'Landsat Collection 2 Level-1', 'Landsat 8/9 OLI/TIRS top-of-atmosphere scenes (L1TP/L1GT/L1GS).', 'PDDL-1.0', {
      keywords: ['landsat', 'oli', 'tirs', 'usgs', 'l1'],
      providers: [USGS],
      licenseHref: 'https://www.usgs.gov/core-science-systems/hdds/data-policy',
      summaries: { platform: ['landsat-8', 'landsat-9'], instruments: ['oli', 'tirs'], gsd: [15, 30, 100], 'eo:bands': landsatBands('', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]) },
    }),
    collection(COLLECTION_IDS.pleiades, 'Pléiades / SPOT (DIMAP V2)', 'Pléiades 1A/1B and SPOT 6/7 very-high-resolution images in sensor (with RPC) or ortho geometry.', 'proprietary', {
      keywords: ['pleiades', 'spot', 'airbus', 'stereo', 'vhr'],
      providers: [{ name: 'Airbus Defence and Space', roles: ['producer', 'licensor'], url: 'https://www.intelligence-airbusds.com' }],
      licenseHref: 'https://www.intelligence-airbusds.com/en/8723-pleiades-and-spot-end-user-licence',
      summaries: { platform: ['phr1a', 'phr1b', 'spot6', 'spot7'], instruments: ['phr1', 'naomi'], gsd: [0.5, 1.5, 2, 6], 'eo:bands': phrBands },
    }),
    collection(COLLECTION_IDS.geotiff, 'GeoTIFF uploads', 'Georeferenced images (GeoTIFF/COG, JPEG, JPEG2000) uploaded or ingested by users.', 'other', {
      stac_extensions: [],
      keywords: ['geotiff', 'cog', 'upload'],
      providers: [{ name: 'Platform users', roles: ['producer'] }],
      summaries: {},
    }),
  ];
}

/** The default definition of `id`, or null when it is not a default collection. */
export function defaultCollection(id: string): StacCollection | null {
  return defaultCollections().find((c) => c.id === id) ?? null;
}

/**
 * Collection a product belongs to, from its sensor and processing level: Sentinel-2 L2A -> sentinel-2-l2a (other
 * levels -> sentinel-2-l1c); Landsat L2SP/L2SR -> landsat-c2-l2, other levels -> landsat-c2-l1; Pléiades and SPOT ->
 * pleiades; plain GeoTIFFs and images -> geotiff.
 */
export function collectionForProduct(md: Pick<ProductMetadata, 'sensor' | 'processingLevel'>): string {
  const level = (md.processingLevel ?? '').toUpperCase();
  switch (md.sensor) {
    case 'sentinel-2':
      return /2A/.test(level) ? COLLECTION_IDS.s2l2a : COLLECTION_IDS.s2l1c;
    case 'landsat-8':
    case 'landsat-9':
      return /^L2/.test(level) ? COLLECTION_IDS.landsatL2 : COLLECTION_IDS.landsatL1;
    case 'pleiades':
    case 'spot':
      return COLLECTION_IDS.pleiades;
    default:
      return COLLECTION_IDS.geotiff;
  }
}

const COLLECTION_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Checks a collection id given by a user: letters, digits, '.', '_', '-', 1..128 characters. */
export function checkCollectionId(id: string, what = 'collection'): string {
  if (!COLLECTION_ID_RE.test(id)) throw invalidInput(`${what} ${JSON.stringify(id)}: expected 1..128 letters, digits, '.', '_' or '-'`, { input: what });
  return id;
}

/**
 * The definition to create for `id` when it does not exist yet: the default one, else a plain collection for
 * user data (licence `other`).
 */
export function newCollection(id: string): StacCollection {
  return (
    defaultCollection(id) ??
    collection(checkCollectionId(id), id, `Items ingested into ${id}.`, 'other', { stac_extensions: [], summaries: {} })
  );
}

/** Creates each collection in `ids` that the database does not hold yet (existing ones are left as they are). */
export async function ensureCollections(db: Db, ids: Iterable<string>): Promise<string[]> {
  const created: string[] = [];
  for (const id of new Set(ids)) {
    if (await getCollection(db, id)) continue;
    await upsertCollection(db, newCollection(id));
    created.push(id);
  }
  return created;
}

const iso = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  const d = v instanceof Date ? v : new Date(String(v));
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
};

/**
 * Sets the spatial and temporal extent of each collection to the union of its items' bboxes (items crossing the
 * antimeridian count as the whole longitude band) and [first datetime, last end_datetime]. A collection without
 * items keeps its extent.
 */
export async function updateCollectionExtents(db: Db, ids: Iterable<string>): Promise<void> {
  for (const id of new Set(ids)) {
    const c = await getCollection(db, id);
    if (!c) continue;
    const { rows } = await db.query<{ n: number; w: number | null; s: number | null; e: number | null; nn: number | null; t0: unknown; t1: unknown }>(
      `SELECT count(*)::int AS n,
              min(CASE WHEN minx <= maxx THEN minx ELSE -180 END) AS w, min(miny) AS s,
              max(CASE WHEN minx <= maxx THEN maxx ELSE 180 END) AS e, max(maxy) AS nn,
              min(datetime) AS t0, max(end_datetime) AS t1
       FROM items WHERE collection = $1`,
      [id],
    );
    const r = rows[0];
    if (!r || r.n === 0) continue;
    const bbox: Bbox = r.w !== null && r.s !== null && r.e !== null && r.nn !== null ? [r.w, r.s, r.e, r.nn] : WORLD;
    const next: StacCollection = {
      ...c,
      extent: { spatial: { bbox: [bbox] }, temporal: { interval: [[iso(r.t0), iso(r.t1)]] } },
    };
    await upsertCollection(db, next);
  }
}
