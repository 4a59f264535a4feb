-- STAC catalogue storage: collections and items, for PGlite (PostgreSQL 18 in WASM) and PostgreSQL >= 12.
-- No PostGIS: the spatial index is a GiST on the native `box` type together with the item's time range, and
-- exact geometry tests run in JS on the few rows the box test lets through (src/store/geometry.ts).

CREATE TABLE collections (
  id          text PRIMARY KEY,
  content     jsonb NOT NULL,                          -- the full STAC collection
  -- longest end_datetime - datetime of its items, in seconds (never decreases). It bounds a time search on
  -- the B-tree from below: an item overlapping [start, end] has datetime >= start - max_item_seconds.
  -- Kept by upsertItems (src/store/items.ts); write items through it.
  max_item_seconds double precision NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE items (
  collection   text NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
  id           text NOT NULL,
  -- properties.datetime, or properties.start_datetime when datetime is null (STAC interval item)
  datetime     timestamptz NOT NULL,
  -- properties.end_datetime, or datetime for an instant
  end_datetime timestamptz NOT NULL,
  -- item bbox in degrees (GeoJSON order); minx > maxx when it crosses the antimeridian; NULL without geometry
  minx double precision,
  miny double precision,
  maxx double precision,
  maxy double precision,
  -- indexed box: the bbox, or the full longitude band for an antimeridian-crossing bbox (a superset)
  bbox box GENERATED ALWAYS AS (
    CASE WHEN minx IS NULL THEN NULL
         WHEN minx <= maxx THEN box(point(minx, miny), point(maxx, maxy))
         ELSE box(point(-180, miny), point(180, maxy)) END) STORED,
  -- closed interval [datetime, end_datetime], indexed with bbox for space-and-time searches
  period tstzrange GENERATED ALWAYS AS (tstzrange(datetime, end_datetime, '[]')) STORED,
  geometry     jsonb,
  properties   jsonb NOT NULL,
  content      jsonb NOT NULL,                          -- the full STAC item
  cloud_cover  double precision,                        -- properties."eo:cloud_cover", percent
  platform     text,                                    -- properties.platform
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (collection, id),
  CHECK (end_datetime >= datetime),
  CHECK ((minx IS NULL) = (maxx IS NULL) AND (miny IS NULL) = (maxy IS NULL) AND (minx IS NULL) = (miny IS NULL))
);

-- Keyset paging in one collection (ORDER BY datetime, id with collection fixed) and its time-range scans.
CREATE INDEX items_collection_datetime_idx ON items (collection, datetime, id);
-- Keyset paging across collections (ORDER BY datetime, collection, id).
CREATE INDEX items_datetime_idx ON items (datetime, collection, id);
-- Space and time: `bbox && box(...)` and `period && tstzrange(...)`.
CREATE INDEX items_bbox_period_idx ON items USING gist (bbox, period);
-- Containment filters on properties (`properties @> '{"platform":"sentinel-2a"}'`).
CREATE INDEX items_properties_idx ON items USING gin (properties jsonb_path_ops);
CREATE INDEX items_cloud_cover_idx ON items (cloud_cover);
