/**
 * Small, bounded XML access for product metadata (fast-xml-parser): validate, parse with namespace prefixes removed,
 * then look elements up by local name, depth-first. Required elements that are missing raise GEP_ERR_CORRUPT_FILE
 * naming the file and the element. DOCTYPE/ENTITY declarations are refused (no entity expansion from files).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { corruptFile, GepError } from '../core/errors.ts';

export type XmlNode = { [key: string]: XmlValue };
export type XmlValue = string | XmlNode | XmlValue[];

/** Largest metadata XML we parse (a full-tile MTD_TL.xml is under 1 MB; MTD_DS.xml a few MB). */
export const MAX_XML_BYTES = 64 << 20;
const MAX_DEPTH = 64;

/** Parses XML text; `file` names the document in errors. */
export function parseXml(text: string | Uint8Array, file: string): XmlNode {
  const bytes = typeof text === 'string' ? text.length : text.length;
  if (bytes > MAX_XML_BYTES)
    throw new GepError('GEP_ERR_TOO_LARGE', `${file}: ${bytes} bytes of XML exceed ${MAX_XML_BYTES}`, { file });
  const s = typeof text === 'string' ? text : new TextDecoder().decode(text);
  if (/<!DOCTYPE|<!ENTITY/i.test(s)) throw corruptFile(file, 'XML with DOCTYPE/ENTITY declarations is refused');
  const v = XMLValidator.validate(s);
  if (v !== true) throw corruptFile(file, `malformed XML: ${v.err.msg} (line ${v.err.line})`);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    removeNSPrefix: true,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
  });
  const doc = parser.parse(s) as XmlNode;
  if (!doc || typeof doc !== 'object' || Object.keys(doc).filter((k) => !k.startsWith('?')).length === 0)
    throw corruptFile(file, 'empty XML document');
  return doc;
}

/** All elements with local name `key`, depth-first, in document order (arrays flattened). */
export function findAll(node: XmlValue | undefined, key: string, out: XmlValue[] = [], depth = 0): XmlValue[] {
  if (node === undefined || typeof node === 'string' || depth > MAX_DEPTH) return out;
  if (Array.isArray(node)) {
    for (const n of node) findAll(n, key, out, depth + 1);
    return out;
  }
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('@_')) continue;
    if (k === key) {
      if (Array.isArray(v)) out.push(...v);
      else out.push(v);
    } else {
      findAll(v, key, out, depth + 1);
    }
  }
  return out;
}

export function findFirst(node: XmlValue | undefined, key: string): XmlValue | undefined {
  return findAll(node, key)[0];
}

/** Text content of an element ('' for none). */
export function text(v: XmlValue | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return text(v[0]);
  const t = v['#text'];
  return typeof t === 'string' ? t : '';
}

export function attr(v: XmlValue | undefined, name: string): string | undefined {
  if (!v || typeof v === 'string' || Array.isArray(v)) return undefined;
  const a = v[`@_${name}`];
  return typeof a === 'string' ? a : undefined;
}

/** Text of the first `key` element; throws GEP_ERR_CORRUPT_FILE naming the file and element when absent/empty. */
export function requireText(node: XmlValue | undefined, key: string, file: string): string {
  const t = text(findFirst(node, key)).trim();
  if (!t) throw corruptFile(file, `missing required element <${key}>`, { element: key });
  return t;
}

export function optionalNumber(node: XmlValue | undefined, key: string): number | undefined {
  const t = text(findFirst(node, key)).trim();
  if (!t) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

/** A finite number from a required element. */
export function requireNumber(node: XmlValue | undefined, key: string, file: string): number {
  const t = requireText(node, key, file);
  const v = Number(t);
  if (!Number.isFinite(v)) throw corruptFile(file, `element <${key}> is not a number: '${t.slice(0, 40)}'`, { element: key });
  return v;
}

/** Escapes text for XML content and attribute values. */
export function esc(s: string | number): string {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
