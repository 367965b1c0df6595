// A vendor feed's connect-time guard (FeedHostPolicy.lookup) and the proxy from the environment: a host NO_PROXY
// sends direct is resolved by the guard (a loopback answer is refused), a proxied one is resolved by the proxy (a real
// CONNECT proxy on 127.0.0.1) and the guard is not asked; a name allowed only by a `*.suffix` pattern that does not
// resolve here is refused before any request. And `ca` adds a CA to Node's roots rather than replacing them (a child
// process whose NODE_EXTRA_CA_CERTS trusts one server while `ca` names another). Real servers on 127.0.0.1.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { FeedHostPolicy, FeedHostRefused } from '../../daemon/manifest/feed-hosts.ts';
import { ManifestSource } from '../../daemon/manifest/fetch.ts';
import { TEST_NOW } from '../helpers/inspect.ts';
import { tlsServer } from '../helpers/tls.ts';

const ok = (_req: unknown, res: { writeHead(n: number): { end(s: string): void } }): void => res.writeHead(200).end('version: 1.0.0\n');

/** A CONNECT proxy on 127.0.0.1 that tunnels to 127.0.0.1 at the asked port, remembering what it was asked. */
async function connectProxy(): Promise<{ url: string; asked: string[]; close: () => Promise<void> }> {
  const asked: string[] = [];
  // Tunnels leave the server's bookkeeping: closed by hand so close() does not wait for the client's keep-alive.
  const tunnels = new Set<Socket>();
  const s: Server = createServer((_req, res) => res.writeHead(405).end());
  s.on('connect', (req, client: Socket) => {
    asked.push(req.url ?? '');
    const up = connect(Number((req.url ?? '').split(':').at(-1)), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.pipe(client).pipe(up);
    });
    tunnels.add(client).add(up);
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const close = (): Promise<void> =>
    new Promise<void>((r) => {
      for (const x of tunnels) x.destroy();
      s.close(() => r());
    });
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, asked, close };
}

test('a host NO_PROXY sends direct is resolved through the guard (loopback refused); an exact listed host is fetched direct', async (t) => {
  const srv = await tlsServer(ok);
  t.teardown(() => srv.close());
  const url = `https://localhost:${new URL(srv.origin).port}/feed/latest.yml`;
  // The proxy named here does not exist (port 9): a fetch that worked went direct.
  const env = { HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: 'localhost' };
  const guarded = new ManifestSource(url, { ca: srv.ca, env, retries: 0, lookup: new FeedHostPolicy(['*.contoso.example'], 'resources/app-update.yml').lookup });
  await t.throwsAsync(guarded.refresh(TEST_NOW), { instanceOf: FeedHostRefused, message: /host localhost: it resolves to/ });
  t.deepEqual(srv.requests, []);
  const listed = new ManifestSource(url, { ca: srv.ca, env, retries: 0, lookup: new FeedHostPolicy(['localhost'], 'resources/app-update.yml').lookup });
  t.is((await listed.refresh(TEST_NOW)).state, 'fetched');
  t.deepEqual(srv.requests, ['/feed/latest.yml']);
});

test('a proxied host is resolved by the proxy: the guard is not asked and the fetch goes through the CONNECT tunnel', async (t) => {
  const srv = await tlsServer(ok);
  const proxy = await connectProxy();
  t.teardown(async () => (await srv.close(), await proxy.close()));
  const port = new URL(srv.origin).port;
  const source = new ManifestSource(`https://localhost:${port}/feed/latest.yml`, { ca: srv.ca, env: { HTTPS_PROXY: proxy.url }, retries: 0, lookup: new FeedHostPolicy(['*.contoso.example'], 'x').lookup });
  t.is((await source.refresh(TEST_NOW)).state, 'fetched');
  t.deepEqual(proxy.asked, [`localhost:${port}`]);
});

test('a name allowed only by a *.suffix pattern that does not resolve here is refused; the same name listed exactly is allowed', async (t) => {
  const url = new URL('https://feed.sealwatch.invalid/latest.yml');
  const err = await t.throwsAsync(new FeedHostPolicy(['*.sealwatch.invalid'], 'resources/app-update.yml').check(url), { instanceOf: FeedHostRefused });
  t.like(err, { problem: 'unresolved', host: 'feed.sealwatch.invalid', namedBy: 'resources/app-update.yml' });
  t.regex(err?.message ?? '', /it does not resolve here/);
  await t.notThrowsAsync(new FeedHostPolicy(['feed.sealwatch.invalid'], 'x').check(url));
});

test('ca adds to Node\'s roots: a server trusted through NODE_EXTRA_CA_CERTS is still trusted when ca names another CA', async (t) => {
  const trusted = await tlsServer(ok);
  const other = await tlsServer(ok);
  t.teardown(async () => (await trusted.close(), await other.close()));
  const fetchTs = resolve(import.meta.dirname, '..', '..', 'daemon', 'manifest', 'fetch.ts');
  const script = `import { ManifestSource } from ${JSON.stringify(fetchTs)};
const s = new ManifestSource(process.env.FEED_URL, { ca: process.env.OTHER_CA, env: {}, retries: 0 });
console.log((await s.get(new Date())).state);`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: trusted.caFile, FEED_URL: `${trusted.origin}/latest.yml`, OTHER_CA: other.ca },
  });
  t.is(stdout.trim(), 'fetched');
  t.deepEqual(trusted.requests, ['/latest.yml']);
});
