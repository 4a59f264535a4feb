/** Blob-store helpers for tests. */
import type { BlobStore } from '../../src/store/blobs.ts';

/** Every key under `prefix`, in the store's order. */
export async function listKeys(store: BlobStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const k of store.list(prefix)) out.push(k);
  return out;
}

/** A whole stream's bytes. */
export async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer>) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}
