// Issue 7 §2: no update slips past the scan. Each case was found on real signed binaries producing no finding above
// info (or none at all); each now raises its rule at the stated severity. Real files, real SQLite, real workers.
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { scanApp } from '../../daemon/pipeline/scan-app.ts';
import { Store } from '../../daemon/inventory/store/store.ts';
import { hidePayloadInCertificateEntry } from '../helpers/pe-mutate.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { appDir, harness } from '../helpers/scan.ts';
import { jsonLines, sealwatch } from '../helpers/cli.ts';

function put(root: string, rel: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), bytes);
}

/** An app at version `v` with a Microsoft-signed DLL and the vendor's (OpenJS-signed) executable. */
function app(v: string, root = appDir()): string {
  put(root, 'package.json', JSON.stringify({ name: 'contoso', version: v }));
  copyFileSync(realCorpusPath('vcruntime140'), join(root, 'vcruntime140.dll'));
  copyFileSync(realCorpusPath('conpty'), join(root, 'conpty.dll'));
  return root;
}
const ruleOf = (fs: ReadonlyArray<{ rule: string; severity: string; path?: string | undefined }>, path: string): string[] =>
  fs.filter((f) => f.path === path).map((f) => `${f.rule}:${f.severity}`);

test('a signed DLL replaced by random bytes (not a module) is MODULE_DISPLACED high', async (t) => {
  const h = harness();
  try {
    const root = app('1.0.0');
    await h.scan('gaps', root);
    writeFileSync(join(root, 'conpty.dll'), randomBytes(70_000));
    put(root, 'package.json', JSON.stringify({ name: 'contoso', version: '1.0.1' }));
    const r = await h.scan('gaps', root);
    t.deepEqual(ruleOf(r.findings, 'conpty.dll'), ['MODULE_DISPLACED:high']);
  } finally {
    await h.close();
  }
});

test('a signed DLL replaced by a symbolic link out of the root is MODULE_DISPLACED high, with the link target recorded', async (t) => {
  const h = harness();
  try {
    const root = app('1.0.0');
    await h.scan('gaps', root);
    rmSync(join(root, 'conpty.dll'));
    symlinkSync('/etc/passwd', join(root, 'conpty.dll'));
    put(root, 'package.json', JSON.stringify({ name: 'contoso', version: '1.0.1' }));
    const r = await h.scan('gaps', root);
    const f = r.findings.find((x) => x.path === 'conpty.dll');
    t.is(`${f?.rule}:${f?.severity}`, 'MODULE_DISPLACED:high');
    t.regex(f?.message ?? '', /symbolic link out of the app root \(\/etc\/passwd\)/);
    t.false(r.findings.some((x) => x.rule === 'UPDATE_EXPLAINED' && (x.evidence.removed as string[]).includes('conpty.dll')));
    const row = h.store.files(r.snapshotId).find((x) => x.path === 'conpty.dll');
    t.is(row?.status, 'link-out-of-root');
    t.is(h.store.record(row?.record_id ?? 0, root, 'conpty.dll').entry?.target, '/etc/passwd');
  } finally {
    await h.close();
  }
});

test('a module unverifiable for one scan (a FIFO in its place) is compared with its last verified state next time, never laundered', async (t) => {
  const h = harness();
  try {
    const root = app('1.0.0');
    await h.scan('gaps', root);
    // update 1: the new unsigned DLL is a FIFO while the scan runs — recorded, not read
    execFileSync('mkfifo', [join(root, 'ffmpeg.dll')]);
    put(root, 'package.json', JSON.stringify({ name: 'contoso', version: '1.0.1' }));
    const r1 = await h.scan('gaps', root);
    t.deepEqual(ruleOf(r1.findings, 'ffmpeg.dll'), ['UNVERIFIED_PATH:medium']);
    // update 2: now a real unsigned module sits there — new, as it never was verified before
    rmSync(join(root, 'ffmpeg.dll'));
    copyFileSync(realCorpusPath('pty-node'), join(root, 'ffmpeg.dll'));
    put(root, 'package.json', JSON.stringify({ name: 'contoso', version: '1.0.2' }));
    const r2 = await h.scan('gaps', root);
    // One report for an unsigned new module in a signed app (issue 9 §5): NEW_UNSIGNED_MODULE, not also NEW_MODULE.
    t.true(ruleOf(r2.findings, 'ffmpeg.dll').includes('NEW_UNSIGNED_MODULE:high'), JSON.stringify(r2.findings));
    // and a known module that goes through the same gap is compared with what it was before it
    rmSync(join(root, 'vcruntime140.dll'));
    execFileSync('mkfifo', [join(root, 'vcruntime140.dll')]);
    t.deepEqual(ruleOf((await h.scan('gaps', root, { appVersion: '1.0.3' })).findings, 'vcruntime140.dll'), ['MODULE_DISPLACED:high']);
    rmSync(join(root, 'vcruntime140.dll'));
    const payload = Buffer.concat([Buffer.from('feedface', 'hex'), randomBytes(2048)]);
    put(root, 'vcruntime140.dll', hidePayloadInCertificateEntry(readFileSync(realCorpusPath('vcruntime140')), payload));
    const r4 = await h.scan('gaps', root, { appVersion: '1.0.4' });
    t.true(ruleOf(r4.findings, 'vcruntime140.dll').includes('UNAUTHENTICATED_DATA:critical'), JSON.stringify(r4.findings));
  } finally {
    await h.close();
  }
});

test('installed where the 3CX update already is: hidden data in a signature is critical on the very first scan', async (t) => {
  const h = harness();
  try {
    const root = app('1.0.0');
    const payload = Buffer.concat([Buffer.from('feedface', 'hex'), randomBytes(4096)]);
    put(root, 'd3dcompiler_47.dll', hidePayloadInCertificateEntry(readFileSync(realCorpusPath('vcruntime140')), payload));
    const r = await h.scan('day-one', root);
    t.true(r.baseline);
    t.deepEqual(ruleOf(r.findings, 'd3dcompiler_47.dll'), ['UNAUTHENTICATED_DATA:critical']);
  } finally {
    await h.close();
  }
});

test('two scans of the same app at the same time: serialised by the lock, the second compares against the first', async (t) => {
  const h = harness();
  const root = app('1.0.0');
  try {
    const [a, b] = await Promise.all([h.scan('twice', root), scanApp(h.store, h.pool, { app: 'twice', root, trigger: 'manual', now: new Date() })]);
    t.deepEqual([a.baseline, b.baseline].sort(), [false, true]);
    t.is(h.store.snapshots(h.store.app('twice')?.id ?? 0).length, 2);
  } finally {
    await h.close();
  }
});

test('two CLI scans started together (separate processes): one baseline, one comparison', async (t) => {
  const root = app('1.0.0');
  const db = join(appDir(), 'h.db');
  const run = () => sealwatch(['scan', root, '--app', 'cli-twice', '--db', db, '--json', '--workers', '1']);
  const outs = await Promise.all([run(), run()]);
  const baselines = outs.map((o) => jsonLines(o.stdout)[0]?.baseline);
  t.deepEqual(baselines.sort(), [false, true], outs.map((o) => o.stderr).join('\n'));
});

test('kill -9 at random points of a scan never loses the critical finding: after a restart it is in the history exactly once', async (t) => {
  const v1 = app('1.0.0');
  const base = join(appDir(), 'base.db');
  t.is((await sealwatch(['scan', v1, '--app', 'killed', '--db', base, '--workers', '1'])).code, 0);
  const payload = Buffer.concat([Buffer.from('feedface', 'hex'), randomBytes(4096)]);
  put(v1, 'd3dcompiler_47.dll', hidePayloadInCertificateEntry(readFileSync(realCorpusPath('vcruntime140')), payload));
  put(v1, 'package.json', JSON.stringify({ name: 'contoso', version: '1.0.1' }));
  const main = join(import.meta.dirname, '..', '..', 'daemon', 'main.ts');
  // Kill points spread over the whole run, measured here (start-up, walk, workers, commit, exit).
  const probe = join(appDir(), 'probe.db');
  copyFileSync(base, probe);
  const t0 = Date.now();
  await sealwatch(['scan', v1, '--app', 'killed', '--db', probe, '--workers', '1']);
  const full = Date.now() - t0;
  let committedBeforeKill = 0;
  for (let i = 0; i < 10; i++) {
    const db = join(appDir(), 'k.db');
    copyFileSync(base, db);
    const child = spawn(process.execPath, [main, 'scan', v1, '--app', 'killed', '--db', db, '--workers', '1'], { stdio: 'ignore', env: { ...process.env, SEALWATCH_WITNESS: join(dirname(db), 'w.json') } });
    const exited = new Promise((r) => child.once('exit', r));
    await Promise.race([exited, new Promise((r) => setTimeout(r, ((i + Math.random()) / 10) * full * 1.1))]);
    child.kill('SIGKILL');
    await exited;
    await sealwatch(['scan', v1, '--app', 'killed', '--db', db, '--workers', '1']);
    const store = Store.open(db, { mustExist: true });
    try {
      const critical = store.findings({ app: 'killed' }).filter((f) => f.rule === 'UNAUTHENTICATED_DATA');
      t.is(critical.length, 1, `kill ${i}: ${critical.length} UNAUTHENTICATED_DATA findings`);
      const snapshots = store.snapshots(store.app('killed')?.id ?? 0);
      t.is(critical[0]?.snapshot_id, snapshots[1]?.id, 'the first snapshot of the update carries its findings');
      if (snapshots.length === 3) committedBeforeKill++;
    } finally {
      store.close();
    }
  }
  t.log(`${committedBeforeKill} of 10 kills came after the commit`);
});

test('deleting the history does not launder the next update: scan refuses (exit 4) until --reinit, which records HISTORY_RESET', async (t) => {
  const root = app('1.0.0');
  const dir = appDir();
  const db = join(dir, 'h.db');
  t.is((await sealwatch(['scan', root, '--app', 'wiped', '--db', db])).code, 0);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  const refused = await sealwatch(['scan', root, '--app', 'wiped', '--db', db]);
  t.is(refused.code, 4);
  t.regex(refused.stderr, /h\.db is gone or empty: the history created .* cannot be replaced silently/);
  t.regex(refused.stderr, /--reinit/);
  const reinit = await sealwatch(['scan', root, '--app', 'wiped', '--db', db, '--reinit', '--json']);
  t.is(reinit.code, 1, 'HISTORY_RESET is high');
  const out = jsonLines(reinit.stdout)[0] as { baseline: boolean; findings: Array<{ rule: string; severity: string }> };
  t.true(out.baseline);
  t.deepEqual(out.findings.filter((f) => f.rule === 'HISTORY_RESET').map((f) => f.severity), ['high']);
  t.is((await sealwatch(['scan', root, '--app', 'wiped', '--db', db])).code, 0, 'the new history is the known one now');
});

test('a signature cut off at the end of the file (as Remotion ships zlib1.dll) is unsigned with a warning, and a trusted module arriving so "lost its signature" (SIGNATURE_DOWNGRADED critical)', async (t) => {
  const h = harness();
  try {
    const root = app('1.0.0');
    await h.scan('cut', root);
    const bytes = readFileSync(realCorpusPath('conpty'));
    const pe = bytes.readUInt32LE(0x3c);
    const dir = pe + 24 + (bytes.readUInt16LE(pe + 24) === 0x20b ? 144 : 128);
    const [offset, size] = [bytes.readUInt32LE(dir), bytes.readUInt32LE(dir + 4)];
    writeFileSync(join(root, 'conpty.dll'), bytes.subarray(0, offset + Math.floor(size / 2)));
    put(root, 'package.json', JSON.stringify({ name: 'contoso', version: '1.0.1' }));
    const r = await h.scan('cut', root);
    const row = h.store.files(r.snapshotId).find((f) => f.path === 'conpty.dll');
    t.is(row?.status, 'unsigned');
    const rec = h.store.record(row?.record_id ?? 0, root, 'conpty.dll');
    t.deepEqual(rec.code_signature.problems.filter((p) => p.code === 'CERT_TABLE_PAST_EOF').map((p) => p.severity), ['warning']);
    t.true(ruleOf(r.findings, 'conpty.dll').includes('SIGNATURE_DOWNGRADED:critical'), JSON.stringify(r.findings));
  } finally {
    await h.close();
  }
});
