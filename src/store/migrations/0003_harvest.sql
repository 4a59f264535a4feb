-- Harvesting a remote STAC API (src/catalog/harvest.ts): one row per harvest, identified by its source and query
-- (API root, collections, bbox, datetime). `next` is the STAC link of the next page to fetch, saved in the same
-- transaction as the items of the page before it, so an interrupted harvest resumes where it stopped.

CREATE TABLE harvest_state (
  key         text PRIMARY KEY,                      -- SHA-256 of [source, sorted collections, bbox, datetime]
  source      text NOT NULL,                         -- STAC API root URL
  collections text[] NOT NULL,
  bbox        jsonb,                                 -- [w, s, e, n] in degrees, or NULL
  datetime    text,                                  -- STAC datetime interval, or NULL
  next        jsonb,                                 -- { href, method, body } of the next page; NULL when complete
  complete    boolean NOT NULL DEFAULT false,
  pages       integer NOT NULL DEFAULT 0,            -- pages stored over all runs
  items       integer NOT NULL DEFAULT 0,            -- items stored over all runs
  skipped     integer NOT NULL DEFAULT 0,            -- malformed or too large items skipped over all runs
  updated_at  timestamptz NOT NULL DEFAULT now()
);
