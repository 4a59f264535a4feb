/**
 * The `gep` command. Each subcommand is one module in commands/ plus one line in COMMANDS.
 * Bad input ends with exit code 2 and one readable line on stderr (no stack trace); GEP_DEBUG=1 shows stacks.
 */
import { isGepError, toGepError } from '../core/errors.ts';

export interface Command {
  summary: string;
  usage: string;
  /** Help that depends on the arguments (e.g. `gep run <process> --help` lists that process's inputs). */
  help?(args: string[]): Promise<string>;
  run(args: string[]): Promise<number>;
}

/** Commands load on first use, so `gep info` does not pull in the simulator (and vice versa). */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  info: {
    summary: 'Describe a raster file or a sensor product (size, bands, CRS, transform, overviews, RPC, time)',
    load: async () => (await import('./commands/info.ts')).infoCommand,
  },
  simulate: {
    summary: 'Write a simulated scene with known truth (displacement, landslide, stereo)',
    load: async () => (await import('./commands/simulate.ts')).simulateCommand,
  },
  demo: {
    summary: 'Make the demo data (simulated scenes) and show what it holds',
    load: async () => (await import('./commands/demo.ts')).demoCommand,
  },
  run: {
    summary: 'Run a processing service here (gep run <process> --help lists its inputs)',
    load: async () => (await import('./commands/run.ts')).runCommand,
  },
  services: {
    summary: 'List the processing services, or describe one (--json: OGC process description)',
    load: async () => (await import('./commands/services.ts')).servicesCommand,
  },
  ingest: { summary: 'Add products (SAFE, DIMAP, MTL, GeoTIFF, STAC item JSON) to the catalogue, with thumbnails', load: async () => (await import('./commands/ingest.ts')).ingestCommand },
  harvest: { summary: 'Copy items from a remote STAC API into the catalogue (resumable)', load: async () => (await import('./commands/harvest.ts')).harvestCommand },
  subscriptions: { summary: 'Run a process on every new item of a collection (systematic processing): add, list, rm', load: async () => (await import('./commands/subscriptions.ts')).subscriptionsCommand },
  serve: { summary: 'Serve the platform API (STAC API, OGC API - Processes, tiles, downloads); --demo ingests the demo scenes first', load: async () => (await import('./commands/serve.ts')).serveCommand },
  worker: { summary: 'Run a queue worker for the distributed deployment (jobs and tiles from PostgreSQL)', load: async () => (await import('./commands/worker.ts')).workerCommand },
};

function help(): string {
  const lines = ['gep: open Geohazards Exploitation Platform', '', 'Usage: gep <command> [options]', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', 'Run `gep <command> --help` for the options of a command.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version') {
    const { SOFTWARE_VERSION } = await import('../core/version.ts');
    process.stdout.write(`${SOFTWARE_VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`gep: unknown command '${name}' (expected one of: ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
  }
  const cmd = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(cmd.help ? `${await cmd.help(rest)}\n` : `${cmd.summary}\n\nUsage: ${cmd.usage}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    const err = toGepError(e);
    if (process.env.GEP_DEBUG) console.error(e);
    process.stderr.write(`gep ${name}: ${err.code === 'GEP_ERR_INTERNAL' ? 'internal error: ' : ''}${isGepError(e) ? e.message : err.message}\n`);
    return err.exitCode;
  }
}
