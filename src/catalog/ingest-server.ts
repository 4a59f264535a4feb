/**
 * Ingestion through a running server's STAC API - Transaction extension
 * (https://github.com/stac-api-extensions/transaction): a missing collection is created with POST /collections,
 * each item is created with POST /collections/{c}/items and, when it exists already (409 Conflict), replaced
 * with PUT /collections/{c}/items/{id}. Used by `gep ingest --server URL` while a server holds the data folder.
 */
import { GepError } from '../core/errors.ts';
import type { StacItem } from '../core/stac.ts';
import { newCollection } from './collections.ts';
import type { IngestTarget } from './ingest.ts';
import { apiUrl, httpRequest } from './stac-http.ts';
import type { HttpOptions, HttpResponse } from './stac-http.ts';

/** The `detail` (RFC 7807) or `description` of an error body, else its start. */
function reason(res: HttpResponse): string {
  try {
    const j = JSON.parse(res.text) as { detail?: unknown; description?: unknown; title?: unknown };
    const d = j.detail ?? j.description ?? j.title;
    if (typeof d === 'string') return d;
  } catch {
    // not JSON
  }
  return res.text.slice(0, 200).replace(/\s+/g, ' ');
}

const fail = (what: string, res: HttpResponse): GepError =>
  new GepError(res.status === 401 || res.status === 403 ? 'GEP_ERR_INVALID_INPUT' : 'GEP_ERR_REMOTE', `${what}: HTTP ${res.status}${res.text ? ` (${reason(res)})` : ''}`, {
    url: res.url,
    status: res.status,
  });

/** An IngestTarget that writes through the STAC transaction API at `root` (e.g. http://localhost:8080). */
export function serverTarget(root: string, http: HttpOptions & { headers?: Record<string, string> } = {}): IngestTarget {
  const known = new Set<string>();
  const headers = http.headers ?? {};
  return {
    async ensureCollections(ids) {
      for (const id of ids) {
        if (known.has(id)) continue;
        const url = apiUrl(root, `/collections/${encodeURIComponent(id)}`);
        const got = await httpRequest({ url, headers }, http);
        if (got.status === 404) {
          const made = await httpRequest({ url: apiUrl(root, '/collections'), method: 'POST', body: newCollection(id), headers }, http);
          if (made.status !== 200 && made.status !== 201 && made.status !== 409) throw fail(`POST ${apiUrl(root, '/collections')} (${id})`, made);
        } else if (got.status !== 200) throw fail(`GET ${url}`, got);
        known.add(id);
      }
    },
    async store(items: StacItem[]) {
      let inserted = 0;
      let updated = 0;
      const failed: { index: number; message: string }[] = [];
      for (const [index, item] of items.entries()) {
        const c = encodeURIComponent(item.collection ?? '');
        const postUrl = apiUrl(root, `/collections/${c}/items`);
        try {
          const res = await httpRequest({ url: postUrl, method: 'POST', body: item, headers }, http);
          if (res.status === 200 || res.status === 201) {
            inserted++;
            continue;
          }
          if (res.status !== 409) throw fail(`POST ${postUrl} (item ${item.id})`, res);
          const putUrl = apiUrl(root, `/collections/${c}/items/${encodeURIComponent(item.id)}`);
          const put = await httpRequest({ url: putUrl, method: 'PUT', body: item, headers }, http);
          if (put.status !== 200 && put.status !== 204) throw fail(`PUT ${putUrl}`, put);
          updated++;
        } catch (e) {
          if (!(e instanceof GepError) || e.code === 'GEP_ERR_ABORTED') throw e;
          // Server down or refusing everything: stop; one refused item: report it and go on.
          if (e.code === 'GEP_ERR_REMOTE' && !(e.details?.status && Number(e.details.status) < 500)) throw e;
          failed.push({ index, message: e.message });
        }
      }
      return { inserted, updated, failed };
    },
  };
}
