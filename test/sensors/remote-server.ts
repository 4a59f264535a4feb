/**
 * A static file server for tests on 127.0.0.1 and a free port: GET and HEAD of the files under `root`, with
 * single byte ranges (RFC 9110 §14: `Range: bytes=a-b`, `bytes=a-`, `bytes=-n` -> 206 with Content-Range; an
 * unsatisfiable range -> 416 with `bytes * /size`), 404 for anything else. Counts the requests it answered.
 */
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import type { AddressInfo } from 'node:net';

export interface StaticServer {
  /** http://127.0.0.1:PORT */
  origin: string;
  /** Requests answered, by method and path. */
  requests: string[];
  stop(): Promise<void>;
}

export async function startStaticServer(root: string): Promise<StaticServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push(`${req.method} ${url.pathname}`);
      const rel = normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, '');
      const path = join(root, rel);
      if ((req.method !== 'GET' && req.method !== 'HEAD') || rel.startsWith('..') || !path.startsWith(root + sep)) {
        res.writeHead(404).end();
        return;
      }
      const st = await stat(path).catch(() => null);
      if (!st?.isFile()) {
        res.writeHead(404).end();
        return;
      }
      const size = st.size;
      const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
      let start = 0;
      let end = size - 1;
      if (m) {
        if (m[1] === '') start = Math.max(0, size - Number(m[2]));
        else {
          start = Number(m[1]);
          end = m[2] === '' ? size - 1 : Math.min(size - 1, Number(m[2]));
        }
        if (start >= size || end < start) {
          res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
          return;
        }
      }
      const body = (await readFile(path)).subarray(start, end + 1);
      const headers = { 'Content-Length': String(body.length), 'Accept-Ranges': 'bytes' };
      if (m) res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${size}` });
      else res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
