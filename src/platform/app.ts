/**
 * The platform application: opens the database and the blob store of a data folder and builds the HTTP server
 * with the landing page, conformance, OpenAPI, the STAC API, map tiles and asset downloads. `gep serve` starts
 * it; tests build it on `memory://` and use `app.server.inject()`.
 *
 * Asset resolution (what /tiles and /assets may open) is deliberately narrow — only:
 * - blob keys present in the blob store (thumbnails, job outputs) -> the blob's file;
 * - hrefs that some catalogue item or collection lists as an asset href, and that are either http(s) URLs
 *   (-> the URL) or local files inside the data folder (absolute, file:// or relative to the data folder).
 * Anything else (other local files, `..` escapes, symlinks leading out of the data folder) resolves to null,
 * so the API never serves an arbitrary file.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildServer, type ResolvedAsset, type ServiceInfo } from '../api/server.ts';
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
  /** Blob store URL (file://<dir>); default <data>/blobs. */
  storage?: string;
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
    // A blob key (relative, validated) that exists in the blob store.
    let isKey = false;
    try {
      checkBlobKey(href);
      isKey = !/^[a-z][a-z0-9+.-]*:/i.test(href);
    } catch {
      isKey = false;
    }
    if (isKey && (await blobs.head(href))) {
      const p = blobs.localPath?.(href) ?? null;
      return p ? { path: p } : null;
    }
    const asset = await catalogueAsset(db, href);
    if (!asset) return null;
    const type = typeof asset.type === 'string' ? asset.type : undefined;
    if (/^https?:\/\//i.test(href)) return { url: href, ...(type ? { type } : {}) };
    let path: string;
    if (/^file:\/\//i.test(href)) {
      try {
        path = fileURLToPath(href);
      } catch {
        return null;
      }
    } else if (/^[a-z][a-z0-9+.-]*:/i.test(href) && !/^[a-z]:[\\/]/i.test(href)) return null;
    else path = href;
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
    // Job workspaces live in the data folder, so result assets resolve like any catalogue asset.
    if (opts.engine !== false) engine = await Engine.open({ db, workRoot: dataDir });
    const server = await buildServer({
      ...(opts.baseUrl !== undefined ? { baseUrl: opts.baseUrl } : {}),
      ...(opts.logger !== undefined ? { logger: opts.logger } : {}),
      ...(opts.info ? { info: opts.info } : {}),
      resolveAsset,
      plugins: [stacPlugin({ db }), ...(engine ? [processesPlugin({ engine })] : []), ...(opts.plugins ?? [])],
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
