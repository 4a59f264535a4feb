/**
 * `gep serve`: starts the platform (src/platform/app.ts) on the embedded defaults — PGlite in <data>/db, blobs
 * in <data>/blobs, job scratch in <data>/scratch — or on the given database and blob store (a folder or S3, where
 * job results are published), prints the URL and serves until SIGINT/SIGTERM.
 * With --demo, the demo scenes are made (when missing) and ingested into the catalogue before listening.
 */
import { createApp } from '../../platform/app.ts';
import { DEFAULT_DATA_DIR } from '../../store/db.ts';
import { redactUrl } from '../../store/db.ts';
import { intOption, parse } from '../args.ts';
import type { Command } from '../main.ts';
import { invalidInput } from '../../core/errors.ts';
import { scratchOf } from './worker.ts';
import type { Db } from '../../store/db.ts';
import type { BlobStore } from '../../store/blobs.ts';

const USAGE = `gep serve [--port 8080] [--host 127.0.0.1] [--data DIR] [--database URL] [--storage URL] [--scratch DIR] [--base-url URL] [--demo]

  --port N          TCP port (default 8080; 0 picks a free one)
  --host H          address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --data DIR        data folder (default ./${DEFAULT_DATA_DIR})
  --database URL    pglite://DIR, memory:// or postgres://user@host/db (default pglite://DATA/db)
  --storage URL     blob store: file://DIR or s3://BUCKET[/PREFIX][?endpoint=URL] (default DATA/blobs);
                    \`gep worker\` processes must be given the same one
  --scratch DIR     local folder where jobs run in this process (default DATA/scratch)
  --base-url URL    public URL of the API when behind a proxy (default: from the Host header)
  --demo            make the demo scenes if missing and ingest them before serving`;

/** Makes the demo data and ingests it (src/catalog/demo-data.ts, src/catalog/ingest.ts). */
async function ingestDemo(db: Db, blobs: BlobStore, dataDir: string): Promise<string> {
  const { ensureDemoData, demoProductPaths } = await import('../../catalog/demo-data.ts');
  const { ingestPaths } = await import('../../catalog/ingest.ts');
  const demo = await ensureDemoData(dataDir);
  const r = await ingestPaths(db, await demoProductPaths(demo), { blobs });
  return `demo data: ${r.inserted} items added, ${r.updated} updated${r.errors.length ? `, ${r.errors.length} not ingested (${r.errors[0]!.message})` : ''}`;
}

export const serveCommand: Command = {
  summary: 'Serve the platform API (STAC API, OGC API - Processes, tiles, downloads) on the embedded database or PostgreSQL',
  usage: USAGE,
  async run(args) {
    const { values } = parse(
      args,
      {
        port: { type: 'string' },
        host: { type: 'string' },
        data: { type: 'string' },
        database: { type: 'string' },
        storage: { type: 'string' },
        scratch: { type: 'string' },
        'base-url': { type: 'string' },
        demo: { type: 'boolean' },
      },
      false,
    );
    const port = intOption('port', values.port, 8080, 0, 65535);
    const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
    if (!/^[A-Za-z0-9.:-]{1,255}$/.test(host)) throw invalidInput(`--host: expected a host name or IP address, got '${host}'`);
    const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
    const baseUrl = str('base-url');
    const storage = str('storage');
    if (storage !== undefined && !/^(file|s3):\/\/./.test(storage))
      throw invalidInput(`--storage ${JSON.stringify(redactUrl(storage))}: expected file://DIR or s3://BUCKET[/PREFIX][?endpoint=URL]`, { input: 'storage' });
    const scratch = scratchOf(values.scratch);
    const app = await createApp({
      ...(scratch !== undefined ? { scratch } : {}),
      dataDir: str('data') ?? DEFAULT_DATA_DIR,
      ...(str('database') !== undefined ? { database: str('database') } : {}),
      ...(str('storage') !== undefined ? { storage: str('storage') } : {}),
      ...(baseUrl !== undefined ? { baseUrl } : {}),
    });
    try {
      if (values.demo) process.stdout.write(`${await ingestDemo(app.db, app.blobs, app.dataDir)}\n`);
      const address = await app.server.listen({ port, host });
      const shown = host === '0.0.0.0' || host === '::' ? address.replace(/\/\/[^:/]+|\/\/\[[^\]]+\]/, '//127.0.0.1') : address;
      process.stdout.write(
        `GEP serving ${baseUrl ?? shown}/ (data ${app.dataDir}, database ${redactUrl(str('database') ?? `pglite://${app.dataDir}/db`)}, ` +
          `blobs ${app.blobs.kind} ${redactUrl(app.blobs.location)})\n` +
          `  STAC API: ${baseUrl ?? shown}/search   collections: ${baseUrl ?? shown}/collections   API: ${baseUrl ?? shown}/api\n` +
          'Press Ctrl+C to stop.\n',
      );
    } catch (e) {
      await app.close().catch(() => undefined);
      throw e;
    }
    await new Promise<void>((done) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        done();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    process.stdout.write('stopping...\n');
    await app.close();
    return 0;
  },
};
