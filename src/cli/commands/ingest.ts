/**
 * `gep ingest PATH... [--data DIR | --database URL] [--collection ID] [--server URL]`: adds products (SAFE,
 * DIMAP, Landsat MTL, GeoTIFF/COG, images, STAC item JSON) to the catalogue, with thumbnails. Ingesting again
 * updates. Exit 0 when at least one product was stored (failures listed on stderr), 2 when all failed.
 * With --server the items go through a running server's STAC transaction API instead of the database (the server
 * then starts the jobs of matching subscriptions); on a database, the jobs of matching subscriptions are queued
 * here (src/engine/subscriptions.ts subscriptionTrigger) and run when a server or `gep worker` runs.
 */
import { resolve } from 'node:path';
import type { IngestResult } from '../../catalog/ingest.ts';
import { GepError, invalidInput, isGepError, toGepError } from '../../core/errors.ts';
import type { StacItem } from '../../core/stac.ts';
import type { BlobStore } from '../../store/blobs.ts';
import type { Db } from '../../store/db.ts';
import { DEFAULT_DATA_DIR } from '../../store/db.ts';
import { parse } from '../args.ts';
import type { Command } from '../main.ts';
import { progressSink } from '../progress.ts';

const USAGE = `gep ingest PATH... [--data DIR | --database URL] [--collection ID] [--server URL] [--no-thumbnails] [--json]

  PATH               product files or folders (folders are searched; SAFE/DIMAP/Landsat folders are one product)
  --data DIR         data folder (default ./gep-data): database in DIR/db, thumbnails in DIR/blobs
  --database URL     pglite://DIR, postgres://... (default: the data folder's)
  --storage URL      blob store for thumbnails, file://DIR (default DIR/blobs of --data)
  --collection ID    put every product in this collection (default: from the sensor and level)
  --server URL       send the items to a running server (STAC transactions) instead of opening the database;
                     thumbnails are then stored only when --data or --storage is given
  --no-thumbnails    do not make thumbnails
  --no-recursive     do not search sub-folders
  --json             print the result as JSON

Items matching a subscription (gep subscriptions add) queue its jobs; they run in \`gep serve\` or \`gep worker\`.`;

/** Opens the catalogue database of the CLI options, explaining a folder held by a running server. */
export async function openCliDb(values: Record<string, unknown>): Promise<Db> {
  const { openDb } = await import('../../store/db.ts');
  const dataDir = typeof values.data === 'string' ? values.data : DEFAULT_DATA_DIR;
  try {
    return await openDb(typeof values.database === 'string' ? values.database : undefined, { dataDir });
  } catch (e) {
    if (isGepError(e) && e.details?.pid !== undefined)
      throw invalidInput(`the data folder ${resolve(dataDir)} is in use by a running server: use --server URL (e.g. --server http://localhost:8080)`, {
        input: 'data',
      });
    throw e;
  }
}

async function openCliBlobs(values: Record<string, unknown>): Promise<BlobStore> {
  const { openBlobStore } = await import('../../store/blobs.ts');
  const dataDir = typeof values.data === 'string' ? values.data : DEFAULT_DATA_DIR;
  return openBlobStore(typeof values.storage === 'string' ? values.storage : undefined, { dataDir });
}

/** The data folder of the CLI options (absolute). */
export function cliDataDir(values: Record<string, unknown>): string {
  return resolve(typeof values.data === 'string' ? values.data : DEFAULT_DATA_DIR);
}

/**
 * Systematic processing for a CLI that stores items in a database: the `onItems` hook queues the jobs of matching
 * subscriptions (a failure is printed, never fatal: the items are stored); `line()` is the summary to print.
 */
export async function cliTrigger(db: Db, values: Record<string, unknown>): Promise<{ onItems: (items: StacItem[]) => Promise<void>; line(): string; queued(): number; close(): Promise<void> }> {
  const { subscriptionTrigger } = await import('../../engine/subscriptions.ts');
  const t = subscriptionTrigger(db, { workRoot: cliDataDir(values) });
  let failed = false;
  return {
    async onItems(items) {
      if (failed) return;
      try {
        await t.onItems(items);
      } catch (e) {
        failed = true;
        process.stderr.write(`error: subscriptions: jobs not queued (${toGepError(e).message})\n`);
      }
    },
    line: () => (t.queued > 0 ? `${t.queued} job(s) queued by subscriptions\n` : ''),
    queued: () => t.queued,
    close: () => t.close(),
  };
}

function report(r: IngestResult, json: boolean, queued: number, queuedLine: string): void {
  if (json) {
    const slim = r.items.map((i) => ({ collection: i.collection, id: i.id, datetime: i.properties.datetime }));
    process.stdout.write(`${JSON.stringify({ inserted: r.inserted, updated: r.updated, items: slim, errors: r.errors, warnings: r.warnings, jobsQueued: queued }, null, 2)}\n`);
    return;
  }
  for (const w of r.warnings) process.stderr.write(`warning: ${w.message}\n`);
  for (const e of r.errors) process.stderr.write(`error: ${e.message}\n`);
  const per = new Map<string, number>();
  for (const i of r.items) per.set(i.collection ?? '?', (per.get(i.collection ?? '?') ?? 0) + 1);
  const cols = [...per].map(([c, n]) => `${c} (${n})`).join(', ');
  process.stdout.write(
    `ingested ${r.items.length} item${r.items.length === 1 ? '' : 's'} (${r.inserted} new, ${r.updated} updated)${cols ? ` into ${cols}` : ''}` +
      `${r.errors.length ? `; ${r.errors.length} failed` : ''}\n${queuedLine}`,
  );
}

export const ingestCommand: Command = {
  summary: 'Add products (SAFE, DIMAP, MTL, GeoTIFF, STAC item JSON) to the catalogue, with thumbnails',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parse(args, {
      data: { type: 'string' },
      database: { type: 'string' },
      storage: { type: 'string' },
      collection: { type: 'string' },
      server: { type: 'string' },
      'no-thumbnails': { type: 'boolean' },
      'no-recursive': { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (positionals.length === 0) throw invalidInput(`give at least one PATH: ${USAGE.split('\n')[0]}`);
    const { checkCollectionId } = await import('../../catalog/collections.ts');
    const collection = typeof values.collection === 'string' ? checkCollectionId(values.collection, '--collection') : undefined;
    const server = typeof values.server === 'string' ? values.server : undefined;
    if (server !== undefined && !/^https?:\/\/\S+$/i.test(server)) throw invalidInput(`--server must be an http(s) URL, got ${JSON.stringify(server)}`);
    if (server !== undefined && values.database !== undefined) throw invalidInput('give --server or --database, not both');
    const thumbs = values['no-thumbnails'] !== true && (server === undefined || values.data !== undefined || values.storage !== undefined);
    const sink = progressSink('ingest');
    const controller = new AbortController();
    const onSig = (): void => controller.abort();
    process.once('SIGINT', onSig);
    const { ingestInto, dbTarget } = await import('../../catalog/ingest.ts');
    let db: Db | null = null;
    let trigger: Awaited<ReturnType<typeof cliTrigger>> | null = null;
    try {
      let target;
      if (server !== undefined) target = (await import('../../catalog/ingest-server.ts')).serverTarget(server, { signal: controller.signal });
      else {
        db = await openCliDb(values);
        target = dbTarget(db);
        trigger = await cliTrigger(db, values);
      }
      const blobs = thumbs ? await openCliBlobs(values) : undefined;
      const r = await ingestInto(target, positionals, {
        ...(collection ? { collection } : {}),
        ...(blobs ? { blobs } : {}),
        thumbnails: thumbs,
        recursive: values['no-recursive'] !== true,
        signal: controller.signal,
        progress: sink.progress,
        ...(trigger ? { onItems: trigger.onItems } : {}),
      });
      sink.done();
      report(r, values.json === true, trigger?.queued() ?? 0, trigger?.line() ?? '');
      if (r.items.length === 0) {
        if (r.errors.length === 0) throw new GepError('GEP_ERR_NOT_FOUND', `no product found under ${positionals.join(', ')}`);
        return 2;
      }
      return 0;
    } finally {
      process.off('SIGINT', onSig);
      await trigger?.close();
      await db?.close();
    }
  },
};
