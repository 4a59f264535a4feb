/**
 * A bounded LRU cache of open RasterReaders, so that a map session does not reopen (and re-parse the IFDs of) a
 * file for every tile. Entries are leased: a reader evicted while a request still uses it is closed when the
 * last lease is released. Entries are keyed by where the reader opens (a local path, a blob store's URL such as
 * `s3://bucket/key`, or an http(s) URL) and carry a version (files: size and modification time; blobs: entity tag,
 * else size and modification time): a source replaced in place gets a new reader. A failed open is not cached.
 */
import { openRaster } from '../../raster/open.ts';
import type { RasterReader } from '../../raster/types.ts';

interface Entry {
  key: string;
  version: string;
  reader: Promise<RasterReader>;
  refs: number;
  evicted: boolean;
  /** Per-entry memo (e.g. automatic rescale ranges), dropped with the entry. */
  memo: Map<string, Promise<unknown>>;
}

export interface ReaderLease {
  reader: RasterReader;
  /** Memoises `make()` under `key` for as long as this reader stays cached. */
  memo<T>(key: string, make: () => Promise<T>): Promise<T>;
  release(): void;
}

export type OpenFn = (source: string) => Promise<RasterReader>;

export class ReaderCache {
  private readonly entries = new Map<string, Entry>();
  /** Number of readers opened (for tests and logs). */
  opened = 0;

  constructor(
    readonly capacity = 32,
    private readonly open: OpenFn = (s) => openRaster(s),
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Leases the reader of `source` (a path or URL) at `version`; call release() when done. */
  async acquire(source: string, version: string): Promise<ReaderLease> {
    let e = this.entries.get(source);
    if (e && e.version !== version) {
      this.evict(e);
      e = undefined;
    }
    if (!e) {
      const entry: Entry = { key: source, version, reader: this.open(source), refs: 0, evicted: false, memo: new Map() };
      this.opened++;
      entry.reader.catch(() => {
        if (this.entries.get(source) === entry) this.entries.delete(source);
      });
      e = entry;
    } else this.entries.delete(source);
    this.entries.set(source, e);
    e.refs++;
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.values().next().value as Entry;
      this.evict(oldest);
    }
    const entry = e;
    let reader: RasterReader;
    try {
      reader = await entry.reader;
    } catch (err) {
      this.release(entry);
      throw err;
    }
    let released = false;
    return {
      reader,
      memo: <T>(key: string, make: () => Promise<T>): Promise<T> => {
        let p = entry.memo.get(key) as Promise<T> | undefined;
        if (!p) {
          p = make();
          entry.memo.set(key, p);
          p.catch(() => entry.memo.delete(key));
        }
        return p;
      },
      release: () => {
        if (released) return;
        released = true;
        this.release(entry);
      },
    };
  }

  private evict(e: Entry): void {
    if (this.entries.get(e.key) === e) this.entries.delete(e.key);
    e.evicted = true;
    if (e.refs === 0) this.close(e);
  }

  private release(e: Entry): void {
    e.refs--;
    if (e.evicted && e.refs === 0) this.close(e);
  }

  private close(e: Entry): void {
    e.reader.then((r) => r.close()).catch(() => undefined);
  }

  /** Closes every reader (leased ones when released). */
  async clear(): Promise<void> {
    for (const e of [...this.entries.values()]) this.evict(e);
  }
}
