/**
 * Landsat Collection 2 metadata files: the ODL-like text MTL ("GROUP = NAME ... KEY = VALUE ... END_GROUP = NAME",
 * ended by END; USGS LSDS-1822 / LSDS-1619 data format control books) and its XML twin (*_MTL.xml, same group and
 * field names). Both become one tree of groups. Bounded: size, line count and nesting depth are limited; an
 * unterminated or mismatched group is GEP_ERR_CORRUPT_FILE.
 */
import { corruptFile, GepError } from '../../core/errors.ts';
import { parseXml } from '../xml.ts';
import type { XmlNode, XmlValue } from '../xml.ts';

export interface MtlGroup {
  name: string;
  values: Map<string, string>;
  groups: MtlGroup[];
}

const MAX_BYTES = 4 << 20;
const MAX_LINES = 100_000;
const MAX_DEPTH = 8;

/** Parses the text MTL format. */
export function parseMtlText(text: string, file: string): MtlGroup {
  if (text.length > MAX_BYTES) throw new GepError('GEP_ERR_TOO_LARGE', `${file}: MTL larger than ${MAX_BYTES} bytes`, { file });
  const lines = text.split(/\r?\n/);
  if (lines.length > MAX_LINES) throw new GepError('GEP_ERR_TOO_LARGE', `${file}: MTL has more than ${MAX_LINES} lines`, { file });
  const root: MtlGroup = { name: '', values: new Map(), groups: [] };
  const stack: MtlGroup[] = [root];
  let ended = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    if (ended) throw corruptFile(file, `line ${i + 1}: content after END`);
    if (line === 'END') {
      ended = true;
      continue;
    }
    const m = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(line);
    if (!m) throw corruptFile(file, `line ${i + 1}: expected 'KEY = VALUE', got '${line.slice(0, 60)}'`);
    const key = m[1]!;
    let value = m[2]!.trim();
    if (value.startsWith('"')) {
      if (!value.endsWith('"') || value.length < 2) throw corruptFile(file, `line ${i + 1}: unterminated string`);
      value = value.slice(1, -1);
    }
    const top = stack[stack.length - 1]!;
    if (key === 'GROUP') {
      if (stack.length > MAX_DEPTH) throw corruptFile(file, `line ${i + 1}: groups nested deeper than ${MAX_DEPTH}`);
      const g: MtlGroup = { name: value, values: new Map(), groups: [] };
      top.groups.push(g);
      stack.push(g);
    } else if (key === 'END_GROUP') {
      if (stack.length === 1) throw corruptFile(file, `line ${i + 1}: END_GROUP = ${value} without GROUP`);
      if (top.name !== value) throw corruptFile(file, `line ${i + 1}: END_GROUP = ${value} closes GROUP = ${top.name}`);
      stack.pop();
    } else {
      top.values.set(key, value);
    }
  }
  if (stack.length > 1) throw corruptFile(file, `unterminated GROUP = ${stack[stack.length - 1]!.name}`);
  if (root.groups.length === 0) throw corruptFile(file, 'no GROUP found: not a Landsat MTL file');
  return root;
}

function fromXml(name: string, node: XmlValue, depth: number, file: string): MtlGroup {
  if (depth > MAX_DEPTH) throw corruptFile(file, `elements nested deeper than ${MAX_DEPTH}`);
  const g: MtlGroup = { name, values: new Map(), groups: [] };
  if (typeof node !== 'object' || Array.isArray(node)) return g;
  for (const [k, v] of Object.entries(node as XmlNode)) {
    if (k.startsWith('@_') || k === '#text') continue;
    for (const item of Array.isArray(v) ? v : [v]) {
      if (typeof item === 'string') g.values.set(k, item.trim());
      else if (item && typeof item === 'object' && !Array.isArray(item)) {
        const children = Object.keys(item).filter((x) => !x.startsWith('@_') && x !== '#text');
        if (children.length === 0) g.values.set(k, String((item as XmlNode)['#text'] ?? '').trim());
        else g.groups.push(fromXml(k, item, depth + 1, file));
      }
    }
  }
  return g;
}

/** Parses the XML MTL format into the same tree as the text format. */
export function parseMtlXml(xml: string | Uint8Array, file: string): MtlGroup {
  const doc = parseXml(xml, file);
  const rootKey = Object.keys(doc).find((k) => !k.startsWith('?'));
  if (!rootKey) throw corruptFile(file, 'empty MTL XML');
  return { name: '', values: new Map(), groups: [fromXml(rootKey, doc[rootKey]!, 1, file)] };
}

/** The first group called `name`, depth-first. */
export function findGroup(g: MtlGroup, name: string): MtlGroup | undefined {
  if (g.name === name) return g;
  for (const c of g.groups) {
    const r = findGroup(c, name);
    if (r) return r;
  }
  return undefined;
}

/** A value from a group (or anywhere when group is null). */
export function mtlValue(root: MtlGroup, group: string | null, key: string): string | undefined {
  if (group !== null) return findGroup(root, group)?.values.get(key);
  const stack = [root];
  while (stack.length) {
    const g = stack.shift()!;
    const v = g.values.get(key);
    if (v !== undefined) return v;
    stack.push(...g.groups);
  }
  return undefined;
}
