// Manifests in the daemon (issues 10 and 11): an app's `manifest:` and `manifest_keys:` are carried into every scan
// the daemon runs. The manifest is made as a vendor (or a clean reference machine) would, with the real CLI:
// `manifest keygen`, `manifest generate` of the release tree, `manifest sign`. The installed app then gets an update
// with one DLL the manifest lists and one it does not: the daemon's watch scan raises NOT_IN_MANIFEST (high) for the
// extra one, explains the listed one naming the manifest, and alerts on the first only. Real signed binaries from
// the npm registry (test/corpus/REAL.md), the real daemon as a child process, a real SQLite file and receiver.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TRUST_DIR } from '../../daemon/config/trust-dir.ts';
import { Store } from '../../daemon/inventory/store/store.ts';
import { put } from '../../scripts/lib/three-cx.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { DaemonProcess, httpPort, MAIN, Receiver, setup, waitForLog, waitIdle, waitReceived } from './harness.ts';

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
  const work = mkdtempSync(join(tmpdir(), 'sealwatch-vendor-'));
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
