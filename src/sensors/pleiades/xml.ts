/**
 * Small, safe XML access for DIMAP files: validation (well-formedness, size, no DTD entities), a tree where every
 * child is a list, and typed getters whose errors name the file and the element path.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { GepError } from '../../core/errors.ts';

/** An element: child lists by tag name, '#text' for text, '@_name' for attributes. */
export type XNode = { [k: string]: XNode[] | string };

const MAX_XML_BYTES = 64 << 20;

/** Parses a DIMAP XML document; GEP_ERR_CORRUPT_FILE (naming `name` and the line) when it is not well-formed. */
export function parseXml(xml: string, name: string): XNode {
  if (xml.length > MAX_XML_BYTES)
    throw new GepError('GEP_ERR_TOO_LARGE', `${name}: XML of ${xml.length} characters exceeds ${MAX_XML_BYTES}`, { file: name });
  if (/<!ENTITY/i.test(xml))
    throw new GepError('GEP_ERR_CORRUPT_FILE', `${name}: XML entity declarations are not accepted in DIMAP files`, { file: name });
  const v = XMLValidator.validate(xml);
  if (v !== true)
    throw new GepError('GEP_ERR_CORRUPT_FILE', `${name}: malformed XML at line ${v.err.line}: ${v.err.msg}`, {
      file: name,
      line: v.err.line,
    });
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    isArray: (_name, _jpath, _isLeaf, isAttribute) => !isAttribute,
    alwaysCreateTextNode: true,
  });
  return parser.parse(xml) as XNode;
}

/** First child element `tag` of `node`, or undefined. */
export function child(node: XNode | undefined, tag: string): XNode | undefined {
  const c = node?.[tag];
  return Array.isArray(c) ? c[0] : undefined;
}

/** All child elements `tag` of `node`. */
export function children(node: XNode | undefined, tag: string): XNode[] {
  const c = node?.[tag];
  return Array.isArray(c) ? c : [];
}

/** Follows a '/'-separated path of first children. */
export function path(node: XNode | undefined, p: string): XNode | undefined {
  let n = node;
  for (const t of p.split('/')) n = child(n, t);
  return n;
}

/** First element named `tag` anywhere below `node` (depth-first, document order). */
export function find(node: XNode | undefined, tag: string, depth = 0): XNode | undefined {
  if (!node || depth > 64) return undefined;
  const direct = child(node, tag);
  if (direct) return direct;
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('@_') || k === '#text' || !Array.isArray(v)) continue;
    for (const c of v) {
      const r = find(c, tag, depth + 1);
      if (r) return r;
    }
  }
  return undefined;
}

/** All elements named `tag` anywhere below `node`, in document order. */
export function findAll(node: XNode | undefined, tag: string, out: XNode[] = [], depth = 0): XNode[] {
  if (!node || depth > 64) return out;
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('@_') || k === '#text' || !Array.isArray(v)) continue;
    for (const c of v) {
      if (k === tag) out.push(c);
      findAll(c, tag, out, depth + 1);
    }
  }
  return out;
}

/** Text content of an element ('' when empty). */
export function text(node: XNode | undefined): string {
  const t = node?.['#text'];
  return typeof t === 'string' ? t : '';
}

/** Attribute value, or undefined. */
export function attr(node: XNode | undefined, name: string): string | undefined {
  const a = node?.[`@_${name}`];
  return typeof a === 'string' ? a : undefined;
}

/** Text of the element at `p` below `node`, or undefined when missing/empty. */
export function textAt(node: XNode | undefined, p: string): string | undefined {
  const t = text(path(node, p));
  return t === '' ? undefined : t;
}

/** A finite number at path `p`; GEP_ERR_CORRUPT_FILE naming `file` and `p` when missing or not a number. */
export function numberAt(node: XNode | undefined, p: string, file: string): number {
  const t = textAt(node, p);
  if (t === undefined) throw new GepError('GEP_ERR_CORRUPT_FILE', `${file}: missing element ${p}`, { file, element: p });
  const v = Number(t);
  if (!Number.isFinite(v))
    throw new GepError('GEP_ERR_CORRUPT_FILE', `${file}: element ${p} is not a finite number ('${t.slice(0, 40)}')`, {
      file,
      element: p,
    });
  return v;
}

/** A finite number at path `p`, or undefined when absent or not a number. */
export function optNumberAt(node: XNode | undefined, p: string): number | undefined {
  const t = textAt(node, p);
  if (t === undefined) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

/** Escapes text for XML content and attribute values. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
