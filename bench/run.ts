/**
 * Benchmark dispatcher: `node --import tsx bench/run.ts <name> [args...]` runs bench/<name>.bench.ts, whose
 * module exports `run(args: string[]): Promise<void>`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [name, ...args] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
if (!name || !/^[a-z0-9-]+$/.test(name) || !existsSync(join(here, `${name}.bench.ts`))) {
  console.error(`usage: node --import tsx bench/run.ts <name> [args]; unknown benchmark "${name ?? ''}"`);
  process.exit(2);
}
const mod = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as { run?: (a: string[]) => Promise<void> };
if (typeof mod.run !== 'function') {
  console.error(`bench/${name}.bench.ts must export run(args: string[]): Promise<void>`);
  process.exit(2);
}
await mod.run(args);
