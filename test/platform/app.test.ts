/** System test of the assembled app: catalogue and processing engine behind one server, on embedded PGlite. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/platform/app.ts';

describe('createApp', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gep-app-'));
  let app: App | undefined;
  after(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('serves STAC and OGC API - Processes together; an async echo job ends in the catalogue', async () => {
    app = await createApp({ dataDir: dir, database: 'memory://' });
    const s = app.server;
    const conf = (await s.inject({ url: '/conformance' })).json() as { conformsTo: string[] };
    assert.ok(conf.conformsTo.some((c) => c.includes('ogcapi-processes-1/1.0/conf/core')));
    assert.ok(conf.conformsTo.some((c) => c === 'https://api.stacspec.org/v1.0.0/core'));
    const landing = (await s.inject({ url: '/' })).json() as { links: { rel: string }[] };
    assert.ok(landing.links.some((l) => l.rel === 'http://www.opengis.net/def/rel/ogc/1.0/processes'));
    assert.ok(landing.links.some((l) => l.rel === 'search'));

    const res = await s.inject({
      method: 'POST',
      url: '/processes/echo/execution',
      headers: { prefer: 'respond-async', 'content-type': 'application/json' },
      payload: { inputs: { message: 'hello', count: 4 } },
    });
    assert.equal(res.statusCode, 201, res.body);
    const jobUrl = res.headers.location as string;
    assert.match(jobUrl, /\/jobs\/[\w-]+$/);
    const jobId = jobUrl.split('/').pop()!;
    let status = '';
    for (let i = 0; i < 200 && status !== 'successful' && status !== 'failed'; i++) {
      status = ((await s.inject({ url: `/jobs/${jobId}` })).json() as { status: string }).status;
      if (status !== 'successful') await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 'successful');
    const results = (await s.inject({ url: `/jobs/${jobId}/results` })).json() as Record<string, unknown>;
    assert.equal(results.message, 'hello');
    assert.equal(results.count, 4);
    // The job's outputs are a catalogue collection with provenance.
    const coll = await s.inject({ url: `/collections/job-${jobId}` });
    assert.equal(coll.statusCode, 200, coll.body);
  });

  test('bad execution input is a 400 naming the input', async () => {
    const r = await app!.server.inject({
      method: 'POST',
      url: '/processes/echo/execution',
      headers: { 'content-type': 'application/json' },
      payload: { inputs: { message: 'x', count: 99 } },
    });
    assert.equal(r.statusCode, 400);
    assert.match(r.body, /count/);
  });
});
