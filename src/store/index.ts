/** Store layer: database (PGlite or PostgreSQL), migrations, STAC item storage and blob storage. */
export type { Db, QueryResult, DbTarget } from './db.ts';
export { openDb, parseDbUrl, redactUrl, DEFAULT_DATA_DIR } from './db.ts';
export { migrate, loadMigrations } from './migrate.ts';
export type { BlobStore } from './blobs.ts';
export { openBlobStore, checkBlobKey, MAX_KEY_LENGTH } from './blobs.ts';
export {
  upsertCollection,
  getCollection,
  listCollections,
  deleteCollection,
  upsertItems,
  getItem,
  deleteItem,
  itemRow,
  UPSERT_BATCH,
} from './items.ts';
export { searchItems, countItems, datetimeHistogram, SORT_FIELDS, MAX_LIMIT } from './search.ts';
export type { ItemQuery, SortField } from './search.ts';
export { geometryBbox, geometryIntersectsBox } from './geometry.ts';
