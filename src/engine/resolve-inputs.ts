/**
 * Catalogue references in service inputs -> paths or URLs the service can open. Applies to inputs whose
 * description has `kind: 'raster' | 'product'`; each value may be
 *   - a local path or a `file://` URL (kept; a file URL becomes its path),
 *   - `collection/itemId` of an item in our catalogue (when no such file exists),
 *   - a STAC item URL `.../collections/{c}/items/{i}` of an item in our catalogue (resolved without HTTP),
 *   - any other URL (kept: the readers open remote COGs and STAC item JSON themselves),
 *   - an object `{ href }` (OGC qualified value): its href, as above.
 * An item resolves to its product asset (key or role `product`), else its only `data` asset, else to a copy
 * of the item JSON (asset hrefs made absolute) in the job workspace, which the STAC item reader opens.
 * Asset hrefs that are blob keys (results of earlier jobs `jobs/<id>/...`, thumbnails) become `blobs.url(key)`:
 * a file path for the local store, `s3://bucket/...` for S3, both of which the raster readers open.
 * The ids of resolved items (`collection/id`) are recorded for the job's provenance.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GepError } from '../core/errors.ts';
import type { StacAsset, StacItem } from '../core/stac.ts';
import { checkBlobKey, type BlobStore } from '../store/blobs.ts';
import type { Db } from '../store/db.ts';
import { getItem } from '../store/items.ts';
import type { ServiceDescription } from '../services/types.ts';

export interface ResolvedInputs {
  inputs: Record<string, unknown>;
  /** `collection/itemId` of every catalogue item used. */
  items: string[];
}

const URL_RE = /^[a-z][a-z0-9+.-]*:\/\//i;
const ITEM_URL_RE = /\/collections\/([^/?#]+)\/items\/([^/?#]+?)(?:\.json)?\/?(?:[?#].*)?$/;
const ITEM_REF_RE = /^([^/\s]+)\/([^/\s]+)$/;

/** A relative href that is a valid blob key present in `blobs`, or null. */
async function blobKeyOf(href: string, blobs: BlobStore | undefined): Promise<string | null> {
  if (!blobs || URL_RE.test(href) || isAbsolute(href)) return null;
  try {
    checkBlobKey(href);
  } catch {
    return null;
  }
  return (await blobs.head(href)) ? href : null;
}

/**
 * Absolute href of an asset: URLs kept, blob keys (items stored without a location) as the store's URL, other
 * relative paths against the item's own location.
 */
async function assetHref(a: StacAsset, itemLocation: string | null, blobs: BlobStore | undefined): Promise<string> {
  if (URL_RE.test(a.href)) return a.href.startsWith('file://') ? fileURLToPath(a.href) : a.href;
  if (isAbsolute(a.href)) return a.href;
  if (itemLocation === null) {
    const key = await blobKeyOf(a.href, blobs);
    return key !== null ? blobs!.url(key) : resolve(a.href);
  }
  if (URL_RE.test(itemLocation) && !itemLocation.startsWith('file://')) return new URL(a.href, itemLocation).href;
  const base = itemLocation.startsWith('file://') ? fileURLToPath(itemLocation) : itemLocation;
  return join(dirname(base), a.href);
}

/** Picks what a service opens for a catalogue item; writes the item JSON to `workspace` when needed. */
export async function itemTarget(item: StacItem, workspace: string, blobs?: BlobStore): Promise<string> {
  const self = item.links.find((l) => l.rel === 'self')?.href ?? null;
  const entries = Object.entries(item.assets ?? {});
  const product = entries.find(([k, a]) => k === 'product' || a.roles?.includes('product'));
  if (product) return assetHref(product[1], self, blobs);
  const data = entries.filter(([, a]) => a.roles?.includes('data'));
  if (data.length === 1) return assetHref(data[0]![1], self, blobs);
  const assets: Record<string, StacAsset> = {};
  for (const [k, a] of entries) assets[k] = { ...a, href: await assetHref(a, self, blobs) };
  const copy: StacItem = { ...item, assets, links: item.links.filter((l) => l.rel !== 'self') };
  const path = join(workspace, 'inputs', `${item.collection ?? 'item'}__${item.id}.json`.replace(/[^A-Za-z0-9._-]/g, '_'));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(copy, null, 2)}\n`);
  return path;
}

async function resolveOne(db: Db, input: string, value: unknown, workspace: string, items: string[], blobs: BlobStore | undefined): Promise<unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value) && typeof (value as { href?: unknown }).href === 'string')
    return resolveOne(db, input, (value as { href: string }).href, workspace, items, blobs);
  if (typeof value !== 'string') return value;
  if (value.startsWith('file://')) return fileURLToPath(value);
  const lookup = async (c: string, i: string): Promise<string | null> => {
    const item = await getItem(db, c, i);
    if (!item) return null;
    items.push(`${c}/${i}`);
    return itemTarget({ ...item, collection: item.collection ?? c }, workspace, blobs);
  };
  if (URL_RE.test(value)) {
    const m = ITEM_URL_RE.exec(value);
    if (m) {
      const found = await lookup(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!));
      if (found) return found;
    }
    return value;
  }
  if (existsSync(value)) return resolve(value);
  const m = ITEM_REF_RE.exec(value);
  if (m) {
    const found = await lookup(m[1]!, m[2]!);
    if (found) return found;
    throw new GepError('GEP_ERR_NOT_FOUND', `input '${input}': '${value}' is neither a file nor an item of the catalogue (collection/itemId)`, { input });
  }
  return value;
}

/**
 * Resolves the raster/product inputs of validated `inputs`; other inputs are returned unchanged. `blobs` turns
 * asset hrefs that are blob keys into the store's URLs.
 */
export async function resolveInputs(db: Db, desc: ServiceDescription, inputs: Record<string, unknown>, workspace: string, blobs?: BlobStore): Promise<ResolvedInputs> {
  const out: Record<string, unknown> = { ...inputs };
  const items: string[] = [];
  for (const [id, d] of Object.entries(desc.inputs)) {
    if ((d.kind !== 'raster' && d.kind !== 'product') || out[id] === undefined) continue;
    const v = out[id];
    out[id] = Array.isArray(v) ? await Promise.all(v.map((x) => resolveOne(db, id, x, workspace, items, blobs))) : await resolveOne(db, id, v, workspace, items, blobs);
  }
  return { inputs: out, items };
}
