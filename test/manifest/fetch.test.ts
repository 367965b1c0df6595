// ManifestSource against real HTTP servers on 127.0.0.1 (port 0): conditional requests, retries with backoff, the
// size bound, timeouts, https-only, the proxy from the environment, and the last good copy kept (in memory and on
// disk) while fetches fail. No assertion depends on how long anything took.
import test from 'ava';
import { createHash } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ManifestSource } from '../../daemon/manifest/fetch.ts';
import { tempDir } from '../helpers/temp.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

/** A server whose behaviour can change between requests; counts requests and keeps their headers. */
async function server(handler: Handler): Promise<{ url: string; requests: IncomingMessage['headers'][]; set(h: Handler): void; close(): Promise<void> }> {
  let current = handler;
  const requests: IncomingMessage['headers'][] = [];
  const s = http.createServer((req, res) => {
    requests.push(req.headers);
    current(req, res, requests.length);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/latest.yml`,
    requests,
    set: (h) => void (current = h),
    close: () => new Promise<void>((r) => s.close(() => r())).then(() => s.closeAllConnections()),
  };
}

const BODY = 'version: 1.2.3\npath: Contoso-Setup-1.2.3.exe\nsha512: abc\n';
const NOW = new Date('2026-11-01T00:00:00Z');
const fast = { allowHttp: true, retryBaseMs: 10, timeoutMs: 2000, env: {} };

test('https only: an http:// source is refused unless configured; credentials in the URL are refused', (t) => {
  t.throws(() => new ManifestSource('http://127.0.0.1:1/x'), { message: /only https:\/\/ is fetched/ });
  t.throws(() => new ManifestSource('https://user:pw@example.invalid/x'), { message: /credentials in the URL/ });
  t.notThrows(() => new ManifestSource('http://127.0.0.1:1/x', { allowHttp: true }));
});

test('ETag and Last-Modified: the second fetch is conditional and a 304 keeps the copy', async (t) => {
  const srv = await server((req, res) => {
    if (req.headers['if-none-match'] === '"v1"') return void res.writeHead(304).end();
    res.writeHead(200, { etag: '"v1"', 'last-modified': 'Sat, 31 Oct 2026 12:00:00 GMT' }).end(BODY);
  });
  try {
    const src = new ManifestSource(srv.url, fast);
    const first = await src.refresh(NOW);
    t.is(first.state, 'fetched');
    t.is(first.copy.bytes.toString(), BODY);
    const second = await src.refresh(new Date(NOW.getTime() + 60_000));
    t.is(second.state, 'not-modified');
    t.is(second.copy.bytes.toString(), BODY);
    t.is(srv.requests[1]?.['if-none-match'], '"v1"');
    t.is(srv.requests[1]?.['if-modified-since'], 'Sat, 31 Oct 2026 12:00:00 GMT');
    t.is(second.copy.checkedAt, new Date(NOW.getTime() + 60_000).toISOString());
  } finally {
    await srv.close();
  }
});

test('transient failures are retried with backoff (503, 503, then 200); a 404 is not retried', async (t) => {
  const srv = await server((_req, res, n) => (n < 3 ? res.writeHead(503).end('busy') : res.writeHead(200).end(BODY)));
  try {
    const r = await new ManifestSource(srv.url, fast).refresh(NOW);
    t.is(r.state, 'fetched');
    t.is(srv.requests.length, 3);
    srv.set((_req, res) => res.writeHead(404).end());
    const before = srv.requests.length;
    await t.throwsAsync(new ManifestSource(srv.url, fast).refresh(NOW), { message: /HTTP 404 \(and no good copy kept from before\)/ });
    t.is(srv.requests.length - before, 1);
  } finally {
    await srv.close();
  }
});

test('an oversized answer is refused: by Content-Length, and while streaming without one', async (t) => {
  const srv = await server((_req, res) => res.writeHead(200, { 'content-length': String(10_000) }).end('x'.repeat(10_000)));
  try {
    await t.throwsAsync(new ManifestSource(srv.url, { ...fast, maxBytes: 4096, retries: 0 }).refresh(NOW), { message: /10000 bytes, more than the 4096 accepted/ });
    srv.set((_req, res) => {
      res.writeHead(200); // chunked: no length announced
      for (let i = 0; i < 64; i++) res.write('y'.repeat(1024));
      res.end();
    });
    await t.throwsAsync(new ManifestSource(srv.url, { ...fast, maxBytes: 4096, retries: 0 }).refresh(NOW), { message: /longer than the 4096 bytes accepted/ });
  } finally {
    await srv.close();
  }
});

test('a slow answer times out (each attempt), and the last good copy is used meanwhile — also by a new process, from the cache directory', async (t) => {
  const cacheDir = tempDir('sealwatch-manifest-cache-');
  const srv = await server((_req, res) => res.writeHead(200, { etag: '"a"' }).end(BODY));
  const held: ServerResponse[] = [];
  try {
    const src = new ManifestSource(srv.url, { ...fast, cacheDir });
    t.is((await src.refresh(NOW)).state, 'fetched');
    // Now the server sends its headers and then nothing (a stalled body), forever.
    srv.set((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/yaml' });
      res.write('version: 9');
      held.push(res);
    });
    const stale = await new ManifestSource(srv.url, { ...fast, cacheDir, timeoutMs: 300, retries: 1 }).refresh(NOW);
    t.is(stale.state, 'stale');
    t.regex(stale.error ?? '', /Timeout|timed out/i);
    t.is(stale.copy.bytes.toString(), BODY, 'the copy kept on disk by the first source');
    t.is(stale.copy.etag, '"a"');
    t.is(srv.requests.length, 3, 'one fetch, then an attempt and its retry, each timed out');
  } finally {
    for (const r of held) r.destroy();
    await srv.close();
  }
});

test('only a copy that validates becomes the last good copy; a torn cache file is not used', async (t) => {
  const cacheDir = tempDir('sealwatch-manifest-cache-');
  const validate = (b: Buffer): void => {
    if (!b.toString().startsWith('version:')) throw new Error('not a feed');
  };
  const srv = await server((_req, res) => res.writeHead(200).end(BODY));
  try {
    await new ManifestSource(srv.url, { ...fast, cacheDir, validate }).refresh(NOW);
    srv.set((_req, res) => res.writeHead(200).end('<html>captive portal</html>'));
    const r = await new ManifestSource(srv.url, { ...fast, cacheDir, validate }).refresh(NOW);
    t.is(r.state, 'stale');
    t.regex(r.error ?? '', /not a valid manifest: not a feed/);
    t.is(r.copy.bytes.toString(), BODY);
    // Corrupt the kept body: its recorded SHA-256 no longer matches, so there is no good copy.
    const id = createHash('sha256').update(srv.url).digest('hex').slice(0, 32);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(cacheDir, `${id}.body`), 'version: 6.6.6\n');
    await t.throwsAsync(new ManifestSource(srv.url, { ...fast, cacheDir, validate }).refresh(NOW), { message: /no good copy/ });
  } finally {
    await srv.close();
  }
});

test('the proxy comes from the environment (HTTP_PROXY), and NO_PROXY bypasses it', async (t) => {
  const origin = await server((_req, res) => res.writeHead(200).end(BODY));
  const proxied: string[] = [];
  // A forward proxy: absolute-form request lines, forwarded to the origin.
  const proxy = http.createServer((req, res) => {
    proxied.push(req.url ?? '');
    http.get(req.url ?? '', (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    }).on('error', () => res.writeHead(502).end());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  try {
    const r = await new ManifestSource(origin.url, { ...fast, env: { HTTP_PROXY: proxyUrl } }).refresh(NOW);
    t.is(r.copy.bytes.toString(), BODY);
    t.deepEqual(proxied, [origin.url]);
    await new ManifestSource(origin.url, { ...fast, env: { HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.1' } }).refresh(NOW);
    t.is(proxied.length, 1, 'NO_PROXY: fetched directly');
    t.is(origin.requests.length, 2);
  } finally {
    await new Promise((r) => proxy.close(r));
    proxy.closeAllConnections();
    await origin.close();
  }
});

test('refreshSources: every URL source of every stage once; one failing (404, or gone) does not stop the others and keeps its copy', async (t) => {
  const { ManifestStage } = await import('../../daemon/manifest/stage.ts');
  const { refreshSources } = await import('../../daemon/manifest/refresh.ts');
  const srv = await server((req, res) => {
    if (req.url !== '/latest.yml') return void res.writeHead(404).end();
    if (req.headers['if-none-match'] === '"1"') return void res.writeHead(304).end();
    res.writeHead(200, { etag: '"1"' }).end(BODY);
  });
  try {
    const good = new ManifestStage([{ kind: 'electron-builder', location: srv.url }], fast);
    const missing = new ManifestStage([{ kind: 'squirrel', location: srv.url.replace('latest.yml', 'RELEASES') }], fast);
    const first = await refreshSources([good, missing], NOW);
    t.deepEqual(first.map((r) => r.state), ['fetched', 'failed']);
    t.regex(first[1]?.error ?? '', /HTTP 404/);
    const second = await refreshSources([good, missing], NOW);
    t.is(second[0]?.state, 'not-modified');
    await srv.close();
    const third = await refreshSources([good], NOW);
    t.is(third[0]?.state, 'stale', 'the server is gone: the last good copy stays');
  } finally {
    await srv.close().catch(() => undefined);
  }
});

test('a redirect from https down to plain http is refused even where http is allowed; http to http is followed there', async (t) => {
  const { tlsServer } = await import('../helpers/tls.ts');
  const plain = await server((_req, res) => res.writeHead(200).end(BODY));
  const secure = await tlsServer((_req, res) => res.writeHead(302, { location: plain.url }).end());
  try {
    const down = new ManifestSource(`${secure.origin}/latest.yml`, { ...fast, ca: secure.ca, retries: 0 });
    await t.throwsAsync(down.refresh(NOW), { message: /redirected from https:\/\/ to http:\/\/127\.0\.0\.1:\d+, not https: refused/ });
    t.is(plain.requests.length, 0, 'never asked');
    // An http source that may use http (a test server, an internal mirror) redirecting within http: followed.
    const hop = await server((_req, res) => res.writeHead(302, { location: plain.url }).end());
    try {
      t.is((await new ManifestSource(hop.url, fast).refresh(NOW)).copy.bytes.toString(), BODY);
      t.is(plain.requests.length, 1);
    } finally {
      await hop.close();
    }
  } finally {
    await secure.close();
    await plain.close();
  }
});
