// A payload carried in a nested signature added to a genuine signed DLL (osslsigncode sign -nest, a self-made
// certificate, the payload as the nested signer's program name): the outer Microsoft signature stays valid and
// trusted, and nothing in the nested signature is covered by it — the 3CX d3dcompiler_47.dll case by another route.
// Before NESTED_SIGNATURE_UNVOUCHED this raised nothing at baseline and SIGNER_CHANGED info inside an update.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { context, inspectFile } from '../helpers/inspect.ts';
import { appendCertificateEntry, withoutCertificateTable } from '../../scripts/lib/pe-mutate.ts';
import { put } from '../../scripts/lib/three-cx.ts';
import { realAppPath, realCorpusPath } from '../helpers/real-corpus.ts';
import { appDir, harness } from '../helpers/scan.ts';
import { tempDir } from '../helpers/temp.ts';
import { policiesFrom, policyFile, policyHarness } from '../policy/helpers.ts';
import { type Policy } from '../../daemon/policy/types.ts';

const run = (cmd: string, args: string[], cwd: string): void => {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd });
};

/** `dll` with a nested SHA-256 signature by a self-made certificate whose program name is an 80 KB payload. */
function withNestedPayload(dll: Buffer): string {
  const dir = tempDir('sealwatch-nest-');
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '3650', '-subj', '/O=Evil Corp/CN=Evil', '-addext', 'extendedKeyUsage=codeSigning'], dir);
  writeFileSync(join(dir, 'in.dll'), dll);
  run('osslsigncode', ['sign', '-nest', '-certs', 'c.pem', '-key', 'k.pem', '-h', 'sha256', '-n', randomBytes(60_000).toString('base64'), '-in', 'in.dll', '-out', 'out.dll'], dir);
  return join(dir, 'out.dll');
}

/** A self-made code-signing certificate (c.pem, k.pem in `dir`) whose private extension carries `payload` bytes. */
function selfMadeSigner(dir: string, payload: number): void {
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '3650', '-subj', '/CN=Wrapper', '-addext', 'extendedKeyUsage=codeSigning', '-addext', `1.2.3.4.5=DER:${'41'.repeat(payload)}`], dir);
}

test('inspect: a genuine signature wrapped in a self-made first signature (osslsigncode attach-signature -nest) is hidden data: Windows judges the file by its first signature', (t) => {
  const dir = tempDir('sealwatch-wrap-');
  writeFileSync(join(dir, 'genuine.dll'), readFileSync(realCorpusPath('conpty')));
  run('osslsigncode', ['extract-signature', '-in', 'genuine.dll', '-out', 'genuine.p7'], dir);
  run('osslsigncode', ['remove-signature', '-in', 'genuine.dll', '-out', 'bare.dll'], dir);
  const wrapped = (payload: number, out: string): string => {
    selfMadeSigner(dir, payload);
    run('osslsigncode', ['sign', '-certs', 'c.pem', '-key', 'k.pem', '-h', 'sha256', '-in', 'bare.dll', '-out', `own-${out}`], dir);
    // It writes the file, then exits 1: its own check of the result cannot chain the self-made first signature.
    spawnSync('osslsigncode', ['attach-signature', '-nest', '-sigin', 'genuine.p7', '-in', `own-${out}`, '-out', out], { cwd: dir, stdio: 'ignore' });
    return join(dir, out);
  };
  const big = inspectFile(wrapped(40_000, 'big.dll'));
  t.true(big.code_signature.signatures.some((s) => s.index === '0.1' && s.trusted), 'the genuine signature is nested, and trusted');
  const p = big.code_signature.problems.find((x) => x.code === 'SIGNATURE_UNVOUCHED_DATA');
  t.is(p?.signature, '0');
  t.regex(p?.message ?? '', /signature 0 \(4\d{4} bytes of its own\) is by "CN=Wrapper", whom no trusted chain proves, wrapped around trusted nested signature 0\.1/);
  // An intact wrapper as small as a genuine legacy SHA-1 signature (its root no longer trusted) is tolerated room.
  const small = inspectFile(wrapped(1, 'small.dll'));
  t.false(small.code_signature.problems.some((x) => x.code === 'SIGNATURE_UNVOUCHED_DATA'));
  t.false(inspectFile(join(dir, 'genuine.dll')).code_signature.problems.some((x) => x.code === 'SIGNATURE_UNVOUCHED_DATA'));
});

test('inspect: UEFI — an entry by a self-made certificate beside the trusted one (firmware skips it) is hidden data past the bound; the genuine shim\'s entry for a CA our db lacks is not', (t) => {
  const dir = tempDir('sealwatch-efi-entry-');
  const shim = readFileSync(realCorpusPath('shim'));
  writeFileSync(join(dir, 'bare.efi'), withoutCertificateTable(shim));
  const entry = (payload: number): Buffer => {
    selfMadeSigner(dir, payload);
    run('osslsigncode', ['sign', '-certs', 'c.pem', '-key', 'k.pem', '-h', 'sha256', '-in', 'bare.efi', '-out', `own-${payload}.efi`], dir);
    run('osslsigncode', ['extract-signature', '-in', `own-${payload}.efi`, '-out', `own-${payload}.p7`], dir);
    return readFileSync(join(dir, `own-${payload}.p7`));
  };
  const codes = (bytes: Buffer): string[] => {
    writeFileSync(join(dir, 'x.efi'), bytes);
    const r = inspectFile(join(dir, 'x.efi'));
    t.is(r.code_signature.status, 'trusted');
    return r.code_signature.problems.map((p) => p.code);
  };
  t.false(codes(shim).includes('SIGNATURE_UNVOUCHED_DATA'), 'genuine shim: its second entry (UEFI CA 2023) is untrusted here, and small');
  const small = entry(1);
  t.false(codes(appendCertificateEntry(appendCertificateEntry(shim, small), small)).includes('SIGNATURE_UNVOUCHED_DATA'), 'two more small entries (as for CAs the db lacks) are within the tolerated room');
  t.true(codes(appendCertificateEntry(shim, entry(60_000))).includes('SIGNATURE_UNVOUCHED_DATA'));
});

const MSAL_0207 = 'msal-0.20.7';
const msalDll = (release: string): Buffer => readFileSync(join(realAppPath(release), 'dist', 'windows', 'x64', 'msalruntime.dll'));

test('inspect: a nested signature by a self-made certificate is reported as hidden data; the outer Microsoft signature stays trusted', (t) => {
  const path = withNestedPayload(readFileSync(realCorpusPath('conpty')));
  const r = inspectFile(path);
  t.is(r.code_signature.status, 'trusted');
  const p = r.code_signature.problems.find((x) => x.code === 'NESTED_SIGNATURE_UNVOUCHED');
  t.is(p?.signature, '0');
  t.regex(p?.message ?? '', /nested signature 0\.1 \(\d{5,} bytes\) is by "Evil Corp", whom no trusted chain proves/);
});

/** A root (in its own trust directory) and a code-signing leaf under it: another publisher's real, trusted certificate. */
function otherPublisher(dir: string): { trust: string; chain: string; key: string } {
  writeFileSync(join(dir, 'ext.cnf'), '[leaf]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n');
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'trust/root.pem', '-days', '7300', '-subj', '/O=Some Root CA/CN=Some Root', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/O=Leaked Vendor Inc/CN=Leaked Vendor Inc'], dir);
  run('openssl', ['x509', '-req', '-in', 'leaf.csr', '-CA', 'trust/root.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '365', '-extfile', 'ext.cnf', '-extensions', 'leaf', '-out', 'leaf.pem'], dir);
  writeFileSync(join(dir, 'chain.pem'), Buffer.concat([readFileSync(join(dir, 'leaf.pem')), readFileSync(join(dir, 'trust', 'root.pem'))]));
  return { trust: join(dir, 'trust'), chain: join(dir, 'chain.pem'), key: join(dir, 'leaf.key') };
}

test('inspect: a nested signature by another publisher\'s expired (leaked) certificate is hidden data; while that certificate is valid, a small one is not, an oversized one is', (t) => {
  const dir = tempDir('sealwatch-nest-other-');
  mkdirSync(join(dir, 'trust'));
  const other = otherPublisher(dir);
  writeFileSync(join(dir, 'in.dll'), readFileSync(realCorpusPath('conpty')));
  const nest = (out: string, programName: string): string => {
    run('osslsigncode', ['sign', '-nest', '-certs', other.chain, '-key', other.key, '-h', 'sha256', '-n', programName, '-in', 'in.dll', '-out', out], dir);
    return join(dir, out);
  };
  const small = nest('small.dll', 'Helper');
  const large = nest('large.dll', randomBytes(60_000).toString('base64'));
  const unvouched = (path: string, now: Date): string | undefined =>
    inspectFile(path, context({ extraTrust: [other.trust], now })).code_signature.problems.find((p) => p.code === 'NESTED_SIGNATURE_UNVOUCHED')?.message;
  const later = new Date(Date.now() + 3 * 365 * 86_400_000); // the leaf has expired; Microsoft's signature stands by its timestamp
  t.is(unvouched(small, new Date()), undefined, 'a genuine co-signature of another trusted publisher');
  t.regex(unvouched(small, later) ?? '', /is by "Leaked Vendor Inc", whom no trusted chain proves now \(another publisher's certificate, expired or out of purpose\)/);
  t.regex(unvouched(large, new Date()) ?? '', /is by another publisher, "Leaked Vendor Inc", and larger than any signature needs/);
});

test('inspect: genuine dual signatures by two trusted publishers (Inno Setup 6.0.5) and the fixtures\' SHA-1 + nested SHA-256 are not reported', (t) => {
  const inno = inspectFile(join(realAppPath('innosetup-6.0.5'), 'bin', 'isbzip.dll'));
  t.is(inno.code_signature.signatures.length, 2);
  t.false(inno.code_signature.problems.some((x) => x.code === 'NESTED_SIGNATURE_UNVOUCHED'));
  for (const bits of ['32', '64']) {
    const pegoat = inspectFile(join(import.meta.dirname, '..', 'corpus', 'pe', `uthenticode-${bits}-pegoat-authenticode-nested.exe`));
    t.false(pegoat.code_signature.problems.some((x) => x.code === 'NESTED_SIGNATURE_UNVOUCHED'), bits);
  }
});

test('scan: the payload-carrying DLL at baseline, as a new module and as a changed module inside an update → UNAUTHENTICATED_DATA critical each time', async (t) => {
  const h = harness();
  try {
    const nested = readFileSync(withNestedPayload(msalDll(MSAL_0207)));
    // Baseline: already there.
    const first = appDir();
    put(first, 'msalruntime.dll', nested);
    const base = await h.scan('first', first, { appVersion: '1.0.0' });
    t.is(base.findings.find((f) => f.rule === 'UNAUTHENTICATED_DATA')?.severity, 'critical');
    // An update: the genuine DLL replaced by the nested one, and the same bytes as a new module.
    const root = appDir();
    put(root, 'msalruntime.dll', msalDll('msal-0.20.6'));
    await h.scan('app', root, { appVersion: '1.0.0' });
    put(root, 'msalruntime.dll', nested);
    put(root, 'extra/msalruntime.dll', nested);
    const r = await h.scan('app', root, { appVersion: '1.1.0' });
    const hidden = r.findings.filter((f) => f.rule === 'UNAUTHENTICATED_DATA').map((f) => [f.path, f.severity]);
    t.deepEqual(hidden.sort(), [['extra/msalruntime.dll', 'critical'], ['msalruntime.dll', 'critical']]);
  } finally {
    await h.close();
  }
});

test('scan: a trusted signature of another organisation nested into a vendor module in an update is a new signer — SIGNER_CHANGED high (co-signer-added); a policy explains it only when it allows that co-signer', async (t) => {
  const dir = tempDir('sealwatch-cosigner-');
  mkdirSync(join(dir, 'trust'));
  const other = otherPublisher(dir);
  writeFileSync(join(dir, 'in.dll'), readFileSync(realCorpusPath('conpty')));
  run('osslsigncode', ['sign', '-nest', '-certs', other.chain, '-key', other.key, '-h', 'sha256', '-n', 'Helper', '-in', 'in.dll', '-out', 'out.dll'], dir);
  const cosigned = readFileSync(join(dir, 'out.dll'));
  const h = harness([other.trust], new Date()); // the co-signer's certificate is made now
  try {
    const root = appDir();
    put(root, 'conpty.dll', readFileSync(realCorpusPath('conpty')));
    await h.scan('cosigned', root, { appVersion: '1.0.0' });
    put(root, 'conpty.dll', cosigned);
    const r = await h.scan('cosigned', root, { appVersion: '1.0.1' });
    const f = r.findings.find((x) => x.rule === 'SIGNER_CHANGED' && x.path === 'conpty.dll');
    t.is(f?.severity, 'high', JSON.stringify(r.findings.map((x) => [x.rule, x.severity, x.path])));
    t.deepEqual(f?.evidence.co_signers_added, ['org:Leaked Vendor Inc']);
    t.regex(f?.message ?? '', /org:Leaked Vendor Inc now signs it too, beside org:Microsoft Corporation \(a nested signature/);
    t.false(r.findings.some((x) => x.rule === 'UNAUTHENTICATED_DATA'), 'small and trusted: not hidden data, a new signer');
  } finally {
    await h.close();
  }
  // Under a policy expecting Microsoft (both "signers" of a plain SIGNER_CHANGED allowed), it stays unexplained; a
  // policy that allows the co-signer for this module explains it.
  const policy = (extra: string): Policy[] =>
    policiesFrom(policyFile(`name: cosign-test\nmatch:\n  apps: [cosigned]\nsigners:\n  - organization: Microsoft Corporation\n${extra}`));
  const judged = async (policies: Policy[]): Promise<{ severity: string; explained: boolean } | undefined> => {
    const p = policyHarness(policies, [other.trust], new Date());
    try {
      const root = appDir();
      put(root, 'conpty.dll', readFileSync(realCorpusPath('conpty')));
      await p.scan('cosigned', root, { appVersion: '1.0.0' });
      put(root, 'conpty.dll', cosigned);
      const f = (await p.scan('cosigned', root, { appVersion: '1.0.1' })).findings.find((x) => x.rule === 'SIGNER_CHANGED');
      return f && { severity: f.severity, explained: f.explained };
    } finally {
      await p.close();
    }
  };
  t.like(await judged(policy('')), { severity: 'high', explained: false }, 'expecting the vendor does not allow its co-signers');
  t.like(await judged(policy('co_signers:\n  - modules: [conpty.dll]\n    signers:\n      - organization: Leaked Vendor Inc\n')), { severity: 'info', explained: true });
});
