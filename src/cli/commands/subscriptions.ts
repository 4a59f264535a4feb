/**
 * `gep subscriptions add|list|rm|enable|disable`: systematic processing from the command line. A subscription
 * runs a process on every newly stored item of a collection inside its area (src/engine/subscriptions.ts).
 * On a data folder or database (`--data`, `--database`) the subscriptions table is used directly; with
 * `--server URL` the server's `/subscriptions` API is used (needed while `gep serve` holds the data folder).
 * `--input k=v` values are converted to the input's JSON type as `gep run` does, then validated against the
 * process description: a bad one exits 2 with one line naming the input.
 */
import { GepError, invalidInput } from '../../core/errors.ts';
import type { Subscription } from '../../engine/subscriptions.ts';
import { flagOf, getService } from '../../services/registry.ts';
import { parse } from '../args.ts';
import type { Command } from '../main.ts';
import { openCliDb } from './ingest.ts';
import { parseServiceArgs } from './run.ts';

const USAGE = `gep subscriptions add --process P --collection C [--bbox W,S,E,N] [--input K=V ...] [--item-input K] [--title T]
                      [--filter JSON] [--disabled] [--data DIR | --database URL | --server URL] [--json]
gep subscriptions list [--collection C] [--process P] [--data DIR | --database URL | --server URL] [--json]
gep subscriptions rm|enable|disable ID... [--data DIR | --database URL | --server URL]

  --process P        the process run on each new item (gep services lists them)
  --collection C     the collection watched
  --bbox W,S,E,N     only items intersecting this area, in degrees (default: everywhere)
  --input K=V        a fixed input of every job (repeat for several; lists: repeat the same K)
  --item-input K     the input receiving the item as 'collection/itemId' (default: the process's only
                     raster or product input)
  --filter JSON      item properties an item must have, e.g. '{"platform":"sentinel-2a"}'
  --title T          a name for the subscription (jobs are titled '<T>: collection/item')
  --disabled         create it disabled (gep subscriptions enable ID starts it)
  --data DIR         data folder (default ./gep-data)
  --database URL     pglite://DIR or postgres://... (default: the data folder's)
  --server URL       a running server (its /subscriptions API) instead of the database
  --json             print JSON

Items stored afterwards by gep ingest, gep harvest or the STAC transaction API start one job each, once.`;

const OPTIONS = {
  process: { type: 'string' },
  collection: { type: 'string' },
  bbox: { type: 'string' },
  input: { type: 'string', multiple: true },
  'item-input': { type: 'string' },
  title: { type: 'string' },
  filter: { type: 'string' },
  disabled: { type: 'boolean' },
  data: { type: 'string' },
  database: { type: 'string' },
  storage: { type: 'string' },
  server: { type: 'string' },
  json: { type: 'boolean' },
} as const;

type Json = Record<string, unknown>;

/** What each backend (database or server) offers; subscriptions travel in their HTTP JSON form. */
interface Backend {
  add(body: Json): Promise<Json>;
  list(f: { collection?: string; process?: string }): Promise<Json[]>;
  remove(id: string): Promise<void>;
  setEnabled(id: string, enabled: boolean): Promise<Json>;
  close(): Promise<void>;
}

/** Converts `--input K=V` texts to typed inputs with the process description (as `gep run` flags). */
export async function cliInputs(process: string, texts: string[]): Promise<Json> {
  const desc = (await getService(process)).description;
  const args: string[] = [];
  for (const t of texts) {
    const eq = t.indexOf('=');
    if (eq <= 0) throw invalidInput(`--input ${JSON.stringify(t)}: expected K=V (e.g. --input count=3)`, { input: 'input' });
    const k = t.slice(0, eq);
    const d = desc.inputs[k];
    if (!d) throw invalidInput(`--input ${k}: process '${desc.id}' has no input '${k}' (inputs: ${Object.keys(desc.inputs).join(', ')})`, { input: k });
    args.push(`--${flagOf(k, d.cli?.flag)}=${t.slice(eq + 1)}`);
  }
  return parseServiceArgs(desc, args).inputs;
}

function parseBbox(text: string): number[] {
  const b = text.split(',').map((s) => Number(s.trim()));
  if (b.length !== 4 || !b.every(Number.isFinite)) throw invalidInput(`--bbox must be W,S,E,N in degrees, got '${text}'`, { input: 'bbox' });
  return b;
}

function parseFilter(text: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw invalidInput(`--filter must be a JSON object of item properties, got '${text.slice(0, 60)}'`, { input: 'filter' });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalidInput('--filter must be a JSON object of item properties', { input: 'filter' });
  return v as Json;
}

async function dbBackend(values: Json): Promise<Backend> {
  const db = await openCliDb(values);
  const subs = await import('../../engine/subscriptions.ts');
  const { subscriptionJson } = await import('../../api/plugins/subscriptions.ts');
  const out = (s: Subscription): Json => subscriptionJson(s, '');
  return {
    async add(b) {
      return out(
        await subs.createSubscription(db, {
          process: b.process as string,
          collection: b.collection as string,
          inputs: b.inputs as Json,
          ...(b.bbox ? { bbox: b.bbox as number[] } : {}),
          ...(b.itemInput !== undefined ? { itemInput: b.itemInput as string } : {}),
          ...(b.filter ? { filter: b.filter as Json } : {}),
          ...(b.title !== undefined ? { title: b.title as string } : {}),
          ...(b.enabled !== undefined ? { enabled: b.enabled as boolean } : {}),
        }),
      );
    },
    async list(f) {
      return (await subs.pageSubscriptions(db, { ...f, limit: 1000 })).subscriptions.map(out);
    },
    async remove(id) {
      if (!(await subs.deleteSubscription(db, id))) throw new GepError('GEP_ERR_NOT_FOUND', `no subscription '${id}'`);
    },
    async setEnabled(id, enabled) {
      return out(await subs.updateSubscription(db, id, { enabled }));
    },
    close: () => db.close(),
  };
}

function serverBackend(root: string): Backend {
  const base = root.replace(/\/+$/, '');
  const call = async (method: string, path: string, body?: unknown): Promise<Json | null> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (e) {
      throw new GepError('GEP_ERR_REMOTE', `${method} ${base}${path}: ${(e as Error).message}`);
    }
    const text = await res.text();
    let j: Json | null = null;
    try {
      j = text ? (JSON.parse(text) as Json) : null;
    } catch {
      j = null;
    }
    if (res.ok) return j;
    const detail = typeof j?.detail === 'string' ? j.detail : `HTTP ${res.status}`;
    if (res.status === 400 || res.status === 404)
      throw new GepError(res.status === 400 ? 'GEP_ERR_INVALID_INPUT' : 'GEP_ERR_NOT_FOUND', detail, typeof j?.parameter === 'string' ? { input: j.parameter } : undefined);
    throw new GepError('GEP_ERR_REMOTE', `${method} ${base}${path}: ${detail}`);
  };
  return {
    add: async (b) => (await call('POST', '/subscriptions', b))!,
    async list(f) {
      const out: Json[] = [];
      for (let offset = 0; ; offset += 1000) {
        const q = new URLSearchParams({ limit: '1000', offset: String(offset), ...f });
        const page = (await call('GET', `/subscriptions?${q}`))!;
        const got = (page.subscriptions as Json[] | undefined) ?? [];
        out.push(...got);
        if (got.length < 1000) return out;
      }
    },
    async remove(id) {
      await call('DELETE', `/subscriptions/${encodeURIComponent(id)}`);
    },
    setEnabled: async (id, enabled) => (await call('PATCH', `/subscriptions/${encodeURIComponent(id)}`, { enabled }))!,
    close: async () => undefined,
  };
}

/** One line per subscription: id, state, collection, process, item input, area, title. */
function line(s: Json): string {
  const area = Array.isArray(s.bbox) ? `bbox ${(s.bbox as number[]).join(',')}` : s.intersects ? 'geometry' : 'everywhere';
  const inputs = Object.keys((s.inputs as Json | undefined) ?? {}).length ? ` ${JSON.stringify(s.inputs)}` : '';
  return `${s.id}  ${s.enabled ? 'enabled ' : 'disabled'}  ${s.collection} -> ${s.process}(${s.itemInput}=item${inputs})  ${area}${s.title ? `  "${s.title}"` : ''}`;
}

export const subscriptionsCommand: Command = {
  summary: 'Run a process on every new catalogue item of a collection (systematic processing): add, list, rm',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parse(args, OPTIONS);
    const [action, ...ids] = positionals;
    const first = USAGE.split('\n')[0]!;
    if (!action) throw invalidInput(`give an action (add, list, rm, enable, disable): ${first}`);
    if (!['add', 'list', 'ls', 'rm', 'enable', 'disable'].includes(action)) throw invalidInput(`unknown action '${action}' (expected add, list, rm, enable or disable)`);
    const server = typeof values.server === 'string' ? values.server : undefined;
    if (server !== undefined && !/^https?:\/\/\S+$/i.test(server)) throw invalidInput(`--server must be an http(s) URL, got ${JSON.stringify(server)}`);
    if (server !== undefined && (values.database !== undefined || values.data !== undefined)) throw invalidInput('give --server or --data/--database, not both');
    const json = values.json === true;

    let body: Json | null = null;
    if (action === 'add') {
      if (ids.length) throw invalidInput(`add takes no positional argument (got '${ids[0]}')`);
      if (typeof values.process !== 'string') throw invalidInput(`--process is required: ${first}`, { input: 'process' });
      if (typeof values.collection !== 'string') throw invalidInput(`--collection is required: ${first}`, { input: 'collection' });
      const texts = Array.isArray(values.input) ? values.input : [];
      body = {
        process: values.process,
        collection: values.collection,
        inputs: await cliInputs(values.process, texts),
        ...(typeof values.bbox === 'string' ? { bbox: parseBbox(values.bbox) } : {}),
        ...(typeof values['item-input'] === 'string' ? { itemInput: values['item-input'] } : {}),
        ...(typeof values.filter === 'string' ? { filter: parseFilter(values.filter) } : {}),
        ...(typeof values.title === 'string' ? { title: values.title } : {}),
        ...(values.disabled === true ? { enabled: false } : {}),
      };
      // Refused here, before a database or server is contacted.
      const { checkSubscription } = await import('../../engine/subscriptions.ts');
      await checkSubscription({ ...(body as { process: string; collection: string }), ...(body.itemInput !== undefined ? { itemInput: body.itemInput as string } : {}) });
    } else if (action === 'list' || action === 'ls') {
      if (ids.length) throw invalidInput(`list takes no positional argument (got '${ids[0]}'); filter with --collection or --process`);
    } else if (ids.length === 0) throw invalidInput(`${action} needs at least one subscription id (gep subscriptions list shows them)`);

    const backend = server !== undefined ? serverBackend(server) : await dbBackend(values);
    try {
      if (body) {
        const s = await backend.add(body);
        process.stdout.write(json ? `${JSON.stringify(s, null, 2)}\n` : `added ${line(s)}\n`);
      } else if (action === 'list' || action === 'ls') {
        const f: { collection?: string; process?: string } = {};
        if (typeof values.collection === 'string') f.collection = values.collection;
        if (typeof values.process === 'string') f.process = values.process;
        const list = await backend.list(f);
        if (json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        else process.stdout.write(list.length ? `${list.map(line).join('\n')}\n` : 'no subscriptions\n');
      } else {
        for (const id of ids) {
          if (action === 'rm') {
            await backend.remove(id);
            process.stdout.write(`removed ${id}\n`);
          } else {
            const s = await backend.setEnabled(id, action === 'enable');
            process.stdout.write(`${line(s)}\n`);
          }
        }
      }
      return 0;
    } finally {
      await backend.close();
    }
  },
};
