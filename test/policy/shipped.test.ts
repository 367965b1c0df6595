// The shipped policies (policies/*.yaml) and the Electron template (policies/examples/) against the real binaries they
// were written from (test/corpus/REAL.md): real releases pass, and a module signed by someone the policy does not
// allow — another trusted publisher, a re-signature with a self-made certificate, an unsigned file — is
// UNEXPECTED_SIGNER.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { peFixture, peFixtureTrustDir } from '../../scripts/lib/fixtures.ts';
import { hidePayloadInCertificateEntry } from '../../scripts/lib/pe-mutate.ts';
import { put } from '../../scripts/lib/three-cx.ts';
import { type Finding } from '../../daemon/shared/findings.ts';
import { realAppPath, realCorpusPath } from '../helpers/real-corpus.ts';
import { namedRoot, POLICIES_DIR, policiesFrom, policyHarness } from './helpers.ts';
import { tempDir } from '../helpers/temp.ts';

const shipped = (): ReturnType<typeof policiesFrom> => policiesFrom(POLICIES_DIR);
const aboveInfo = (fs: readonly Finding[]): string[][] => fs.filter((f) => f.severity !== 'info').map((f) => [f.rule, f.severity, f.path ?? '']);

/** A tree of a real package copied into `root` (its files replace what was there). */
function install(id: string, root: string): void {
  rmSync(root, { recursive: true, force: true });
  cpSync(realAppPath(id), root, { recursive: true });
}

/** The real file re-signed with a self-made code-signing certificate whose subject copies `org` (no trusted root). */
function resignedAs(bytes: Buffer, org: string): Buffer {
  const dir = tempDir('sealwatch-resign-');
  const run = (args: string[]): void => void execFileSync(args[0] as string, args.slice(1), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '3650', '-subj', `/C=US/O=${org}/CN=${org}`, '-addext', 'extendedKeyUsage=codeSigning']);
  writeFileSync(join(dir, 'in.exe'), bytes);
  run(['osslsigncode', 'remove-signature', '-in', 'in.exe', '-out', 'bare.exe']);
  run(['osslsigncode', 'sign', '-certs', 'c.pem', '-key', 'k.pem', '-h', 'sha256', '-in', 'bare.exe', '-out', 'out.exe']);
  return readFileSync(join(dir, 'out.exe'));
}

test('nodejs: real node.exe releases pass (22.23.2 → 22.23.3, and the Node.js Foundation → OpenJS Foundation rename 14.12.0 → 14.21.3 is expected)', async (t) => {
  const h = policyHarness(shipped());
  try {
    const root = namedRoot('nodejs');
    install('node-win-22.23.2', root);
    const base = await h.scan('nodejs', root);
    t.deepEqual(aboveInfo(base.findings), []);
    t.false(base.findings.some((f) => f.rule === 'UNEXPECTED_SIGNER'));
    install('node-win-22.23.3', root);
    t.deepEqual(aboveInfo((await h.scan('nodejs', root)).findings), []);

    const old = namedRoot('nodejs');
    install('node-win-14.12.0', old);
    await h.scan('nodejs-14', old);
    install('node-win-14.21.3', old);
    const renamed = await h.scan('nodejs-14', old);
    t.deepEqual(aboveInfo(renamed.findings), [], 'the rename is in the policy');
    const change = renamed.findings.find((f) => f.rule === 'SIGNER_CHANGED');
    t.like(change, { severity: 'info', explained: true, policy: { action: 'expected-signer', rule: 'signers[1]' } });
    t.like(change?.evidence.policy, { policy: 'nodejs', from: { severity: 'high', explained: false } });
  } finally {
    await h.close();
  }
});

test('nodejs: the same rename without the policy is still SIGNER_CHANGED high (the policy is what quiets it)', async (t) => {
  const h = policyHarness([]);
  try {
    const root = namedRoot('nodejs');
    install('node-win-14.12.0', root);
    await h.scan('nodejs-14', root);
    install('node-win-14.21.3', root);
    t.deepEqual(aboveInfo((await h.scan('nodejs-14', root)).findings), [['SIGNER_CHANGED', 'high', 'bin/node.exe']]);
  } finally {
    await h.close();
  }
});

test('nodejs: a Microsoft-signed DLL dropped beside node.exe, and node.exe re-signed with a self-made "O=OpenJS Foundation" certificate → UNEXPECTED_SIGNER high', async (t) => {
  const h = policyHarness(shipped());
  try {
    const root = namedRoot('nodejs');
    install('node-win-22.23.2', root);
    await h.scan('nodejs', root);
    put(root, 'bin/conpty.dll', readFileSync(realCorpusPath('conpty'))); // trusted, but Microsoft's
    const dropped = await h.scan('nodejs', root);
    const u = dropped.findings.find((f) => f.rule === 'UNEXPECTED_SIGNER');
    t.like(u, { severity: 'high', path: 'bin/conpty.dll', explained: false });
    t.regex(u?.message ?? '', /signed by Microsoft Corporation ← Microsoft Code Signing PCA 2011 — policy nodejs does not allow it/);

    put(root, 'bin/node.exe', resignedAs(readFileSync(join(realAppPath('node-win-22.23.2'), 'bin', 'node.exe')), 'OpenJS Foundation'));
    const forged = await h.scan('nodejs', root);
    const f = forged.findings.find((x) => x.rule === 'UNEXPECTED_SIGNER' && x.path === 'bin/node.exe');
    t.is(f?.severity, 'high');
    t.regex(f?.message ?? '', /signed without a trusted chain \(untrusted, claiming org:OpenJS Foundation\), so its signer counts as no one/);
    t.is(forged.findings.find((x) => x.rule === 'SIGNER_IMPOSTOR')?.severity, 'critical', 'detection says impostor as before');
  } finally {
    await h.close();
  }
});

test('microsoft-msal-runtime: real releases 0.20.6 → 0.20.7 pass; msalruntime.dll swapped for an unsigned DLL → UNEXPECTED_SIGNER', async (t) => {
  const h = policyHarness(shipped());
  try {
    const root = namedRoot('msal-node-runtime');
    install('msal-0.20.6', root);
    const base = await h.scan('msal', root);
    t.false(base.findings.some((f) => f.rule === 'UNEXPECTED_SIGNER'), JSON.stringify(base.findings.filter((f) => f.rule === 'UNEXPECTED_SIGNER').map((f) => f.message)));
    install('msal-0.20.7', root);
    const update = await h.scan('msal', root);
    t.false(update.findings.some((f) => f.rule === 'UNEXPECTED_SIGNER'));
    t.deepEqual(aboveInfo(update.findings), []);
    put(root, 'dist/windows/x64/msalruntime.dll', readFileSync(realCorpusPath('pty-node')));
    const swapped = await h.scan('msal', root);
    t.like(swapped.findings.find((f) => f.rule === 'UNEXPECTED_SIGNER'), { severity: 'high', path: 'dist/windows/x64/msalruntime.dll' });
  } finally {
    await h.close();
  }
});

// Attack study, session 6: the policy's `unsigned: msal-node-runtime.node` (the unsigned Node addon the vendor ships
// for each platform) explained unsigned trojans of that name dropped into new platform folders with no release — the
// first one exactly where the package's loader looks on linux-arm64.
test('microsoft-msal-runtime: unsigned modules named like the vendor\'s addon dropped in new platform folders while the version stays → NEW_UNSIGNED_MODULE high each, not allowed; the same in a release is allowed', async (t) => {
  const h = policyHarness(shipped());
  try {
    const root = namedRoot('msal-node-runtime');
    install('msal-0.20.6', root);
    await h.scan('msal', root);
    const trojans = ['dist/linux/ubuntu/arm64/msal-node-runtime.node', 'dist/windows/x64/extra/msal-node-runtime.node'];
    put(root, trojans[0] ?? '', readFileSync(join(realAppPath('msal-0.20.7'), 'dist', 'linux', 'ubuntu', 'x64', 'msal-node-runtime.node')));
    put(root, trojans[1] ?? '', readFileSync(realCorpusPath('pty-node')));
    const dropped = await h.scan('msal', root);
    for (const path of trojans) {
      const f = dropped.findings.find((x) => x.rule === 'NEW_UNSIGNED_MODULE' && x.path === path);
      t.like(f, { severity: 'high', explained: false }, path);
      t.is(f?.evidence.out_of_band, true);
    }
    // A release (the version moves) that brings the same new file: the policy's allowance explains it.
    const h2 = policyHarness(shipped());
    try {
      const root2 = namedRoot('msal-node-runtime');
      install('msal-0.20.6', root2);
      await h2.scan('msal', root2);
      install('msal-0.20.7', root2);
      put(root2, trojans[0] ?? '', readFileSync(join(realAppPath('msal-0.20.7'), 'dist', 'linux', 'ubuntu', 'x64', 'msal-node-runtime.node')));
      const update = await h2.scan('msal', root2);
      t.like(update.findings.find((x) => x.path === trojans[0]), { severity: 'info', explained: true });
    } finally {
      await h2.close();
    }
  } finally {
    await h.close();
  }
});

test('microsoft-vc-runtime: the real vcruntime140.dll passes; an unsigned msvcp140.dll appearing → UNEXPECTED_SIGNER and NEW_UNSIGNED_MODULE high', async (t) => {
  const h = policyHarness(shipped());
  try {
    const root = namedRoot('Microsoft.VC140.CRT');
    put(root, 'vcruntime140.dll', readFileSync(realCorpusPath('vcruntime140')));
    t.deepEqual(aboveInfo((await h.scan('vc-crt', root, { appVersion: '14.0.24210' })).findings), []);
    put(root, 'msvcp140.dll', readFileSync(realCorpusPath('pty-node')));
    const r = await h.scan('vc-crt', root, { appVersion: '14.0.24210' });
    t.deepEqual(aboveInfo(r.findings).sort(), [['NEW_UNSIGNED_MODULE', 'high', 'msvcp140.dll'], ['UNEXPECTED_SIGNER', 'high', 'msvcp140.dll']]);
  } finally {
    await h.close();
  }
});

test('electron template: an Electron-shaped app of real files passes; a module of another trusted publisher is UNEXPECTED_SIGNER; d3dcompiler_47.dll with hidden data stays UNAUTHENTICATED_DATA critical although Microsoft may co-sign it', async (t) => {
  const policies = policiesFrom(join(POLICIES_DIR, 'examples', 'electron-app.yaml'));
  const h = policyHarness(policies, [peFixtureTrustDir()]);
  try {
    const root = namedRoot('contoso-desktop');
    const pty = join(realAppPath('node-pty-1.1.0'), 'prebuilds', 'win32-x64');
    put(root, 'contoso.exe', readFileSync(peFixture('vendor-signed.dll')));
    put(root, 'd3dcompiler_47.dll', readFileSync(realCorpusPath('vcruntime140')));
    put(root, 'msalruntime.dll', readFileSync(realCorpusPath('msalruntime')));
    for (const f of ['pty.node', 'conpty.node', 'conpty_console_list.node', 'winpty.dll', 'winpty-agent.exe', 'conpty/conpty.dll', 'conpty/OpenConsole.exe']) {
      put(root, `resources/app.asar.unpacked/node_modules/node-pty/build/Release/${f}`, readFileSync(join(pty, f)));
    }
    put(root, 'Update.exe', readFileSync(realCorpusPath('squirrel')));
    const base = await h.scan('contoso-desktop', root, { appVersion: '1.0.0' });
    t.deepEqual(base.findings.filter((f) => f.rule === 'UNEXPECTED_SIGNER').map((f) => f.path), []);
    t.deepEqual(aboveInfo(base.findings), []);

    put(root, 'signtool.exe', readFileSync(realCorpusPath('signtool-x64'))); // Microsoft-signed, but not a co-signer for this name
    put(root, 'd3dcompiler_47.dll', hidePayloadInCertificateEntry(readFileSync(realCorpusPath('vcruntime140')), Buffer.concat([Buffer.from('feedface', 'hex'), Buffer.alloc(1024, 7)])));
    const r = await h.scan('contoso-desktop', root, { appVersion: '1.0.1' });
    t.like(r.findings.find((f) => f.rule === 'UNEXPECTED_SIGNER'), { severity: 'high', path: 'signtool.exe' });
    t.like(r.findings.find((f) => f.rule === 'UNAUTHENTICATED_DATA'), { severity: 'critical', path: 'd3dcompiler_47.dll', explained: false });
  } finally {
    await h.close();
  }
});
