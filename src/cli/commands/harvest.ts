/**
 * `gep harvest --from URL --collections a,b [--bbox W,S,E,N] [--datetime ...] [--limit N] [--data DIR]`: copies
 * items of a remote STAC API into the catalogue. An interrupted harvest of the same source and query continues
 * where it stopped (--restart starts over). Harvested items matching a subscription queue its jobs (see ingest.ts).
 */
import { invalidInput } from '../../core/errors.ts';
import { intOption, parse } from '../args.ts';
import type { Command } from '../main.ts';
import { progressSink } from '../progress.ts';
import { cliTrigger, openCliDb } from './ingest.ts';

const USAGE = `gep harvest --from URL --collections ID[,ID...] [--bbox W,S,E,N] [--datetime D] [--limit N] [--data DIR]

  --from URL          root of the STAC API (e.g. https://earth-search.aws.element84.com/v1)
  --collections IDS   collections to copy, comma-separated
  --bbox W,S,E,N      area in degrees
  --datetime D        instant or interval (2024-01-01T00:00:00Z/2024-02-01T00:00:00Z, open ends '..')
  --limit N           most items copied by this run
  --page-size N       items per page asked of the server (default 100)
  --retries N         retries per request on network errors and 5xx (default 3)
  --restart           start over instead of continuing an interrupted harvest
  --data DIR          data folder (default ./gep-data)
  --database URL      pglite://DIR or postgres://... (default: the data folder's)

Items matching a subscription (gep subscriptions add) queue its jobs; they run in \`gep serve\` or \`gep worker\`.`;

export const harvestCommand: Command = {
  summary: 'Copy items from a remote STAC API into the catalogue (resumable)',
  usage: USAGE,
  async run(args) {
    const { values } = parse(
      args,
      {
        from: { type: 'string' },
        collections: { type: 'string' },
        bbox: { type: 'string' },
        datetime: { type: 'string' },
        limit: { type: 'string' },
        'page-size': { type: 'string' },
        retries: { type: 'string' },
        restart: { type: 'boolean' },
        data: { type: 'string' },
        database: { type: 'string' },
      },
      false,
    );
    if (typeof values.from !== 'string') throw invalidInput(`--from is required: ${USAGE.split('\n')[0]}`, { input: 'from' });
    if (typeof values.collections !== 'string') throw invalidInput(`--collections is required: ${USAGE.split('\n')[0]}`, { input: 'collections' });
    const collections = values.collections.split(',').map((s) => s.trim()).filter(Boolean);
    let bbox: number[] | undefined;
    if (typeof values.bbox === 'string') {
      bbox = values.bbox.split(',').map((s) => Number(s.trim()));
      if (bbox.length !== 4 || !bbox.every(Number.isFinite)) throw invalidInput(`--bbox must be W,S,E,N in degrees, got '${values.bbox}'`, { input: 'bbox' });
    }
    const limit = values.limit === undefined ? undefined : intOption('limit', values.limit, 0, 1, 10_000_000);
    const pageSize = intOption('page-size', values['page-size'], 100, 1, 1000);
    const retries = intOption('retries', values.retries, 3, 0, 10);
    const { harvest } = await import('../../catalog/harvest.ts');
    const db = await openCliDb(values);
    const controller = new AbortController();
    const onSig = (): void => controller.abort();
    process.once('SIGINT', onSig);
    const sink = progressSink('harvest');
    const trigger = await cliTrigger(db, values);
    try {
      const r = await harvest(db, {
        from: values.from,
        collections,
        ...(bbox ? { bbox } : {}),
        ...(typeof values.datetime === 'string' ? { datetime: values.datetime } : {}),
        ...(limit !== undefined ? { limit } : {}),
        pageSize,
        retries,
        resume: values.restart !== true,
        signal: controller.signal,
        progress: sink.progress,
        onItems: trigger.onItems,
      });
      sink.done();
      for (const m of r.skippedReasons) process.stderr.write(`skipped: ${m}\n`);
      if (r.resumedFrom) process.stdout.write(`resumed from ${r.resumedFrom}\n`);
      process.stdout.write(`harvested ${r.items} item${r.items === 1 ? '' : 's'} in ${r.pages} page${r.pages === 1 ? '' : 's'}${r.skipped ? `; ${r.skipped} skipped (malformed or too large)` : ''}\n${trigger.line()}`);
      return 0;
    } finally {
      process.off('SIGINT', onSig);
      await trigger.close();
      await db.close();
    }
  },
};
