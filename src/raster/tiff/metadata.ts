/**
 * GDAL's private TIFF tags and TIFF text tags -> RasterInfo fields:
 * GDAL_METADATA (42112, XML `<GDALMetadata><Item name= sample= role= domain=>value</Item>`) -> metadata and
 * band names; GDAL_NODATA (42113, ASCII) -> nodata; DateTime (306) and acquisition items -> ISO 8601 time.
 */
import { XMLParser } from 'fast-xml-parser';

export interface GdalMetadata {
  /** Dataset items of the default domain by name; other domains as `DOMAIN:name`; band items as `band<N>.name` (N from 1). */
  metadata: Record<string, string>;
  /** Band descriptions by zero-based band index. */
  descriptions: Map<number, string>;
}

interface XmlItem {
  '@_name'?: string;
  '@_sample'?: string | number;
  '@_role'?: string;
  '@_domain'?: string;
  '#text'?: string | number;
}

/** Parses the GDAL_METADATA XML. Malformed XML yields empty metadata (it is optional information). */
export function parseGdalMetadata(xml: string | null): GdalMetadata {
  const res: GdalMetadata = { metadata: {}, descriptions: new Map() };
  if (!xml) return res;
  let doc: unknown;
  try {
    const parser = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '@_',
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: false,
      isArray: (tag) => tag === 'Item',
    });
    doc = parser.parse(xml);
  } catch {
    return res;
  }
  const root = (doc as { GDALMetadata?: { Item?: XmlItem[] } } | null)?.GDALMetadata;
  const items = root && typeof root === 'object' && Array.isArray(root.Item) ? root.Item : [];
  for (const it of items) {
    if (!it || typeof it !== 'object') continue;
    const name = it['@_name'];
    if (typeof name !== 'string' || !name) continue;
    const value = it['#text'] === undefined ? '' : String(it['#text']);
    const sample = it['@_sample'] === undefined ? null : Number(it['@_sample']);
    const role = it['@_role'];
    const domain = it['@_domain'];
    const key = domain ? `${domain}:${name}` : name;
    if (sample !== null && Number.isInteger(sample) && sample >= 0) {
      if (role === 'description') res.descriptions.set(sample, value);
      else res.metadata[`band${sample + 1}.${role && role !== name ? role : key}`] = value;
    } else res.metadata[key] = value;
  }
  return res;
}

/** Parses GDAL_NODATA text: "nan", "inf", "-inf", or a decimal number; null when empty or not a number. */
export function parseNodata(s: string | null): number | null {
  if (s === null) return null;
  const t = s.trim().toLowerCase();
  if (!t) return null;
  if (t === 'nan' || t === '-nan') return NaN;
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  const v = Number(t);
  return Number.isNaN(v) ? null : v;
}

/**
 * ISO 8601 from a TIFF DateTime ("YYYY:MM:DD HH:MM:SS") or from ISO-like acquisition strings. TIFF times
 * carry no zone; they are taken as UTC (suffix Z). null when the text is not a valid date.
 */
export function parseTiffDate(s: string | null | undefined): string | null {
  if (!s) return null;
  const m = /^\s*(\d{4})[:\-/](\d{2})[:\-/](\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$/.exec(s);
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', zone] = m;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${sec}${frac}${zone ?? 'Z'}`;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59) return null;
  return zone && zone !== 'Z' ? new Date(t).toISOString().replace('.000Z', 'Z') : iso;
}

/** Metadata keys that give the acquisition time, most specific first. */
const ACQ_KEYS = ['ACQUISITIONDATETIME', 'ACQUISITION_DATETIME', 'ACQUISITION_DATE', 'DATATAKE_1_DATATAKE_SENSING_START', 'SENSING_TIME'];

/** Acquisition time: acquisition metadata items, then the DateTime tag, then TIFFTAG_DATETIME; else null. */
export function acquisitionTime(metadata: Record<string, string>, dateTimeTag: string | null): string | null {
  for (const k of ACQ_KEYS) {
    const v = parseTiffDate(metadata[k]);
    if (v) return v;
  }
  return parseTiffDate(dateTimeTag) ?? parseTiffDate(metadata.TIFFTAG_DATETIME);
}
