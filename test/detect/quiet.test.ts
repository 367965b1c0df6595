// Issue 9 §5: quiet where nothing is wrong. Real vendor releases from the npm registry (test/corpus/REAL.md, "Whole
// packages as app versions") scanned as consecutive versions of one app: each noisy pair must stay at or below the
// stated level, with one reviewable finding where there was one per file.
import test from 'ava';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type ScanReport } from '../../daemon/pipeline/scan-app.ts';
import { compareVersions } from '../../daemon/detect/versions.ts';
import { realAppPath, realCorpusPath } from '../helpers/real-corpus.ts';
import { above, copyTree, harness, squirrelInstall } from '../helpers/scan.ts';

const loud = (r: ScanReport): string[] => r.findings.filter((f) => above(f.severity)).map((f) => `${f.rule}:${f.severity}`);

async function pair(from: string, to: string): Promise<ScanReport> {
  const h = harness();
  try {
    const base = await h.scan('app', realAppPath(from));
    if (loud(base).length) throw new Error(`baseline of ${from} raised ${loud(base).join(', ')}`);
    return await h.scan('app', realAppPath(to));
  } finally {
    await h.close();
  }
}

test('node-pty 1.1.0-beta9 → 1.1.0: a release after its pre-release is no DOWNGRADE; its first binaries are one NEW_MODULE_GROUP (medium)', async (t) => {
  t.is(compareVersions('1.1.0', '1.1.0-beta9'), 1);
  t.is(compareVersions('1.1.0-beta10', '1.1.0-beta9'), 1);
  const r = await pair('node-pty-1.1.0-beta9', 'node-pty-1.1.0');
  t.is(r.fromVersion, '1.1.0-beta9');
  t.is(r.toVersion, '1.1.0');
  t.deepEqual(loud(r), ['NEW_MODULE_GROUP:medium']);
  const group = r.findings[0];
  t.like(group?.evidence, { group: 'first-binaries', count: 22, unsigned: 12 });
  t.regex(group?.message ?? '', /ships binaries for the first time: 22 new module\(s\)/);
  t.notRegex(group?.message ?? '', /linker-signed|adhoc/, 'code without an identity is not listed as a signer');
  const members = (group?.evidence.modules as Array<{ path: string }>).map((m) => m.path);
  t.true(members.includes('prebuilds/win32-x64/pty.node') && members.includes('third_party/conpty/1.23.251008001/win10-x64/conpty.dll'));
});

test('@azure/msal-node-runtime 0.19.5 → 0.20.4: five new architecture folders of modules the app ships are one NEW_MODULE_GROUP (medium), not ten findings', async (t) => {
  const r = await pair('msal-0.19.5', 'msal-0.20.4');
  t.deepEqual(loud(r), ['NEW_MODULE_GROUP:medium']);
  t.like(r.findings[0]?.evidence, {
    group: 'new-architecture',
    count: 10,
    folders: ['dist/linux/rhel10/x64', 'dist/linux/rhel8_9/x64', 'dist/linux/ubuntu/x64', 'dist/macos/x64', 'dist/windows/arm64'],
  });
  t.true(r.findings.some((f) => f.rule === 'UPDATE_EXPLAINED' && ((f.evidence.changed as string[]) ?? []).includes('dist/windows/x64/msalruntime.dll')));
});

test('@azure/msal-node-runtime 0.20.4 → 0.20.5: libmsalruntime.dylib renamed libmsalruntime_{arm64,x64}.dylib pairs as renames (same Team ID), not remove + add', async (t) => {
  const r = await pair('msal-0.20.4', 'msal-0.20.5');
  const renames = r.changes.filter((c) => c.renamedFrom).map((c) => `${c.renamedFrom} → ${c.path}`).sort();
  t.deepEqual(renames, ['dist/macos/arm64/libmsalruntime.dylib → dist/macos/arm64/libmsalruntime_arm64.dylib', 'dist/macos/x64/libmsalruntime.dylib → dist/macos/x64/libmsalruntime_x64.dylib']);
  t.false(r.changes.some((c) => c.kind === 'added' || c.kind === 'removed'), 'nothing left as added or removed');
  t.false(r.findings.some((f) => f.rule === 'NEW_MODULE' || f.rule === 'NEW_MODULE_GROUP'));
  // 0.20.4 shipped an 82 KB arm64 dylib; 0.20.5's is the real 6 MB library with constructors and NSURLSession:
  // that is worth its one medium finding, and nothing more.
  t.deepEqual(loud(r), ['NEW_CAPABILITIES:medium']);
  t.is(r.findings[0]?.path, 'dist/macos/arm64/libmsalruntime_arm64.dylib');
  const explained = r.findings.find((f) => f.rule === 'UPDATE_EXPLAINED');
  t.deepEqual(explained?.evidence.renamed, [{ from: 'dist/macos/x64/libmsalruntime.dylib', to: 'dist/macos/x64/libmsalruntime_x64.dylib' }]);
});

/** A Squirrel.Windows install: the real Update.exe beside app-x.y.z folders, each a real msal release. */
const squirrelRoot = (): string => squirrelInstall('msal-0.20.6', 'app-0.20.6');

test('Squirrel app-0.20.6/ → app-0.20.7/ (old folder kept): compared with the previous version folder — nothing above info', async (t) => {
  const h = harness();
  try {
    const root = squirrelRoot();
    const base = await h.scan('sq', root);
    t.is(base.toVersion, '0.20.6');
    copyTree(realAppPath('msal-0.20.7'), join(root, 'app-0.20.7'));
    const r = await h.scan('sq', root);
    t.is(r.fromVersion, '0.20.6');
    t.is(r.toVersion, '0.20.7');
    t.deepEqual(loud(r), []);
    const explained = r.findings.find((f) => f.rule === 'UPDATE_EXPLAINED');
    t.true(((explained?.evidence.changed as string[]) ?? []).includes('app-0.20.7/dist/windows/x64/msal-node-runtime.node'));
    t.false(r.changes.some((c) => c.kind === 'added' && c.after?.isCode), 'no module of the new folder is "new"');
  } finally {
    await h.close();
  }
});

test('Squirrel app-0.20.6/ replaced by app-0.20.7/ (old folder deleted by the update): nothing above info', async (t) => {
  const h = harness();
  try {
    const root = squirrelRoot();
    await h.scan('sq', root);
    copyTree(realAppPath('msal-0.20.7'), join(root, 'app-0.20.7'));
    rmSync(join(root, 'app-0.20.6'), { recursive: true });
    const r = await h.scan('sq', root);
    t.is(r.toVersion, '0.20.7');
    t.deepEqual(loud(r), []);
    t.false(r.changes.some((c) => c.kind === 'added' && c.after?.isCode));
  } finally {
    await h.close();
  }
});

test('Squirrel: an empty app-x.y.z folder beside the update (newest by name, holding nothing) does not turn the pairing off', async (t) => {
  const h = harness();
  try {
    const root = squirrelRoot();
    await h.scan('sq', root);
    copyTree(realAppPath('msal-0.20.7'), join(root, 'app-0.20.7'));
    mkdirSync(join(root, 'app-99.0.0'));
    const r = await h.scan('sq', root);
    t.is(r.toVersion, '0.20.7', 'the empty folder gives no version');
    t.deepEqual(loud(r), []);
    t.false(r.changes.some((c) => c.kind === 'added' && c.after?.isCode), 'no module of app-0.20.7 is "new"');
  } finally {
    await h.close();
  }
});

test('Squirrel: a module swapped in the new version folder is still judged against the previous folder', async (t) => {
  const h = harness();
  try {
    const root = squirrelRoot();
    await h.scan('sq', root);
    copyTree(realAppPath('msal-0.20.7'), join(root, 'app-0.20.7'));
    // The unsigned Squirrel.exe where the Microsoft-signed msalruntime.dll was.
    copyFileSync(realCorpusPath('squirrel'), join(root, 'app-0.20.7/dist/windows/x64/msalruntime.dll'));
    const r = await h.scan('sq', root);
    const f = r.findings.filter((x) => x.path === 'app-0.20.7/dist/windows/x64/msalruntime.dll' && above(x.severity));
    t.true(f.length > 0);
    t.true(f.some((x) => x.severity === 'critical' || x.severity === 'high'), JSON.stringify(f.map((x) => `${x.rule}:${x.severity}`)));
  } finally {
    await h.close();
  }
});

test('Squirrel with a signed main executable in each app-x.y.z folder: the version comes from it, never from Update.exe, and the update is explained', async (t) => {
  const h = harness();
  try {
    const root = squirrelInstall('msal-0.20.6', 'app-6.1.7600');
    copyFileSync(realCorpusPath('signtool-x86'), join(root, 'app-6.1.7600', 'contoso.exe'));
    const base = await h.scan('sq', root);
    t.is(base.toVersion, '6.1.7600.16385');
    t.is(base.versionSource, 'version resource of app-6.1.7600/contoso.exe (signed)');
    copyTree(realAppPath('msal-0.20.7'), join(root, 'app-10.0.26100'));
    copyFileSync(realCorpusPath('signtool-x64'), join(root, 'app-10.0.26100', 'contoso.exe'));
    rmSync(join(root, 'app-6.1.7600'), { recursive: true });
    const r = await h.scan('sq', root);
    t.is(r.toVersion, '10.0.26100.9169');
    t.true(r.versionSigned);
    // Apart from what the capability rules may say of signtool 6.1 → 10.0 (another program), nothing above info:
    // every module is compared with the same path in the folder before.
    t.deepEqual(r.findings.filter((f) => above(f.severity) && f.path !== 'app-10.0.26100/contoso.exe').map((f) => f.rule), []);
    t.true(r.changes.some((c) => c.kind === 'changed' && c.path === 'app-10.0.26100/contoso.exe' && c.before?.ownVersion !== c.after?.ownVersion));
    t.false(r.findings.some((f) => f.rule === 'UNSIGNED_VERSION_MOVED'), 'the folder name agrees with the signed version');
  } finally {
    await h.close();
  }
});

test('Squirrel: a rescan that reads nothing keeps the signed version of the executable in the unchanged version folder', async (t) => {
  const h = harness();
  try {
    const root = squirrelInstall('msal-0.20.6', 'app-6.1.7600');
    copyFileSync(realCorpusPath('signtool-x86'), join(root, 'app-6.1.7600', 'contoso.exe'));
    await h.scan('sq', root);
    const again = await h.scan('sq', root);
    t.is(again.read, 0);
    t.is(again.toVersion, '6.1.7600.16385');
    t.is(again.versionSource, 'version resource of app-6.1.7600/contoso.exe (signed)');
    t.deepEqual(again.findings, []);
  } finally {
    await h.close();
  }
});
