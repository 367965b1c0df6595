// Signed policy bundles end to end: a real HTTP server on 127.0.0.1 serves the bundle, a real SQLite history database
// remembers the last accepted version, the files land on disk. Tampered, rolled back, wrong key, expired → refused,
// the last good bundle kept; a failed fetch keeps it too; a higher version is accepted. Also the CLI round trip.
import test from 'ava';
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { type BundlePayload, signBundle } from '../../daemon/bundle/envelope.ts';
import { bundlePoliciesDir, currentDir, installBundle } from '../../daemon/bundle/install.ts';
import { BundleUpdater, META_VERSION } from '../../daemon/bundle/updater.ts';
import { loadConfig } from '../../daemon/config/config.ts';
import { Store } from '../../daemon/inventory/store/store.ts';
import { tlsServer } from '../helpers/tls.ts';
import { tempDir } from '../helpers/temp.ts';

const MAIN = resolve(import.meta.dirname, '..', '..', 'daemon', 'main.ts');
const EXAMPLE_POLICY = readFileSync(resolve(import.meta.dirname, '..', '..', 'policies', 'examples', 'electron-app.yaml'), 'utf8');
const DAY = 86_400_000;

const policy = (name: string): string => EXAMPLE_POLICY.replace('name: electron-app-example', `name: ${name}`);

function payload(version: number, o: { policyName?: string; expiresInMs?: number; now?: Date } = {}): BundlePayload {
  const now = o.now ?? new Date();
  return {
    version,
    issued_at: new Date(now.getTime() - 60_000).toISOString(),
    expires_at: new Date(now.getTime() + (o.expiresInMs ?? 30 * DAY)).toISOString(),
    policies: [{ name: 'contoso.yaml', content: policy(o.policyName ?? `contoso-v${version}`) }],
    manifests: [{ name: 'contoso-1.0.json', content: '{"note":"a manifest travels as text"}\n' }],
  };
}

/** A server whose answer the test sets: a body, or a status. */
async function server(): Promise<{ url: string; serve: (body: string | number) => void; requests: () => number; close: () => Promise<void> }> {
  let answer: string | number = 404;
  let requests = 0;
  const s = createServer((_req, res) => {
    requests++;
    if (typeof answer === 'number') res.writeHead(answer).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/bundle.json`, serve: (b) => (answer = b), requests: () => requests, close: () => new Promise((r) => s.close(() => r())) };
}

interface Logged {
  level: string;
  message: string;
  meta: Record<string, unknown>;
}

function setup(keys: KeyObject[], url: string): { updater: BundleUpdater; store: Store; dir: string; logged: Logged[]; accepted: number[] } {
  const work = tempDir('sealwatch-bundle-');
  const store = Store.open(join(work, 'sealwatch.db'), { witness: join(work, 'witness.json') });
  const logged: Logged[] = [];
  const log = (level: string) => (message: string, meta?: object): void => void logged.push({ level, message, meta: (meta ?? {}) as Record<string, unknown> });
  const accepted: number[] = [];
  const dir = join(work, 'bundle');
  const updater = new BundleUpdater({ url, keys, dir, schedule: '*/15 * * * *' }, store, { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') }, (v) => accepted.push(v));
  return { updater, store, dir, logged, accepted };
}

test('accepted, then tampered / rolled back / wrong key / expired / fetch failed → refused and the last good kept; a higher version accepted', async (t) => {
  const signer = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const srv = await server();
  const { updater, store, dir, logged, accepted } = setup([signer.publicKey], srv.url);
  try {
    const v2 = JSON.stringify(signBundle(payload(2), signer.privateKey));
    srv.serve(v2);
    t.like(await updater.check(), { state: 'accepted', version: 2 });
    t.is(store.meta(META_VERSION), '2');
    t.deepEqual(accepted, [2]);
    const installed = readFileSync(join(bundlePoliciesDir(dir), 'contoso.yaml'), 'utf8');
    t.regex(installed, /name: contoso-v2/);
    t.is(readFileSync(join(currentDir(dir), 'manifests', 'contoso-1.0.json'), 'utf8'), '{"note":"a manifest travels as text"}\n');
    t.like(await updater.check(), { state: 'unchanged', version: 2 }, 'the same bundle served again is not a rollback');

    const kept = (what: string): void => {
      t.is(store.meta(META_VERSION), '2', what);
      t.is(readFileSync(join(bundlePoliciesDir(dir), 'contoso.yaml'), 'utf8'), installed, what);
    };
    // Tampered: a signed v3 whose policy was edited after signing.
    const tampered = signBundle(payload(3), signer.privateKey);
    srv.serve(JSON.stringify({ ...tampered, payload: { ...tampered.payload, policies: [{ name: 'contoso.yaml', content: policy('attacker') }] } }));
    t.like(await updater.check(), { state: 'refused', reason: 'bad-signature' });
    kept('tampered');
    // Rolled back: a validly signed older version, and the same version with other content.
    srv.serve(JSON.stringify(signBundle(payload(1), signer.privateKey)));
    t.like(await updater.check(), { state: 'refused', reason: 'rollback' });
    srv.serve(JSON.stringify(signBundle(payload(2, { policyName: 'contoso-v2-other' }), signer.privateKey)));
    t.like(await updater.check(), { state: 'refused', reason: 'rollback' });
    kept('rolled back');
    // Wrong key: well signed, by a key that is not pinned.
    srv.serve(JSON.stringify(signBundle(payload(4), other.privateKey)));
    t.like(await updater.check(), { state: 'refused', reason: 'unknown-key' });
    kept('wrong key');
    // Expired.
    srv.serve(JSON.stringify(signBundle(payload(5, { now: new Date(Date.now() - 40 * DAY) }), signer.privateKey)));
    const expired = await updater.check();
    t.like(expired, { state: 'refused', reason: 'expired' });
    kept('expired');
    // Not JSON, and an unsafe file name.
    srv.serve('<html>maintenance</html>');
    t.like(await updater.check(), { state: 'refused', reason: 'malformed' });
    srv.serve(JSON.stringify(signBundle({ ...payload(6), policies: [{ name: '../../etc/evil.yaml', content: 'x' }] }, signer.privateKey)));
    t.like(await updater.check(), { state: 'refused', reason: 'malformed' });
    kept('malformed');
    // The server fails, then is gone.
    srv.serve(503);
    t.like(await updater.check(), { state: 'fetch-failed', message: 'bundle URL: HTTP 503' });
    kept('HTTP 503');
    t.true(logged.some((l) => l.level === 'warn' && l.message === 'bundle fetch failed: the last good bundle stays'));
    t.true(logged.some((l) => l.level === 'error' && l.message === 'bundle refused: the last good bundle stays' && l.meta.reason === 'rollback'));
    t.false(JSON.stringify(logged).includes(srv.url), 'the bundle URL (it may carry a token) is never logged');

    // A higher version is accepted.
    srv.serve(JSON.stringify(signBundle(payload(7), signer.privateKey)));
    t.like(await updater.check(), { state: 'accepted', version: 7 });
    t.regex(readFileSync(join(bundlePoliciesDir(dir), 'contoso.yaml'), 'utf8'), /name: contoso-v7/);
    t.deepEqual(accepted, [2, 7]);
  } finally {
    await srv.close();
    store.close();
  }
  // After the server is gone, a fetch failure keeps version 7 (checked through a new updater on the same database).
  const reopened = Store.open(join(dir, '..', 'sealwatch.db'), { witness: join(dir, '..', 'witness.json') });
  try {
    const again = new BundleUpdater({ url: srv.url, keys: [signer.publicKey], dir, schedule: '*/15 * * * *' }, reopened, { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} });
    t.is((await again.check()).state, 'fetch-failed');
    t.is(again.lastVersion(), 7, 'the last accepted version lives in the database');
  } finally {
    reopened.close();
  }
});

test('the bundle comes through the one GET path: over https (its CA trusted); a redirect from https down to plain http is refused and never followed', async (t) => {
  const signer = generateKeyPairSync('ed25519');
  const plain = await server();
  plain.serve(JSON.stringify(signBundle(payload(5), signer.privateKey)));
  const secure = await tlsServer((req, res) => {
    if (req.url === '/bundle.json') return void res.writeHead(200).end(JSON.stringify(signBundle(payload(3), signer.privateKey)));
    res.writeHead(302, { location: plain.url }).end();
  });
  const work = tempDir('sealwatch-bundle-tls-');
  const store = Store.open(join(work, 'sealwatch.db'), { witness: join(work, 'witness.json') });
  const logged: string[] = [];
  const log = (message: string, meta?: object): void => void logged.push(`${message} ${JSON.stringify(meta ?? {})}`);
  const logger = { error: log, warn: log, info: log, debug: log };
  const settings = (path: string) => ({ url: `${secure.origin}${path}`, keys: [signer.publicKey], dir: join(work, 'bundle'), schedule: '*/15 * * * *', fetch: { ca: secure.ca, env: {} } });
  try {
    // Direct over https: accepted (the test server and its CA work, so a refusal below is the redirect's).
    t.like(await new BundleUpdater(settings('/bundle.json'), store, logger).check(), { state: 'accepted', version: 3 });
    // https → http: refused before anything is asked of the http server; the last good bundle stays.
    const down = await new BundleUpdater(settings('/moved.json'), store, logger).check();
    t.like(down, { state: 'fetch-failed' });
    t.regex(down.state === 'fetch-failed' ? down.message : '', /^bundle URL: redirected from https:\/\/ to http:\/\/127\.0\.0\.1:\d+, not https: refused$/);
    t.is(plain.requests(), 0, 'the plain http server (serving a newer bundle) was never asked');
    t.deepEqual(secure.requests, ['/bundle.json', '/moved.json']);
    t.is(store.meta(META_VERSION), '3', 'the last good bundle stays');
  } finally {
    store.close();
    await secure.close();
    await plain.close();
  }
});

test('no fetch error of a bundle or a manifest carries a secret planted in its URL (path, query) or in the proxy URL', async (t) => {
  const { ManifestSource } = await import('../../daemon/manifest/fetch.ts');
  const SECRETS = ['PATHSECRET-7f3a9c', 'QUERYSECRET-0b5e44', 'PROXYSECRET-c0ffee'];
  const big = 'x'.repeat(64 * 1024);
  const secure = await tlsServer((req, res) => {
    if (req.url?.startsWith('/500/')) return void res.writeHead(500).end(`error for ${req.url}`);
    if (req.url?.startsWith('/big/')) return void res.writeHead(200).end(big);
    res.writeHead(302, { location: `http://127.0.0.1:9${req.url ?? ''}` }).end();
  });
  const signer = generateKeyPairSync('ed25519');
  const work = tempDir('sealwatch-bundle-secret-');
  const store = Store.open(join(work, 'sealwatch.db'), { witness: join(work, 'witness.json') });
  const logged: string[] = [];
  const log = (message: string, meta?: object): void => void logged.push(`${message} ${JSON.stringify(meta ?? {})}`);
  const logger = { error: log, warn: log, info: log, debug: log };
  const url = (kind: string, origin = secure.origin): string => `${origin}/${kind}/${SECRETS[0]}/bundle.json?token=${SECRETS[1]}`;
  const messages: string[] = [];
  try {
    const cases: Array<[string, string, object]> = [
      ['HTTP 500', url('500'), {}],
      ['redirect down to http', url('down'), {}],
      ['too large', url('big'), {}],
      ['connection refused', url('none', 'https://127.0.0.1:9'), {}],
      ['through a proxy that is not there', url('500'), { env: { HTTPS_PROXY: `http://user:${SECRETS[2]}@127.0.0.1:9` } }],
    ];
    for (const [what, u, extra] of cases) {
      const r = await new BundleUpdater({ url: u, keys: [signer.publicKey], dir: join(work, 'bundle'), schedule: '*/15 * * * *', fetch: { ca: secure.ca, env: {}, maxBytes: 1024, ...extra } }, store, logger).check();
      t.is(r.state, 'fetch-failed', what);
      if (r.state === 'fetch-failed') messages.push(r.message);
      // The same URL as a manifest source: its error names the source by origin and path, never the query.
      const m = await new ManifestSource(u, { ca: secure.ca, env: {}, retries: 0, maxBytes: 1024, ...extra }).refresh(new Date()).then(() => 'fetched', (err: Error) => err.message);
      messages.push(m);
      t.regex(m, /^manifest source https:\/\/127\.0\.0\.1:\d+\/.*\?\[redacted\]: /, what);
    }
    t.regex(messages.join('\n'), /HTTP 500/);
    t.regex(messages.join('\n'), /not https: refused/);
    t.regex(messages.join('\n'), /more than the 1024 accepted|larger|longer/);
    t.regex(messages.join('\n'), /ECONNREFUSED/);
    for (const s of [SECRETS[1], SECRETS[2]]) for (const text of [...messages, ...logged]) t.false(text.includes(s as string), `${s} in: ${text}`);
    // A bundle URL is a secret as a whole: not even its path is shown.
    for (const text of [...messages.filter((m) => m.startsWith('bundle URL')), ...logged]) t.false(text.includes(SECRETS[0] as string), text);
  } finally {
    store.close();
    await secure.close();
  }
});

test('the config loads the accepted bundle\'s policies; a bad bundle key is a config error', (t) => {
  const work = tempDir('sealwatch-bundle-cfg-');
  const kg = spawnSync(process.execPath, [MAIN, 'bundle', 'keygen', '--out', join(work, 'keys')], { encoding: 'utf8' });
  t.is(kg.status, 0, kg.stderr);
  const cfg = join(work, 'sealwatch.yaml');
  writeFileSync(cfg, `apps:\n  - name: contoso-desktop\n    path: /opt/c\nbundle:\n  url: https://bundles.example/sealwatch.json\n  public_keys: [keys/bundle.pub]\n  dir: bundle\n`);
  const before = loadConfig(cfg, {}, { managed: {} });
  t.is(before.bundle?.schedule, '*/15 * * * *');
  t.false(before.policies?.some((p) => p.name === 'from-bundle'));
  // What installBundle leaves: bundle/current/policies/NAME.
  const policies = bundlePoliciesDir(join(work, 'bundle'));
  spawnSync('mkdir', ['-p', policies]);
  writeFileSync(join(policies, 'contoso.yaml'), policy('from-bundle'));
  const after = loadConfig(cfg, {}, { managed: {} });
  t.true(after.policies?.some((p) => p.name === 'from-bundle'));
  writeFileSync(join(work, 'keys', 'bad.pub'), 'not a key');
  writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('keys/bundle.pub', 'keys/bad.pub'));
  t.throws(() => loadConfig(cfg, {}, { managed: {} }), { message: /bundle\.public_keys\[0\]: .*no "BEGIN PUBLIC KEY"/ });
  // A key non-admins can replace would let them sign their own policies.
  writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('keys/bad.pub', 'keys/bundle.pub'));
  chmodSync(join(work, 'keys', 'bundle.pub'), 0o666);
  t.throws(() => loadConfig(cfg, {}, { managed: {} }), { message: /bundle\.public_keys\[0\]: bundle public key .*bundle\.pub: refused: non-admin users can change it/ });
});

test('sealwatch bundle keygen / sign / verify: valid, then refused for a wrong key, an expiry and a rollback', (t) => {
  const work = tempDir('sealwatch-bundle-cli-');
  const run = (...args: string[]): { status: number | null; stdout: string; stderr: string } => spawnSync(process.execPath, [MAIN, 'bundle', ...args], { encoding: 'utf8' });
  t.is(run('keygen', '--out', join(work, 'a')).status, 0);
  t.is(run('keygen', '--out', join(work, 'b')).status, 0);
  const pol = join(work, 'policies');
  spawnSync('mkdir', ['-p', pol]);
  writeFileSync(join(pol, 'contoso.yaml'), policy('cli'));
  const out = join(work, 'bundle.json');
  const signed = run('sign', '--key', join(work, 'a', 'bundle.key'), '--bundle-version', '3', '--expires', '2d', '--policies', pol, '--out', out);
  t.is(signed.status, 0, signed.stderr);
  const ok = run('verify', out, '--pub', join(work, 'a', 'bundle.pub'));
  t.is(ok.status, 0, ok.stderr);
  t.regex(ok.stdout, /^valid: bundle version 3, 1 policies, 0 manifests/);
  const wrong = run('verify', out, '--pub', join(work, 'b', 'bundle.pub'));
  t.is(wrong.status, 1);
  t.regex(wrong.stdout, /BUNDLE_REFUSED \(unknown-key\)/);
  const late = run('verify', out, '--pub', join(work, 'a', 'bundle.pub'), '--at', new Date(Date.now() + 3 * DAY).toISOString());
  t.regex(late.stdout, /BUNDLE_REFUSED \(expired\)/);
  const rollback = run('verify', out, '--pub', join(work, 'a', 'bundle.pub'), '--last-version', '3');
  t.regex(rollback.stdout, /BUNDLE_REFUSED \(rollback\): .*version 3 is not above the last accepted version 3/);
});

type Run = (...args: string[]) => { status: number | null; stdout: string; stderr: string };

/** A work directory with a key pair (k/bundle.key, k/bundle.pub), an empty policies/ directory, and the bundle CLI. */
function bundleCli(prefix: string): { work: string; pol: string; run: Run } {
  const work = tempDir(prefix);
  const run: Run = (...args) => spawnSync(process.execPath, [MAIN, 'bundle', ...args], { encoding: 'utf8' });
  if (run('keygen', '--out', join(work, 'k')).status !== 0) throw new Error('bundle keygen failed');
  const pol = join(work, 'policies');
  spawnSync('mkdir', ['-p', pol]);
  return { work, pol, run };
}

/** `policies` signed into work/b.json with work/k/bundle.key directly, as another tool (or an older sealwatch) would. */
function signedElsewhere(work: string, policies: BundlePayload['policies']): string {
  const payload: BundlePayload = { version: 1, issued_at: new Date().toISOString(), expires_at: new Date(Date.now() + DAY).toISOString(), policies, manifests: [] };
  const file = join(work, 'b.json');
  writeFileSync(file, JSON.stringify(signBundle(payload, createPrivateKey(readFileSync(join(work, 'k', 'bundle.key'), 'utf8')))));
  return file;
}

test('bundle sign refuses policies the daemon would refuse (naming file, line and field), and bundle verify reports a signed bundle that carries them', (t) => {
  const { work, pol, run } = bundleCli('sealwatch-bundle-lint-');
  writeFileSync(join(pol, 'good.yaml'), policy('good'));
  const bad = policy('bad').replace(/^match:/m, 'matchh:');
  writeFileSync(join(pol, 'bad.yaml'), bad);
  const out = join(work, 'bundle.json');
  const signed = run('sign', '--key', join(work, 'k', 'bundle.key'), '--bundle-version', '1', '--policies', pol, '--out', out);
  t.is(signed.status, 2);
  t.regex(signed.stderr, /not signed: the daemon would refuse these policies:\nbad\.yaml:\d+: error: /);
  t.throws(() => readFileSync(out), undefined, 'nothing written');
  const verify = run('verify', signedElsewhere(work, [{ name: 'bad.yaml', content: bad }]), '--pub', join(work, 'k', 'bundle.pub'));
  t.is(verify.status, 1);
  t.regex(verify.stdout, /^BUNDLE_REFUSED \(malformed\): .*its policies do not load:\nbad\.yaml:\d+: error: /);
});

test('bundle sign shows the warnings of the policies it signs (they load, but allow more than they read as)', (t) => {
  const { work, pol, run } = bundleCli('sealwatch-bundle-warn-');
  writeFileSync(join(pol, 'broad.yaml'), 'name: broad\nmatch:\n  apps: [contoso]\nunsigned: ["**"]\n');
  const signed = run('sign', '--key', join(work, 'k', 'bundle.key'), '--bundle-version', '1', '--policies', pol, '--out', join(work, 'b.json'));
  t.is(signed.status, 0, signed.stderr);
  t.regex(signed.stderr, /broad\.yaml:\d+: warning: unsigned\[0\]: "\*\*" matches every module/);
});

test('bundle verify shows each policy problem on one line of its own: a newline inside one (a YAML key of the bundle) cannot forge a line', (t) => {
  const { work, run } = bundleCli('sealwatch-bundle-newline-');
  const forged = policy('forged').replace(/^match:/m, '"signers\\nvalid: bundle version 9": 1\nmatch:');
  const verify = run('verify', signedElsewhere(work, [{ name: 'forged.yaml', content: forged }]), '--pub', join(work, 'k', 'bundle.pub'));
  t.is(verify.status, 1);
  const lines = verify.stdout.trimEnd().split('\n');
  t.is(lines.length, 2, verify.stdout);
  t.regex(lines[0] ?? '', /^BUNDLE_REFUSED \(malformed\): .*its policies do not load:$/);
  t.regex(lines[1] ?? '', /^forged\.yaml:\d+: error: signers\\nvalid: bundle version 9: unknown field/);
});

test('a bundle policy that takes a shipped policy\'s name (the daemon loads both and would refuse to start) is refused by sign, verify and install', (t) => {
  const { work, pol, run } = bundleCli('sealwatch-bundle-names-');
  const clash = policy('nodejs');
  writeFileSync(join(pol, 'mine.yaml'), clash);
  const signed = run('sign', '--key', join(work, 'k', 'bundle.key'), '--bundle-version', '1', '--policies', pol, '--out', join(work, 'out.json'));
  t.is(signed.status, 2);
  t.regex(signed.stderr, /mine\.yaml:\?: error: name: policy nodejs is also defined in the shipped nodejs\.yaml/);
  const file = signedElsewhere(work, [{ name: 'mine.yaml', content: clash }]);
  t.regex(run('verify', file, '--pub', join(work, 'k', 'bundle.pub')).stdout, /BUNDLE_REFUSED \(malformed\)/);
  t.throws(() => installBundle(JSON.parse(readFileSync(file, 'utf8')), join(work, 'installed')), { message: /policy nodejs is also defined in the shipped nodejs\.yaml/ });
});
