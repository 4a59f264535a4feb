/**
 * BlobStore on a local folder. Writes go to `<root>/.gep-tmp/<random>` and are renamed into place, so a reader
 * sees the old blob or the new one, never a part. Content types live in `<root>/.gep-meta/<key>.json`
 * sidecars. Reads stream from the file (ranges included); nothing is buffered whole.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { GepError, invalidInput } from '../core/errors.ts';
import type { BlobStore } from './blobs.ts';
import { checkBlobKey, checkBlobPrefix } from './blobs.ts';

const TMP = '.gep-tmp';
const META = '.gep-meta';

function isNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && 'code' in e && ((e as { code: unknown }).code === 'ENOENT' || (e as { code: unknown }).code === 'ENOTDIR');
}

export class LocalBlobStore implements BlobStore {
  private constructor(readonly root: string) {}

  static async open(root: string): Promise<LocalBlobStore> {
    await mkdir(join(root, TMP), { recursive: true });
    return new LocalBlobStore(root);
  }

  private path(key: string): string {
    return join(this.root, ...checkBlobKey(key).split('/'));
  }

  private metaPath(key: string): string {
    return join(this.root, META, ...key.split('/')) + '.json';
  }

  private tmpPath(): string {
    return join(this.root, TMP, `${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`);
  }

  localPath(key: string): string {
    return this.path(key);
  }

  async put(key: string, data: Uint8Array | NodeJS.ReadableStream, opts: { contentType?: string } = {}): Promise<void> {
    const dest = this.path(key);
    const tmp = this.tmpPath();
    try {
      if (data instanceof Uint8Array) await writeFile(tmp, data);
      else await pipeline(data as NodeJS.ReadableStream & Readable, createWriteStream(tmp));
      await mkdir(dirname(dest), { recursive: true });
      const meta = this.metaPath(key);
      if (opts.contentType !== undefined) {
        const mtmp = this.tmpPath();
        await writeFile(mtmp, JSON.stringify({ contentType: opts.contentType }));
        await mkdir(dirname(meta), { recursive: true });
        await rename(mtmp, meta);
      } else {
        await rm(meta, { force: true });
      }
      await rename(tmp, dest);
    } catch (e) {
      await rm(tmp, { force: true });
      const code = typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : undefined;
      if (code === 'EISDIR') {
        throw invalidInput(`blob key ${JSON.stringify(key)}: is a prefix of other keys, cannot also be a blob`, { key });
      }
      if (code === 'ENOTDIR' || code === 'EEXIST') {
        throw invalidInput(`blob key ${JSON.stringify(key)}: a leading part of it is already a blob`, { key });
      }
      throw e;
    }
  }

  async head(key: string): Promise<{ size: number; contentType?: string } | null> {
    const p = this.path(key);
    let size: number;
    try {
      const s = await stat(p);
      if (!s.isFile()) return null;
      size = s.size;
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
    try {
      const m = JSON.parse(await readFile(this.metaPath(key), 'utf8')) as { contentType?: unknown };
      if (typeof m.contentType === 'string') return { size, contentType: m.contentType };
    } catch (e) {
      if (!isNotFound(e) && !(e instanceof SyntaxError)) throw e;
    }
    return { size };
  }

  async get(key: string, range?: { start: number; end: number }): Promise<NodeJS.ReadableStream> {
    const p = this.path(key);
    let fh;
    try {
      fh = await open(p, 'r');
    } catch (e) {
      if (isNotFound(e)) throw new GepError('GEP_ERR_NOT_FOUND', `blob ${JSON.stringify(key)} does not exist`, { key });
      throw e;
    }
    try {
      const size = (await fh.stat()).size;
      if (!range) return createReadStream('', { fd: fh, autoClose: true });
      const { start, end } = range;
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
        throw invalidInput(`blob ${JSON.stringify(key)}: range ${start}-${end} must be integers with 0 <= start <= end`, { key });
      }
      if (start >= size) {
        throw invalidInput(`blob ${JSON.stringify(key)}: range start ${start} is beyond its size ${size}`, { key, size });
      }
      return createReadStream('', { fd: fh, autoClose: true, start, end: Math.min(end, size - 1) });
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    const p = this.path(key);
    await rm(this.metaPath(key), { force: true });
    try {
      await unlink(p);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    // Remove folders left empty, up to the root.
    let dir = dirname(p);
    while (dir.startsWith(this.root + sep) && dir !== this.root) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
      dir = dirname(dir);
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    checkBlobPrefix(prefix);
    // Walk only the folder that holds the prefix; yield keys in ascending (code unit) order.
    const cut = prefix.lastIndexOf('/');
    const base = cut >= 0 ? prefix.slice(0, cut) : '';
    yield* this.walk(base, prefix);
  }

  private async *walk(dirKey: string, prefix: string): AsyncIterable<string> {
    let entries;
    try {
      entries = await readdir(dirKey === '' ? this.root : join(this.root, ...dirKey.split('/')), { withFileTypes: true });
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    // A folder "a" sorts as "a/" among its siblings so that the whole listing is in key order.
    const named = entries
      .filter((d) => !(dirKey === '' && (d.name === TMP || d.name === META)))
      .map((d) => ({ d, sortKey: d.isDirectory() ? `${d.name}/` : d.name }))
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    for (const { d } of named) {
      const key = dirKey === '' ? d.name : `${dirKey}/${d.name}`;
      if (d.isDirectory()) {
        const k = `${key}/`;
        if (k.startsWith(prefix) || prefix.startsWith(k)) yield* this.walk(key, prefix);
      } else if (d.isFile() && key.startsWith(prefix)) {
        yield key;
      }
    }
  }
}
