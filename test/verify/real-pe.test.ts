// The PE rows of test/corpus/REAL.md: real vendor binaries fetched by name and pinned by SHA-256.
import test from 'ava';
import { codes, inspectFile } from '../helpers/inspect.ts';
import { pinnedBuild, realCorpusEntries, realCorpusPath } from '../helpers/real-corpus.ts';

interface Expected {
  id: string;
  bits: 32 | 64;
  arch: string;
  kind: string;
  dotnet?: boolean;
  status: 'trusted' | 'untrusted' | 'unsigned';
  subject?: string;
  issuer?: string;
  digest?: string;
  timestamp?: { kind: 'rfc3161' | 'legacy'; date: string };
  signatures?: number;
  rootSubject?: RegExp;
}

const rows: Expected[] = [
  { id: 'signtool-x64', bits: 64, arch: 'x86_64', kind: 'exe', status: 'trusted', subject: 'Microsoft Corporation', issuer: 'Microsoft Windows Code Signing PCA 2024', digest: 'sha256', timestamp: { kind: 'rfc3161', date: '2026-08-12' } },
  { id: 'signtool-x86', bits: 32, arch: 'x86', kind: 'exe', status: 'trusted', subject: 'Microsoft Corporation', issuer: 'Microsoft Code Signing PCA', digest: 'sha1', timestamp: { kind: 'legacy', date: '2010-03-19' } },
  { id: 'squirrel', bits: 32, arch: 'x86', kind: 'exe', dotnet: true, status: 'unsigned' },
  { id: 'vcruntime140', bits: 64, arch: 'x86_64', kind: 'dll', status: 'trusted', subject: 'Microsoft Corporation', digest: 'sha1', timestamp: { kind: 'legacy', date: '2016-06-10' }, signatures: 2 },
  { id: 'conpty', bits: 64, arch: 'x86_64', kind: 'dll', status: 'trusted', subject: 'Microsoft Corporation', issuer: 'Microsoft Code Signing PCA 2011', digest: 'sha256', timestamp: { kind: 'rfc3161', date: '2025-10-09' } },
  { id: 'pty-node', bits: 64, arch: 'x86_64', kind: 'dll', status: 'unsigned' },
  { id: 'msalruntime', bits: 64, arch: 'x86_64', kind: 'dll', status: 'trusted', subject: 'Microsoft Corporation', issuer: 'Microsoft Code Signing PCA 2024', digest: 'sha256', timestamp: { kind: 'rfc3161', date: '2026-10-23' } },
  { id: 'snoretoast', bits: 64, arch: 'x86_64', kind: 'exe', status: 'trusted', subject: 'K Desktop Environment e.V.', issuer: 'DigiCert SHA2 Assured ID Code Signing CA', digest: 'sha256', timestamp: { kind: 'rfc3161', date: '2019-09-09' } },
  { id: 'clipboard', bits: 64, arch: 'x86_64', kind: 'exe', status: 'unsigned' },
  { id: 'node-win', bits: 64, arch: 'x86_64', kind: 'exe', status: 'trusted', subject: 'OpenJS Foundation', issuer: 'Microsoft ID Verified CS AOC CA 03', digest: 'sha256', timestamp: { kind: 'rfc3161', date: '2026-07-28' }, rootSubject: /Microsoft Identity Verification Root Certificate Authority 2020/ },
];

for (const row of rows) {
  test(`REAL ${row.id}: ${row.status}${row.subject ? ` by ${row.subject}` : ''}`, (t) => {
    const entry = realCorpusEntries().find((e) => e.id === row.id);
    const r = inspectFile(realCorpusPath(row.id));
    t.is(r.file.hash.sha256, entry?.sha256 ?? '(no pin)', 'pinned file');
    t.is(r.module.format, 'pe');
    t.is(r.module.bits, row.bits);
    t.deepEqual(r.module.arch, [row.arch]);
    t.is(r.module.kind, row.kind);
    if (row.dotnet !== undefined) t.is(r.pe?.dotnet, row.dotnet);
    const cs = r.code_signature;
    t.is(cs.status, row.status, JSON.stringify(cs.problems));
    if (row.status === 'unsigned') {
      t.false(cs.exists);
      t.is(cs.signatures.length, 0);
      return;
    }
    const primary = cs.signatures[0];
    t.is(primary?.subject_name, row.subject);
    if (row.issuer !== undefined) t.is(primary?.issuer_name, row.issuer);
    t.is(primary?.digest_algorithm, row.digest);
    t.is(primary?.timestamp?.kind, row.timestamp?.kind);
    t.is(primary?.timestamp?.time?.slice(0, 10), row.timestamp?.date);
    t.true(primary?.timestamp?.trusted);
    if (row.signatures) t.is(cs.signatures.length, row.signatures);
    if (row.rootSubject) t.regex(primary?.chain.at(-1)?.subject_name ?? '', row.rootSubject);
    t.false(codes(r).some((c) => c === 'DIGEST_MISMATCH' || c === 'UNAUTHENTICATED_DATA_IN_CERT_ENTRY'));
  });
}

test('REAL vcruntime140.dll: sha1 primary (legacy countersignature) + nested sha256 (RFC 3161), both Microsoft, 2016-06-10', (t) => {
  const cs = inspectFile(realCorpusPath('vcruntime140')).code_signature;
  t.deepEqual(
    cs.signatures.map((s) => [s.index, s.digest_algorithm, s.timestamp?.kind, s.timestamp?.time?.slice(0, 10), s.subject_name, s.trusted]),
    [
      ['0', 'sha1', 'legacy', '2016-06-10', 'Microsoft Corporation', true],
      ['0.1', 'sha256', 'rfc3161', '2016-06-10', 'Microsoft Corporation', true],
    ],
  );
});

test('REAL shimx64.efi.signed: EFI image with TWO WIN_CERTIFICATE entries, both read (UEFI CA 2011 + 2023)', (t) => {
  const r = inspectFile(realCorpusPath('shim'));
  t.is(r.module.kind, 'efi');
  t.deepEqual(r.module.arch, ['x86_64']);
  const cs = r.code_signature;
  t.true(cs.valid);
  t.false(codes(r).includes('CERT_TABLE_EXTRA_ENTRY'), 'several entries are normal for UEFI images');
  if (!pinnedBuild(t, 'shim')) return; // which CAs signed it is a fact of this build
  t.deepEqual(
    cs.signatures.map((s) => [s.index, s.subject_name, s.issuer_name, s.valid]),
    [
      ['0', 'Microsoft Windows UEFI Driver Publisher', 'Microsoft Corporation UEFI CA 2011', true],
      ['1', 'Microsoft UEFI CA 2023 signer', 'Microsoft UEFI CA 2023', true],
    ],
  );
  // Firmware trusts the db certificates directly (UEFI trust profile, config/trust/uefi): the 2011 CA is one of them.
  t.true(cs.trusted);
  t.deepEqual(cs.signatures.map((s) => s.trusted), [true, false]);
});

test('REAL node-pty: unsigned pty.node ships beside the Microsoft-signed conpty.dll', (t) => {
  t.is(inspectFile(realCorpusPath('pty-node')).code_signature.status, 'unsigned');
  t.is(inspectFile(realCorpusPath('conpty')).code_signature.status, 'trusted');
});

test('a certificate table whose last entry ends exactly at the directory end, only its alignment padding left out, has no room in it: no size mismatch, no hidden data', async (t) => {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tempDir } = await import('../helpers/temp.ts');
  const { parsePeHeaders } = await import('../../daemon/formats/pe/headers.ts');
  const bytes = Buffer.from(readFileSync(realCorpusPath('conpty')));
  const dd = parsePeHeaders(bytes).certDirectoryOffset as number;
  const offset = bytes.readUInt32LE(dd);
  // The PKCS#7 DER: SEQUENCE with a long-form length (30 82 hi lo).
  const der = 4 + bytes.readUInt16BE(offset + 8 + 2);
  t.not((8 + der) % 8, 0, 'the fixture needs a DER length that is not a multiple of 8');
  const out = Buffer.from(bytes.subarray(0, offset + 8 + der));
  out.writeUInt32LE(8 + der, offset);
  out.writeUInt32LE(8 + der, dd + 4);
  const file = join(tempDir('sealwatch-unpadded-'), 'conpty.dll');
  writeFileSync(file, out);
  const r = inspectFile(file);
  t.is(r.code_signature.status, 'trusted');
  t.false(codes(r).includes('CERT_TABLE_SIZE_MISMATCH'), codes(r).join(', '));
});
