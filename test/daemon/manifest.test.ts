// Manifests in the daemon (issues 10 and 11): an app's `manifest:` and `manifest_keys:` are carried into every scan
// the daemon runs. The manifest is made as a vendor (or a clean reference machine) would, with the real CLI:
// `manifest keygen`, `manifest generate` of the release tree, `manifest sign`. The installed app then gets an update
// with one DLL the manifest lists and one it does not: the daemon's watch scan raises NOT_IN_MANIFEST (high) for the
// extra one, explains the listed one naming the manifest, and alerts on the first only. Real signed binaries from
// the npm registry (test/corpus/REAL.md), the real daemon as a child process, a real SQLite file and receiver.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { DEFAULT_TRUST_DIR } from '../../daemon/config/trust-dir.ts';
import { Store } from '../../daemon/inventory/store/store.ts';
import { put } from '../../scripts/lib/three-cx.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { DaemonProcess, httpPort, logLines, MAIN, Receiver, setup, waitForLog, waitIdle, waitReceived } from './harness.ts';
import { tempDir } from '../helpers/temp.ts';

const bytes = (id: string): Buffer => readFileSync(realCorpusPath(id));

/** The installed v1.0.0: a Microsoft-signed exe and two Microsoft-signed DLLs, plus app code. */
function installV1(root: string): void {
  put(root, 'signtool.exe', bytes('signtool-x64'));
  put(root, 'vcruntime140.dll', bytes('vcruntime140'));
  put(root, 'conpty.dll', bytes('conpty'));
  put(root, 'resources/app.asar', 'console.log("contoso")');
}

function sealwatch(args: readonly string[]): string {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sealwatch ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** The vendor's signed manifest of release 1.0.0 (which ships msalruntime.dll too), and its pinned public key. */
function vendorManifest(): { manifest: string; pub: string } {
  const work = tempDir('sealwatch-vendor-');
  const release = join(work, 'release');
  installV1(release);
  put(release, 'msalruntime.dll', bytes('msalruntime'));
  sealwatch(['manifest', 'keygen', '--out', join(work, 'keys')]);
  const manifest = join(work, 'contoso-1.0.0.manifest.json');
  sealwatch(['manifest', 'generate', release, '--app', 'contoso', '--app-version', '1.0.0', '--out', manifest]);
  sealwatch(['manifest', 'sign', manifest, '--key', join(work, 'keys', 'manifest.key'), '--expires', '30d', '--sequence', '1']);
  return { manifest, pub: join(work, 'keys', 'manifest.pub') };
}

interface AlertFinding {
  readonly rule: string;
  readonly severity: string;
  readonly path: string | null;
}

test('a daemon scan checks the configured signed manifest: an extra DLL → NOT_IN_MANIFEST high (alerted), a listed one → explained by the manifest', async (t) => {
  const { manifest, pub } = vendorManifest();
  const receiver = new Receiver();
  await receiver.start();
  const s = setup({ receiverUrl: receiver.url, minSeverity: 'high', trust: [DEFAULT_TRUST_DIR] });
  // setup() writes one app; it gets its fixed version and its manifest (config keys of issue 11).
  writeFileSync(s.configFile, readFileSync(s.configFile, 'utf8').replace(`    path: ${s.appRoot}\n`, `    path: ${s.appRoot}\n    version: 1.0.0\n    manifest: ${manifest}\n    manifest_keys:\n      - ${pub}\n`));
  installV1(s.appRoot);
  const d = new DaemonProcess(s);
  try {
    const baseline = await waitForLog(s, d.pid, (l) => l.message === 'scan finished' && l.baseline === true, 'the baseline');
    t.like(baseline, { to_version: '1.0.0', alerts: 0 });
    const port = await httpPort(s, d.pid);
    // The update: the DLL the vendor's release lists, and one nobody listed (a real unsigned native module).
    put(s.appRoot, 'msalruntime.dll', bytes('msalruntime'));
    put(s.appRoot, 'plugins/extra.dll', bytes('pty-node'));
    const scanned = await waitForLog(s, d.pid, (l) => l.message === 'scan finished' && l.trigger === 'watch', 'the watch scan of the update');
    await waitReceived(receiver, 1);
    await waitIdle(port);
    t.is(receiver.received.length, 1);
    const alerted = receiver.received[0]?.body.findings as AlertFinding[];
    t.true(alerted.some((f) => f.rule === 'NOT_IN_MANIFEST' && f.severity === 'high' && f.path === 'plugins/extra.dll'), JSON.stringify(alerted));
    t.false(alerted.some((f) => f.path === 'msalruntime.dll'), 'the listed DLL is explained, not alerted');

    const store = Store.open(s.db);
    try {
      const findings = store.findings({ app: 'contoso', snapshotId: Number(scanned.snapshot_id) });
      const extra = findings.find((f) => f.rule === 'NOT_IN_MANIFEST' && f.path === 'plugins/extra.dll');
      t.like(extra, { severity: 'high', explained: 0 });
      const listed = findings.filter((f) => f.path === 'msalruntime.dll');
      t.true(listed.length > 0, 'the new DLL is judged (and explained), not ignored');
      t.true(listed.every((f) => f.explained === 1), JSON.stringify(listed));
      t.true(listed.some((f) => `${f.message} ${f.evidence}`.includes(manifest)), 'the explanation names the manifest');
      t.false(findings.some((f) => f.rule === 'NOT_IN_MANIFEST' && f.path === 'msalruntime.dll'));
      t.false(findings.some((f) => f.rule === 'MANIFEST_INVALID'));
    } finally {
      store.close();
    }
  } finally {
    t.is((await d.stop()).code, 0, d.stderr);
    await receiver.close();
  }
});

/** A self-signed certificate for 127.0.0.1 (openssl), trusted by the daemon through NODE_EXTRA_CA_CERTS. */
function localCertificate(): { key: string; cert: string; file: string } {
  const dir = tempDir('sealwatch-tls-');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '2'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), file: join(dir, 'cert.pem') };
}

test('an https:// manifest is refreshed on schedules.manifests (node-cron): fetched, then conditional (304), the copy kept beside the database', async (t) => {
  const { manifest, pub } = vendorManifest();
  const body = readFileSync(manifest);
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
  const tls = localCertificate();
  const requests: Array<{ path: string; ifNoneMatch: string | undefined }> = [];
  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    requests.push({ path: req.url ?? '', ifNoneMatch: req.headers['if-none-match'] });
    if (req.headers['if-none-match'] === etag) res.writeHead(304, { etag }).end();
    else res.writeHead(200, { etag, 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/contoso-1.0.0.manifest.json`;
  const s = setup({ extra: 'schedules:\n  manifests: "* * * * * *"' });
  writeFileSync(s.configFile, readFileSync(s.configFile, 'utf8').replace(`    path: ${s.appRoot}\n`, `    path: ${s.appRoot}\n    version: 1.0.0\n    manifest: ${url}\n    manifest_keys:\n      - ${pub}\n`));
  installV1(s.appRoot);
  const d = new DaemonProcess({ ...s, env: { ...s.env, NODE_EXTRA_CA_CERTS: tls.file, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' } });
  try {
    const fetched = await waitForLog(s, d.pid, (l) => l.message === 'manifest source refreshed' && l.state === 'fetched', 'a scheduled fetch');
    t.is(fetched.url, url);
    // The cache starts empty in each process: the second refresh of the daemon's own source is conditional.
    const conditional = await waitForLog(s, d.pid, (l) => l.message === 'manifest source refreshed' && l.state === 'not-modified', 'a conditional refresh answered 304');
    t.is(conditional.url, url);
    t.true(requests.some((r) => r.ifNoneMatch === etag), 'If-None-Match sent with the ETag of the copy kept');
    const cache = join(dirname(s.db), 'manifest-cache');
    t.true(existsSync(cache) && readdirSync(cache).some((f) => f.endsWith('.body')), 'the last good copy is kept on disk');
    const baseline = await waitForLog(s, d.pid, (l) => l.message === 'scan finished' && l.baseline === true, 'the baseline');
    t.is(baseline.to_version, '1.0.0');
    t.false(logLines(s).some((l) => l.pid === d.pid && /manifest (rejected|not used)/.test(l.message)), 'the fetched manifest is used by the scan');
  } finally {
    t.is((await d.stop()).code, 0, d.stderr);
    server.close();
  }
});
