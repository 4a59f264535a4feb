/**
 * The platform application: opens the database and the blob store of a data folder and builds the HTTP server
 * with the landing page, conformance, OpenAPI, the STAC API, map tiles and asset downloads. `gep serve` starts
 * it; tests build it on `memory://` and use `app.server.inject()`.
 *
 * Asset resolution (what /tiles and /assets may open) is deliberately narrow — only:
 * - blob keys present in the blob store (thumbnails, job outputs) -> the blob's file, or where the store has no
 *   files (S3) the blob itself (`{ blob }`: /assets streams it, /tiles opens `store.url(key)`);
 * - hrefs that some catalogue item or collection lists as an asset href, and that are either http(s) URLs
 *   (-> the URL) or local files inside the data folder (absolute, file:// or relative to the data folder);
 * - a path relative to the data folder whose absolute form (or its file:// URL) the catalogue lists: the key of
 *   the public href `<base>/assets/<relative path>` that the STAC API shows for such an asset.
 * Anything else (other local files, `..` escapes, symlinks leading out of the data folder) resolves to null,
 * so the API never serves an arbitrary file.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { StacItem } from '../core/stac.ts';
import { buildServer, type ResolvedAsset, type ServiceInfo } from '../api/server.ts';
import { GENERIC_TYPES } from '../api/plugins/asset-sources.ts';
import { stacPlugin } from '../api/plugins/stac.ts';
import { processesPlugin } from '../api/plugins/processes.ts';
import { Engine } from '../engine/engine.ts';
import type { ApiPlugin } from '../api/server.ts';
import { checkBlobKey, openBlobStore, type BlobStore } from '../store/blobs.ts';
import { DEFAULT_DATA_DIR, openDb, type Db } from '../store/db.ts';

export interface AppOptions {
  /** Data folder (default ./gep-data): PGlite in <data>/db, blobs in <data>/blobs unless given otherwise. */
  dataDir?: string;
  /** Database URL (see src/store/db.ts parseDbUrl); default pglite://<data>/db. */
  database?: string;
  /** Blob store URL (file://<dir> or s3://bucket/prefix?endpoint=...); default <data>/blobs. Job results go there. */
  storage?: string;
  /** Local scratch folder for running jobs (default <data>/scratch). */
  scratch?: string;
  /** Public root URL; default from the request's Host header. */
  baseUrl?: string;
  logger?: boolean;
  info?: Partial<ServiceInfo>;
  /** More API plugins (platform routes ...). */
  plugins?: ApiPlugin[];
  /** Run the processing engine (OGC API - Processes, jobs) in this process; default true. */
  engine?: boolean;
}

export interface App {
  server: FastifyInstance;
  db: Db;
  blobs: BlobStore;
  /** The processing engine, unless disabled. */
  engine: Engine | null;
  /** Absolute data folder. */
  dataDir: string;
  resolveAsset(href: string): Promise<ResolvedAsset | null>;
  /** Closes the server, then the engine, then the database. */
  close(): Promise<void>;
}

/** Resolved hrefs kept (positive and negative answers), and for how long (ms). */
const CACHE_SIZE = 2048;
const CACHE_MS = 30_000;

/** The catalogue asset object whose href is exactly `href` (items first, then collections), or null. */
async function catalogueAsset(db: Db, href: string): Promise<{ type?: unknown } | null> {
  for (const table of ['items', 'collections']) {
    const { rows } = await db.query<{ a: { type?: unknown } | null }>(
      `SELECT jsonb_path_query_first(content, '$.assets.* ? (@.href == $h)', jsonb_build_object('h', $1::text)) AS a
       FROM ${table} WHERE jsonb_path_exists(content, '$.assets.* ? (@.href == $h)', jsonb_build_object('h', $1::text)) LIMIT 1`,
      [href],
    );
    if (rows[0]?.a) return rows[0].a;
  }
  return null;
}

/** The first of `hrefs` that the catalogue lists as an asset href, with its asset, or null. */
async function firstListed(db: Db, hrefs: readonly string[]): Promise<{ href: string; asset: { type?: unknown } } | null> {
  for (const href of hrefs) {
    const asset = await catalogueAsset(db, href);
    if (asset) return { href, asset };
  }
  return null;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

const inside = (root: string, p: string): boolean => {
  const r = relative(root, p);
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r));
};

export function makeResolver(db: Db, blobs: BlobStore, dataDir: string): (href: string) => Promise<ResolvedAsset | null> {
  const cache = new Map<string, { at: number; value: ResolvedAsset | null }>();
  let realRoot: string | undefined;

  async function localFile(path: string): Promise<string | null> {
    realRoot ??= await realpath(dataDir).catch(() => dataDir);
    const abs = resolve(dataDir, path);
    if (!inside(dataDir, abs)) return null;
    const real = await realpath(abs).catch(() => null);
    return real !== null && inside(realRoot, real) ? real : null;
  }

  async function uncached(href: string): Promise<ResolvedAsset | null> {
    if (href.length === 0 || href.length > 4096) return null;
    // A blob key (relative, validated) that exists in the blob store: its file, else the blob itself (S3).
    let isKey = false;
    try {
      checkBlobKey(href);
      isKey = !SCHEME.test(href);
    } catch {
      isKey = false;
    }
    const head = isKey ? await blobs.head(href) : null;
    if (head) {
      const p = blobs.localPath(href);
      if (p) return { path: p };
      const type = head.contentType && !GENERIC_TYPES.has(head.contentType.toLowerCase()) ? head.contentType : undefined;
      return { blob: { store: blobs, key: href }, ...(type ? { type } : {}) };
    }
    // A catalogue href as stored; for a relative path (the key of a public /assets URL), also its absolute form
    // in the data folder and that form's file:// URL, as ingestion may have stored either.
    const candidates = [href];
    if (isKey) {
      const abs = resolve(dataDir, href);
      if (inside(dataDir, abs)) candidates.push(abs, pathToFileURL(abs).href);
    }
    const found = await firstListed(db, candidates);
    if (!found) return null;
    const listed = found.href;
    const type = typeof found.asset.type === 'string' ? found.asset.type : undefined;
    if (/^https?:\/\//i.test(listed)) return { url: listed, ...(type ? { type } : {}) };
    let path: string;
    if (/^file:\/\//i.test(listed)) {
      try {
        path = fileURLToPath(listed);
      } catch {
        return null;
      }
    } else if (SCHEME.test(listed) && !/^[a-z]:[\\/]/i.test(listed)) return null;
    else path = listed;
    const file = await localFile(path);
    return file ? { path: file, ...(type ? { type } : {}) } : null;
  }

  return async (href: string) => {
    const now = Date.now();
    const hit = cache.get(href);
    if (hit && now - hit.at < CACHE_MS) return hit.value;
    const value = await uncached(href);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(href, { at: now, value });
    return value;
  };
}

/** Opens the stores and builds the server (not listening). */
export async function createApp(opts: AppOptions = {}): Promise<App> {
  const dataDir = resolve(opts.dataDir ?? DEFAULT_DATA_DIR);
  const db = await openDb(opts.database, { dataDir });
  let engine: Engine | null = null;
  try {
    const blobs = await openBlobStore(opts.storage, { dataDir });
    const resolveAsset = makeResolver(db, blobs, dataDir);
    // Jobs run in local scratch and publish their results to the blob store (jobs/<id>/...), so result assets
    // resolve like any blob, on a local folder or on S3.
    if (opts.engine !== false) engine = await Engine.open({ db, blobs, workRoot: dataDir, ...(opts.scratch ? { scratch: opts.scratch } : {}) });
    const server = await buildServer({
      ...(opts.baseUrl !== undefined ? { baseUrl: opts.baseUrl } : {}),
      ...(opts.logger !== undefined ? { logger: opts.logger } : {}),
      ...(opts.info ? { info: opts.info } : {}),
      resolveAsset,
      plugins: [
        stacPlugin({ db, dataDir, ...(engine ? { onItemsIngested: (items: StacItem[]) => engine!.onItemsIngested(items) } : {}) }),
        ...(engine ? [processesPlugin({ engine })] : []),
        ...(opts.plugins ?? []),
      ],
    });
    let closed = false;
    return {
      server,
      db,
      blobs,
      engine,
      dataDir,
      resolveAsset,
      async close() {
        if (closed) return;
        closed = true;
        try {
          await server.close();
          await engine?.close();
        } finally {
          await db.close();
        }
      },
    };
  } catch (e) {
    await engine?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw e;
  }
}
