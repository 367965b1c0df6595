// The UEFI trust profile (config/trust/uefi/): the Secure Boot db certificates Debian's `ovmf` ships in
// OVMF_VARS.ms.fd, anchors for EFI images only, judged as firmware judges them (no EKU, no validity periods).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_TRUST_DIR, loadTrustStore } from '../../daemon/config/trust.ts';
import { EFI_GUID, parseSignatureLists, parseVariableStore } from '../../daemon/formats/efi/variables.ts';
import { parsePe } from '../../daemon/formats/pe/index.ts';
import { verifyPeSignatures } from '../../daemon/verify/authenticode/pe.ts';
import { efiAnchors, windowsAnchors } from '../../daemon/verify/chain/trust-store.ts';
import { codes, context, inspectFile, TEST_NOW } from '../helpers/inspect.ts';
import { pinnedBuild, realCorpusPath, sharedCorpus } from '../helpers/real-corpus.ts';
import { tempDir } from '../helpers/temp.ts';

const root = resolve(import.meta.dirname, '..', '..');
const uefiDir = join(DEFAULT_TRUST_DIR, 'uefi');

test('config/trust/uefi is exactly the db of Debian ovmf OVMF_VARS.ms.fd, and config/trust/README.md pins each fingerprint', (t) => {
  const vars = realCorpusPath('ovmf-vars');
  const out = tempDir('sealwatch-uefi-db-');
  try {
    execFileSync(process.execPath, [join(root, 'scripts', 'extract-uefi-db.ts'), vars, out], { encoding: 'utf8' });
    const shipped = readdirSync(uefiDir).filter((f) => f.endsWith('.der')).sort();
    // Another ovmf build (the pinned one gone) may add certificates to db (the 2023 CAs); it still holds these.
    if (pinnedBuild(t, 'ovmf-vars')) t.deepEqual(readdirSync(out).sort(), shipped);
    const readme = readFileSync(join(DEFAULT_TRUST_DIR, 'README.md'), 'utf8');
    for (const f of shipped) {
      const bytes = readFileSync(join(uefiDir, f));
      t.deepEqual(readFileSync(join(out, f)), bytes, f);
      t.true(readme.includes(createHash('sha256').update(bytes).digest('hex').toUpperCase()), `${f}: fingerprint in README`);
    }
    t.true(shipped.includes('Microsoft-Corporation-UEFI-CA-2011.der'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('OVMF_VARS.ms.fd: the variable store parser finds PK, KEK, db and dbx; db holds X.509 signature lists only', (t) => {
  const vars = parseVariableStore(readFileSync(realCorpusPath('ovmf-vars'))).filter((v) => v.live);
  t.deepEqual(
    ['PK', 'KEK', 'db', 'dbx'].map((n) => vars.filter((v) => v.name === n).length),
    [1, 1, 1, 1],
  );
  const db = vars.find((v) => v.name === 'db' && v.vendorGuid === EFI_GUID.imageSecurityDatabase);
  t.truthy(db);
  const sigs = parseSignatureLists(db?.data ?? new Uint8Array());
  t.true(sigs.length >= 2);
  t.true(sigs.every((s) => s.type === EFI_GUID.certX509));
  // A truncated list is a typed error, not a read past the end.
  t.throws(() => parseSignatureLists((db?.data ?? new Uint8Array()).subarray(0, 40)), { message: /runs past the end/ });
  t.throws(() => parseVariableStore(new Uint8Array(64)), { message: /_FVH/ });
});

test('REAL shimx64.efi.signed: trusted through the UEFI db (Microsoft Corporation UEFI CA 2011 is the anchor, as in firmware)', (t) => {
  const r = inspectFile(realCorpusPath('shim'));
  t.true(r.code_signature.valid, JSON.stringify(r.code_signature.problems));
  if (!pinnedBuild(t, 'shim')) return; // a later shim may be signed by the 2023 CA only, which this db lacks
  t.is(r.code_signature.status, 'trusted', JSON.stringify(r.code_signature.problems));
  const [s2011, s2023] = r.code_signature.signatures;
  t.true(s2011?.trusted);
  t.is(s2011?.chain.at(-1)?.subject_name, 'CN=Microsoft Corporation UEFI CA 2011, O=Microsoft Corporation, L=Redmond, ST=Washington, C=US');
  // The UEFI CA 2011 expired 2026-06-27, before the test's reference time: firmware does not check validity periods.
  t.true(new Date(readCertNotAfter(s2011?.chain.at(-1)?.not_after)) < TEST_NOW);
  t.false(codes(r).includes('CERT_EXPIRED'));
  // bookworm's OVMF db predates the 2023 UEFI CA: that second signature stays valid but untrusted.
  t.true(s2023?.valid);
  t.false(s2023?.trusted);
});

test('REAL grubx64.efi.signed and fwupdx64.efi.signed (Debian Secure Boot CA, not in db): valid, untrusted', (t) => {
  for (const id of ['grub-x64', 'fwupd-x64', 'fwupd-aa64']) {
    const r = inspectFile(realCorpusPath(id));
    t.is(r.module.kind, 'efi');
    t.is(r.code_signature.status, 'untrusted', id);
    t.true(r.code_signature.valid, id);
    t.true(codes(r).includes('CHAIN_INCOMPLETE'), id);
  }
});

test('REAL fwupdx64.efi.signed: SpcIndirectData type 1.3.6.1.4.1.311.2.1.21 (Debian signer) is a warning, never invalid', (t) => {
  const r = inspectFile(realCorpusPath('fwupd-x64'));
  t.not(r.code_signature.status, 'invalid');
  if (!pinnedBuild(t, 'fwupd-x64')) return; // the indirect data type is how this build was signed
  const p = r.code_signature.problems.find((x) => x.code === 'UNEXPECTED_INDIRECT_DATA_TYPE');
  t.is(p?.severity, 'warning');
  t.regex(p?.message ?? '', /1\.3\.6\.1\.4\.1\.311\.2\.1\.21/);
});

test('signify-DXCore.dll (Microsoft Windows, under Windows Production PCA 2011, which is a db certificate): a DLL is never anchored by the db', (t) => {
  const path = join(sharedCorpus, 'pe', 'signify-DXCore.dll');
  // With the shipped trust: trusted through the Trusted Root Program, ending at the Microsoft root, not at the db PCA.
  const r = inspectFile(path);
  t.is(r.code_signature.status, 'trusted');
  t.regex(r.code_signature.signatures[0]?.chain.at(-1)?.subject_name ?? '', /Microsoft Root Certificate Authority 2010/);
  // With only the UEFI db as trust: untrusted, although the db holds its issuing CA…
  const uefiOnly = loadTrustStore([uefiDir]);
  t.true([...uefiOnly.anchors()].every((a) => a.source === 'uefi' && a.policy.firmware === true));
  t.is(inspectFile(path, { ...context(), store: uefiOnly }).code_signature.status, 'untrusted');
  // …because the anchor rule for non-EFI images excludes it: the same signature under the EFI rule would be anchored.
  const bytes = readFileSync(path);
  const pe = parsePe(bytes);
  const as = (acceptAnchor: typeof efiAnchors): boolean | undefined =>
    verifyPeSignatures(bytes, pe, { store: uefiOnly, now: TEST_NOW, acceptAnchor }).signatures[0]?.trusted;
  t.false(as(windowsAnchors));
  t.true(as(efiAnchors));
});

function readCertNotAfter(v: string | undefined): string {
  return v ?? '9999-12-31';
}
