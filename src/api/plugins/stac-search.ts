/**
 * Read routes of the STAC API: item search (GET/POST /search), the OGC API - Features items of a collection and
 * one item, queryables (Filter extension) and aggregations (Aggregation extension). Parsing, validation and the
 * query live in src/catalog/; this file turns requests into catalogue calls and results into STAC JSON.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GepError } from '../../core/errors.ts';
import type { StacCollection, StacLink } from '../../core/stac.ts';
import { aggregate, AGGREGATIONS, parseAggregateParams } from '../../catalog/aggregate.ts';
import { single } from '../../catalog/params.ts';
import { queryablesSchema } from '../../catalog/queryables.ts';
import { applyFields, runSearch, searchFromBody, searchFromQuery, type ParseOptions, type SearchRequest } from '../../catalog/search.ts';
import type { Db } from '../../store/db.ts';
import { getCollection, getItem } from '../../store/items.ts';
import { collectionUrl, decorateItem, GEOJSON, JSON_TYPE, nextGetLink, nextPostLink, SCHEMA_JSON } from './stac-links.ts';

type Query = Record<string, unknown>;
type Params = { collectionId: string; itemId?: string };

export async function requireCollection(db: Db, id: string): Promise<StacCollection> {
  const c = await getCollection(db, id);
  if (!c) throw new GepError('GEP_ERR_NOT_FOUND', `no collection ${JSON.stringify(id.slice(0, 200))}`, { parameter: 'collectionId' });
  return c;
}

/** Runs a search and answers a STAC ItemCollection (GeoJSON FeatureCollection with links and counts). */
async function itemCollection(
  db: Db,
  req: FastifyRequest,
  reply: FastifyReply,
  search: SearchRequest,
  self: { path: string; post: boolean },
  extraLinks: StacLink[] = [],
): Promise<FastifyReply> {
  const base = req.baseUrl;
  const res = await runSearch(db, search);
  const features = res.items.map((it) => applyFields(decorateItem(it, base, req.assetRoot), search.fields));
  const links: StacLink[] = [
    self.post
      ? { rel: 'self', href: `${base}${self.path}`, type: GEOJSON, method: 'POST' }
      : { rel: 'self', href: `${base}${req.url}`, type: GEOJSON },
    { rel: 'root', href: `${base}/`, type: JSON_TYPE },
    ...extraLinks,
  ];
  if (res.next !== null) {
    links.push(self.post ? nextPostLink(base, self.path, res.next) : nextGetLink(base, self.path, req.query as Query, res.next));
  }
  const body: Record<string, unknown> = { type: 'FeatureCollection', features, links, numberReturned: features.length };
  if (res.matched !== undefined) body.numberMatched = res.matched;
  return reply.type(GEOJSON).send(body);
}

const AGG_PARAMS = ['aggregations', 'datetime_frequency_interval'];

async function aggregateRoute(db: Db, req: FastifyRequest, post: boolean, collection?: string): Promise<unknown> {
  const opts: ParseOptions = { extraParams: AGG_PARAMS, refuse: ['limit', 'token', 'sortby', 'fields', ...(collection ? ['collections'] : [])] };
  if (collection !== undefined) {
    await requireCollection(db, collection);
    opts.collection = collection;
  }
  let search: SearchRequest;
  let aggs: ReturnType<typeof parseAggregateParams>;
  if (post) {
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (typeof b !== 'object' || Array.isArray(b)) throw new GepError('GEP_ERR_INVALID_INPUT', 'body: expected a JSON object', { parameter: 'body' });
    search = searchFromBody(b, opts);
    aggs = parseAggregateParams(b.aggregations, b.datetime_frequency_interval);
  } else {
    const q = req.query as Query;
    search = searchFromQuery(q, opts);
    aggs = parseAggregateParams(single(q, 'aggregations'), single(q, 'datetime_frequency_interval'));
  }
  const res = await aggregate(db, { search, ...aggs });
  const base = req.baseUrl;
  const self = collection ? `${collectionUrl(base, collection)}/aggregate` : `${base}/aggregate`;
  return { ...res, links: [{ rel: 'self', href: post ? self : `${base}${req.url}`, type: JSON_TYPE }, { rel: 'root', href: `${base}/`, type: JSON_TYPE }] };
}

function aggregationsDoc(base: string, collection?: string): unknown {
  const self = collection ? `${collectionUrl(base, collection)}/aggregations` : `${base}/aggregations`;
  return {
    type: 'AggregationCollection',
    aggregations: Object.entries(AGGREGATIONS).map(([name, data_type]) => ({ name, data_type })),
    links: [
      { rel: 'self', href: self, type: JSON_TYPE },
      { rel: 'root', href: `${base}/`, type: JSON_TYPE },
    ],
  };
}

export function registerSearchRoutes(app: FastifyInstance, db: Db): void {
  app.get('/search', async (req, reply) => itemCollection(db, req, reply, searchFromQuery(req.query as Query), { path: '/search', post: false }));
  app.post('/search', async (req, reply) => itemCollection(db, req, reply, searchFromBody(req.body), { path: '/search', post: true }));

  app.get<{ Params: Params }>('/collections/:collectionId/items', async (req, reply) => {
    const id = req.params.collectionId;
    await requireCollection(db, id);
    const search = searchFromQuery(req.query as Query, { collection: id, refuse: ['collections'] });
    const path = `/collections/${encodeURIComponent(id)}/items`;
    return itemCollection(db, req, reply, search, { path, post: false }, [{ rel: 'collection', href: collectionUrl(req.baseUrl, id), type: JSON_TYPE }]);
  });

  app.get<{ Params: Params }>('/collections/:collectionId/items/:itemId', async (req, reply) => {
    const { collectionId, itemId } = req.params;
    const item = await getItem(db, collectionId, itemId!);
    if (!item) {
      await requireCollection(db, collectionId);
      throw new GepError('GEP_ERR_NOT_FOUND', `no item ${JSON.stringify(itemId!.slice(0, 200))} in collection ${JSON.stringify(collectionId.slice(0, 200))}`, { parameter: 'itemId' });
    }
    return reply.type(GEOJSON).send(decorateItem(item, req.baseUrl, req.assetRoot));
  });

  app.get('/queryables', async (req, reply) => reply.type(SCHEMA_JSON).send(queryablesSchema(req.baseUrl)));
  app.get<{ Params: Params }>('/collections/:collectionId/queryables', async (req, reply) =>
    reply.type(SCHEMA_JSON).send(queryablesSchema(req.baseUrl, await requireCollection(db, req.params.collectionId))),
  );

  app.get('/aggregate', async (req) => aggregateRoute(db, req, false));
  app.post('/aggregate', async (req) => aggregateRoute(db, req, true));
  app.get<{ Params: Params }>('/collections/:collectionId/aggregate', async (req) => aggregateRoute(db, req, false, req.params.collectionId));
  app.post<{ Params: Params }>('/collections/:collectionId/aggregate', async (req) => aggregateRoute(db, req, true, req.params.collectionId));
  app.get('/aggregations', async (req) => aggregationsDoc(req.baseUrl));
  app.get<{ Params: Params }>('/collections/:collectionId/aggregations', async (req) => {
    await requireCollection(db, req.params.collectionId);
    return aggregationsDoc(req.baseUrl, req.params.collectionId);
  });
}
