/**
 * Catalogue search benchmark: N Sentinel-2-like items (110 km tiles on a grid over Europe, slightly rotated
 * footprints, acquisitions spread over 5 years, cloud cover, two platforms) are ingested with upsertItems, then
 * Q searches (random bbox of 0.5-3°, random 1-6-month window, one collection; limit 10) run through the HTTP
 * layer (app.server.inject: parsing, SQL, exact geometry refinement, links, JSON), on PGlite and on a
 * PostgreSQL server (test/helpers/postgres.ts, when installed). Also timed: a monthly datetime histogram
 * (/aggregate) over a bbox. Goal: search p95 < 50 ms.
 *
 *   node --import tsx bench/run.ts catalog-search [--items 100000] [--queries 200] [--backend pglite|postgres|both]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StacItem } from '../src/core/stac.ts';
import { createApp, type App } from '../src/platform/app.ts';
import { upsertCollection, upsertItems } from '../src/store/items.ts';
import { findPgBin, startPostgres } from '../test/helpers/postgres.ts';
import { rng } from '../test/helpers/random.ts';

interface Options {
  items: number;
  queries: number;
  backend: 'pglite' | 'postgres' | 'both';
}

function parseArgs(args: string[]): Options {
  const o: Options = { items: 100_000, queries: 200, backend: 'both' };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const v = args[i + 1];
    if (a === '--items') o.items = Number(v);
    else if (a === '--queries') o.queries = Number(v);
    else if (a === '--backend') o.backend = v as Options['backend'];
    else throw new Error(`unknown argument ${a}`);
    i++;
  }
  if (!Number.isInteger(o.items) || o.items < 1) throw new Error('--items must be a positive integer');
  return o;
}

const T_START = Date.UTC(2019, 0, 1);
const SPAN = 5 * 365.25 * 86_400_000;

/** 110 km × 110 km tiles over Europe (lon -10..30°, lat 35..70°), as [lon, lat, width°, height°]. */
function tiles(): [number, number, number, number][] {
  const out: [number, number, number, number][] = [];
  const h = 110 / 111.2;
  for (let lat = 35; lat < 70; lat += h * 0.92) {
    const w = 110 / (111.2 * Math.cos(((lat + h / 2) * Math.PI) / 180));
    for (let lon = -10; lon < 30; lon += w * 0.92) out.push([lon, lat, w, h]);
  }
  return out;
}

function makeItems(n: number, seed = 7): StacItem[] {
  const r = rng(seed);
  const grid = tiles();
  const items: StacItem[] = [];
  for (let i = 0; i < n; i++) {
    const [x, y, w, h] = grid[Math.floor(r() * grid.length)]!;
    const t = T_START + r() * SPAN;
    // Slight rotation (UTM grid vs. lon/lat): corners sheared by up to 3 % of the size.
    const s = (r() - 0.5) * 0.06;
    const ring = [[x, y + s * h], [x + w, y - s * h], [x + w + s * w, y + h], [x + s * w, y + h + s * h], [x, y + s * h]];
    const id = `S2${i % 2 ? 'A' : 'B'}_MSIL2A_${new Date(t).toISOString().replace(/[-:]/g, '').slice(0, 15)}_${i}`;
    items.push({
      type: 'Feature',
      stac_version: '1.1.0',
      stac_extensions: [],
      id,
      collection: i % 10 === 0 ? 'landsat-8' : 'sentinel-2',
      geometry: { type: 'Polygon', coordinates: [ring] },
      properties: { datetime: new Date(t).toISOString(), 'eo:cloud_cover': Math.round(r() * 1000) / 10, platform: i % 2 ? 'sentinel-2a' : 'sentinel-2b', 'proj:code': 'EPSG:32632' },
      links: [],
      assets: { visual: { href: `s3://bucket/${id}/TCI.tif`, type: 'image/tiff; application=geotiff; profile=cloud-optimized', roles: ['visual'] } },
    });
  }
  return items;
}

function queries(n: number, seed = 11): string[] {
  const r = rng(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const w = 0.5 + r() * 2.5;
    const x = -10 + r() * (40 - w);
    const y = 35 + r() * (35 - w);
    const t = T_START + r() * (SPAN - 180 * 86_400_000);
    const d = (30 + r() * 150) * 86_400_000;
    const bbox = [x, y, x + w, y + w].map((v) => v.toFixed(3)).join(',');
    out.push(`/search?collections=sentinel-2&bbox=${bbox}&datetime=${new Date(t).toISOString()}/${new Date(t + d).toISOString()}`);
  }
  return out;
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function runOn(name: string, app: App, items: StacItem[], qs: string[]): Promise<void> {
  for (const id of ['sentinel-2', 'landsat-8']) {
    await upsertCollection(app.db, {
      type: 'Collection', stac_version: '1.1.0', stac_extensions: [], id, description: id, license: 'other',
      extent: { spatial: { bbox: [[-10, 35, 30, 70]] }, temporal: { interval: [['2019-01-01T00:00:00Z', null]] } }, links: [],
    });
  }
  const t0 = performance.now();
  const CHUNK = 5000;
  for (let i = 0; i < items.length; i += CHUNK) await upsertItems(app.db, items.slice(i, i + CHUNK));
  const ingestS = (performance.now() - t0) / 1000;
  await app.db.exec('ANALYZE items'); // as autovacuum would after a bulk load (PGlite has none)
  for (const q of qs.slice(0, 10)) await app.server.inject({ method: 'GET', url: q }); // warm-up
  const ms: number[] = [];
  let returned = 0;
  for (const q of qs) {
    const s = performance.now();
    const res = await app.server.inject({ method: 'GET', url: q });
    ms.push(performance.now() - s);
    if (res.statusCode !== 200) throw new Error(`${q}: ${res.statusCode} ${res.body.slice(0, 300)}`);
    returned += (JSON.parse(res.body) as { features: unknown[] }).features.length;
  }
  const agg: number[] = [];
  for (const q of qs.slice(0, 20)) {
    const s = performance.now();
    const res = await app.server.inject({ method: 'GET', url: `${q.replace('/search?', '/aggregate?').replace(/&datetime=[^&]*/, '')}&aggregations=total_count,datetime_frequency` });
    agg.push(performance.now() - s);
    if (res.statusCode !== 200) throw new Error(res.body.slice(0, 300));
  }
  console.log(
    `${name.padEnd(10)} items ${items.length}  ingest ${(items.length / ingestS).toFixed(0)} items/s (${ingestS.toFixed(1)} s)  ` +
      `search p50 ${pct(ms, 50).toFixed(1)} ms  p95 ${pct(ms, 95).toFixed(1)} ms  max ${Math.max(...ms).toFixed(1)} ms  ` +
      `(${qs.length} queries, ${(returned / qs.length).toFixed(1)} items/page)  aggregate p50 ${pct(agg, 50).toFixed(1)} ms  p95 ${pct(agg, 95).toFixed(1)} ms`,
  );
}

export async function run(args: string[]): Promise<void> {
  const o = parseArgs(args);
  const t = performance.now();
  const items = makeItems(o.items);
  const qs = queries(o.queries);
  console.log(`catalog-search: ${o.items} items on ${tiles().length} tiles over 5 years generated in ${((performance.now() - t) / 1000).toFixed(1)} s; ${o.queries} searches (bbox 0.5-3°, 1-6 months, one collection, limit 10)`);
  const dir = mkdtempSync(join(tmpdir(), 'gep-bench-cat-'));
  try {
    if (o.backend !== 'postgres') {
      const app = await createApp({ dataDir: join(dir, 'pglite'), database: `pglite://${join(dir, 'pglite', 'db')}` });
      try {
        await runOn('PGlite', app, items, qs);
      } finally {
        await app.close();
      }
    }
    if (o.backend !== 'pglite') {
      if (!findPgBin()) console.log('PostgreSQL   skipped: server binaries not installed');
      else {
        const pg = await startPostgres();
        try {
          const app = await createApp({ dataDir: join(dir, 'pg'), database: await pg.createDatabase('bench') });
          try {
            await runOn('PostgreSQL', app, items, qs);
          } finally {
            await app.close();
          }
        } finally {
          await pg.stop();
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
