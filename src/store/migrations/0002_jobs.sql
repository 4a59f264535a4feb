-- Processing engine: jobs (OGC API - Processes statusInfo + provenance), their logs, tile fan-out state, the
-- workers' heartbeats and systematic-processing subscriptions. The queue itself is pg-boss (schema pgboss,
-- created by pg-boss); `jobs.queue_id` is the pg-boss id of a job's current queue entry.

CREATE TABLE jobs (
  id               text PRIMARY KEY,                  -- UUID
  process_id       text NOT NULL,
  process_version  text,
  status           text NOT NULL CHECK (status IN ('accepted', 'running', 'successful', 'failed', 'dismissed')),
  message          text,
  progress         double precision NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 100),  -- percent
  inputs           jsonb NOT NULL,                    -- as submitted
  outputs          jsonb,                             -- service outputs (successful jobs)
  provenance       jsonb,                             -- software, parameters, input item ids
  error            jsonb,                             -- { code, message } of a failed job
  owner            text,
  visibility       text NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'public')),
  title            text,
  subscription_id  text,
  resubmitted_from text,
  attempt          integer NOT NULL DEFAULT 0,        -- user retries; tile queue ids derive from it
  queue_id         text,                              -- pg-boss job id
  worker_id        text,                              -- worker running it (lease, with engine_workers)
  run_token        text,                              -- changes on each start; stale runs cannot finish a job
  cancel_requested boolean NOT NULL DEFAULT false,
  workspace        text,
  result_collection text,
  created          timestamptz NOT NULL DEFAULT clock_timestamp(),
  started          timestamptz,
  finished         timestamptz,
  updated          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX jobs_created_idx ON jobs (created DESC, id DESC);
CREATE INDEX jobs_status_idx ON jobs (status, created DESC);
CREATE INDEX jobs_owner_idx ON jobs (owner, created DESC);
CREATE INDEX jobs_updated_idx ON jobs (updated);
CREATE INDEX jobs_worker_idx ON jobs (worker_id) WHERE status = 'running';

CREATE TABLE job_logs (
  job_id  text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  seq     bigserial,
  time    timestamptz NOT NULL DEFAULT clock_timestamp(),
  level   text NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
  message text NOT NULL,
  PRIMARY KEY (job_id, seq)
);

-- One row per tile of a ctx.map call of a job run (distributed fan-out): the input and result travel as V8
-- structured-clone bytes. state: queued -> running (worker_id = lease) -> done | failed.
CREATE TABLE job_tiles (
  job_id     text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  map_index  integer NOT NULL,                        -- which ctx.map call of the run (0, 1, ...)
  tile_index integer NOT NULL,
  input_hash text NOT NULL,                           -- SHA-256 of the input bytes: reuse only identical tiles
  queue_id   text NOT NULL,
  module     text NOT NULL,                           -- repo-relative 'repo:src/...' or a file URL
  export     text NOT NULL,
  input      bytea,
  state      text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
  result     bytea,
  error      jsonb,
  worker_id  text,
  runs       integer NOT NULL DEFAULT 0,
  updated    timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (job_id, map_index, tile_index)
);
CREATE INDEX job_tiles_worker_idx ON job_tiles (worker_id) WHERE state = 'running';

CREATE TABLE engine_workers (
  id         text PRIMARY KEY,
  host       text NOT NULL,
  pid        integer NOT NULL,
  started    timestamptz NOT NULL DEFAULT clock_timestamp(),
  heartbeat  timestamptz NOT NULL DEFAULT clock_timestamp(),
  info       jsonb
);

CREATE TABLE subscriptions (
  id          text PRIMARY KEY,
  collection  text NOT NULL,
  -- area of interest in degrees (GeoJSON order); NULL = whole collection
  minx double precision, miny double precision, maxx double precision, maxy double precision,
  geometry    jsonb,
  process_id  text NOT NULL,
  item_input  text NOT NULL,                          -- the process input that receives the item
  inputs      jsonb NOT NULL DEFAULT '{}'::jsonb,     -- fixed parameters
  filter      jsonb,                                  -- properties the item must contain (jsonb @>)
  owner       text,
  title       text,
  enabled     boolean NOT NULL DEFAULT true,
  created     timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX subscriptions_collection_idx ON subscriptions (collection) WHERE enabled;

-- An item triggers a subscription once, however often it is ingested again.
CREATE TABLE subscription_runs (
  subscription_id text NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
  collection      text NOT NULL,
  item_id         text NOT NULL,
  job_id          text NOT NULL,
  created         timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (subscription_id, collection, item_id)
);
