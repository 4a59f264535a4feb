/**
 * Catalogue ingestion: walks files and folders, recognises products with the sensor readers (SAFE folders and
 * zips, DIMAP, Landsat MTL, GeoTIFF/COG, plain images, STAC item JSON), files each into a collection (its sensor and
 * level, or the one given), builds its STAC item (footprint, eo:cloud_cover, platform, instruments, gsd, view:*,
 * proj:code, assets with absolute local hrefs), stores a PNG thumbnail in the blob store (asset role `thumbnail`,
 * href = blob key `thumbnails/<collection>/<id>.png`) and upserts the items: ingesting again updates (same id).
 *
 * One unreadable product never stops the batch: it is reported with its path in `errors`. Where the items go is
 * an IngestTarget: the database (ingestPaths), or a STAC transaction API (ingest-server.ts).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { GepError, isGepError, throwIfAborted, toGepError } from '../core/errors.ts';
import type { ProgressFn } from '../core/progress.ts';
import { noProgress } from '../core/progress.ts';
import type { StacItem } from '../core/stac.ts';
import { openProduct, productReaders } from '../sensors/index.ts';
import type { Product } from '../sensors/types.ts';
import type { BlobStore } from '../store/blobs.ts';
import type { Db } from '../store/db.ts';
import { itemRow, upsertItems } from '../store/items.ts';
import { collectionForProduct, ensureCollections, updateCollectionExtents } from './collections.ts';
import { makeThumbnail, thumbnailAsset, thumbnailKey } from './thumbnails.ts';
import { checkExternalItem } from './validate-item.ts';

export interface IngestResult {
  inserted: number;
  updated: number;
  items: StacItem[];
  /** Paths that could not be ingested, with why. */
  errors: { path: string; message: string }[];
  /** Ingested, with something missing (e.g. no thumbnail). */
  warnings: { path: string; message: string }[];
}

export interface IngestOptions {
  /** Collection for every product; default: from the product's sensor and level. */
  collection?: string;
  /** Where thumbnails go; without it no thumbnails are made. */
  blobs?: BlobStore;
  /** Make thumbnails (default true when `blobs` is given). */
  thumbnails?: boolean;
  /** Descend into sub-folders (default true). */
  recursive?: boolean;
  signal?: AbortSignal;
  progress?: ProgressFn;
  /** Called with each batch of items once stored (e.g. systematic-processing triggers). */
  onItems?: (items: StacItem[]) => Promise<void>;
}

/** Where ingested items are stored. */
export interface IngestTarget {
  /** Creates the collections that do not exist yet. */
  ensureCollections(ids: string[]): Promise<void>;
  /** Stores items; `failed` lists the indexes (into `items`) that were refused, with why. */
  store(items: StacItem[]): Promise<{ inserted: number; updated: number; failed: { index: number; message: string }[] }>;
  /** Called after each stored batch with its collections (extents). */
  afterStore?(collections: string[]): Promise<void>;
}

/** Items stored per batch. */
const BATCH = 50;
const MAX_ITEM_JSON_BYTES = 16 << 20;

/** The database as an ingestion target: collections created from the defaults, extents kept up to date. */
export function dbTarget(db: Db): IngestTarget {
  return {
    async ensureCollections(ids) {
      await ensureCollections(db, ids);
    },
    async store(items) {
      const r = await upsertItems(db, items);
      return { ...r, failed: [] };
    },
    async afterStore(collections) {
      await updateCollectionExtents(db, collections);
    },
  };
}

const isStacItemText = (text: string): boolean => {
  try {
    const j = JSON.parse(text) as { type?: unknown; assets?: unknown };
    return j?.type === 'Feature' && typeof j.assets === 'object';
  } catch {
    return false;
  }
};

/**
 * The product paths under `paths`: a folder that a reader recognises (SAFE, Landsat, DIMAP) is one product and is
 * not entered; other folders are walked (hidden entries skipped). Files found while walking that no reader takes,
 * and JSON files that are not STAC items, are skipped silently; a path given explicitly is reported instead.
 */
export async function findProducts(
  paths: string[],
  opts: { recursive?: boolean; signal?: AbortSignal } = {},
): Promise<{ products: string[]; errors: { path: string; message: string }[] }> {
  const products: string[] = [];
  const errors: { path: string; message: string }[] = [];
  const readers = productReaders();
  const visit = async (p: string, explicit: boolean, depth: number): Promise<void> => {
    throwIfAborted(opts.signal);
    let isDir: boolean;
    try {
      isDir = (await stat(p)).isDirectory();
    } catch {
      if (explicit) errors.push({ path: p, message: `${p}: no such file or folder` });
      return;
    }
    if (isDir) {
      const reader = readers.find((r) => r.detect(p, true));
      if (reader?.id === 'pleiades-dimap') {
        // One DIMAP product per DIM_*.XML (a delivery folder may hold several).
        const dims = (await readdir(p)).filter((n) => /^DIM_.*\.XML$/i.test(n)).sort();
        for (const d of dims) products.push(join(p, d));
        return;
      }
      if (reader) {
        products.push(p);
        return;
      }
      if (!explicit && opts.recursive === false) return;
      if (depth > 32) return;
      const names = (await readdir(p)).filter((n) => !n.startsWith('.')).sort();
      const before = products.length;
      for (const n of names) await visit(join(p, n), false, depth + 1);
      if (explicit && products.length === before) errors.push({ path: p, message: `${p}: no product found in this folder` });
      return;
    }
    const reader = readers.find((r) => r.detect(p, false));
    if (!reader) {
      if (explicit) errors.push({ path: p, message: `${p}: not a product we recognise (SAFE, DIMAP, MTL, GeoTIFF, image or STAC item JSON)` });
      return;
    }
    if (!explicit && reader.id === 'sentinel-2-stac') {
      const size = (await stat(p)).size;
      if (size > MAX_ITEM_JSON_BYTES || !isStacItemText(await readFile(p, 'utf8'))) return;
    }
    products.push(p);
  };
  for (const p of paths) await visit(resolve(p), true, 0);
  return { products, errors };
}

/** A STAC item JSON file: validated as it is, relative hrefs made absolute against the file. */
async function itemFromJson(path: string): Promise<StacItem> {
  const text = await readFile(path, 'utf8').catch(() => {
    throw new GepError('GEP_ERR_NOT_FOUND', `${path}: cannot read`, { file: path });
  });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new GepError('GEP_ERR_CORRUPT_FILE', `${path}: not JSON (expected a STAC item)`, { file: path });
  }
  return checkExternalItem(raw, { where: path, base: path, size: Buffer.byteLength(text) });
}

/** Opens one product path and makes its item (collection set; thumbnail stored when `blobs` is given). */
export async function ingestItem(
  path: string,
  opts: Pick<IngestOptions, 'collection' | 'blobs' | 'thumbnails' | 'signal'> = {},
): Promise<{ item: StacItem; warning?: string }> {
  const isJson = /\.json$/i.test(path);
  const fromJson = isJson ? await itemFromJson(path) : null;
  let product: Product | null = null;
  try {
    try {
      product = await openProduct(path, opts.signal ? { signal: opts.signal } : {});
    } catch (e) {
      if (!fromJson || (isGepError(e) && e.code === 'GEP_ERR_ABORTED')) throw e;
      // A STAC item that is not a Sentinel-2 product: stored as it is, without a thumbnail of our own.
    }
    const item = fromJson ?? product!.toStacItem();
    item.collection = opts.collection ?? (fromJson?.collection || (product ? collectionForProduct(product.metadata) : 'geotiff'));
    item.links = item.links.filter((l) => !['self', 'root', 'parent', 'collection'].includes(l.rel));
    let warning: string | undefined;
    const hasThumb = Object.values(item.assets).some((a) => a.roles?.includes('thumbnail'));
    if (opts.blobs && opts.thumbnails !== false && !hasThumb) {
      try {
        const png = product ? await makeThumbnail(product, opts.signal ? { signal: opts.signal } : {}) : null;
        if (png) {
          const key = thumbnailKey(item.collection, item.id);
          await opts.blobs.put(key, png, { contentType: 'image/png' });
          item.assets.thumbnail = thumbnailAsset(key);
        } else warning = `${path}: no thumbnail (no band readable at a small size)`;
      } catch (e) {
        if (isGepError(e) && e.code === 'GEP_ERR_ABORTED') throw e;
        warning = `${path}: no thumbnail (${toGepError(e).message})`;
      }
    }
    return warning ? { item, warning } : { item };
  } finally {
    await product?.close().catch(() => undefined);
  }
}

/** Ingests into any target; see the file header. */
export async function ingestInto(target: IngestTarget, paths: string[], opts: IngestOptions = {}): Promise<IngestResult> {
  const progress = opts.progress ?? noProgress;
  const { products, errors } = await findProducts(paths, opts);
  const out: IngestResult = { inserted: 0, updated: 0, items: [], errors, warnings: [] };
  let batch: { item: StacItem; path: string }[] = [];
  const seen = new Map<string, string>();
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const pending = batch;
    batch = [];
    const cols = [...new Set(pending.map((b) => b.item.collection!))];
    let r: Awaited<ReturnType<IngestTarget['store']>>;
    try {
      await target.ensureCollections(cols);
      r = await target.store(pending.map((b) => b.item));
    } catch (e) {
      if (isGepError(e) && e.code === 'GEP_ERR_ABORTED') throw e;
      const msg = toGepError(e).message;
      for (const b of pending) out.errors.push({ path: b.path, message: `${b.path}: not stored: ${msg}` });
      return;
    }
    const failed = new Set(r.failed.map((f) => f.index));
    for (const f of r.failed) out.errors.push({ path: pending[f.index]!.path, message: f.message });
    const stored = pending.filter((_, i) => !failed.has(i)).map((b) => b.item);
    out.inserted += r.inserted;
    out.updated += r.updated;
    out.items.push(...stored);
    if (stored.length) {
      for (const c of cols) touched.add(c);
      await opts.onItems?.(stored);
    }
  };
  const touched = new Set<string>();
  try {
    for (const [i, path] of products.entries()) {
      throwIfAborted(opts.signal);
      progress(i / Math.max(1, products.length), basename(path));
      try {
        const { item, warning } = await ingestItem(path, opts);
        itemRow(item); // refuse here, per path, what the store would refuse for the whole batch
        const key = JSON.stringify([item.collection, item.id]);
        const prev = seen.get(key);
        if (prev !== undefined) out.warnings.push({ path, message: `${path}: same item (${item.collection}/${item.id}) as ${prev}; the later one is kept` });
        seen.set(key, path);
        if (warning) out.warnings.push({ path, message: warning });
        batch = batch.filter((b) => JSON.stringify([b.item.collection, b.item.id]) !== key);
        batch.push({ item, path });
      } catch (e) {
        if (isGepError(e) && e.code === 'GEP_ERR_ABORTED') throw e;
        const err = toGepError(e);
        out.errors.push({ path, message: err.message.includes(basename(path)) ? err.message : `${path}: ${err.message}` });
      }
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  } finally {
    // Extents once per run (a scan of each touched collection), also after a cancelled or failed run.
    if (touched.size) await target.afterStore?.([...touched]);
  }
  progress(1, `${out.items.length} items`);
  return out;
}

/** Ingests products under `paths` into the database; see the file header. */
export function ingestPaths(db: Db, paths: string[], opts: IngestOptions = {}): Promise<IngestResult> {
  return ingestInto(dbTarget(db), paths, opts);
}
