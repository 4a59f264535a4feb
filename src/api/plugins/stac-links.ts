/**
 * Links of the STAC API resources (STAC API - Features "Link Relations"; Item Search "Pagination"; Filter
 * extension queryables; Aggregation extension). Stored items and collections keep their own links only when
 * they are absolute URLs of another relation: self/root/parent/collection/items are always the API's own, and
 * relative links written for a static catalogue would resolve wrongly against the API URLs.
 */
import type { StacAsset, StacCollection, StacItem, StacLink } from '../../core/stac.ts';
import { geometryBbox } from '../../store/geometry.ts';
import { publicAssetHref } from './asset-hrefs.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Absolute data folder of the server, set in the STAC plugin's scope (StacPluginOptions.dataDir): asset hrefs
     * inside it are shown as `<base>/assets/<key>`. Undefined or '' when unknown (only blob keys are rewritten).
     */
    assetRoot?: string;
  }
}

export const GEOJSON = 'application/geo+json';
export const JSON_TYPE = 'application/json';
export const SCHEMA_JSON = 'application/schema+json';
export const REL_QUERYABLES = 'http://www.opengis.net/def/rel/ogc/1.0/queryables';

const OWN_RELS = new Set(['self', 'root', 'parent', 'collection', 'items', 'child', 'item', 'next', 'prev', 'queryables', REL_QUERYABLES, 'aggregate', 'aggregations']);

const enc = encodeURIComponent;

export const collectionUrl = (base: string, id: string): string => `${base}/collections/${enc(id)}`;
export const itemUrl = (base: string, collection: string, id: string): string => `${collectionUrl(base, collection)}/items/${enc(id)}`;

function foreignLinks(links: unknown): StacLink[] {
  if (!Array.isArray(links)) return [];
  return (links as StacLink[]).filter(
    (l) => typeof l === 'object' && l !== null && typeof l.rel === 'string' && typeof l.href === 'string' && !OWN_RELS.has(l.rel) && /^https?:\/\//i.test(l.href),
  );
}

/**
 * A copy of `assets` whose hrefs are the public ones (./asset-hrefs.ts publicAssetHref); the same object when no
 * href changes (or `assets` is not an object).
 */
export function publicAssets<T extends Record<string, StacAsset> | undefined>(assets: T, base: string, dataDir?: string): T {
  if (typeof assets !== 'object' || assets === null || Array.isArray(assets)) return assets;
  let out: Record<string, StacAsset> | undefined;
  for (const [k, a] of Object.entries(assets)) {
    if (typeof a !== 'object' || a === null || typeof a.href !== 'string') continue;
    const href = publicAssetHref(a.href, base, dataDir);
    if (href === a.href) continue;
    out ??= { ...assets };
    out[k] = { ...a, href };
  }
  return (out ?? assets) as T;
}

/**
 * A copy of the item with the API's self/root/parent/collection links, its asset hrefs as clients can open them
 * (blob keys and files of the data folder `dataDir` -> `<base>/assets/<key>`), and its bbox computed from the
 * geometry when it was stored without one (STAC requires a bbox with a geometry).
 */
export function decorateItem(item: StacItem, base: string, dataDir?: string): StacItem {
  const c = item.collection ?? '';
  const links: StacLink[] = [
    { rel: 'self', href: itemUrl(base, c, item.id), type: GEOJSON },
    { rel: 'root', href: `${base}/`, type: JSON_TYPE },
    { rel: 'parent', href: collectionUrl(base, c), type: JSON_TYPE },
    { rel: 'collection', href: collectionUrl(base, c), type: JSON_TYPE },
    ...foreignLinks(item.links),
  ];
  const out: StacItem = { ...item, links, assets: publicAssets(item.assets, base, dataDir) };
  if (item.geometry && !item.bbox) {
    const b = geometryBbox(item.geometry);
    if (b) out.bbox = [b[0], b[1], b[2], b[3]];
  }
  return out;
}

/**
 * A copy of the collection with the API's links (self, root, parent, items, queryables, aggregate) and public
 * asset hrefs (as decorateItem; `item_assets` are templates without hrefs and stay as they are).
 */
export function decorateCollection(c: StacCollection, base: string, dataDir?: string): StacCollection {
  const self = collectionUrl(base, c.id);
  const links: StacLink[] = [
    { rel: 'self', href: self, type: JSON_TYPE },
    { rel: 'root', href: `${base}/`, type: JSON_TYPE },
    { rel: 'parent', href: `${base}/`, type: JSON_TYPE },
    { rel: 'items', href: `${self}/items`, type: GEOJSON },
    { rel: REL_QUERYABLES, href: `${self}/queryables`, type: SCHEMA_JSON },
    { rel: 'aggregate', href: `${self}/aggregate`, type: JSON_TYPE, method: 'GET' },
    { rel: 'aggregations', href: `${self}/aggregations`, type: JSON_TYPE },
    ...foreignLinks(c.links),
  ];
  const out: StacCollection = { ...c, links };
  if (c.assets !== undefined) out.assets = publicAssets(c.assets, base, dataDir);
  return out;
}

/** `next` link of a GET page: the same query string with `token` replaced. */
export function nextGetLink(base: string, path: string, query: Record<string, unknown>, token: string): StacLink {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (k !== 'token' && typeof v === 'string') qs.set(k, v);
  qs.set('token', token);
  return { rel: 'next', href: `${base}${path}?${qs.toString()}`, type: GEOJSON, method: 'GET' };
}

/** `next` link of a POST page: the original body with `token` merged in (Item Search "Pagination"). */
export function nextPostLink(base: string, path: string, token: string): StacLink & { merge: boolean } {
  return { rel: 'next', href: `${base}${path}`, type: GEOJSON, method: 'POST', body: { token }, merge: true };
}
