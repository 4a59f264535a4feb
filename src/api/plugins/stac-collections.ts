/**
 * Collections (STAC API - Collections: GET /collections, /collections/{id}) and the Transaction extension for
 * collections and items (POST/PUT/PATCH/DELETE; PATCH is a JSON Merge Patch, RFC 7396). Creating what exists is
 * a 409; replacing, patching or deleting what does not exist is a 404. Creation checks and writes under a
 * transaction-scoped advisory lock on the collection, so two concurrent POSTs of one id cannot both succeed.
 * After an item write commits, `onItems` (systematic processing) gets the items; its failure is logged only.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GepError } from '../../core/errors.ts';
import type { StacItem } from '../../core/stac.ts';
import type { Db } from '../../store/db.ts';
import { deleteCollection, deleteItem, getCollection, getItem, listCollections, upsertCollection, upsertItems } from '../../store/items.ts';
import { requireCollection } from './stac-search.ts';
import { collectionUrl, decorateCollection, decorateItem, GEOJSON, itemUrl, JSON_TYPE } from './stac-links.ts';
import { mergePatch, validateCollection, validateItem } from './stac-validate.ts';

type Params = { collectionId: string; itemId: string };

/** Largest body accepted by the item write routes (a FeatureCollection of many items), bytes. */
export const MAX_WRITE_BODY = 64 * 1024 * 1024;

const conflict = (msg: string): GepError => {
  const e = new GepError('GEP_ERR_INVALID_INPUT', msg, { parameter: 'id' });
  Object.defineProperty(e, 'status', { value: 409 });
  return e;
};

async function locked<R>(db: Db, collection: string, fn: (tx: Db) => Promise<R>): Promise<R> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`gep-stac:${collection}`]);
    return fn(tx);
  });
}

function sameId(bodyId: unknown, pathId: string, what: string): void {
  if (bodyId !== undefined && bodyId !== pathId) {
    throw new GepError('GEP_ERR_INVALID_INPUT', `${what}: the body's id ${JSON.stringify(bodyId)?.slice(0, 80)} differs from the id in the URL ${JSON.stringify(pathId)}`, { parameter: 'id' });
  }
}

/**
 * Registers the collection routes; `changed` is called after every collection write (landing-page links) and
 * `onItems` after every committed item write (POST, PUT, PATCH).
 */
export function registerCollectionRoutes(app: FastifyInstance, db: Db, changed: () => Promise<void>, onItems?: (items: StacItem[]) => Promise<unknown>): void {
  const notify = async (req: FastifyRequest, items: StacItem[]): Promise<void> => {
    if (!onItems) return;
    try {
      await onItems(items);
    } catch (err) {
      req.log.error({ err, items: items.length }, 'onItemsIngested hook failed; the items are stored');
    }
  };

  for (const type of ['application/geo+json', 'application/merge-patch+json']) {
    app.addContentTypeParser(type, { parseAs: 'string', bodyLimit: MAX_WRITE_BODY }, app.getDefaultJsonParser('error', 'error'));
  }

  app.get('/collections', async (req, reply) => {
    const base = req.baseUrl;
    const all = await listCollections(db);
    return reply.type(JSON_TYPE).send({
      collections: all.map((c) => decorateCollection(c, base, req.assetRoot)),
      links: [
        { rel: 'self', href: `${base}/collections`, type: JSON_TYPE },
        { rel: 'root', href: `${base}/`, type: JSON_TYPE },
        { rel: 'parent', href: `${base}/`, type: JSON_TYPE },
      ],
      numberMatched: all.length,
      numberReturned: all.length,
    });
  });

  app.get<{ Params: Params }>('/collections/:collectionId', async (req) => decorateCollection(await requireCollection(db, req.params.collectionId), req.baseUrl, req.assetRoot));

  app.post('/collections', async (req, reply) => {
    const c = validateCollection(req.body);
    await locked(db, c.id, async (tx) => {
      if (await getCollection(tx, c.id)) throw conflict(`collection ${JSON.stringify(c.id)} already exists (PUT /collections/{id} replaces it)`);
      await upsertCollection(tx, c);
    });
    await changed();
    const url = collectionUrl(req.baseUrl, c.id);
    return reply.code(201).header('location', url).send(decorateCollection(c, req.baseUrl, req.assetRoot));
  });

  app.put<{ Params: Params }>('/collections/:collectionId', async (req) => {
    const id = req.params.collectionId;
    sameId((req.body as { id?: unknown } | null)?.id, id, 'collection');
    const c = validateCollection({ ...(req.body as object), id });
    await locked(db, id, async (tx) => {
      await requireCollection(tx, id);
      await upsertCollection(tx, c);
    });
    return decorateCollection(c, req.baseUrl, req.assetRoot);
  });

  app.patch<{ Params: Params }>('/collections/:collectionId', async (req) => {
    const id = req.params.collectionId;
    sameId((req.body as { id?: unknown } | null)?.id, id, 'collection');
    const c = await locked(db, id, async (tx) => {
      const old = await requireCollection(tx, id);
      const next = validateCollection(mergePatch(old, req.body));
      await upsertCollection(tx, next);
      return next;
    });
    return decorateCollection(c, req.baseUrl, req.assetRoot);
  });

  app.delete<{ Params: Params }>('/collections/:collectionId', async (req, reply) => {
    if (!(await deleteCollection(db, req.params.collectionId))) await requireCollection(db, req.params.collectionId);
    await changed();
    return reply.code(204).send();
  });

  app.post<{ Params: Params }>('/collections/:collectionId/items', { bodyLimit: MAX_WRITE_BODY }, async (req, reply) => {
    const cid = req.params.collectionId;
    const body = req.body as { type?: unknown; features?: unknown } | null;
    const isFc = body !== null && typeof body === 'object' && body.type === 'FeatureCollection';
    if (isFc && !Array.isArray(body.features)) throw new GepError('GEP_ERR_INVALID_INPUT', 'features: expected an array of STAC Items', { parameter: 'body' });
    const items: StacItem[] = isFc ? (body.features as unknown[]).map((f, i) => validateItem(f, cid, `features[${i}]`)) : [validateItem(body, cid)];
    const ids = new Set<string>();
    for (const it of items) {
      if (ids.has(it.id)) throw conflict(`item ${JSON.stringify(it.id)} appears twice in the request`);
      ids.add(it.id);
    }
    await locked(db, cid, async (tx) => {
      await requireCollection(tx, cid);
      const { rows } = await tx.query<{ id: string }>('SELECT id FROM items WHERE collection = $1 AND id = ANY($2::text[]) LIMIT 10', [cid, [...ids]]);
      if (rows.length > 0) {
        throw conflict(`item${rows.length > 1 ? 's' : ''} ${rows.map((r) => JSON.stringify(r.id)).join(', ')} already exist${rows.length > 1 ? '' : 's'} in collection ${JSON.stringify(cid)} (PUT replaces an item)`);
      }
      await upsertItems(tx, items);
    });
    await notify(req, items);
    const base = req.baseUrl;
    if (!isFc) return reply.code(201).header('location', itemUrl(base, cid, items[0]!.id)).type(GEOJSON).send(decorateItem(items[0]!, base, req.assetRoot));
    return reply.code(201).type(GEOJSON).send({ type: 'FeatureCollection', features: items.map((it) => decorateItem(it, base, req.assetRoot)), numberReturned: items.length });
  });

  app.put<{ Params: Params }>('/collections/:collectionId/items/:itemId', { bodyLimit: MAX_WRITE_BODY }, async (req, reply) => {
    const { collectionId: cid, itemId } = req.params;
    sameId((req.body as { id?: unknown } | null)?.id, itemId, 'item');
    const item = validateItem({ ...(req.body as object), id: itemId }, cid);
    await locked(db, cid, async (tx) => {
      if (!(await getItem(tx, cid, itemId))) throw notFoundItem(cid, itemId);
      await upsertItems(tx, [item]);
    });
    await notify(req, [item]);
    return reply.type(GEOJSON).send(decorateItem(item, req.baseUrl, req.assetRoot));
  });

  app.patch<{ Params: Params }>('/collections/:collectionId/items/:itemId', async (req, reply) => {
    const { collectionId: cid, itemId } = req.params;
    sameId((req.body as { id?: unknown } | null)?.id, itemId, 'item');
    const item = await locked(db, cid, async (tx) => {
      const old = await getItem(tx, cid, itemId);
      if (!old) throw notFoundItem(cid, itemId);
      const next = validateItem(mergePatch(old, req.body), cid);
      await upsertItems(tx, [next]);
      return next;
    });
    await notify(req, [item]);
    return reply.type(GEOJSON).send(decorateItem(item, req.baseUrl, req.assetRoot));
  });

  app.delete<{ Params: Params }>('/collections/:collectionId/items/:itemId', async (req, reply) => {
    const { collectionId: cid, itemId } = req.params;
    if (!(await deleteItem(db, cid, itemId))) throw notFoundItem(cid, itemId);
    return reply.code(204).send();
  });
}

function notFoundItem(collection: string, id: string): GepError {
  return new GepError('GEP_ERR_NOT_FOUND', `no item ${JSON.stringify(id.slice(0, 200))} in collection ${JSON.stringify(collection.slice(0, 200))}`, { parameter: 'itemId' });
}
