/**
 * Outputs of a run as a self-contained STAC catalog (STAC 1.1, relative hrefs): `catalog.json` at the top
 * of the workspace, each item in `<id>/<id>.json` (STAC best-practice layout), assets relative to the item.
 * Items carry provenance: the processing extension (`processing:software` {gep: version},
 * `processing:lineage`, `processing:datetime`), the parameters used (`gep:parameters`) and the ids of
 * raster/product inputs (`gep:inputs`). Files are written to a temporary name and renamed, and catalog.json
 * last, so its presence marks a complete result.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { STAC_EXT, STAC_VERSION, type StacItem, type StacLink } from '../core/stac.ts';
import { SOFTWARE_NAME, SOFTWARE_VERSION } from '../core/version.ts';
import type { ServiceDescription } from './types.ts';

/** Writes a file atomically: temporary name in the same folder, then rename. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export const writeJsonAtomic = (path: string, value: unknown): Promise<void> => writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);

/** Identifier of an input file/URL/catalogue id for provenance: the product id or file name, without folders. */
export function inputId(ref: unknown): string | null {
  if (typeof ref === 'string') return basename(ref.replace(/[?#].*$/, '').replace(/\/+$/, '')) || ref;
  if (ref && typeof ref === 'object' && typeof (ref as { href?: unknown }).href === 'string') return inputId((ref as { href: string }).href);
  return null;
}

/**
 * STAC provenance properties of a run: processing extension fields plus `gep:process`, `gep:parameters`
 * (literal inputs as validated, defaults included) and `gep:inputs` (ids of raster/product inputs).
 */
export function provenanceProperties(desc: ServiceDescription, inputs: Record<string, unknown>, lineage?: string, when = new Date()): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  const ids: string[] = [];
  for (const [id, value] of Object.entries(inputs)) {
    const kind = desc.inputs[id]?.kind ?? 'literal';
    if (kind === 'raster' || kind === 'product') {
      for (const v of Array.isArray(value) ? value : [value]) {
        const ref = inputId(v);
        if (ref) ids.push(ref);
      }
    } else parameters[id] = value;
  }
  return {
    'processing:software': { [SOFTWARE_NAME]: SOFTWARE_VERSION },
    'processing:lineage': lineage ?? `Processed by ${desc.title} (${desc.id} ${desc.version}) with the parameters in gep:parameters`,
    'processing:datetime': when.toISOString(),
    'gep:process': { id: desc.id, version: desc.version },
    'gep:parameters': parameters,
    'gep:inputs': ids,
  };
}

/** Path of `to` relative to the folder `fromDir`, with '/' separators and a leading './' when local. */
export function relativeHref(fromDir: string, to: string): string {
  const r = relative(fromDir, to).split(sep).join('/');
  return r.startsWith('.') ? r : `./${r}`;
}

export interface CatalogInfo {
  id: string;
  title?: string;
  description: string;
}

/**
 * Writes items and `catalog.json` into `dir`. Asset hrefs that are absolute paths, or paths relative to
 * `dir`, are rewritten relative to the item file; URLs are kept. Returns the path of catalog.json.
 */
export async function writeStacCatalog(dir: string, info: CatalogInfo, items: StacItem[]): Promise<string> {
  const root = resolve(dir);
  const catalogPath = join(root, 'catalog.json');
  const links: StacLink[] = [{ rel: 'root', href: './catalog.json', type: 'application/json', title: info.title ?? info.id }];
  for (const item of items) {
    const itemPath = join(root, item.id, `${item.id}.json`);
    const itemDir = dirname(itemPath);
    const assets = Object.fromEntries(
      Object.entries(item.assets).map(([k, a]) => {
        const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(a.href);
        return [k, isUrl ? a : { ...a, href: relativeHref(itemDir, isAbsolute(a.href) ? a.href : join(root, a.href)) }];
      }),
    );
    const own = item.links.filter((l) => l.rel !== 'root' && l.rel !== 'parent' && l.rel !== 'self');
    const out: StacItem = {
      ...item,
      assets,
      links: [
        { rel: 'root', href: '../catalog.json', type: 'application/json' },
        { rel: 'parent', href: '../catalog.json', type: 'application/json' },
        ...own,
      ],
    };
    await writeJsonAtomic(itemPath, out);
    links.push({ rel: 'item', href: `./${item.id}/${item.id}.json`, type: 'application/geo+json', ...(item.properties.title ? { title: String(item.properties.title) } : {}) });
  }
  const catalog = {
    type: 'Catalog',
    stac_version: STAC_VERSION,
    stac_extensions: [] as string[],
    id: info.id,
    ...(info.title ? { title: info.title } : {}),
    description: info.description,
    links,
  };
  await writeJsonAtomic(catalogPath, catalog);
  return catalogPath;
}

/**
 * The default result item of a run: no geometry, literal outputs in `gep:outputs`, file outputs (outputs
 * whose schema has a contentMediaType) as assets, and the provenance properties.
 */
export function resultItem(
  id: string,
  desc: ServiceDescription,
  outputs: Record<string, unknown>,
  provenance: Record<string, unknown>,
  when = new Date(),
): StacItem {
  const literal: Record<string, unknown> = {};
  const assets: StacItem['assets'] = {};
  for (const [key, value] of Object.entries(outputs)) {
    const od = desc.outputs[key];
    const media = od?.schema.contentMediaType;
    if (media && typeof value === 'string') assets[key] = { href: value, type: media, title: od.title, roles: ['data'] };
    else literal[key] = value;
  }
  return {
    type: 'Feature',
    stac_version: STAC_VERSION,
    stac_extensions: [STAC_EXT.processing],
    id,
    geometry: null,
    properties: {
      datetime: when.toISOString(),
      title: `${desc.title}: result ${id}`,
      ...provenance,
      'gep:outputs': literal,
    },
    links: [],
    assets,
  };
}
