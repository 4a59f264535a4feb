/**
 * A known catalogue for the STAC API tests: collections `s2` (36 items on a 6 × 6 grid of 1° × 0.9° tiles over
 * the Alps, one every 10 days from 2021-01-05, cloud cover 0, 2.8, ... 98 %, two platforms), `l8` (4 items), and
 * in `s2` a triangle whose bbox overlaps the corner box (0.5..1, 44..44.5) but whose shape does not, plus one
 * period item (datetime null). Expected answers are computed from ITEMS in the tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StacCollection, StacItem } from '../../src/core/stac.ts';
import { createApp, type App } from '../../src/platform/app.ts';
import { upsertCollection, upsertItems } from '../../src/store/items.ts';

export const DAY = 86_400_000;
export const T0 = Date.UTC(2021, 0, 5, 10, 30);

export function collection(id: string, title = id): StacCollection {
  return {
    type: 'Collection',
    stac_version: '1.1.0',
    stac_extensions: [],
    id,
    title,
    description: `Test collection ${id}`,
    license: 'CC-BY-4.0',
    extent: { spatial: { bbox: [[0, 40, 20, 50]] }, temporal: { interval: [['2021-01-01T00:00:00Z', null]] } },
    summaries: { platform: ['sentinel-2a', 'sentinel-2b'] },
    links: [],
  };
}

const square = (x: number, y: number, w: number, h: number): StacItem['geometry'] => ({
  type: 'Polygon',
  coordinates: [[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]],
});

function item(id: string, col: string, geometry: StacItem['geometry'], props: Record<string, unknown>): StacItem {
  return {
    type: 'Feature',
    stac_version: '1.1.0',
    stac_extensions: [],
    id,
    collection: col,
    geometry,
    properties: { datetime: null, ...props },
    links: [{ rel: 'license', href: 'https://example.org/licence' }, { rel: 'self', href: './stale.json' }],
    assets: { data: { href: `https://example.org/${col}/${id}.tif`, type: 'image/tiff; application=geotiff', roles: ['data'] } },
  };
}

/** The grid items of `s2`: index i -> tile column i % 6, row floor(i / 6), time T0 + 10 i days. */
export const S2: StacItem[] = Array.from({ length: 36 }, (_, i) => {
  const x = 5 + (i % 6);
  const y = 44 + Math.floor(i / 6) * 0.9;
  return item(`s2-${String(i).padStart(2, '0')}`, 's2', square(x, y, 1, 0.9), {
    datetime: new Date(T0 + i * 10 * DAY).toISOString(),
    'eo:cloud_cover': Math.round(i * 2.8 * 10) / 10,
    platform: i % 2 === 0 ? 'sentinel-2a' : 'sentinel-2b',
    constellation: 'sentinel-2',
    instruments: ['msi'],
    gsd: 10,
  });
});

/** Triangle (0,44)-(1,44)-(0,45): its bbox meets the box (0.6..1, 44.6..45), its shape does not. */
export const TRIANGLE = item('s2-triangle', 's2', { type: 'Polygon', coordinates: [[[0, 44], [1, 44], [0, 45], [0, 44]]] }, {
  datetime: '2021-06-01T00:00:00Z',
  'eo:cloud_cover': 50,
  platform: 'sentinel-2a',
});

/** A period item (STAC: datetime null with start and end). */
export const PERIOD = item('s2-period', 's2', square(12, 46, 1, 1), {
  start_datetime: '2022-03-01T00:00:00Z',
  end_datetime: '2022-03-31T23:59:59Z',
  platform: 'sentinel-2b',
});

export const L8: StacItem[] = Array.from({ length: 4 }, (_, i) =>
  item(`l8-${i}`, 'l8', square(6 + i, 45, 1.8, 1.8), { datetime: new Date(T0 + (i * 30 + 5) * DAY).toISOString(), 'eo:cloud_cover': 15 + i, platform: 'landsat-8' }),
);

export const ITEMS: StacItem[] = [...S2, TRIANGLE, PERIOD, ...L8];

export interface Fixture {
  app: App;
  inject: App['server']['inject'];
  close(): Promise<void>;
}

/** A fresh in-memory app with the known catalogue. */
export async function openFixture(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'gep-stac-'));
  const app = await createApp({ dataDir: dir, database: 'memory://' });
  await upsertCollection(app.db, collection('s2', 'Sentinel-2 test tiles'));
  await upsertCollection(app.db, collection('l8'));
  await upsertItems(app.db, ITEMS);
  return {
    app,
    inject: app.server.inject.bind(app.server),
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Parses a JSON response body, asserting nothing. */
export const body = <T = Record<string, unknown>>(res: { body: string }): T => JSON.parse(res.body) as T;

/** Item start time, ms. */
export const startOf = (it: StacItem): number => Date.parse(String(it.properties.start_datetime ?? it.properties.datetime));
export const endOf = (it: StacItem): number => Date.parse(String(it.properties.end_datetime ?? it.properties.datetime));
