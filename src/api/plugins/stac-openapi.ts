/**
 * The OpenAPI 3.0 part of the STAC plugin (paths, parameters, schemas), written from the STAC API 1.0
 * openapi.yaml fragments (core, item-search, ogcapi-features) and the extension READMEs.
 */
import type { OpenApiPart } from '../server.ts';
import { DEFAULT_LIMIT, MAX_LIMIT } from '../../catalog/params.ts';
import { AGGREGATION_NAMES, INTERVALS } from '../../catalog/aggregate.ts';

const ref = (name: string): { $ref: string } => ({ $ref: `#/components/parameters/${name}` });
const schema = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
const PROBLEM = { $ref: '#/components/responses/Problem' };
const json = (s: unknown, type = 'application/json'): unknown => ({ content: { [type]: { schema: s } } });
const ok = (description: string, s: unknown, type = 'application/json'): unknown => ({ description, ...(json(s, type) as object) });

const SEARCH_GET = ['bbox', 'intersects', 'datetime', 'limit', 'ids', 'collections', 'token', 'sortby', 'fields', 'filter', 'filterLang', 'filterCrs', 'query'];
const AGG_GET = ['bbox', 'intersects', 'datetime', 'ids', 'collections', 'filter', 'filterLang', 'filterCrs', 'query', 'aggregations', 'interval'];

const q = (name: string, description: string, s: unknown): unknown => ({ name, in: 'query', required: false, description, schema: s, style: 'form', explode: false });

const PARAMETERS = {
  collectionId: { name: 'collectionId', in: 'path', required: true, description: 'Collection id.', schema: { type: 'string' } },
  itemId: { name: 'itemId', in: 'path', required: true, description: 'Item id.', schema: { type: 'string' } },
  bbox: q('bbox', 'minx,miny,maxx,maxy (or 6 numbers with z) in CRS84 degrees; minx > maxx crosses the antimeridian.', { type: 'array', items: { type: 'number' }, minItems: 4, maxItems: 6 }),
  intersects: q('intersects', 'A GeoJSON geometry (JSON text); items whose geometry intersects it.', { type: 'string' }),
  datetime: q('datetime', 'An RFC 3339 date-time or an interval a/b with .. for an open end; items whose time or period intersects it.', { type: 'string' }),
  limit: q('limit', `Page size, default ${DEFAULT_LIMIT}; larger values than ${MAX_LIMIT} are clamped to ${MAX_LIMIT}.`, { type: 'integer', minimum: 1, default: DEFAULT_LIMIT }),
  ids: q('ids', 'Item ids, comma-separated.', { type: 'array', items: { type: 'string' } }),
  collections: q('collections', 'Collection ids, comma-separated; unknown ids are a 400.', { type: 'array', items: { type: 'string' } }),
  token: q('token', 'Paging token from a next link.', { type: 'string' }),
  sortby: q('sortby', 'Sort keys, e.g. -datetime,+id (Sort extension). Default -datetime.', { type: 'string' }),
  fields: q('fields', 'Fields to include / exclude (-prefix), e.g. id,properties.eo:cloud_cover,-assets (Fields extension).', { type: 'string' }),
  filter: q('filter', 'A CQL2 filter over the queryables (Filter extension).', { type: 'string' }),
  filterLang: q('filter-lang', 'cql2-text (GET default) or cql2-json.', { type: 'string', enum: ['cql2-text', 'cql2-json'] }),
  filterCrs: q('filter-crs', 'Only http://www.opengis.net/def/crs/OGC/1.3/CRS84.', { type: 'string' }),
  query: q('query', 'Query extension object as JSON text, e.g. {"eo:cloud_cover":{"lt":10}}.', { type: 'string' }),
  aggregations: q('aggregations', `Aggregations to compute (default all): ${AGGREGATION_NAMES.join(', ')}.`, { type: 'array', items: { type: 'string', enum: AGGREGATION_NAMES } }),
  interval: q('datetime_frequency_interval', 'Calendar interval of datetime_frequency (UTC), default month.', { type: 'string', enum: [...INTERVALS] }),
};

const LINK = { $ref: '#/components/schemas/Link' };
const SCHEMAS = {
  StacItem: { type: 'object', required: ['type', 'stac_version', 'id', 'geometry', 'properties', 'links', 'assets'], properties: { type: { type: 'string', enum: ['Feature'] }, id: { type: 'string' }, collection: { type: 'string' }, geometry: { type: 'object', nullable: true }, bbox: { type: 'array', items: { type: 'number' } }, properties: { type: 'object' }, links: { type: 'array', items: LINK }, assets: { type: 'object' } } },
  StacCollection: { type: 'object', required: ['type', 'stac_version', 'id', 'description', 'license', 'extent', 'links'], properties: { type: { type: 'string', enum: ['Collection'] }, id: { type: 'string' }, description: { type: 'string' }, license: { type: 'string' }, extent: { type: 'object' }, links: { type: 'array', items: LINK } } },
  ItemCollection: { type: 'object', required: ['type', 'features'], properties: { type: { type: 'string', enum: ['FeatureCollection'] }, features: { type: 'array', items: schema('StacItem') }, links: { type: 'array', items: LINK }, numberMatched: { type: 'integer', minimum: 0 }, numberReturned: { type: 'integer', minimum: 0 } } },
  Collections: { type: 'object', required: ['collections', 'links'], properties: { collections: { type: 'array', items: schema('StacCollection') }, links: { type: 'array', items: LINK } } },
  SearchBody: {
    type: 'object',
    properties: {
      bbox: { type: 'array', items: { type: 'number' }, minItems: 4, maxItems: 6 },
      intersects: { type: 'object', description: 'GeoJSON geometry' },
      datetime: { type: 'string' },
      limit: { type: 'integer', minimum: 1, default: DEFAULT_LIMIT },
      ids: { type: 'array', items: { type: 'string' } },
      collections: { type: 'array', items: { type: 'string' } },
      token: { type: 'string' },
      sortby: { type: 'array', items: { type: 'object', required: ['field'], properties: { field: { type: 'string' }, direction: { type: 'string', enum: ['asc', 'desc'] } } } },
      fields: { type: 'object', properties: { include: { type: 'array', items: { type: 'string' } }, exclude: { type: 'array', items: { type: 'string' } } } },
      filter: { description: 'CQL2 JSON object (or text with filter-lang cql2-text)' },
      'filter-lang': { type: 'string', enum: ['cql2-text', 'cql2-json'] },
      'filter-crs': { type: 'string' },
      query: { type: 'object' },
      aggregations: { type: 'array', items: { type: 'string' }, description: '/aggregate only' },
      datetime_frequency_interval: { type: 'string', enum: [...INTERVALS], description: '/aggregate only' },
    },
  },
  AggregationCollection: { type: 'object', required: ['type', 'aggregations'], properties: { type: { type: 'string', enum: ['AggregationCollection'] }, aggregations: { type: 'array', items: { type: 'object', required: ['name', 'data_type'] } }, links: { type: 'array', items: LINK } } },
};

function op(operationId: string, summary: string, tag: string, responses: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown {
  return { operationId, summary, tags: [tag], ...extra, responses: { ...responses, default: PROBLEM } };
}

const ITEMS_GEOJSON = ok('A STAC ItemCollection.', schema('ItemCollection'), 'application/geo+json');
const ITEM_GEOJSON = ok('A STAC Item.', schema('StacItem'), 'application/geo+json');
const COLLECTION = ok('A STAC Collection.', schema('StacCollection'));
const AGG = ok('An AggregationCollection.', schema('AggregationCollection'));
const body = (s: unknown, types = ['application/json']): unknown => ({ required: true, content: Object.fromEntries(types.map((t) => [t, { schema: s }])) });
const ITEM_BODY_TYPES = ['application/json', 'application/geo+json'];
const PATCH_TYPES = ['application/json', 'application/merge-patch+json'];

export function stacOpenApi(): OpenApiPart {
  const c = [ref('collectionId')];
  const ci = [ref('collectionId'), ref('itemId')];
  return {
    components: { parameters: PARAMETERS, schemas: SCHEMAS },
    paths: {
      '/search': {
        get: op('getItemSearch', 'Search items (GET)', 'Item Search', { '200': ITEMS_GEOJSON }, { parameters: SEARCH_GET.map(ref) }),
        post: op('postItemSearch', 'Search items (POST; next pages: POST the same body merged with the next link body)', 'Item Search', { '200': ITEMS_GEOJSON }, { requestBody: body(schema('SearchBody')) }),
      },
      '/collections': {
        get: op('getCollections', 'The collections', 'Collections', { '200': ok('The collections.', schema('Collections')) }),
        post: op('postCollection', 'Create a collection (409 when it exists)', 'Transaction', { '201': COLLECTION }, { requestBody: body(schema('StacCollection')) }),
      },
      '/collections/{collectionId}': {
        parameters: c,
        get: op('getCollection', 'One collection', 'Collections', { '200': COLLECTION }),
        put: op('putCollection', 'Replace a collection (404 when missing)', 'Transaction', { '200': COLLECTION }, { requestBody: body(schema('StacCollection')) }),
        patch: op('patchCollection', 'Update a collection (JSON Merge Patch)', 'Transaction', { '200': COLLECTION }, { requestBody: body({ type: 'object' }, PATCH_TYPES) }),
        delete: op('deleteCollection', 'Delete a collection and its items', 'Transaction', { '204': { description: 'Deleted.' } }),
      },
      '/collections/{collectionId}/items': {
        parameters: c,
        get: op('getFeatures', 'Items of a collection', 'Features', { '200': ITEMS_GEOJSON }, { parameters: SEARCH_GET.filter((p) => p !== 'collections').map(ref) }),
        post: op('postFeature', 'Add an item or a FeatureCollection of items (409 when one exists)', 'Transaction', { '201': ITEM_GEOJSON }, { requestBody: body({ oneOf: [schema('StacItem'), schema('ItemCollection')] }, ITEM_BODY_TYPES) }),
      },
      '/collections/{collectionId}/items/{itemId}': {
        parameters: ci,
        get: op('getFeature', 'One item', 'Features', { '200': ITEM_GEOJSON }),
        put: op('putFeature', 'Replace an item (404 when missing)', 'Transaction', { '200': ITEM_GEOJSON }, { requestBody: body(schema('StacItem'), ITEM_BODY_TYPES) }),
        patch: op('patchFeature', 'Update an item (JSON Merge Patch)', 'Transaction', { '200': ITEM_GEOJSON }, { requestBody: body({ type: 'object' }, PATCH_TYPES) }),
        delete: op('deleteFeature', 'Delete an item', 'Transaction', { '204': { description: 'Deleted.' } }),
      },
      '/queryables': { get: op('getQueryables', 'Queryables of the catalogue (JSON Schema)', 'Filter', { '200': ok('The queryables.', { type: 'object' }, 'application/schema+json') }) },
      '/collections/{collectionId}/queryables': { parameters: c, get: op('getCollectionQueryables', 'Queryables of a collection', 'Filter', { '200': ok('The queryables.', { type: 'object' }, 'application/schema+json') }) },
      '/aggregate': {
        get: op('getAggregate', 'Aggregate the items a search matches', 'Aggregation', { '200': AGG }, { parameters: AGG_GET.map(ref) }),
        post: op('postAggregate', 'Aggregate the items a search matches (POST)', 'Aggregation', { '200': AGG }, { requestBody: body(schema('SearchBody')) }),
      },
      '/collections/{collectionId}/aggregate': {
        parameters: c,
        get: op('getCollectionAggregate', 'Aggregate the items of a collection', 'Aggregation', { '200': AGG }, { parameters: AGG_GET.filter((p) => p !== 'collections').map(ref) }),
        post: op('postCollectionAggregate', 'Aggregate the items of a collection (POST)', 'Aggregation', { '200': AGG }, { requestBody: body(schema('SearchBody')) }),
      },
      '/aggregations': { get: op('getAggregations', 'The aggregations offered', 'Aggregation', { '200': AGG }) },
      '/collections/{collectionId}/aggregations': { parameters: c, get: op('getCollectionAggregations', 'The aggregations offered for a collection', 'Aggregation', { '200': AGG }) },
    },
  };
}
