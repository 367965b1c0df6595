// A feed URL that a scanned app names itself (`--vendor-feed KIND=auto`) reaches only hosts on manifest.feed_hosts:
// real scans of an app whose resources/app-update.yml names a feed on a real HTTPS server on 127.0.0.1 (port 0,
// openssl certificate). Refused — and reported as MANIFEST_INVALID host-not-allowed naming the app file and the host,
// with no request made — a literal IP not listed, a host not listed, a redirect to a host not listed, a name that
// resolves to loopback; allowed — the exact host listed; a feed URL the operator gives is not checked.
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../daemon/config/config.ts';
import { DEFAULT_TRUST_DIR } from '../../daemon/config/trust.ts';
import { InspectPool } from '../../daemon/inventory/pool.ts';
import { DEFAULT_MAX_FILE_BYTES } from '../../daemon/inventory/read.ts';
import { Store } from '../../daemon/inventory/store/store.ts';
import { FeedHostPolicy, FeedHostRefused, isNonPublicAddress } from '../../daemon/manifest/feed-hosts.ts';
import { FEED_HOST_ENTRY, feedHostEntry } from '../../daemon/manifest/feed-host-entry.ts';
import { ManifestStage, type ManifestSpec } from '../../daemon/manifest/stage.ts';
import { scanApp, type ScanReport } from '../../daemon/pipeline/scan-app.ts';
import { put } from '../../scripts/lib/three-cx.ts';
import { TEST_NOW } from '../helpers/inspect.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { jsonLines, sealwatch } from '../helpers/cli.ts';
import { appDir } from '../helpers/scan.ts';
import { tlsServer, type TlsServer } from '../helpers/tls.ts';
import { tempDir } from '../helpers/temp.ts';

const LATEST = 'version: 18.12.416\npath: Contoso-Setup-18.12.416.exe\nsha512: abc\nreleaseDate: \'2026-10-30T10:00:00.000Z\'\n';

function feedServer(): Promise<TlsServer> {
  return tlsServer((req, res) => {
    if (req.url === '/feed/latest.yml') return void res.writeHead(200).end(LATEST);
    // An allowed host that sends the client on to another host (same server, other name).
    if (req.url === '/moved/latest.yml') return void res.writeHead(302, { location: `https://localhost:${req.socket.localPort}/feed/latest.yml` }).end();
    res.writeHead(404).end();
  });
}

/** An Electron app (one real DLL) whose resources/app-update.yml names `url` as its generic feed. */
function electronApp(url: string): string {
  const root = appDir();
  put(root, 'conpty.dll', readFileSync(realCorpusPath('conpty')));
  put(root, 'resources/app-update.yml', `provider: generic\nurl: ${url}\npublisherName:\n  - Contoso Ltd\n`);
  return root;
}

async function scan(root: string, spec: ManifestSpec, ca: string, feedHosts: readonly string[]): Promise<ScanReport> {
  const store = Store.open(join(tempDir('sealwatch-feedhost-'), 'sealwatch.db'));
  const pool = new InspectPool({ trustDirs: [DEFAULT_TRUST_DIR], catalogDirs: [], systemTrust: false, now: TEST_NOW.toISOString(), maxFileBytes: DEFAULT_MAX_FILE_BYTES }, 1);
  try {
    return await scanApp(store, pool, { app: 'contoso', root, trigger: 'manual', now: TEST_NOW, appVersion: '18.12.417', manifests: new ManifestStage([spec], { retries: 0, ca, env: {}, feedHosts }) });
  } finally {
    store.close();
    await pool.close();
  }
}

const invalid = (r: ScanReport) => r.findings.find((f) => f.rule === 'MANIFEST_INVALID');
const unknownVersion = (r: ScanReport) => r.findings.filter((f) => f.rule === 'VERSION_UNKNOWN_TO_VENDOR');

test('discovered feed: a literal IP or a host not on manifest.feed_hosts is not fetched and is reported with the file and the host; the exact host listed is fetched', async (t) => {
  const srv = await feedServer();
  const port = new URL(srv.origin).port;
  try {
    const auto: ManifestSpec = { kind: 'electron-builder', location: 'auto' };
    // A literal IP not listed (a pattern does not cover it).
    const ip = await scan(electronApp(`${srv.origin}/feed`), auto, srv.ca, ['*.contoso.example']);
    const f = invalid(ip);
    t.is(f?.severity, 'high');
    t.like(f?.evidence, { reason: 'host-not-allowed', manifest: { kind: 'electron-builder', feed_from: 'resources/app-update.yml', feed_host: '127.0.0.1', problem: 'ip-literal' } });
    t.regex(f?.message ?? '', /resources\/app-update\.yml names a feed on host 127\.0\.0\.1: a literal IP address .*not fetched/);
    t.is(unknownVersion(ip).length, 0);
    t.deepEqual(srv.requests, [], 'nothing was asked of the server');

    // A name not listed (an empty list allows nothing).
    const name = await scan(electronApp(`https://localhost:${port}/feed`), auto, srv.ca, []);
    t.like(invalid(name)?.evidence, { reason: 'host-not-allowed', manifest: { feed_host: 'localhost', problem: 'not-allowed' } });
    t.regex(invalid(name)?.message ?? '', /names a feed on host localhost: not in manifest\.feed_hosts \(it lists no host\)/);
    t.deepEqual(srv.requests, []);

    // The exact host listed (an internal mirror the operator named): fetched and used.
    const listed = await scan(electronApp(`${srv.origin}/feed`), auto, srv.ca, ['127.0.0.1']);
    t.is(invalid(listed), undefined);
    t.is(unknownVersion(listed).length, 1, 'the feed was read: 18.12.417 is newer than the 18.12.416 it names');
    t.deepEqual(srv.requests, ['/feed/latest.yml']);

    // A feed URL the operator gives is theirs: not checked against the list.
    const given = await scan(electronApp('https://elsewhere.invalid/'), { kind: 'electron-builder', location: `${srv.origin}/feed/latest.yml` }, srv.ca, []);
    t.is(invalid(given), undefined);
    t.is(unknownVersion(given).length, 1);
  } finally {
    await srv.close();
  }
});

test('discovered feed: a redirect to a host not on the list is refused and not followed', async (t) => {
  const srv = await feedServer();
  try {
    const r = await scan(electronApp(`${srv.origin}/moved`), { kind: 'electron-builder', location: 'auto' }, srv.ca, ['127.0.0.1']);
    t.like(invalid(r)?.evidence, { reason: 'host-not-allowed', manifest: { feed_from: 'resources/app-update.yml', feed_host: 'localhost', problem: 'not-allowed' } });
    t.deepEqual(srv.requests, ['/moved/latest.yml'], 'the redirect was not followed');
    // With the redirect's host listed too, it is followed.
    const ok = await scan(electronApp(`${srv.origin}/moved`), { kind: 'electron-builder', location: 'auto' }, srv.ca, ['127.0.0.1', 'localhost']);
    t.is(invalid(ok), undefined);
    t.deepEqual(srv.requests, ['/moved/latest.yml', '/moved/latest.yml', '/feed/latest.yml']);
  } finally {
    await srv.close();
  }
});

test('a name that resolves to a loopback or private address is refused unless listed exactly (real lookups of localhost)', async (t) => {
  for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:a00:1', '64:ff9b::a00:1', 'fe80::1%eth0', '224.0.0.1']) t.true(isNonPublicAddress(a), a);
  for (const a of ['93.184.216.34', '140.82.121.4', '2606:4700::6810:84e5']) t.false(isNonPublicAddress(a), a);
  const lookup = (p: FeedHostPolicy) => new Promise<{ err: Error | null; address: string }>((resolve) => p.lookup('localhost', {}, (err, address) => resolve({ err, address: String(address) })));
  const byPattern = await lookup(new FeedHostPolicy(['*.contoso.example'], 'Contents/Info.plist SUFeedURL'));
  t.true(byPattern.err instanceof FeedHostRefused);
  t.like(byPattern.err, { problem: 'private-address', host: 'localhost', namedBy: 'Contents/Info.plist SUFeedURL' });
  t.regex(byPattern.err?.message ?? '', /^Contents\/Info\.plist SUFeedURL names a feed on host localhost: it resolves to (127\.0\.0\.1|::1), not a public address: not fetched$/);
  const exact = await lookup(new FeedHostPolicy(['LOCALHOST'], 'x'));
  t.is(exact.err, null);
  t.regex(exact.address, /^(127\.0\.0\.1|::1)$/);
  // The same guard as the connection's own lookup (no check before it): the fetch never reaches the server.
  const { ManifestSource } = await import('../../daemon/manifest/fetch.ts');
  const srv = await feedServer();
  try {
    const url = `https://localhost:${new URL(srv.origin).port}/feed/latest.yml`;
    const guarded = new ManifestSource(url, { ca: srv.ca, env: {}, retries: 0, lookup: new FeedHostPolicy(['*.contoso.example'], 'resources/app-update.yml').lookup });
    await t.throwsAsync(guarded.refresh(TEST_NOW), { instanceOf: FeedHostRefused, message: /host localhost: it resolves to/ });
    t.deepEqual(srv.requests, []);
    const open = new ManifestSource(url, { ca: srv.ca, env: {}, retries: 0, lookup: new FeedHostPolicy(['localhost'], 'resources/app-update.yml').lookup });
    t.is((await open.refresh(TEST_NOW)).state, 'fetched');
    t.deepEqual(srv.requests, ['/feed/latest.yml']);
  } finally {
    await srv.close();
  }
  // Hosts are compared without case, a trailing dot or IPv6 brackets; *.x matches names under x, not x itself.
  const p = new FeedHostPolicy(['Updates.Contoso.example', '*.cdn.example', '::1'], 'x');
  await t.notThrowsAsync(p.check(new URL('https://updates.contoso.example./a')));
  await t.notThrowsAsync(p.check(new URL('https://[::1]/a')));
  await t.throwsAsync(p.check(new URL('https://cdn.example/a')), { instanceOf: FeedHostRefused, message: /not in manifest\.feed_hosts \(it allows updates\.contoso\.example, ::1, \*\.cdn\.example\)/ });
  await t.throwsAsync(p.check(new URL('https://evilcdn.example/a')), { instanceOf: FeedHostRefused });
  await t.throwsAsync(p.check(new URL('https://2130706433/a')), { instanceOf: FeedHostRefused, message: /host 127\.0\.0\.1: a literal IP/ }, 'the URL parser normalises IPv4 forms');
});

test('IPv6 forms that reach IPv4 or are not public: IPv4-compatible, site-local, NAT64 and 6to4 judged by the IPv4 address inside; Teredo and documentation ranges refused', (t) => {
  // ::/96 (IPv4-compatible, deprecated) and fec0::/10 (site-local, deprecated): refused whatever they hold.
  for (const a of ['::', '::a00:1', '::808:808', '::8.8.8.8', 'fec0::1', 'feff::1']) t.true(isNonPublicAddress(a), a);
  // NAT64 (well-known /96 and local-use 64:ff9b:1::/96) and 6to4: refused when the IPv4 address inside is not public.
  for (const a of ['64:ff9b::10.0.0.1', '64:ff9b::7f00:1', '64:ff9b:1::192.168.0.1', '64:ff9b:1::a9fe:a9fe', '2002:a00:1::1', '2002:c0a8:101::', '2002:7f00:1::', '2002:a9fe:a9fe:1::5'])
    t.true(isNonPublicAddress(a), a);
  // A local-use NAT64 address in another layout carries its IPv4 bits elsewhere: refused rather than guessed.
  t.true(isNonPublicAddress('64:ff9b:1:ab::808:808'));
  // IPv4-translated (SIIT) ::ffff:0:a.b.c.d: judged by the IPv4 address inside
  t.true(isNonPublicAddress('::ffff:0:7f00:1'));
  t.true(isNonPublicAddress('::ffff:0:10.1.2.3'));
  t.false(isNonPublicAddress('::ffff:0:808:808'));
  // Teredo (its client address is XOR-hidden), documentation, benchmarking, ORCHID and discard-only ranges, and the IPv4
  // documentation networks: none is a public server's address.
  for (const a of ['2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001::1', '2001:db8::1', '3fff::1', '2001:2::1', '2001:10::1', '2001:20::1', '100::1', '192.0.2.1', '198.51.100.7', '203.0.113.9'])
    t.true(isNonPublicAddress(a), a);
  // Neighbouring public ranges stay public.
  for (const a of ['2001:4860:4860::8888', '2001:200::1', '2001:db9::1', '2606:4700::1111', '192.0.3.1', '203.0.114.1']) t.false(isNonPublicAddress(a), a);
  // The same forms around a public IPv4 address are public (an IPv6-only network reaches every site through NAT64).
  for (const a of ['64:ff9b::8.8.8.8', '64:ff9b::5db8:d822', '64:ff9b:1::8.8.8.8', '2002:808:808::1', '::ffff:8.8.8.8', '8.8.8.8']) t.false(isNonPublicAddress(a), a);
});

test('config: manifest.feed_hosts is read (lower case), and an entry that is not a host is refused naming the field', (t) => {
  const dir = tempDir('sealwatch-feedhosts-config-');
  const file = join(dir, 'sealwatch.yaml');
  writeFileSync(file, 'apps:\n  - name: contoso\n    path: /opt/contoso\nmanifest:\n  feed_hosts: [Updates.Contoso.example, "*.contoso-cdn.example", 10.0.0.5]\n');
  t.deepEqual(loadConfig(file, {}, { managed: {} }).manifest.feedHosts, ['updates.contoso.example', '*.contoso-cdn.example', '10.0.0.5']);
  writeFileSync(file, 'apps:\n  - name: contoso\n    path: /opt/contoso\n');
  t.deepEqual(loadConfig(file, {}, { managed: {} }).manifest.feedHosts, [], 'default: none');
  writeFileSync(file, 'apps:\n  - name: contoso\n    path: /opt/contoso\nmanifest:\n  feed_hosts: ["https://evil.example/"]\n');
  t.throws(() => loadConfig(file, {}, { managed: {} }), { message: /line 5: manifest\.feed_hosts\[0\]: must be a host name, an IP address, or \*\.example\.com/ });
});

test('sealwatch scan --vendor-feed electron-builder=auto takes manifest.feed_hosts from the config ($SEALWATCH_CONFIG) and --feed-host; without either nothing the app names is fetched', async (t) => {
  const srv = await feedServer();
  const dir = tempDir('sealwatch-feedhosts-cli-');
  const config = join(dir, 'sealwatch.yaml');
  writeFileSync(config, `apps:\n  - name: contoso\n    path: ${dir}\nmanifest:\n  feed_hosts: [127.0.0.1]\n`);
  const run = async (env: Record<string, string>, extra: string[] = []) => {
    const r = await sealwatch(['scan', electronApp(`${srv.origin}/feed`), '--app', 'contoso', '--app-version', '18.12.417', '--db', join(mkdtempSync(join(dir, 'db-')), 's.db'), '--vendor-feed', 'electron-builder=auto', '--json', ...extra], { NODE_EXTRA_CA_CERTS: srv.caFile, ...env });
    const out = jsonLines(r.stdout)[0] as { findings: Array<{ rule: string; evidence: Record<string, unknown> }> } | undefined;
    t.truthy(out, r.stderr);
    return out?.findings ?? [];
  };
  try {
    const refused = await run({ SEALWATCH_CONFIG: '' });
    t.like(refused.find((f) => f.rule === 'MANIFEST_INVALID')?.evidence, { reason: 'host-not-allowed', manifest: { feed_from: 'resources/app-update.yml', feed_host: '127.0.0.1' } });
    t.deepEqual(srv.requests, []);
    const allowed = await run({ SEALWATCH_CONFIG: config });
    t.is(allowed.filter((f) => f.rule === 'MANIFEST_INVALID').length, 0);
    t.is(allowed.filter((f) => f.rule === 'VERSION_UNKNOWN_TO_VENDOR').length, 1);
    t.deepEqual(srv.requests, ['/feed/latest.yml']);
    // --feed-host allows a host for this run without a config; one that is not a host is a usage error (exit 2)
    const flagged = await run({ SEALWATCH_CONFIG: '' }, ['--feed-host', '127.0.0.1']);
    t.is(flagged.filter((f) => f.rule === 'MANIFEST_INVALID').length, 0);
    t.is(flagged.filter((f) => f.rule === 'VERSION_UNKNOWN_TO_VENDOR').length, 1);
    t.deepEqual(srv.requests, ['/feed/latest.yml', '/feed/latest.yml']);
    const bad = await sealwatch(['scan', dir, '--app', 'x', '--db', join(dir, 'bad.db'), '--vendor-feed', 'electron-builder=auto', '--feed-host', 'https://evil.example/'], { SEALWATCH_CONFIG: '' });
    t.is(bad.code, 2);
    t.regex(bad.stderr, /--feed-host "https:\/\/evil\.example\/": must be a host name, an IP address, or \*\.example\.com/);
  } finally {
    await srv.close();
  }
});

test('feed_hosts entries as URL hosts are compared with them: lower case, IPv6 as the URL parser writes it; what is neither a host nor an IP is refused', (t) => {
  // the IPv6 forms a URL never shows: 0:0:0:0:0:0:0:1 is ::1 there, ::ffff:127.0.0.1 is ::ffff:7f00:1, brackets go
  const written: ReadonlyArray<readonly [string, string]> = [
    ['Updates.Contoso.Example', 'updates.contoso.example'],
    ['*.CDN.example', '*.cdn.example'],
    ['10.0.0.5', '10.0.0.5'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::FFFF:127.0.0.1', '::ffff:7f00:1'],
    ['[2001:DB8::1]', '2001:db8::1'],
  ];
  for (const [entry, as] of written) t.is(feedHostEntry(entry), as, entry);
  t.is(new URL('https://[0:0:0:0:0:0:0:1]/').hostname, '[::1]', 'what the entry is compared with');
  for (const bad of [':', 'cafe:', '[::1', '1:2:3', 'https://evil.example/', 'a b', '']) t.is(feedHostEntry(bad), undefined, JSON.stringify(bad));
  // the config says so with the field, as for any other bad entry
  const dir = tempDir('sealwatch-feedhosts-entry-');
  const file = join(dir, 'sealwatch.yaml');
  writeFileSync(file, 'apps:\n  - name: contoso\n    path: /opt/contoso\nmanifest:\n  feed_hosts: ["0:0:0:0:0:0:0:1", "cafe:"]\n');
  t.throws(() => loadConfig(file, {}, { managed: {} }), { message: /manifest\.feed_hosts\[1\]: must be a host name, an IP address, or \*\.example\.com/ });
  writeFileSync(file, 'apps:\n  - name: contoso\n    path: /opt/contoso\nmanifest:\n  feed_hosts: ["0:0:0:0:0:0:0:1"]\n');
  t.deepEqual(loadConfig(file, {}, { managed: {} }).manifest.feedHosts, ['::1']);
});

test('the config schema checks manifest.feed_hosts entries with the pattern scan --feed-host uses', (t) => {
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'config', 'sealwatch.schema.json'), 'utf8')) as { properties: { manifest: { properties: { feed_hosts: { items: { pattern: string } } } } } };
  t.is(schema.properties.manifest.properties.feed_hosts.items.pattern, FEED_HOST_ENTRY.source);
});
