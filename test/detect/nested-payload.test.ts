// A payload carried in a nested signature added to a genuine signed DLL (osslsigncode sign -nest, a self-made
// certificate, the payload as the nested signer's program name): the outer Microsoft signature stays valid and
// trusted, and nothing in the nested signature is covered by it — the 3CX d3dcompiler_47.dll case by another route.
// Before NESTED_SIGNATURE_UNVOUCHED this raised nothing at baseline and SIGNER_CHANGED info inside an update.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspectFile } from '../helpers/inspect.ts';
import { put } from '../../scripts/lib/three-cx.ts';
import { realAppPath, realCorpusPath } from '../helpers/real-corpus.ts';
import { appDir, harness } from '../helpers/scan.ts';
import { tempDir } from '../helpers/temp.ts';

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
