/**
 * Scratch workspaces of job runs. A run works in a LOCAL folder `<scratch>/jobs/<jobId>/<run>` (`run`: the first
 * 8 hex digits of its run token), never on storage shared with other machines; what it publishes goes to the
 * blob store (publish.ts). One folder per run, not per job, so that a run that lost its lease and its successor
 * on the same machine (two workers sharing the default scratch) never write into or delete each other's files.
 *
 * Lifetime: the folder is removed when the run ends, whatever the end (successful: its files were moved to the
 * store; failed or cancelled: the reason is in the job's log, and a worker's disk must not fill with the
 * leftovers of failed runs). Folders of runs whose process died (SIGKILL, power loss) are swept when a worker
 * starts on the same scratch: those of jobs this database knows that are no longer running with that token.
 */
import { readdir, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Db } from '../store/db.ts';

/** Default scratch folder of a process with no data folder (`gep worker`): `<os tmpdir>/gep-scratch`. */
export const defaultScratch = (): string => join(tmpdir(), 'gep-scratch');

/** The scratch folder of one run of a job. */
export const runWorkspace = (scratch: string, jobId: string, token: string): string => join(scratch, 'jobs', jobId, token.replace(/-/g, '').slice(0, 8));

/** Removes a run's folder, and its job's folder when no other run is left in it. Never throws. */
export async function removeWorkspace(workspace: string): Promise<void> {
  await rm(workspace, { recursive: true, force: true }).catch(() => undefined);
  await rmdir(dirname(workspace)).catch(() => undefined); // not empty: another run of the job is here
}

/**
 * Removes run folders under `<scratch>/jobs` that belong to jobs of `db` no longer running with that run's token
 * (their process died). Folders of jobs `db` does not know are left alone: another deployment may share the
 * folder. Returns the number removed; never throws.
 */
export async function sweepScratch(db: Db, scratch: string): Promise<number> {
  const root = join(scratch, 'jobs');
  const jobDirs = await readdir(root).catch(() => [] as string[]);
  if (jobDirs.length === 0) return 0;
  // List the run folders BEFORE reading the tokens: a folder is made after its run's token was stored, so a
  // folder seen here belongs to a token the query below sees.
  const runs = new Map<string, string[]>();
  for (const id of jobDirs) runs.set(id, await readdir(join(root, id)).catch(() => [] as string[]));
  let removed = 0;
  try {
    const { rows } = await db.query<{ id: string; status: string; token: string | null }>(
      'SELECT id, status, run_token AS token FROM jobs WHERE id = ANY($1::text[])',
      [jobDirs],
    );
    for (const r of rows) {
      const live = r.status === 'running' && r.token ? r.token.replace(/-/g, '').slice(0, 8) : null;
      for (const run of runs.get(r.id) ?? []) {
        if (run === live) continue;
        await removeWorkspace(join(root, r.id, run));
        removed++;
      }
    }
  } catch {
    // best effort: a database hiccup only delays the sweep to the next start
  }
  return removed;
}
