/**
 * A SAFE product seen as a list of relative paths, read from a .SAFE folder or from a .zip holding one (never
 * extracted to disk). Paths are relative to the .SAFE root, with '/' separators.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { corruptFile, GepError } from '../../core/errors.ts';
import type { Archive } from '../archive.ts';
import { openZip, zipHref } from '../archive.ts';

export interface SafeSource {
  /** The .SAFE folder name (e.g. 'S2A_MSIL1C_..._20230615T122233.SAFE'). */
  name: string;
  list(): string[];
  read(rel: string): Uint8Array;
  /** Path of a file for ProductBand.href: a real path, or zip://archive.zip!/entry. */
  href(rel: string): string;
  /** A local path to read a file from directly, when the product is a folder. */
  localPath(rel: string): string | null;
  close(): void;
}

const MAX_FILES = 20_000;
const MAX_DEPTH = 8;
/** Largest single file read into memory from a folder (a full 10 m band is ~130 MB). */
const MAX_FILE_BYTES = 2 ** 31 - 1;

function walk(root: string, rel: string, depth: number, out: string[]): void {
  if (depth > MAX_DEPTH) return;
  for (const ent of readdirSync(join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${ent.name}` : ent.name;
    if (ent.isDirectory()) walk(root, r, depth + 1, out);
    else if (ent.isFile()) out.push(r);
    if (out.length > MAX_FILES) throw new GepError('GEP_ERR_TOO_LARGE', `${root}: more than ${MAX_FILES} files`, { file: root });
  }
}

function folderSource(dir: string): SafeSource {
  const files: string[] = [];
  walk(dir, '', 0, files);
  const set = new Set(files);
  return {
    name: basename(dir.replace(/\/+$/, '')),
    list: () => files,
    read(rel) {
      if (!set.has(rel)) throw new GepError('GEP_ERR_NOT_FOUND', `${dir}: no file ${rel}`, { file: join(dir, rel) });
      const p = join(dir, rel);
      if (statSync(p).size > MAX_FILE_BYTES) throw new GepError('GEP_ERR_TOO_LARGE', `${p}: file too large`, { file: p });
      return readFileSync(p);
    },
    href: (rel) => join(dir, rel),
    localPath: (rel) => join(dir, rel),
    close: () => {},
  };
}

function zipSource(path: string, zip: Archive): SafeSource {
  const entries = zip.list();
  const roots = new Set(entries.map((e) => e.split('/')[0]!).filter((r) => /\.SAFE$/i.test(r)));
  let prefix = '';
  let name = basename(path).replace(/\.zip$/i, '');
  if (roots.size === 1) {
    name = [...roots][0]!;
    prefix = `${name}/`;
  } else if (roots.size > 1) {
    throw corruptFile(path, `archive holds ${roots.size} .SAFE folders, expected one`);
  } else if (!entries.includes('manifest.safe')) {
    throw corruptFile(path, 'archive holds no .SAFE folder and no manifest.safe');
  }
  const files = entries.filter((e) => e.startsWith(prefix)).map((e) => e.slice(prefix.length));
  return {
    name,
    list: () => files,
    read: (rel) => zip.read(prefix + rel),
    href: (rel) => zipHref(path, prefix + rel),
    localPath: () => null,
    close: () => zip.close(),
  };
}

/** Opens a .SAFE folder (or any folder holding manifest.safe) or a .zip of one. */
export async function openSafeSource(path: string): Promise<SafeSource> {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new GepError('GEP_ERR_NOT_FOUND', `${path}: no such file or folder`, { file: path });
  }
  if (isDir) return folderSource(path);
  return zipSource(path, await openZip(path));
}
