/**
 * Systematic processing over HTTP (platform extension beside OGC API - Processes): a subscription runs a process
 * on every newly stored catalogue item of a collection that meets its area and property filter
 * (src/engine/subscriptions.ts holds the rules; the STAC transaction routes trigger it).
 *
 * - `POST /subscriptions` {process, collection, bbox? | intersects?, filter?, inputs?, itemInput?, title?,
 *   enabled?} -> 201, `Location: /subscriptions/{id}`. The fixed inputs are validated against the process
 *   description as an execution would be (qualified values unwrapped), so a bad one is a 400 naming the input.
 *   An unknown process is a 400 naming `process` (a body member, unlike the 404 of `/processes/{id}`).
 * - `GET /subscriptions` (collection, owner, process, enabled, limit 1..1000 default 10, offset), oldest first.
 * - `GET /subscriptions/{id}`: with `jobsStarted` and a link to its jobs (`/jobs?subscription={id}`).
 * - `PATCH /subscriptions/{id}` {enabled?, title?} (JSON or JSON Merge Patch); other members are refused.
 * - `DELETE /subscriptions/{id}` -> 204 (its jobs stay).
 * Subscriptions record `ownerOf(req)` as their owner (as jobs do); no access control here.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GepError, invalidInput } from '../../core/errors.ts';
import type { GeoJsonGeometry } from '../../core/stac.ts';
import * as subs from '../../engine/subscriptions.ts';
import type { Link } from '../../engine/types.ts';
import { getService, serviceIds } from '../../services/registry.ts';
import type { OpenApiPart } from '../server.ts';
import { EXC_INVALID_QUERY, intParam, oneParam, queryString, REL_JOB_LIST, type ProcessesOptions } from './processes-common.ts';
import { parseExecuteBody } from './processes-execute.ts';

type Json = Record<string, unknown>;

const CREATE_KEYS = new Set(['process', 'collection', 'bbox', 'intersects', 'filter', 'inputs', 'itemInput', 'title', 'enabled']);
const PATCH_KEYS = new Set(['enabled', 'title']);

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Validation errors of the engine carry `input`; the problem document names it as `parameter`. */
function namingInput(e: unknown): unknown {
  if (e instanceof GepError && e.code === 'GEP_ERR_INVALID_INPUT' && typeof e.details?.input === 'string' && e.details.parameter === undefined) {
    const input = e.details.input === 'geometry' ? 'intersects' : e.details.input;
    const msg = e.details.input === 'geometry' ? e.message.replace(/\bgeometry\b/, 'intersects') : e.message;
    return new GepError(e.code, msg, { ...e.details, parameter: input }, { cause: e });
  }
  return e;
}

const noSuchSubscription = (id: string): GepError => new GepError('GEP_ERR_NOT_FOUND', `no subscription '${id.slice(0, 200)}'`, { parameter: 'subscriptionId' });

/** The JSON form of a subscription; links relative to `base`. */
export function subscriptionJson(s: subs.Subscription, base: string, extra: Json = {}): Json {
  const self = `${base}/subscriptions/${encodeURIComponent(s.id)}`;
  const links: Link[] = [
    { href: self, rel: 'self', type: 'application/json', title: 'this subscription' },
    { href: `${base}/jobs?subscription=${encodeURIComponent(s.id)}`, rel: REL_JOB_LIST, type: 'application/json', title: 'jobs started by this subscription' },
    { href: `${base}/processes/${encodeURIComponent(s.processId)}`, rel: 'http://www.opengis.net/def/rel/ogc/1.0/process', type: 'application/json', title: 'the process it runs' },
    { href: `${base}/collections/${encodeURIComponent(s.collection)}`, rel: 'collection', type: 'application/json', title: 'the collection it watches' },
  ];
  return {
    id: s.id,
    title: s.title,
    process: s.processId,
    collection: s.collection,
    itemInput: s.itemInput,
    inputs: s.inputs,
    bbox: s.geometry ? null : s.bbox,
    intersects: s.geometry,
    filter: s.filter,
    owner: s.owner,
    enabled: s.enabled,
    created: s.created.toISOString(),
    updated: s.updated.toISOString(),
    ...extra,
    links,
  };
}

/** The NewSubscription of a POST body; every problem names the member. */
async function parseCreateBody(body: unknown): Promise<Omit<subs.NewSubscription, 'owner'>> {
  if (!isObject(body)) throw invalidInput('subscription: expected a JSON object with process and collection', { parameter: 'body' });
  for (const k of Object.keys(body))
    if (!CREATE_KEYS.has(k)) throw invalidInput(`${k}: not a member of a subscription (members: ${[...CREATE_KEYS].join(', ')})`, { parameter: k });
  if (typeof body.process !== 'string' || body.process === '') throw invalidInput('process: expected the id of a process', { parameter: 'process' });
  if (!serviceIds().includes(body.process))
    throw invalidInput(`process: no process '${body.process.slice(0, 100)}' (known: ${serviceIds().join(', ')})`, { parameter: 'process' });
  const desc = (await getService(body.process)).description;
  const inputs = body.inputs === undefined ? {} : (parseExecuteBody({ inputs: body.inputs }, desc).inputs ?? {});
  if (body.itemInput !== undefined && typeof body.itemInput !== 'string') throw invalidInput('itemInput: expected an input id', { parameter: 'itemInput' });
  return {
    process: body.process,
    collection: body.collection as string,
    inputs,
    ...(body.itemInput !== undefined ? { itemInput: body.itemInput as string } : {}),
    ...(body.bbox !== undefined ? { bbox: body.bbox as number[] | null } : {}),
    ...(body.intersects !== undefined ? { geometry: body.intersects as GeoJsonGeometry | null } : {}),
    ...(body.filter !== undefined ? { filter: body.filter as Json | null } : {}),
    ...(body.title !== undefined ? { title: body.title as string | null } : {}),
    ...(body.enabled !== undefined ? { enabled: body.enabled as boolean } : {}),
  };
}

function boolParam(q: Json, name: string): boolean | undefined {
  const v = oneParam(q[name]);
  if (v === undefined || v === '') return undefined;
  if (v !== 'true' && v !== 'false') throw invalidInput(`${name}: expected true or false, got '${v.slice(0, 40)}'`, { parameter: name, exceptionType: EXC_INVALID_QUERY });
  return v === 'true';
}

async function requireSubscription(o: ProcessesOptions, id: string): Promise<subs.Subscription> {
  const s = await subs.getSubscription(o.engine.db, id);
  if (!s) throw noSuchSubscription(id);
  return s;
}

export function registerSubscriptionRoutes(app: FastifyInstance, o: ProcessesOptions): void {
  const db = o.engine.db;
  if (!app.hasContentTypeParser('application/merge-patch+json'))
    app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  app.post('/subscriptions', async (req: FastifyRequest, reply) => {
    let s: subs.Subscription;
    try {
      s = await subs.createSubscription(db, { ...(await parseCreateBody(req.body)), owner: o.ownerOf?.(req) ?? null });
    } catch (e) {
      throw namingInput(e);
    }
    const url = `${req.baseUrl}/subscriptions/${encodeURIComponent(s.id)}`;
    return reply.code(201).header('location', url).type('application/json').send(subscriptionJson(s, req.baseUrl, { jobsStarted: 0 }));
  });

  app.get<{ Querystring: Json }>('/subscriptions', async (req) => {
    const q = req.query;
    const limit = intParam(q, 'limit', 10, 1, 1000)!;
    const offset = intParam(q, 'offset', 0, 0, Number.MAX_SAFE_INTEGER)!;
    const f: subs.SubscriptionFilter = { limit, offset };
    for (const k of ['collection', 'owner', 'process'] as const) {
      const v = oneParam(q[k]);
      if (v) f[k] = v;
    }
    const enabled = boolParam(q, 'enabled');
    if (enabled !== undefined) f.enabled = enabled;
    const page = await subs.pageSubscriptions(db, f);
    const base = `${req.baseUrl}/subscriptions`;
    const links: Link[] = [{ href: `${base}${queryString(q, {})}`, rel: 'self', type: 'application/json', title: 'this list of subscriptions' }];
    if (offset + page.subscriptions.length < page.total)
      links.push({ href: `${base}${queryString(q, { offset: offset + limit, limit })}`, rel: 'next', type: 'application/json', title: 'next page' });
    if (offset > 0)
      links.push({ href: `${base}${queryString(q, { offset: offset - limit > 0 ? offset - limit : undefined, limit })}`, rel: 'prev', type: 'application/json', title: 'previous page' });
    return {
      subscriptions: page.subscriptions.map((s) => subscriptionJson(s, req.baseUrl)),
      links,
      numberMatched: page.total,
      numberReturned: page.subscriptions.length,
    };
  });

  app.get<{ Params: { id: string } }>('/subscriptions/:id', async (req) => {
    const s = await requireSubscription(o, req.params.id);
    return subscriptionJson(s, req.baseUrl, { jobsStarted: await subs.countRuns(db, s.id) });
  });

  app.patch<{ Params: { id: string } }>('/subscriptions/:id', async (req) => {
    const body = req.body;
    if (!isObject(body)) throw invalidInput('subscription patch: expected a JSON object with enabled and/or title', { parameter: 'body' });
    for (const k of Object.keys(body))
      if (!PATCH_KEYS.has(k)) throw invalidInput(`${k}: cannot be changed (only enabled and title); delete the subscription and create another`, { parameter: k });
    await requireSubscription(o, req.params.id);
    let s: subs.Subscription;
    try {
      s = await subs.updateSubscription(db, req.params.id, {
        ...(body.enabled !== undefined ? { enabled: body.enabled as boolean } : {}),
        ...(body.title !== undefined ? { title: body.title as string | null } : {}),
      });
    } catch (e) {
      if (e instanceof GepError && e.code === 'GEP_ERR_NOT_FOUND') throw noSuchSubscription(req.params.id);
      throw namingInput(e);
    }
    return subscriptionJson(s, req.baseUrl, { jobsStarted: await subs.countRuns(db, s.id) });
  });

  app.delete<{ Params: { id: string } }>('/subscriptions/:id', async (req, reply) => {
    if (!(await subs.deleteSubscription(db, req.params.id))) throw noSuchSubscription(req.params.id);
    return reply.code(204).send();
  });
}

const problem = { $ref: '#/components/responses/Problem' };
const json = (ref: string): Json => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
const query = (name: string, description: string, schema: Json): Json => ({ name, in: 'query', required: false, description, schema });
const idParam = { name: 'subscriptionId', in: 'path', required: true, description: 'Subscription identifier.', schema: { type: 'string' } };
const tags = ['Subscriptions'];
const links = { type: 'array', items: { $ref: '#/components/schemas/Link' } };

/** OpenAPI 3.0 paths and schemas of the subscription routes. */
export const subscriptionsOpenApi: OpenApiPart = {
  paths: {
    '/subscriptions': {
      post: {
        summary: 'Subscribes a process to a collection: it runs on every new matching item',
        operationId: 'createSubscription',
        tags,
        requestBody: { required: true, content: json('NewSubscription') },
        responses: { '201': { description: 'The subscription (Location: /subscriptions/{id}).', content: json('Subscription') }, '400': problem, default: problem },
      },
      get: {
        summary: 'Subscriptions, oldest first',
        operationId: 'getSubscriptions',
        tags,
        parameters: [
          query('collection', 'Subscriptions on this collection.', { type: 'string' }),
          query('owner', 'Subscriptions of this owner.', { type: 'string' }),
          query('process', 'Subscriptions running this process.', { type: 'string' }),
          query('enabled', 'Only enabled (true) or disabled (false) ones.', { type: 'boolean' }),
          query('limit', 'Page size.', { type: 'integer', minimum: 1, maximum: 1000, default: 10 }),
          query('offset', 'Subscriptions to skip.', { type: 'integer', minimum: 0, default: 0 }),
        ],
        responses: { '200': { description: 'The list.', content: json('SubscriptionList') }, '400': problem, default: problem },
      },
    },
    '/subscriptions/{subscriptionId}': {
      get: {
        summary: 'A subscription, with the number of jobs it started and a link to them',
        operationId: 'getSubscription',
        tags,
        parameters: [idParam],
        responses: { '200': { description: 'The subscription.', content: json('Subscription') }, '404': problem, default: problem },
      },
      patch: {
        summary: 'Enables, disables or renames a subscription',
        operationId: 'updateSubscription',
        tags,
        parameters: [idParam],
        requestBody: {
          required: true,
          content: Object.fromEntries(['application/json', 'application/merge-patch+json'].map((t) => [t, { schema: { $ref: '#/components/schemas/SubscriptionPatch' } }])),
        },
        responses: { '200': { description: 'The subscription.', content: json('Subscription') }, '400': problem, '404': problem, default: problem },
      },
      delete: {
        summary: 'Deletes a subscription (the jobs it started stay)',
        operationId: 'deleteSubscription',
        tags,
        parameters: [idParam],
        responses: { '204': { description: 'Deleted.' }, '404': problem, default: problem },
      },
    },
  },
  components: {
    schemas: {
      NewSubscription: {
        type: 'object',
        required: ['process', 'collection'],
        additionalProperties: false,
        properties: {
          process: { type: 'string', description: 'Process id.' },
          collection: { type: 'string', description: 'Collection watched.' },
          bbox: { type: 'array', items: { type: 'number' }, minItems: 4, maxItems: 6, description: 'Area [minx, miny, maxx, maxy] in degrees; default: everywhere.' },
          intersects: { type: 'object', description: 'Area as a GeoJSON geometry (instead of bbox).' },
          filter: { type: 'object', description: 'Item properties an item must contain (deep containment).' },
          inputs: { type: 'object', additionalProperties: true, description: 'Fixed inputs of every job, validated against the process description.' },
          itemInput: { type: 'string', description: 'Input receiving `collection/itemId`; default: the only raster or product input.' },
          title: { type: 'string' },
          enabled: { type: 'boolean', default: true },
        },
      },
      SubscriptionPatch: {
        type: 'object',
        additionalProperties: false,
        properties: { enabled: { type: 'boolean' }, title: { type: 'string', nullable: true } },
      },
      Subscription: {
        type: 'object',
        required: ['id', 'process', 'collection', 'itemInput', 'inputs', 'enabled', 'links'],
        properties: {
          id: { type: 'string' },
          title: { type: 'string', nullable: true },
          process: { type: 'string' },
          collection: { type: 'string' },
          itemInput: { type: 'string' },
          inputs: { type: 'object', additionalProperties: true },
          bbox: { type: 'array', items: { type: 'number' }, nullable: true },
          intersects: { type: 'object', nullable: true },
          filter: { type: 'object', nullable: true },
          owner: { type: 'string', nullable: true },
          enabled: { type: 'boolean' },
          created: { type: 'string', format: 'date-time' },
          updated: { type: 'string', format: 'date-time' },
          jobsStarted: { type: 'integer', description: 'Items that started a job so far.' },
          links,
        },
      },
      SubscriptionList: {
        type: 'object',
        required: ['subscriptions', 'links'],
        properties: {
          subscriptions: { type: 'array', items: { $ref: '#/components/schemas/Subscription' } },
          links,
          numberMatched: { type: 'integer' },
          numberReturned: { type: 'integer' },
        },
      },
    },
  },
};
