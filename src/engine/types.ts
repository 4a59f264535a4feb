/**
 * Types of the processing engine: jobs with the OGC API - Processes states (Part 1, statusInfo.yaml), their
 * logs, list filters and the statusInfo document the HTTP layer serves.
 */
import type { LogLevel } from '../services/types.ts';

/** OGC statusCode values. `dismissed` covers cancelled jobs (OGC has no separate state for them). */
export const JOB_STATUSES = ['accepted', 'running', 'successful', 'failed', 'dismissed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export type Visibility = 'private' | 'public';

/** A failure as data: the GepError code and its user-safe message. */
export interface JobError {
  code: string;
  message: string;
}

/** One job as stored. Times are Dates; progress is a percentage in [0, 100]. */
export interface Job {
  id: string;
  processId: string;
  processVersion: string | null;
  status: JobStatus;
  message: string | null;
  progress: number;
  /** Inputs as submitted (before defaults and catalogue resolution). */
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown> | null;
  /** processing:software, gep:parameters (defaults applied), gep:inputs (item ids) ... */
  provenance: Record<string, unknown> | null;
  error: JobError | null;
  owner: string | null;
  visibility: Visibility;
  title: string | null;
  subscriptionId: string | null;
  /** Id of the job this one repeats (resubmit). */
  resubmittedFrom: string | null;
  /** Number of user retries so far. */
  attempt: number;
  workerId: string | null;
  cancelRequested: boolean;
  /** Blob-store prefix of the job's published files (`jobs/<id>`); jobs run before results went to the blob store hold their absolute workspace path. */
  workspace: string | null;
  /** Catalogue collection holding the results (`job-<id>`), once successful. */
  resultCollection: string | null;
  created: Date;
  started: Date | null;
  finished: Date | null;
  updated: Date;
}

export interface JobLogEntry {
  seq: number;
  time: Date;
  level: LogLevel;
  message: string;
}

/** What `submit` takes. */
export interface SubmitRequest {
  process: string;
  inputs: Record<string, unknown>;
  owner?: string | null;
  visibility?: Visibility;
  title?: string | null;
  /** Set by systematic processing. */
  subscriptionId?: string | null;
}

/** Filters of `list` (OGC job-list: type, processID, status, datetime, minDuration, maxDuration, limit). */
export interface JobFilter {
  status?: JobStatus[];
  process?: string[];
  /** Jobs of this owner; with `includePublic`, public jobs of anyone too. */
  owner?: string;
  includePublic?: boolean;
  visibility?: Visibility;
  /** Case-insensitive substring of the title. */
  title?: string;
  /** Created at or after / before (inclusive). */
  createdFrom?: Date;
  createdTo?: Date;
  /** Duration bounds in seconds (OGC minDuration / maxDuration; running jobs count until now). */
  minDuration?: number;
  maxDuration?: number;
  subscriptionId?: string;
  /** Page size (1..1000, default 100) and offset. */
  limit?: number;
  offset?: number;
}

export interface JobPage {
  jobs: Job[];
  /** Total matching jobs (for numberMatched). */
  total: number;
}

export interface Link {
  href: string;
  rel: string;
  type?: string;
  title?: string;
}

/** OGC API - Processes statusInfo (statusInfo.yaml) with our extras in `gep:*`. */
export interface StatusInfo {
  jobID: string;
  processID: string;
  type: 'process';
  status: JobStatus;
  message?: string;
  created: string;
  started?: string;
  finished?: string;
  updated: string;
  /** Percent, integer 0..100. */
  progress: number;
  links: Link[];
}

/** An update pushed to subscribers (SSE). */
export interface JobEvent {
  type: 'job';
  job: Job;
}

/** A job as the OGC statusInfo document; links are relative to `baseUrl` (no trailing slash) when given. */
export function statusInfo(job: Job, baseUrl = ''): StatusInfo {
  const self = `${baseUrl}/jobs/${encodeURIComponent(job.id)}`;
  const links: Link[] = [
    { href: self, rel: 'self', type: 'application/json', title: 'this job' },
    { href: `${self}/logs`, rel: 'http://www.opengis.net/def/rel/ogc/1.0/log', type: 'application/json', title: 'job log' },
    { href: `${baseUrl}/processes/${encodeURIComponent(job.processId)}`, rel: 'http://www.opengis.net/def/rel/ogc/1.0/process', type: 'application/json', title: 'process description' },
  ];
  if (job.status === 'successful') {
    links.push({ href: `${self}/results`, rel: 'http://www.opengis.net/def/rel/ogc/1.0/results', type: 'application/json', title: 'job results' });
    if (job.resultCollection)
      links.push({ href: `${baseUrl}/collections/${encodeURIComponent(job.resultCollection)}`, rel: 'related', type: 'application/json', title: 'results as a STAC collection' });
  }
  return {
    jobID: job.id,
    processID: job.processId,
    type: 'process',
    status: job.status,
    ...(job.message ? { message: job.message } : {}),
    created: job.created.toISOString(),
    ...(job.started ? { started: job.started.toISOString() } : {}),
    ...(job.finished ? { finished: job.finished.toISOString() } : {}),
    updated: job.updated.toISOString(),
    progress: Math.round(job.progress),
    links,
  };
}
