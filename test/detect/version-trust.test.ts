// Issue 9 §3: a version the attacker cannot simply write. The Electron-shaped app of real vendor files
// (test/helpers/electron-app.ts) takes its version from its Microsoft-signed main executable; package.json,
// app-update.yml and Squirrel folder names are unsigned and rank below it.
import test from 'ava';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asarOf, MAIN_V1, MAIN_V2, nodePtyLib, put, UNPACKED, writeElectronApp } from '../helpers/electron-app.ts';
import { realAppPath, realCorpusPath } from '../helpers/real-corpus.ts';
import { above, appDir, copyTree, harness, squirrelInstall } from '../helpers/scan.ts';
import { type ScanReport } from '../../daemon/pipeline/scan-app.ts';

const CONPTY = `${UNPACKED}/prebuilds/win32-x64/conpty/conpty.dll`;
const rules = (r: ScanReport): string[] => r.findings.filter((f) => above(f.severity)).map((f) => `${f.rule}:${f.severity}:${f.path ?? ''}`);

test('the signed main executable outranks package.json; the report says which source won and that it is signed', async (t) => {
  const h = harness();
  try {
    const root = appDir();
    writeElectronApp(root);
    const base = await h.scan('contoso', root);
    t.is(base.toVersion, MAIN_V1.version);
    t.is(base.versionSource, 'version resource of contoso.exe (signed)');
    t.true(base.versionSigned);
    t.like(base.findings.find((f) => f.rule === 'BASELINE')?.evidence, { version_signed: true });
  } finally {
    await h.close();
  }
});

test('package.json bumped to explain a swapped DLL (ShadowHammer/CCleaner-style): UNSIGNED_VERSION_MOVED high, and the DLL is OUT_OF_BAND_CHANGE high', async (t) => {
  const h = harness();
  try {
    const root = appDir();
    writeElectronApp(root);
    await h.scan('contoso', root);
    put(root, 'package.json', JSON.stringify({ name: 'contoso-desktop', version: '6.1.7601', main: 'resources/app.asar' }));
    // Another real Microsoft-signed DLL in conpty.dll's place: the signer is the same, only the version could explain it.
    copyFileSync(realCorpusPath('vcruntime140'), join(root, CONPTY));
    const r = await h.scan('contoso', root);
    t.is(r.toVersion, MAIN_V1.version, 'the signed version did not move');
    const moved = r.findings.find((f) => f.rule === 'UNSIGNED_VERSION_MOVED');
    t.is(moved?.severity, 'high');
    t.is(moved?.path, 'package.json');
    t.like(moved?.evidence, { claimed: '6.1.7601', signed_version: MAIN_V1.version, source: 'package.json' });
    t.is(r.findings.find((f) => f.rule === 'OUT_OF_BAND_CHANGE' && f.path === CONPTY)?.severity, 'high');
    t.false(r.findings.some((f) => f.rule === 'UPDATE_EXPLAINED' && ((f.evidence.changed as string[]) ?? []).includes(CONPTY)));
  } finally {
    await h.close();
  }
});

test('a fake Squirrel app-99.0.0 folder holding a copy of the signed executable: the version stays the signed one, UNSIGNED_VERSION_MOVED high', async (t) => {
  const h = harness();
  try {
    const root = appDir();
    writeElectronApp(root);
    await h.scan('contoso', root);
    put(root, 'app-99.0.0/contoso.exe', readFileSync(join(root, 'contoso.exe')));
    const r = await h.scan('contoso', root);
    t.is(r.toVersion, MAIN_V1.version);
    t.is(r.versionSource, 'version resource of contoso.exe (signed)', 'the executable the version came from is still there');
    t.like(r.findings.find((f) => f.rule === 'UNSIGNED_VERSION_MOVED'), { severity: 'high', path: 'app-99.0.0' });
  } finally {
    await h.close();
  }
});

// Attack study, session 6: in an app that is not a Squirrel install, a folder named like a release took the version
// over from the signed executable at the top — moved there, or a copy of another genuine signed program of a newer
// version under the main executable's name — and every change made with it passed as the update (nothing above info).
for (const how of ['moved', 'copied'] as const) {
  test(`a decoy app-x.y.z folder in an app that is not a Squirrel install, the main executable ${how} into it as another genuine signed program of a newer version: the version does not move with it, the swapped DLL and app code are OUT_OF_BAND_CHANGE / STEERING_CHANGED high`, async (t) => {
    const h = harness();
    try {
      const root = appDir();
      writeElectronApp(root);
      await h.scan('contoso', root);
      const decoy = `app-${MAIN_V2.version}/contoso.exe`;
      put(root, decoy, readFileSync(realCorpusPath(MAIN_V2.id)));
      if (how === 'moved') rmSync(join(root, 'contoso.exe'));
      copyFileSync(realCorpusPath('vcruntime140'), join(root, CONPTY));
      writeFileSync(join(root, 'resources/app.asar'), asarOf(new Map([['main.js', Buffer.from('require("child_process").exec("calc")')]])));
      const r = await h.scan('contoso', root);
      const found = rules(r);
      t.true(found.includes(`OUT_OF_BAND_CHANGE:high:${CONPTY}`), found.join(', '));
      t.true(found.some((f) => f.startsWith('STEERING_CHANGED:high:resources/app.asar')), found.join(', '));
      if (how === 'copied') t.is(r.toVersion, MAIN_V1.version);
      else t.regex(r.findings.find((f) => f.rule === 'OUT_OF_BAND_CHANGE')?.message ?? '', /only because another file gives it now/);
    } finally {
      await h.close();
    }
  });
}

test('no version at all: a changed module is explained by nothing (OUT_OF_BAND_CHANGE medium), never "an update ? → ?"', async (t) => {
  const h = harness();
  try {
    const root = appDir();
    copyTree(join(realAppPath('msal-0.20.6'), 'dist'), join(root, 'dist'));
    const base = await h.scan('msal', root);
    t.is(base.toVersion, undefined);
    copyTree(join(realAppPath('msal-0.20.7'), 'dist'), join(root, 'dist'));
    const r = await h.scan('msal', root);
    const oob = r.findings.filter((f) => f.rule === 'OUT_OF_BAND_CHANGE');
    t.true(oob.length >= 10, `${oob.length} modules changed`);
    t.true(oob.every((f) => f.severity === 'medium' && /the app has no version that could explain it/.test(f.message)));
    t.false(r.findings.some((f) => f.rule === 'UPDATE_EXPLAINED' && ((f.evidence.changed as string[]) ?? []).length > 0));
  } finally {
    await h.close();
  }
});

test('a version that vanishes (package.json deleted) while modules change → OUT_OF_BAND_CHANGE high', async (t) => {
  const h = harness();
  try {
    const root = appDir();
    copyTree(realAppPath('msal-0.20.6'), root);
    await h.scan('msal', root);
    copyTree(join(realAppPath('msal-0.20.7'), 'dist'), join(root, 'dist'));
    rmSync(join(root, 'package.json'));
    const r = await h.scan('msal', root);
    t.is(r.toVersion, undefined);
    const oob = r.findings.filter((f) => f.rule === 'OUT_OF_BAND_CHANGE');
    t.true(oob.length >= 10);
    t.true(oob.every((f) => f.severity === 'high' && /went from 0\.20\.6 to unknown/.test(f.message)));
    t.deepEqual(rules(r).filter((x) => x.startsWith('STEERING_CHANGED')), ['STEERING_CHANGED:high:package.json']);
  } finally {
    await h.close();
  }
});

test('macOS: a sealed Info.plist is a signed version source; edited to fake an update, the seal breaks and nothing that changed with it is explained', async (t) => {
  const { buildAppBundle } = await import('../helpers/apple-bundle.ts');
  const { loadIdentity } = await import('../helpers/apple-signer.ts');
  const { appleFixture } = await import('../helpers/fixtures.ts');
  const { writeFileSync } = await import('node:fs');
  const vendor = await loadIdentity(appleFixture('pki/vendor.der'), appleFixture('pki/vendor.pk8'), [appleFixture('pki/devid-ca.der')]);
  const h = harness([appleFixture('trust')]);
  try {
    const app = await buildAppBundle(appDir(), {
      name: 'Contoso',
      identifier: 'com.contoso.desktop',
      teamId: 'CONTOSO123',
      identity: vendor,
      executable: readFileSync(appleFixture('app-main-arm64')),
      shortVersion: '18.12.416',
      resources: { 'Resources/app.asar': asarOf(nodePtyLib()) },
    });
    const base = await h.scan('contoso-mac', app);
    t.is(base.versionSource, 'Info.plist (sealed)');
    t.true(base.versionSigned);
    const plist = join(app, 'Contents/Info.plist');
    writeFileSync(plist, readFileSync(plist, 'utf8').replace('18.12.416', '18.12.420'));
    writeFileSync(join(app, 'Contents/Resources/app.asar'), asarOf(new Map([['index.js', Buffer.from('require("child_process").exec("/tmp/x")')]])));
    const r = await h.scan('contoso-mac', app);
    t.is(r.toVersion, '18.12.420');
    t.false(r.versionSigned, 'the seal no longer covers it');
    t.is(r.findings.find((f) => f.rule === 'SIGNATURE_INVALID' && f.path === './')?.severity, 'critical');
    const asar = r.findings.find((f) => f.path === 'Contents/Resources/app.asar');
    t.like(asar, { rule: 'STEERING_CHANGED', severity: 'high' });
    t.regex(asar?.message ?? '', /from 18\.12\.416 \(Info\.plist \(sealed\)\) to 18\.12\.420 from an unsigned source/);
    t.false(r.findings.some((f) => f.rule === 'UPDATE_EXPLAINED' && ((f.evidence.steering as string[]) ?? []).includes('Contents/Resources/app.asar')));
  } finally {
    await h.close();
  }
});

// A Squirrel install (the real Update.exe, a real msal release in app-0.20.6/) attacked in place: a Microsoft-signed DLL
// swapped for another valid build, an unsigned module replaced, app code rewritten — with a folder made to look like the
// newest release beside it, empty or holding one file. Squirrel never rewrites a version folder; the update it would
// take for must not explain what changed in the old one.
for (const fake of ['none', 'empty', 'one file'] as const) {
  test(`Squirrel: files rewritten inside the current app-x.y.z folder, ${fake === 'none' ? 'no other folder' : `beside a made-up newest folder (${fake})`} → OUT_OF_BAND_CHANGE and STEERING_CHANGED high`, async (t) => {
    const h = harness();
    try {
      const root = squirrelInstall('msal-0.20.6', 'app-0.20.6');
      await h.scan('sq', root);
      copyFileSync(join(realAppPath('msal-0.20.7'), 'dist/windows/x64/msalruntime.dll'), join(root, 'app-0.20.6/dist/windows/x64/msalruntime.dll'));
      copyFileSync(realCorpusPath('pty-node'), join(root, 'app-0.20.6/dist/windows/x64/msal-node-runtime.node'));
      writeFileSync(join(root, 'app-0.20.6/dist/index.js'), 'require("child_process").exec("calc")\n');
      if (fake !== 'none') mkdirSync(join(root, 'app-99.0.0'));
      if (fake === 'one file') writeFileSync(join(root, 'app-99.0.0/readme.txt'), 'x');
      const r = await h.scan('sq', root);
      t.is(r.toVersion, fake === 'one file' ? '99.0.0' : '0.20.6', 'an empty folder gives no version');
      for (const [rule, path] of [
        ['OUT_OF_BAND_CHANGE', 'app-0.20.6/dist/windows/x64/msalruntime.dll'],
        ['OUT_OF_BAND_CHANGE', 'app-0.20.6/dist/windows/x64/msal-node-runtime.node'],
        ['STEERING_CHANGED', 'app-0.20.6/dist/index.js'],
      ]) t.true(rules(r).includes(`${rule}:high:${path}`), `${rule} ${path}: ${rules(r).join(', ')}`);
      if (fake === 'one file') t.regex(r.findings.find((f) => f.rule === 'OUT_OF_BAND_CHANGE')?.message ?? '', /older Squirrel version folder .* never rewrites an old one/);
    } finally {
      await h.close();
    }
  });
}
