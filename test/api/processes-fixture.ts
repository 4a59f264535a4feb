/** A processes API on an embedded engine (PGlite in memory, echo process) for the OGC API - Processes tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.ts';
import { processesPlugin } from '../../src/api/plugins/processes.ts';
import type { ProcessesOptions } from '../../src/api/plugins/processes-common.ts';
import { Engine } from '../../src/engine/engine.ts';
import { openDb, type Db } from '../../src/store/db.ts';
import { closeLocalPools } from '../../src/services/local-runner.ts';

export const BASE = 'http://gep.test';
export const EXC = 'http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/';
export type Json = Record<string, unknown>;

export interface ProcessesApi {
  db: Db;
  engine: Engine;
  app: FastifyInstance;
  get(url: string): Promise<{ status: number; body: Json; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startProcessesApi(
  localThreads: number,
  plugin: Omit<ProcessesOptions, 'engine'> = {},
): Promise<ProcessesApi> {
  const dir = mkdtempSync(join(tmpdir(), 'gep-proc-api-'));
  const db = await openDb('memory://');
  const engine = await Engine.open({ db, workRoot: dir, localThreads, pollMs: 50 });
  const app = await buildServer({ baseUrl: BASE, plugins: [processesPlugin({ engine, ...plugin })] });
  return {
    db,
    engine,
    app,
    async get(url) {
      const r = await app.inject({ method: 'GET', url });
      return { status: r.statusCode, body: r.json<Json>(), headers: r.headers };
    },
    async close() {
      await app.close();
      await engine.close();
      await closeLocalPools();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
