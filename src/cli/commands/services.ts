/**
 * `gep services [<process>] [--json] [--base-url URL]`: the processing services this installation offers.
 * Without an id: one line per service (id, version, title), or the OGC process list with --json. With an id:
 * its inputs (as `gep run <id> --help`), or its OGC API - Processes description with --json.
 */
import { invalidInput } from '../../core/errors.ts';
import { processDescription, processSummary } from '../../services/describe.ts';
import { getService, listDescriptions } from '../../services/registry.ts';
import { parse } from '../args.ts';
import type { Command } from '../main.ts';
import { renderServiceHelp } from './run.ts';

const DEFAULT_BASE_URL = 'http://localhost:8080';

export const servicesCommand: Command = {
  summary: 'List the processing services, or describe one (OGC process description with --json)',
  usage: [
    'gep services [<process>] [--json] [--base-url URL]',
    '',
    '  <process>        describe this process: its inputs, or its OGC process description with --json',
    '  --json           print OGC API - Processes JSON (process list, or process description)',
    `  --base-url URL   base of the links in the JSON (default GEP_BASE_URL or ${DEFAULT_BASE_URL})`,
  ].join('\n'),
  async run(args) {
    const { values, positionals } = parse(args, { json: { type: 'boolean' }, 'base-url': { type: 'string' } });
    if (positionals.length > 1) throw invalidInput('gep services takes at most one process id');
    const base = (values['base-url'] as string | undefined) ?? process.env.GEP_BASE_URL ?? DEFAULT_BASE_URL;
    if (!/^https?:\/\/\S+$/.test(base)) throw invalidInput(`--base-url must be an http(s) URL, got '${base}'`);
    const id = positionals[0];
    if (id) {
      const desc = (await getService(id)).description;
      process.stdout.write(values.json ? `${JSON.stringify(processDescription(desc, base), null, 2)}\n` : `${renderServiceHelp(desc)}\n`);
      return 0;
    }
    const all = await listDescriptions();
    if (values.json) {
      const list = { processes: all.map((d) => processSummary(d, base)), links: [{ href: `${base.replace(/\/+$/, '')}/processes`, rel: 'self', type: 'application/json' }] };
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return 0;
    }
    const w = Math.max(2, ...all.map((d) => d.id.length));
    const v = Math.max(7, ...all.map((d) => d.version.length));
    process.stdout.write(`${'ID'.padEnd(w)}  ${'VERSION'.padEnd(v)}  TITLE\n`);
    for (const d of all) process.stdout.write(`${d.id.padEnd(w)}  ${d.version.padEnd(v)}  ${d.title}\n`);
    return 0;
  },
};
