/**
 * Small, bounded XML access for product metadata (fast-xml-parser): validate, parse with namespace prefixes removed,
 * then look elements up by local name, depth-first (findAll, findFirst), or by a '/'-separated path of first children
 * (at, textAt, numberAt: 'Raster_Dimensions/NCOLS'). Same-name siblings are arrays, a leaf element without attributes
 * is its text, so use children()/child() rather than indexing. Required elements that are missing raise
 * GEP_ERR_CORRUPT_FILE naming the file and the element. DOCTYPE/ENTITY declarations are refused (no entity expansion
 * from files).
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
  if (/<!DOCTYPE|<!ENTITY/i.test(s))
    throw corruptFile(file, 'XML with DOCTYPE/ENTITY declarations is refused (no entity expansion)');
  const v = XMLValidator.validate(s);
  if (v !== true) throw corruptFile(file, `malformed XML: ${v.err.msg} (line ${v.err.line})`, { line: v.err.line });
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

/** Direct child elements named `key` of an element (same-name siblings in document order); [] when none. */
export function children(node: XmlValue | undefined, key: string): XmlValue[] {
  if (Array.isArray(node)) return children(node[0], key);
  if (node === undefined || typeof node === 'string') return [];
  const c = node[key];
  if (c === undefined) return [];
  return Array.isArray(c) ? c : [c];
}

/** First direct child element named `key`, or undefined. */
export function child(node: XmlValue | undefined, key: string): XmlValue | undefined {
  return children(node, key)[0];
}

/** The element at a '/'-separated path of first children below `node` ('Global_RFM/RFM_Validity'), or undefined. */
export function at(node: XmlValue | undefined, path: string): XmlValue | undefined {
  let n = node;
  for (const k of path.split('/')) n = child(n, k);
  return n;
}

/** Text of the element at `path` below `node`; undefined when missing or empty. */
export function textAt(node: XmlValue | undefined, path: string): string | undefined {
  const t = text(at(node, path)).trim();
  return t === '' ? undefined : t;
}

const missing = (file: string, key: string): GepError =>
  corruptFile(file, `missing required element <${key}>`, { element: key });

/** A finite number from the text `t` of element `key` (a name or path); throws naming the file and element. */
function finiteNumber(t: string | undefined, key: string, file: string): number {
  if (!t) throw missing(file, key);
  const v = Number(t);
  if (!Number.isFinite(v)) throw corruptFile(file, `element <${key}> is not a number: '${t.slice(0, 40)}'`, { element: key });
  return v;
}

/** A finite number from the text `t`, or undefined when empty or not a finite number. */
function finiteOrUndefined(t: string | undefined): number | undefined {
  if (!t) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

/** Text of the first `key` element; throws GEP_ERR_CORRUPT_FILE naming the file and element when absent/empty. */
export function requireText(node: XmlValue | undefined, key: string, file: string): string {
  const t = text(findFirst(node, key)).trim();
  if (!t) throw missing(file, key);
  return t;
}

/** Text of the element at `path`; throws GEP_ERR_CORRUPT_FILE naming the file and the path when absent/empty. */
export function requireTextAt(node: XmlValue | undefined, path: string, file: string): string {
  const t = textAt(node, path);
  if (t === undefined) throw missing(file, path);
  return t;
}

export function optionalNumber(node: XmlValue | undefined, key: string): number | undefined {
  return finiteOrUndefined(text(findFirst(node, key)).trim());
}

/** A finite number at `path`, or undefined when absent, empty or not a finite number. */
export function optionalNumberAt(node: XmlValue | undefined, path: string): number | undefined {
  return finiteOrUndefined(textAt(node, path));
}

/** A finite number from a required element. */
export function requireNumber(node: XmlValue | undefined, key: string, file: string): number {
  return finiteNumber(requireText(node, key, file), key, file);
}

/** A finite number at `path`; GEP_ERR_CORRUPT_FILE naming the file and the path when missing or not a number. */
export function numberAt(node: XmlValue | undefined, path: string, file: string): number {
  return finiteNumber(textAt(node, path), path, file);
}

/** Escapes text for XML content and attribute values. */
export function esc(s: string | number): string {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
