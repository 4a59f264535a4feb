/**
 * A throwaway PostgreSQL server for tests: initdb in a temp folder (trust auth, superuser `postgres`), started
 * with pg_ctl on a free loopback port, stopped and deleted by stop(). When the server binaries are missing the
 * tests skip locally with a printed reason and fail under CI (.ci/run installs Debian's postgresql), as
 * test/helpers/env.ts does for GDAL. initdb refuses to run as root, so as root the server runs as the
 * `postgres` system user (runuser).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync, readFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface PgServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** A URL for a fresh database on this server, created on demand. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** The bin folder of the newest installed PostgreSQL server (PG_BIN overrides), or null. */
export function findPgBin(): string | null {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(join(root, v, 'bin'));
  }
  const cfg = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (cfg.status === 0) candidates.push(cfg.stdout.trim());
  for (const c of candidates) {
    if (existsSync(join(c, 'initdb')) && existsSync(join(c, 'pg_ctl'))) return c;
  }
  return null;
}

/** Skip option for node:test: skipped locally when the server binaries are missing, a failure under CI. */
export function skipUnlessPostgres(): { skip: string | false } {
  if (findPgBin()) return { skip: false };
  if (process.env.CI) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) are required under CI: .ci/run must install postgresql');
  const reason = 'PostgreSQL server binaries (initdb, pg_ctl) not installed';
  console.log(`# skipping: ${reason}`);
  return { skip: reason };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts a server; call stop() in `after`. */
export async function startPostgres(): Promise<PgServer> {
  const bin = findPgBin();
  if (!bin) throw new Error('PostgreSQL server binaries not found (set PG_BIN or install postgresql)');
  const asRoot = userInfo().uid === 0;
  const base = mkdtempSync(join(tmpdir(), 'gep-pg-'));
  const dataDir = join(base, 'data');
  const logFile = join(base, 'server.log');
  if (asRoot) {
    const ids = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
    const gid = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
    chownSync(base, Number(ids), Number(gid));
  }
  const run = (cmd: string, args: string[]): void => {
    const full = asRoot ? ['-u', 'postgres', '--', join(bin, cmd), ...args] : args;
    const r = spawnSync(asRoot ? 'runuser' : join(bin, cmd), full, { encoding: 'utf8', cwd: base });
    if (r.status !== 0) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '';
      throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout}\n${log}`);
    }
  };
  run('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--locale=C']);
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      const opts = `-k /tmp -c listen_addresses=127.0.0.1 -p ${port} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
      run('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '30', '-o', opts, 'start']);
      break;
    } catch (e) {
      if (attempt >= 2) throw e; // the port may have been taken between probe and start
    }
  }
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    url,
    port,
    async createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      const pg = (await import('pg')).default;
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    },
  };
}
