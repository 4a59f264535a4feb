/**
 * Fixture of restart.test.ts: an embedded engine (PGlite folder argv[2], workspaces argv[3]) that queues
 * argv[4] echo jobs with a pause of argv[5] s, prints their ids as one JSON line, then waits to be killed.
 */
import { openDb } from '../../src/store/db.ts';
import { Engine } from '../../src/engine/engine.ts';

const [dir, work, n, pause] = process.argv.slice(2);
const db = await openDb(`pglite://${dir}`);
const engine = await Engine.open({ db, workRoot: work!, jobs: 2, localThreads: 1 });
const ids: string[] = [];
for (let i = 0; i < Number(n); i++) ids.push((await engine.submit({ process: 'echo', inputs: { message: `m${i}`, pause: Number(pause), tiles: 2 } })).id);
process.stdout.write(`${JSON.stringify(ids)}\n`);
setInterval(() => undefined, 1000);
