/**
 * Job results in the catalogue: one STAC collection `job-<id>` per successful job, holding the items the service
 * wrote in its own catalog.json (mpic-opt: one per pair plus `fused`), or else one `result` item made from the
 * outputs (outputs.ts resultItem). By the time they are registered the files are in the blob store (publish.ts)
 * and asset hrefs are blob keys `jobs/<id>/...` (URLs and files outside the workspace stay as they were), so the
 * API's asset resolver serves them from the store; provenance (processing:software, gep:parameters, gep:inputs,
 * gep:job) is on every item.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { GepError } from '../core/errors.ts';
import { STAC_VERSION, type StacCollection, type StacItem } from '../core/stac.ts';
import type { Db } from '../store/db.ts';
import { geometryBbox } from '../store/geometry.ts';
import { deleteCollection, upsertCollection, upsertItems } from '../store/items.ts';
import { resultItem } from '../services/outputs.ts';
import type { ServiceDescription } from '../services/types.ts';

export const resultCollectionId = (jobId: string): string => `job-${jobId}`;

const URL_RE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** One item of a service's STAC catalog with the path of its JSON file. */
export interface CatalogEntry {
  item: StacItem;
  path: string;
}

/** Items of a STAC catalog written by a service (its `item` links) with their files, asset hrefs made absolute. */
export async function readCatalog(catalogPath: string): Promise<CatalogEntry[]> {
  const read = async (p: string): Promise<unknown> => {
    try {
      return JSON.parse(await readFile(p, 'utf8')) as unknown;
    } catch (e) {
      throw new GepError('GEP_ERR_INTERNAL', `result catalog ${p} cannot be read: ${(e as Error).message}`);
    }
  };
  const cat = (await read(catalogPath)) as { links?: { rel: string; href: string }[] };
  const entries: CatalogEntry[] = [];
  for (const l of cat.links ?? []) {
    if (l.rel !== 'item' || URL_RE.test(l.href)) continue;
    const itemPath = resolve(dirname(catalogPath), l.href);
    const item = (await read(itemPath)) as StacItem;
    const dir = dirname(itemPath);
    for (const a of Object.values(item.assets ?? {})) if (!URL_RE.test(a.href) && !isAbsolute(a.href)) a.href = join(dir, a.href);
    entries.push({ item, path: itemPath });
  }
  return entries;
}

/** Items of a STAC catalog written by a service, asset hrefs made absolute. */
export async function readCatalogItems(catalogPath: string): Promise<StacItem[]> {
  return (await readCatalog(catalogPath)).map((e) => e.item);
}

/** The collection of a job's items: spatial extent from their bboxes (whole world when none), time from their dates. */
export function resultCollection(jobId: string, desc: ServiceDescription, items: StacItem[]): StacCollection {
  let box: number[] | null = null;
  const times: number[] = [];
  for (const it of items) {
    const b = (it.bbox as number[] | undefined) ?? (it.geometry ? geometryBbox(it.geometry) : null);
    if (b && b.length >= 4) {
      const [x0, y0, x1, y1] = b.length === 6 ? [b[0]!, b[1]!, b[3]!, b[4]!] : [b[0]!, b[1]!, b[2]!, b[3]!];
      box = box ? [Math.min(box[0]!, x0), Math.min(box[1]!, y0), Math.max(box[2]!, x1), Math.max(box[3]!, y1)] : [x0, y0, x1, y1];
    }
    for (const key of ['datetime', 'start_datetime', 'end_datetime']) {
      const v = it.properties[key];
      if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) times.push(Date.parse(v));
    }
  }
  const t0 = times.length ? new Date(Math.min(...times)).toISOString() : null;
  const t1 = times.length ? new Date(Math.max(...times)).toISOString() : null;
  return {
    type: 'Collection',
    stac_version: STAC_VERSION,
    stac_extensions: [],
    id: resultCollectionId(jobId),
    title: `${desc.title}: job ${jobId}`,
    description: `Results of job ${jobId} (${desc.id} ${desc.version})`,
    keywords: ['job-result', desc.id, ...desc.keywords],
    license: 'other',
    extent: { spatial: { bbox: [(box ?? [-180, -90, 180, 90]) as [number, number, number, number]] }, temporal: { interval: [[t0, t1]] } },
    links: [],
    'gep:job': jobId,
    'gep:process': { id: desc.id, version: desc.version },
  } as StacCollection;
}

/**
 * Registers a successful run's results as collection `job-<id>`: the service's own catalogue `items` (hrefs
 * already published), or, when it wrote none, one `result` item from `outputs`. Returns the collection id.
 */
export async function registerResults(
  db: Db,
  jobId: string,
  desc: ServiceDescription,
  catalogItems: StacItem[] | null,
  outputs: Record<string, unknown>,
  provenance: Record<string, unknown>,
  started: Date,
): Promise<string> {
  const cid = resultCollectionId(jobId);
  const raw = catalogItems ?? [resultItem('result', desc, outputs, provenance, started)];
  const items = raw.map((it) => ({
    ...it,
    collection: cid,
    links: it.links.filter((l) => !['root', 'parent', 'self', 'collection'].includes(l.rel)),
    properties: { ...it.properties, 'gep:job': jobId },
  }));
  await db.transaction(async (tx) => {
    await upsertCollection(tx, resultCollection(jobId, desc, items));
    await upsertItems(tx, items);
  });
  return cid;
}

export async function removeResults(db: Db, jobId: string): Promise<void> {
  await deleteCollection(db, resultCollectionId(jobId));
}
