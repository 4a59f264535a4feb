/**
 * Service registry: one line per service at the bottom of this file. Services load on first use (dynamic
 * import), so `gep info` never pulls in a processing chain; a service module must itself stay light at top
 * level (import heavy algorithm code inside `run`), since `gep services` loads every description.
 * Registration refuses a duplicate id; a description is checked (ids, flags, defaults) when first loaded.
 */
import { GepError } from '../core/errors.ts';
import type { Service, ServiceDescription } from './types.ts';
import { checkValue, schemaTypes } from './validate.ts';

/** A service known by id whose module loads on first use. */
export interface LazyService {
  id: string;
  load: () => Promise<Service>;
}

interface Entry {
  id: string;
  load: () => Promise<Service>;
  loaded?: Promise<Service>;
}

const entries = new Map<string, Entry>();

/** Flags the CLI keeps for itself (`gep run <id> --out DIR --json --workers N --help`). */
export const RESERVED_FLAGS = new Set(['out', 'json', 'workers', 'help', 'h', 'quiet']);

const ID_RE = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** kebab-case flag name of an input id: `windowSize` -> `window-size`. */
export const flagOf = (id: string, flag?: string): string => flag ?? id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/_/g, '-').toLowerCase();

/**
 * Checks a description for authoring mistakes: bad ids, empty titles, defaults that fail their own schema,
 * clashing or reserved CLI flags. Throws a plain Error naming the service and the input (a bug, not user input).
 */
export function checkDescription(d: ServiceDescription): void {
  const fail = (m: string): never => {
    throw new Error(`service '${d.id}': ${m}`);
  };
  if (!ID_RE.test(d.id)) fail('id must start with a letter and hold only letters, digits, - and _');
  if (!d.version || !d.title || !d.description) fail('version, title and description are required');
  const flags = new Map<string, string>();
  for (const [id, inp] of Object.entries(d.inputs)) {
    if (!ID_RE.test(id)) fail(`input id '${id}' must start with a letter and hold only letters, digits, - and _`);
    if (!inp.title || !inp.description) fail(`input '${id}' needs a title and a description`);
    if (!schemaTypes(inp.schema) && !inp.schema.oneOf && !inp.schema.anyOf) fail(`input '${id}' has a schema without a type`);
    const names = [flagOf(id, inp.cli?.flag), ...(inp.cli?.short ? [inp.cli.short] : [])];
    for (const f of names) {
      if (RESERVED_FLAGS.has(f) || f.startsWith('no-')) fail(`input '${id}': flag --${f} is reserved`);
      if (flags.has(f)) fail(`inputs '${flags.get(f)}' and '${id}' both use flag ${f}`);
      flags.set(f, id);
    }
    if (inp.cli?.short && !/^[a-zA-Z]$/.test(inp.cli.short)) fail(`input '${id}': short flag must be one letter`);
    if (inp.schema.default !== undefined) {
      const problems: { path: string; message: string }[] = [];
      checkValue(inp.schema, inp.schema.default, '', problems);
      if (problems.length) fail(`input '${id}': default ${JSON.stringify(inp.schema.default)} fails its schema (${problems[0]!.message})`);
    }
  }
  for (const [id, out] of Object.entries(d.outputs)) {
    if (!ID_RE.test(id)) fail(`output id '${id}' must start with a letter and hold only letters, digits, - and _`);
    if (!out.title || !out.schema) fail(`output '${id}' needs a title and a schema`);
  }
}

/** Adds a service (loaded, or lazy with `load`); refuses an id that is already registered. */
export function registerService(svc: Service | LazyService): void {
  const id = 'description' in svc ? svc.description.id : svc.id;
  if (entries.has(id)) throw new Error(`service '${id}' is already registered`);
  if ('description' in svc) {
    checkDescription(svc.description);
    entries.set(id, { id, load: async () => svc, loaded: Promise.resolve(svc) });
  } else entries.set(id, { id, load: svc.load });
}

/** Ids of the registered services, in registration order. */
export const serviceIds = (): string[] => [...entries.keys()];

/**
 * The service with this id, loaded.
 * @throws GepError GEP_ERR_INVALID_INPUT "unknown process 'x' (known: ...)"
 */
export async function getService(id: string): Promise<Service> {
  const e = entries.get(id);
  if (!e) throw new GepError('GEP_ERR_INVALID_INPUT', `unknown process '${id}' (known: ${serviceIds().join(', ')})`, { input: 'process', process: id });
  e.loaded ??= e.load().then((svc) => {
    if (svc.description.id !== id) throw new Error(`service registered as '${id}' describes itself as '${svc.description.id}'`);
    checkDescription(svc.description);
    return svc;
  });
  try {
    return await e.loaded;
  } catch (err) {
    e.loaded = undefined; // let a later call retry (e.g. a transient import failure)
    throw err;
  }
}

/** Every registered service, loaded (their modules must be light at top level). */
export async function listServices(): Promise<Service[]> {
  return Promise.all(serviceIds().map((id) => getService(id)));
}

/** Descriptions of every registered service. */
export async function listDescriptions(): Promise<ServiceDescription[]> {
  return (await listServices()).map((s) => s.description);
}

// ---- one line per service ----
registerService({ id: 'echo', load: async () => (await import('./echo/index.ts')).echoService });
registerService({ id: 'mpic-opt', load: async () => (await import('./mpic-opt/index.ts')).mpicOptService });
