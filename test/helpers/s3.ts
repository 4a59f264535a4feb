/**
 * An S3-compatible server for tests: s3rver (S3 REST API in Node, no signature checks) on 127.0.0.1 and a free
 * port, with its data in a mkdtemp folder that stop() removes. One bucket is created up front.
 *
 *   const s3 = await startS3({ bucket: 'gep-test' });
 *   const store = await openBlobStore(s3.url);           // s3://gep-test?endpoint=http://127.0.0.1:PORT
 *   spawn('node', [...], { env: { ...process.env, ...s3.env } });
 *   await s3.stop();
 *
 * With `setEnv: true` the credentials, region and endpoint (s3.env) are also set in this process's
 * process.env (the SDK's default credential chain reads them); stop() restores the previous values.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface S3Server {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  bucket: string;
  /** s3://BUCKET?endpoint=http://127.0.0.1:PORT — a blob store URL. */
  url: string;
  /** AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL for child processes. */
  env: Record<string, string>;
  /** Folder holding the server's data (removed by stop()). */
  directory: string;
  stop(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}
type S3rverCtor = new (opts: {
  port: number;
  address: string;
  silent: boolean;
  directory: string;
  configureBuckets?: { name: string }[];
}) => S3rverInstance;

/** Test credentials: s3rver accepts any; these are the ones s3rver documents for its own tests. */
const TEST_ENV = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
} as const;

export async function startS3(opts: { bucket?: string; setEnv?: boolean } = {}): Promise<S3Server> {
  const bucket = opts.bucket ?? 'gep-test';
  const directory = mkdtempSync(join(tmpdir(), 'gep-s3rver-'));
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;
  const srv = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] });
  let port: number;
  try {
    ({ port } = await srv.run());
  } catch (e) {
    rmSync(directory, { recursive: true, force: true });
    throw e;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = { ...TEST_ENV, AWS_ENDPOINT_URL: endpoint };
  const saved = new Map<string, string | undefined>();
  if (opts.setEnv) {
    for (const [k, v] of Object.entries(env)) {
      saved.set(k, process.env[k]);
      process.env[k] = v;
    }
  }
  let stopped = false;
  return {
    endpoint,
    bucket,
    url: `s3://${bucket}?endpoint=${endpoint}`,
    env,
    directory,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await srv.close();
      } finally {
        for (const [k, v] of saved) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
        rmSync(directory, { recursive: true, force: true });
      }
    },
  };
}
