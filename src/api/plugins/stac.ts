/**
 * The STAC API plugin: collections and items (STAC API - Features / OGC API - Features Part 1), item search
 * (GET and POST /search), the Filter (CQL2 text and JSON, queryables), Sort, Fields, Query, Transaction and
 * Aggregation extensions. Routes: ./stac-search.ts (reads, queryables, aggregations) and ./stac-collections.ts
 * (collections and transactions); the OpenAPI part: ./stac-openapi.ts. The catalogue logic is src/catalog/.
 *
 * Conformance is declared for exactly what is implemented and covered by test/api/stac-*.test.ts. Not
 * declared: CQL2 "spatial-functions" (S_TOUCHES, S_OVERLAPS, S_CROSSES are refused), arithmetic and functions;
 * the Context extension (numberMatched/numberReturned are given the OGC API - Features way).
 */
import type { StacItem, StacLink } from '../../core/stac.ts';
import type { Db } from '../../store/db.ts';
import { listCollections } from '../../store/items.ts';
import type { ApiPlugin } from '../server.ts';
import { registerCollectionRoutes } from './stac-collections.ts';
import { GEOJSON, JSON_TYPE, REL_QUERYABLES, SCHEMA_JSON, collectionUrl } from './stac-links.ts';
import { stacOpenApi } from './stac-openapi.ts';
import { registerSearchRoutes } from './stac-search.ts';

const STAC = 'https://api.stacspec.org';
const OAF = 'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf';
const OAF3 = 'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf';
const CQL2 = 'http://www.opengis.net/spec/cql2/1.0/conf';

export const STAC_CONFORMANCE = [
  `${STAC}/v1.0.0/core`,
  `${STAC}/v1.0.0/item-search`,
  `${STAC}/v1.0.0/ogcapi-features`,
  `${STAC}/v1.0.0/collections`,
  `${OAF}/core`,
  `${OAF}/geojson`,
  // Sort and Fields on both /search and /collections/{id}/items.
  `${STAC}/v1.0.0/item-search#sort`,
  `${STAC}/v1.0.0/ogcapi-features#sort`,
  `${STAC}/v1.0.0/item-search#fields`,
  `${STAC}/v1.0.0/ogcapi-features#fields`,
  `${STAC}/v1.0.0-rc.1/item-search#query`,
  `${STAC}/v1.0.0-rc.1/ogcapi-features#query`,
  // Filter extension with CQL2.
  `${STAC}/v1.0.0-rc.2/item-search#filter`,
  `${STAC}/v1.0.0-rc.2/ogcapi-features#filter`,
  `${OAF3}/filter`,
  `${OAF3}/features-filter`,
  `${CQL2}/cql2-text`,
  `${CQL2}/cql2-json`,
  `${CQL2}/basic-cql2`,
  `${CQL2}/advanced-comparison-operators`,
  `${CQL2}/case-insensitive-comparison`,
  `${CQL2}/accent-insensitive-comparison`,
  `${CQL2}/basic-spatial-functions`,
  `${CQL2}/basic-spatial-functions-plus`,
  `${CQL2}/temporal-functions`,
  `${CQL2}/array-functions`,
  `${CQL2}/property-property`,
  // Transactions.
  `${STAC}/v1.0.0/ogcapi-features/extensions/transaction`,
  `${STAC}/v1.0.0/collections/extensions/transaction`,
  // Aggregation.
  `${STAC}/v0.3.0/aggregation`,
  `${STAC}/v0.3.0/aggregation#filter`,
  `${STAC}/v0.3.0/aggregation#query`,
];

export interface StacPluginOptions {
  db: Db;
  /**
   * Called with the items of each committed item transaction (POST item or FeatureCollection, PUT, PATCH), e.g.
   * `(items) => engine.onItemsIngested(items)` for systematic processing. Awaited before the response; a failure
   * is logged and never fails the request (the items are stored).
   */
  onItemsIngested?: (items: StacItem[]) => Promise<unknown>;
  /**
   * Absolute data folder of the server: asset hrefs that are files inside it (absolute, file:// or relative) are
   * shown as `<base>/assets/<relative path>`. Default none: only blob-key-shaped relative hrefs are rewritten.
   */
  dataDir?: string;
}

export function stacPlugin(opts: StacPluginOptions): ApiPlugin {
  const { db } = opts;
  /** Collection ids and titles for the landing page's `child` links: refreshed on start, on writes and after each landing page. */
  let children: { id: string; title?: string }[] = [];
  const refresh = async (): Promise<void> => {
    children = (await listCollections(db)).map((c) => (c.title !== undefined ? { id: c.id, title: c.title } : { id: c.id }));
  };
  return {
    name: 'stac',
    conformance: STAC_CONFORMANCE,
    links: (base) => {
      const links: StacLink[] = [
        { rel: 'data', href: `${base}/collections`, type: JSON_TYPE, title: 'Collections' },
        { rel: 'search', href: `${base}/search`, type: GEOJSON, method: 'GET', title: 'Item search' },
        { rel: 'search', href: `${base}/search`, type: GEOJSON, method: 'POST', title: 'Item search' },
        { rel: REL_QUERYABLES, href: `${base}/queryables`, type: SCHEMA_JSON, title: 'Queryables' },
        { rel: 'aggregate', href: `${base}/aggregate`, type: JSON_TYPE, method: 'GET', title: 'Aggregate' },
        { rel: 'aggregate', href: `${base}/aggregate`, type: JSON_TYPE, method: 'POST', title: 'Aggregate' },
        { rel: 'aggregations', href: `${base}/aggregations`, type: JSON_TYPE, title: 'Aggregations offered' },
      ];
      // Refreshed in the background, so collections added by other writers (ingestion) appear on the next call.
      void refresh().catch(() => undefined);
      for (const c of children) links.push({ rel: 'child', href: collectionUrl(base, c.id), type: JSON_TYPE, ...(c.title ? { title: c.title } : {}) });
      return links;
    },
    openapi: stacOpenApi(),
    async register(app) {
      await refresh();
      app.decorateRequest('assetRoot', opts.dataDir ?? '');
      registerSearchRoutes(app, db);
      registerCollectionRoutes(app, db, refresh, opts.onItemsIngested);
    },
  };
}
