/**
 * BlobStore on a local folder. Writes go to `<root>/.gep-tmp/<random>` and are renamed into place, so a reader
 * sees the old blob or the new one, never a part. Content types live in `<root>/.gep-meta/<key>.json`
 * sidecars. Reads stream from the file (ranges included); nothing is buffered whole.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { GepError, invalidInput, openFailed } from '../core/errors.ts';
import type { BlobHead, BlobStore } from './blobs.ts';
import { checkBlobKey, checkBlobPrefix } from './blobs.ts';

const TMP = '.gep-tmp';
const META = '.gep-meta';

function errCode(e: unknown): unknown {
  return typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : undefined;
}

function isNotFound(e: unknown): boolean {
  const c = errCode(e);
  return c === 'ENOENT' || c === 'ENOTDIR';
}

export class LocalBlobStore implements BlobStore {
  readonly kind = 'local' as const;
  readonly location: string;

  private constructor(readonly root: string) {
    this.location = `file://${root}`;
  }

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

  /** The absolute file path of the blob (whether or not it exists). */
  url(key: string): string {
    return this.path(key);
  }

  async put(key: string, data: Uint8Array | NodeJS.ReadableStream, opts: { contentType?: string } = {}): Promise<void> {
    const dest = this.path(key);
    const tmp = this.tmpPath();
    try {
      if (data instanceof Uint8Array) await writeFile(tmp, data);
      else await pipeline(data as NodeJS.ReadableStream & Readable, createWriteStream(tmp));
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    await this.commit(key, dest, tmp, opts.contentType);
  }

  /**
   * Stores a local file: with `move`, renamed into place when on the same file system (else copied, then the
   * source deleted); without, copied to a temporary name first. Either way the blob appears whole, by rename.
   */
  async putFile(key: string, path: string, opts: { contentType?: string; move?: boolean } = {}): Promise<void> {
    const dest = this.path(key);
    try {
      if (!(await stat(path)).isFile()) throw new GepError('GEP_ERR_NOT_FOUND', `${path}: not a regular file`, { file: path });
    } catch (e) {
      if (e instanceof GepError) throw e;
      throw openFailed(path, e);
    }
    const tmp = this.tmpPath();
    let renamed = false;
    try {
      if (opts.move) {
        try {
          await rename(path, tmp);
          renamed = true;
        } catch (e) {
          if (errCode(e) !== 'EXDEV') throw e;
        }
      }
      if (!renamed) await copyFile(path, tmp);
    } catch (e) {
      await rm(tmp, { force: true });
      if (isNotFound(e)) throw openFailed(path, e);
      throw e;
    }
    await this.commit(key, dest, tmp, opts.contentType, renamed ? path : undefined);
    if (opts.move && !renamed) await rm(path, { force: true });
  }

  /**
   * Writes the content-type sidecar and renames `tmp` to `dest`. On failure tmp is removed (or renamed back to
   * `restoreTo`, the source of a move, so that a refused key loses no data) and the error explains the key.
   */
  private async commit(key: string, dest: string, tmp: string, contentType: string | undefined, restoreTo?: string): Promise<void> {
    try {
      await mkdir(dirname(dest), { recursive: true });
      const meta = this.metaPath(key);
      if (contentType !== undefined) {
        const mtmp = this.tmpPath();
        await writeFile(mtmp, JSON.stringify({ contentType }));
        await mkdir(dirname(meta), { recursive: true });
        await rename(mtmp, meta);
      } else {
        await rm(meta, { force: true });
      }
      await rename(tmp, dest);
    } catch (e) {
      if (restoreTo !== undefined) await rename(tmp, restoreTo).catch(() => undefined);
      else await rm(tmp, { force: true });
      const code = errCode(e);
      if (code === 'EISDIR') {
        throw invalidInput(`blob key ${JSON.stringify(key)}: is a prefix of other keys, cannot also be a blob`, { key });
      }
      if (code === 'ENOTDIR' || code === 'EEXIST') {
        throw invalidInput(`blob key ${JSON.stringify(key)}: a leading part of it is already a blob`, { key });
      }
      throw e;
    }
  }

  async head(key: string): Promise<BlobHead | null> {
    const p = this.path(key);
    let out: BlobHead;
    try {
      const s = await stat(p);
      if (!s.isFile()) return null;
      const ms = Math.floor(s.mtimeMs);
      out = { size: s.size, etag: `"${s.size.toString(16)}-${ms.toString(16)}"`, modified: new Date(ms) };
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
    try {
      const m = JSON.parse(await readFile(this.metaPath(key), 'utf8')) as { contentType?: unknown };
      if (typeof m.contentType === 'string') out.contentType = m.contentType;
    } catch (e) {
      if (!isNotFound(e) && !(e instanceof SyntaxError)) throw e;
    }
    return out;
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
    await this.prune(dirname(p));
  }

  /**
   * Removes every blob under `prefix`. A prefix ending in '/' is a folder: it goes with rm -r, with its
   * sidecar folder; any other prefix deletes the listed keys one by one. '' is refused (it would empty the store).
   */
  async deletePrefix(prefix: string): Promise<number> {
    checkBlobPrefix(prefix);
    if (prefix === '') throw invalidInput("blob prefix '': deletePrefix needs a non-empty prefix (refusing to empty the whole store)");
    const keys: string[] = [];
    for await (const k of this.list(prefix)) keys.push(k);
    if (prefix.endsWith('/')) {
      const segs = prefix.slice(0, -1).split('/');
      await rm(join(this.root, ...segs), { recursive: true, force: true });
      await rm(join(this.root, META, ...segs), { recursive: true, force: true });
      await this.prune(dirname(join(this.root, ...segs)));
    } else {
      for (const k of keys) await this.delete(k);
    }
    return keys.length;
  }

  /** Removes folders left empty, from `dir` up to (not including) the root. */
  private async prune(dir: string): Promise<void> {
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
