/**
 * `gep run <process> [--<input> value ...] --out DIR`: run a processing service here, with flags and help
 * generated from its description. Integers, numbers and booleans (`--x` / `--no-x`) are converted; arrays
 * and inputs with maxOccurs > 1 take several values (`--images a.tif b.tif`, or the flag repeated); a
 * date alone is midnight UTC for date-time inputs; bounding boxes take 4 or 6 numbers; object inputs take
 * JSON text or a .json/.geojson file. Validation itself is the service's (validate.ts), so the CLI and the
 * API refuse the same values with the same messages. Writes DIR/catalog.json and prints the outputs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isGepError, invalidInput } from '../../core/errors.ts';
import { runServiceLocally } from '../../services/local-runner.ts';
import { flagOf, getService, serviceIds } from '../../services/registry.ts';
import type { InputDescription, JSONSchema, ServiceDescription } from '../../services/types.ts';
import { describeSchema, maxOccursOf, minOccursOf, schemaTypes } from '../../services/validate.ts';
import type { Command } from '../main.ts';
import { progressSink } from '../progress.ts';

const isBbox = (s: JSONSchema): boolean => s.format === 'ogc-bbox' || Boolean(s.properties?.bbox && s.required?.includes('bbox'));
const isNumeric = (t: string): boolean => /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t);
/** Takes several tokens: arrays, maxOccurs > 1, bounding boxes. */
const isMulti = (d: InputDescription): boolean => maxOccursOf(d) > 1 || schemaTypes(d.schema)?.[0] === 'array' || isBbox(d.schema);
const isBoolean = (d: InputDescription): boolean => schemaTypes(d.schema)?.[0] === 'boolean' && maxOccursOf(d) <= 1;

function metavar(d: InputDescription): string {
  const s = d.schema;
  if (isBbox(s)) return '<minx miny maxx maxy>';
  if (s.enum) return `<${s.enum.map(String).join('|')}>`;
  const item = schemaTypes(s)?.[0] === 'array' ? s.items ?? {} : s;
  const t = item.format ?? schemaTypes(item)?.[0] ?? 'value';
  return isMulti(d) ? `<${t}> ...` : `<${t}>`;
}

/** The `--help` text of a service: every input with flag, type, default, range/enum and help, grouped. */
export function renderServiceHelp(desc: ServiceDescription): string {
  const lines = [`${desc.id} ${desc.version}: ${desc.title}`, desc.description, '',
    `Usage: gep run ${desc.id} [--<input> value ...] --out DIR [--json] [--workers N]`, ''];
  const groups = new Map<string, string[]>();
  for (const [id, d] of Object.entries(desc.inputs)) {
    const flag = flagOf(id, d.cli?.flag);
    const names = `${d.cli?.short ? `-${d.cli.short}, ` : ''}--${flag}${isBoolean(d) ? ` / --no-${flag}` : ` ${metavar(d)}`}`;
    const min = minOccursOf(d);
    const max = maxOccursOf(d);
    const facts = [describeSchema(d.schema).replace(/^(a|an) /, '')];
    if (max > 1) facts.push(max === Infinity ? `${min}+ values` : `${min} to ${max} values`);
    if (d.schema['x-ogc-unit']) facts.push(`unit ${d.schema['x-ogc-unit']}`);
    const dflt = d.schema.default;
    facts.push(dflt !== undefined ? `default ${typeof dflt === 'string' ? dflt : JSON.stringify(dflt)}` : min > 0 ? 'required' : 'optional');
    const list = groups.get(d.group ?? 'Inputs') ?? [];
    list.push(`  ${names.padEnd(34)} ${d.title}: ${d.description}`, `  ${''.padEnd(34)} ${facts.join('; ')}`);
    groups.set(d.group ?? 'Inputs', list);
  }
  for (const [g, l] of groups) lines.push(`${g}:`, ...l, '');
  lines.push('Options:', `  ${'--out DIR'.padEnd(34)} output folder (created); DIR/catalog.json lists the outputs`,
    `  ${'--json'.padEnd(34)} print the outputs as JSON`, `  ${'--workers N'.padEnd(34)} tile worker threads (default GEP_WORKERS or the CPU count; 0: none)`);
  if (desc.example) {
    const ex = Object.entries(desc.example.inputs).map(([k, v]) => `--${flagOf(k, desc.inputs[k]?.cli?.flag)} ${Array.isArray(v) ? v.join(' ') : String(v)}`);
    lines.push('', `Example: gep run ${desc.id} ${ex.join(' ')} --out result${desc.example.note ? `   (${desc.example.note})` : ''}`);
  }
  return lines.join('\n');
}

/** One command-line token converted to the JSON type the schema wants (left as text when it does not fit). */
function convertScalar(s: JSONSchema, text: string, kind?: string): unknown {
  const types = schemaTypes(s) ?? [];
  if ((types.includes('integer') || types.includes('number')) && isNumeric(text)) return Number(text);
  if (types.includes('boolean') && /^(true|false|yes|no|1|0)$/i.test(text)) return /^(true|yes|1)$/i.test(text);
  if (types.includes('object') || types.includes('array')) {
    const t = text.trim();
    if (t.startsWith('{') || t.startsWith('[')) {
      try {
        return JSON.parse(t) as unknown;
      } catch {
        throw invalidInput(`'${text.slice(0, 40)}' is not valid JSON`);
      }
    }
    if (/\.(geo)?json$/i.test(t) && existsSync(t)) {
      const v = JSON.parse(readFileSync(t, 'utf8')) as { type?: string; geometry?: unknown; features?: { geometry?: unknown }[] };
      if (kind === 'geometry' && v.type === 'Feature') return v.geometry;
      if (kind === 'geometry' && v.type === 'FeatureCollection' && v.features?.length === 1) return v.features[0]!.geometry;
      return v;
    }
  }
  if (s.format === 'date-time' && /^\d{4}-\d{2}-\d{2}$/.test(text)) return `${text}T00:00:00Z`;
  return text;
}

function convertInput(d: InputDescription, texts: string[]): unknown {
  const s = d.schema;
  if (isBbox(s) && texts.every(isNumeric)) return { bbox: texts.map(Number) };
  if (maxOccursOf(d) > 1) {
    const vals = texts.map((t) => convertScalar(s, t, d.kind));
    return vals.length === 1 && Array.isArray(vals[0]) ? vals[0] : vals;
  }
  if (schemaTypes(s)?.[0] === 'array') {
    if (texts.length === 1 && texts[0]!.trim().startsWith('[')) return convertScalar(s, texts[0]!, d.kind);
    return texts.map((t) => convertScalar(s.items ?? {}, t, d.kind));
  }
  return convertScalar(s, texts[0]!, d.kind);
}

export interface ParsedRun {
  inputs: Record<string, unknown>;
  out?: string;
  json: boolean;
  workers?: number;
  help: boolean;
}

/** Parses the arguments after `gep run <id>` against the description. */
export function parseServiceArgs(desc: ServiceDescription, args: string[]): ParsedRun {
  const byFlag = new Map<string, string>();
  for (const [id, d] of Object.entries(desc.inputs)) {
    byFlag.set(flagOf(id, d.cli?.flag), id);
    if (d.cli?.short) byFlag.set(d.cli.short, id);
  }
  const isFlag = (t: string | undefined): boolean => t !== undefined && (t.startsWith('--') || /^-[A-Za-z]$/.test(t));
  const texts = new Map<string, string[]>();
  const res: ParsedRun = { inputs: {}, json: false, help: false };
  for (let i = 0; i < args.length; i++) {
    const tok = args[i]!;
    if (!isFlag(tok)) throw invalidInput(`unexpected argument '${tok}' (inputs are given as --<input> value; see gep run ${desc.id} --help)`);
    const eq = tok.indexOf('=');
    const name = tok.replace(/^--?/, '').replace(/=.*$/, '');
    const inline = eq > 0 ? tok.slice(eq + 1) : undefined;
    const takeOne = (): string => {
      if (inline !== undefined) return inline;
      const v = args[i + 1];
      if (v === undefined || isFlag(v)) throw invalidInput(`${tok} needs a value`);
      i++;
      return v;
    };
    if (name === 'help' || name === 'h') res.help = true;
    else if (name === 'json') res.json = true;
    else if (name === 'out') res.out = takeOne();
    else if (name === 'workers') {
      const w = takeOne();
      if (!/^\d+$/.test(w)) throw invalidInput(`--workers must be an integer from 0 to 1024, got '${w}'`);
      res.workers = Number(w);
    } else {
      const negated = name.startsWith('no-') && byFlag.has(name.slice(3)) && isBoolean(desc.inputs[byFlag.get(name.slice(3))!]!);
      const id = byFlag.get(negated ? name.slice(3) : name);
      if (!id) throw invalidInput(`unknown option ${tok.replace(/=.*$/, '')} for process '${desc.id}' (see gep run ${desc.id} --help)`);
      const d = desc.inputs[id]!;
      const list = texts.get(id) ?? [];
      if (list.length && !isMulti(d)) throw invalidInput(`--${flagOf(id, d.cli?.flag)} is given twice`);
      if (negated) list.push('false');
      else if (isBoolean(d)) {
        const next = args[i + 1];
        list.push(inline ?? (next !== undefined && /^(true|false)$/i.test(next) ? (i++, next) : 'true'));
      } else if (isMulti(d) && inline === undefined) {
        const start = list.length;
        while (i + 1 < args.length && !isFlag(args[i + 1])) list.push(args[++i]!);
        if (list.length === start) throw invalidInput(`${tok} needs at least one value`);
      } else list.push(takeOne());
      texts.set(id, list);
    }
  }
  for (const [id, list] of texts) res.inputs[id] = convertInput(desc.inputs[id]!, list);
  return res;
}

/** The help text for `gep run <args>`: a service's inputs when one is named, else the general usage. */
export async function runHelp(args: string[]): Promise<string> {
  const id = args.find((a) => !a.startsWith('-'));
  if (id) return renderServiceHelp((await getService(id)).description);
  return `${runCommand.summary}\n\nUsage: ${USAGE}`;
}

const USAGE = 'gep run <process> [--<input> value ...] --out DIR [--json] [--workers N]\n\n' +
  '  gep run <process> --help   lists the inputs of a process (flags, types, defaults, ranges)\n' +
  '  gep services               lists the processes';

export const runCommand: Command = {
  summary: 'Run a processing service here: gep run <process> --help lists its inputs',
  usage: USAGE,
  help: runHelp,
  async run(args) {
    const [id, ...rest] = args;
    if (!id || id.startsWith('-')) throw invalidInput(`gep run needs a process id (known: ${serviceIds().join(', ')})`);
    const svc = await getService(id);
    const desc = svc.description;
    const parsed = parseServiceArgs(desc, rest);
    if (parsed.help) {
      process.stdout.write(`${renderServiceHelp(desc)}\n`);
      return 0;
    }
    if (!parsed.out) throw invalidInput(`--out DIR is required (gep run ${id} --help lists the inputs)`);
    const ac = new AbortController();
    const onSigint = (): void => ac.abort();
    process.once('SIGINT', onSigint);
    const sink = progressSink(`run ${id}`);
    const t0 = Date.now();
    try {
      const res = await runServiceLocally(svc, parsed.inputs, {
        workspace: parsed.out,
        signal: ac.signal,
        progress: sink.progress,
        workers: parsed.workers,
        lineage: `gep run ${args.map((a) => (/[\s'"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`,
        log: (level, message) => {
          if (level !== 'debug' || process.env.GEP_DEBUG) process.stderr.write(`[${level}] ${message}\n`);
        },
      });
      sink.done(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      if (parsed.json) process.stdout.write(`${JSON.stringify({ id: res.jobId, outputs: res.outputs, catalog: res.catalog }, null, 2)}\n`);
      else {
        for (const [k, v] of Object.entries(res.outputs)) process.stdout.write(`${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}\n`);
        process.stdout.write(`catalog: ${res.catalog}\n`);
      }
      return 0;
    } catch (e) {
      sink.done();
      // Name the flag next to the input: "input 'count' (--count): expected ...".
      const input = isGepError(e) ? e.details?.input : undefined;
      if (isGepError(e) && typeof input === 'string' && desc.inputs[input])
        e.message = e.message.replace(`input '${input}'`, `input '${input}' (--${flagOf(input, desc.inputs[input].cli?.flag)})`);
      throw e;
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  },
};
