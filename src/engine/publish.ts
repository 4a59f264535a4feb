/**
 * Publishing a successful run: every file its results reference is moved from the run's scratch workspace into
 * the blob store under `jobs/<jobId>/<path relative to the workspace>` — the service's STAC catalog (catalog.json,
 * each item JSON, each asset file), or the file outputs of a service that wrote no catalog. The published
 * catalog keeps its relative hrefs, so `jobs/<id>/catalog.json` is a self-contained static STAC catalog in the
 * store; the items registered in the catalogue and the job's file outputs carry the blob KEYS instead of paths.
 *
 * Idempotent: a run of the same job publishes to the same keys, overwriting (a run that lost its lease and its
 * successor write identical files). Files are checked to exist before the first one moves, so a result with a
 * missing asset fails the job without publishing anything. Hrefs that are URLs, or paths outside the workspace,
 * are left as they are (nothing to publish).
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { GepError } from '../core/errors.ts';
import type { StacItem } from '../core/stac.ts';
import { checkBlobKey, type BlobStore } from '../store/blobs.ts';
import type { ServiceDescription, ServiceResult } from '../services/types.ts';
import { readCatalog } from './results.ts';

/** Blob prefix of a job's published files (with its trailing '/'). */
export const jobPrefix = (jobId: string): string => `jobs/${jobId}/`;

/** Files moved at once into the store (S3 uploads overlap; local moves are renames). */
const PARALLEL = 4;

const URL_RE = /^[a-z][a-z0-9+.-]*:\/\//i;

export interface Published {
  /** Outputs with file outputs inside the workspace replaced by their blob keys. */
  outputs: Record<string, unknown>;
  /** The service's catalog items with published asset hrefs as keys; null when it wrote no catalog. */
  items: StacItem[] | null;
  /** Every key written, in publishing order. */
  keys: string[];
}

/** True for an output whose value is a file: a schema with contentMediaType, or the conventional `catalog`. */
export function isFileOutput(desc: ServiceDescription, id: string): boolean {
  return !!desc.outputs[id]?.schema.contentMediaType || id === 'catalog';
}

/**
 * Moves the files of `result` from `workspace` to the blob store and returns outputs and items that name them
 * by key. Throws GEP_ERR_INTERNAL naming the file when a referenced file is missing (before anything moves).
 */
export async function publishResults(blobs: BlobStore, jobId: string, workspace: string, desc: ServiceDescription, result: ServiceResult): Promise<Published> {
  const root = resolve(workspace);
  const prefix = jobPrefix(jobId);
  /** path -> { key, contentType } in first-seen order; the catalog.json goes last (it marks a complete result). */
  const files = new Map<string, { key: string; contentType?: string }>();
  const keyOf = (path: string): string | null => {
    const rel = relative(root, path);
    if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) return null;
    return checkBlobKey(prefix + rel.split(sep).join('/'), `result file ${path}`);
  };
  const add = (path: string, contentType: string | undefined): string | null => {
    const key = keyOf(path);
    if (key === null) return null;
    const had = files.get(path);
    if (!had) files.set(path, { key, ...(contentType ? { contentType } : {}) });
    else if (!had.contentType && contentType) had.contentType = contentType;
    return key;
  };
  const local = (v: string): string => (isAbsolute(v) ? v : join(root, v));

  // Catalog items first, so that their assets carry the item's media types.
  let items: StacItem[] | null = null;
  let catalogPath: string | null = null;
  if (result.stac?.catalog) {
    catalogPath = local(result.stac.catalog);
    items = [];
    for (const { item, path } of await readCatalog(catalogPath)) {
      for (const a of Object.values(item.assets ?? {})) {
        if (URL_RE.test(a.href)) continue;
        const key = add(a.href, typeof a.type === 'string' ? a.type : undefined);
        if (key !== null) a.href = key;
      }
      add(path, 'application/geo+json');
      items.push(item);
    }
  }
  const outputs: Record<string, unknown> = {};
  for (const [id, v] of Object.entries(result.outputs)) {
    if (!isFileOutput(desc, id) || typeof v !== 'string' || URL_RE.test(v)) {
      outputs[id] = v;
      continue;
    }
    const path = local(v);
    const isCatalog = catalogPath !== null && path === catalogPath;
    const key = isCatalog ? keyOf(path) : add(path, desc.outputs[id]?.schema.contentMediaType ?? (id === 'catalog' ? 'application/json' : undefined));
    outputs[id] = key ?? path;
  }
  const order = [...files.entries()];
  const catalogKey = catalogPath !== null ? keyOf(catalogPath) : null;
  const last: [string, { key: string; contentType?: string }][] = catalogKey !== null ? [[catalogPath!, { key: catalogKey, contentType: 'application/json' }]] : [];
  // Every file must be there before the first one moves.
  await Promise.all(
    [...order, ...last].map(async ([path]) => {
      const st = await stat(path).catch(() => null);
      if (!st?.isFile()) throw new GepError('GEP_ERR_INTERNAL', `service '${desc.id}' references ${path} in its results, but no such file was written`);
    }),
  );
  const keys: string[] = [];
  const put = async ([path, f]: [string, { key: string; contentType?: string }]): Promise<void> => {
    await blobs.putFile(f.key, path, { ...(f.contentType ? { contentType: f.contentType } : {}), move: true });
    keys.push(f.key);
  };
  for (let i = 0; i < order.length; i += PARALLEL) {
    // Settle the whole batch before failing, so that no upload lands after the caller cleaned up.
    const failed = (await Promise.allSettled(order.slice(i, i + PARALLEL).map(put))).find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
  for (const f of last) await put(f); // the catalog last: its presence marks a complete result
  return { outputs, items, keys };
}
