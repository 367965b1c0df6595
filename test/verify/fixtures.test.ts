// Synthetic fixtures (scripts/fixtures/build-pe-fixtures.sh: mingw-w64 + osslsigncode + a throwaway test PKI),
// each named by its expected outcome, plus negative cases made by editing a good fixture here.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { peFixture, peFixtureTrustDir } from '../helpers/fixtures.ts';
import { codes, context, inspectBuffer, inspectFile } from '../helpers/inspect.ts';
import { appendAfterTable, flipByte, hidePayloadInCertificateEntry, sectionOffset } from '../helpers/pe-mutate.ts';

const ctx = () => context({ extraTrust: [peFixtureTrustDir()] });
const fx = (name: string) => inspectFile(peFixture(name), ctx());

test('good-timestamped.exe: valid, trusted, RFC 3161 from the test TSA; version resource read', (t) => {
  const r = fx('good-timestamped.exe');
  const cs = r.code_signature;
  t.is(cs.status, 'trusted');
  t.is(cs.subject_name, 'Contoso Test Publisher');
  t.is(cs.issuer_name, 'Sealwatch Test Code Signing CA');
  t.is(cs.timestamp, '2026-01-01T00:00:00.000Z');
  t.is(cs.signatures[0]?.program_name, 'sealwatch fixture');
  t.is(cs.signatures[0]?.more_info, 'https://example.invalid/');
  t.deepEqual(cs.problems, []);
  t.is(r.module.version.file, '1.2.3.4');
  t.is(r.pe?.company, 'Contoso Test Ltd');
  t.is(r.pe?.file_version_number, '1.2.3.4');
});

test('good-x86.exe and good.dll: PE32 exe and PE32+ DLL, both trusted', (t) => {
  const x86 = fx('good-x86.exe');
  t.is(x86.module.bits, 32);
  t.deepEqual(x86.module.arch, ['x86']);
  t.is(x86.code_signature.status, 'trusted');
  const dll = fx('good.dll');
  t.is(dll.module.kind, 'dll');
  t.is(dll.code_signature.status, 'trusted');
});

test('without the test root in the trust store the same file is valid but untrusted', (t) => {
  const r = inspectFile(peFixture('good-timestamped.exe'), context());
  t.true(r.code_signature.valid);
  t.is(r.code_signature.status, 'untrusted');
  t.true(codes(r).includes('CHAIN_INCOMPLETE'), 'the blob carries leaf + intermediate; the root is nowhere to be found');
});

test('expired-timestamped.exe: leaf expired 2021, timestamp 2020-06-01 inside its validity → trusted', (t) => {
  const r = fx('expired-timestamped.exe');
  t.is(r.code_signature.status, 'trusted');
  t.is(r.code_signature.timestamp?.slice(0, 10), '2020-06-01');
});

test('expired-no-timestamp.exe: leaf expired 2021 and no timestamp → valid, untrusted, CERT_EXPIRED', (t) => {
  const r = fx('expired-no-timestamp.exe');
  t.true(r.code_signature.valid);
  t.is(r.code_signature.status, 'untrusted');
  t.true(codes(r).includes('CERT_EXPIRED'));
});

test('lifetime-expired-timestamped.exe: lifetime-signing EKU; the timestamp does not rescue the expired leaf', (t) => {
  const r = fx('lifetime-expired-timestamped.exe');
  t.is(r.code_signature.status, 'untrusted');
  t.true(codes(r).includes('LIFETIME_SIGNING_EXPIRED'));
  t.true(r.code_signature.signatures[0]?.timestamp?.trusted, 'the timestamp itself is fine');
});

test('tls-certificate.exe: signed with a serverAuth-only certificate → WRONG_EKU, untrusted', (t) => {
  const r = fx('tls-certificate.exe');
  t.true(codes(r).includes('WRONG_EKU'));
  t.is(r.code_signature.status, 'untrusted');
});

test('rogue-root.exe: a root with the trusted root\'s name but another key → untrusted, named as an impostor', (t) => {
  const r = fx('rogue-root.exe');
  t.true(r.code_signature.valid);
  t.is(r.code_signature.status, 'untrusted');
  const p = r.code_signature.problems.find((x) => x.code === 'UNTRUSTED_ROOT');
  t.regex(p?.message ?? '', /carries the name of the trusted root "Sealwatch Test Root"/);
});

test('nested.exe: SHA-1 primary and nested SHA-256, each verified against the file under its own algorithm', (t) => {
  const cs = fx('nested.exe').code_signature;
  t.deepEqual(cs.signatures.map((s) => [s.index, s.digest_algorithm, s.valid, s.trusted]), [
    ['0', 'sha1', true, true],
    ['0.1', 'sha256', true, true],
  ]);
});

test('page-hashes.exe: page hashes present and verified; one flipped .text byte breaks them and the digest', (t) => {
  const path = peFixture('page-hashes.exe');
  t.is(fx('page-hashes.exe').code_signature.status, 'trusted');
  const bytes = readFileSync(path);
  const r = inspectBuffer('page-hashes-flipped.exe', flipByte(bytes, sectionOffset(bytes, '.text') + 100), ctx());
  t.true(codes(r).includes('PAGE_HASH_MISMATCH'));
  t.true(codes(r).includes('DIGEST_MISMATCH'));
  t.is(r.code_signature.status, 'invalid');
});

test('one byte flipped in a good file → DIGEST_MISMATCH, invalid', (t) => {
  const bytes = readFileSync(peFixture('good-timestamped.exe'));
  const r = inspectBuffer('flipped.exe', flipByte(bytes, sectionOffset(bytes, '.text') + 7), ctx());
  t.is(r.code_signature.status, 'invalid');
  t.true(codes(r).includes('DIGEST_MISMATCH'));
  t.not(r.code_signature.signatures[0]?.signed_digest, r.code_signature.signatures[0]?.computed_digest);
});

test('FE ED FA CE payload inside the certificate table (CVE-2013-3900): signature still valid, hidden data reported', (t) => {
  const good = readFileSync(peFixture('good-timestamped.exe'));
  const payload = Buffer.concat([Buffer.from('feedface', 'hex'), randomBytes(4092)]);
  const tampered = hidePayloadInCertificateEntry(good, payload);
  const before = inspectBuffer('good.exe', good, ctx());
  const r = inspectBuffer('d3dcompiler_47.dll', tampered, ctx());
  t.is(r.code_signature.status, 'trusted', 'as Windows reports it');
  t.true(r.code_signature.valid);
  const p = r.code_signature.problems.find((x) => x.code === 'UNAUTHENTICATED_DATA_IN_CERT_ENTRY');
  t.truthy(p);
  const hidden = Number(/(\d+) bytes after the PKCS#7 signature/.exec(p?.message ?? '')?.[1]);
  t.true(hidden >= 4096 && hidden < 4096 + 8, `${hidden} bytes: the payload plus the signer's own alignment zeros`);
  t.regex(p?.message ?? '', /FE ED FA CE/);
  t.is(r.pe?.authentihash.sha256, before.pe?.authentihash.sha256, 'the authentihash does not see the payload…');
  t.not(r.file.hash.sha256, before.file.hash.sha256, '…the whole-file SHA-256 does');
});

test('overlay appended after the certificate table → CERT_TABLE_NOT_AT_END and DIGEST_MISMATCH (the digest covers bytes after the table), invalid', (t) => {
  const r = inspectBuffer('overlay.exe', appendAfterTable(readFileSync(peFixture('good-timestamped.exe')), Buffer.from('PAYLOAD!'.repeat(64))), ctx());
  t.true(codes(r).includes('CERT_TABLE_NOT_AT_END'));
  t.true(codes(r).includes('DIGEST_MISMATCH'));
  t.is(r.code_signature.status, 'invalid');
});

test('unauthenticated-blob.exe (osslsigncode -addUnauthenticatedBlob): valid, with the unknown unsigned attribute reported', (t) => {
  const r = fx('unauthenticated-blob.exe');
  t.is(r.code_signature.status, 'trusted');
  t.true(codes(r).includes('UNKNOWN_UNSIGNED_ATTRIBUTE'));
});

test('stripped.exe: signature removed → unsigned, same authentihash as the signed file', (t) => {
  const stripped = fx('stripped.exe');
  t.is(stripped.code_signature.status, 'unsigned');
  t.is(stripped.pe?.authentihash.sha256, fx('good-timestamped.exe').pe?.authentihash.sha256);
});

test('unsigned file of odd length: its zero-padded authentihash equals the digest osslsigncode signed', (t) => {
  const unsigned = fx('unsigned-odd-length.exe');
  t.is(unsigned.file.size % 8, 3);
  const signed = fx('signed-from-odd-length.exe');
  t.is(unsigned.pe?.authentihash.sha256, signed.code_signature.signatures[0]?.signed_digest);
});

test('good-arm64.dll (clang + lld-link) and good.efi: ARM64 DLL and x64 EFI application, both trusted', (t) => {
  const arm = fx('good-arm64.dll');
  t.deepEqual(arm.module.arch, ['arm64']);
  t.is(arm.module.kind, 'dll');
  t.is(arm.code_signature.status, 'trusted');
  const efi = fx('good.efi');
  t.is(efi.module.kind, 'efi');
  t.is(efi.code_signature.status, 'trusted');
});

test('ARM64EC machine type (0xA641) is named; the signature still verifies over the patched header only if re-signed', (t) => {
  // LLVM 14 cannot build ARM64EC, so the machine field of the ARM64 DLL is patched: the parser must name it, and the
  // signature must now fail (the machine field is covered by the image digest).
  const bytes = Buffer.from(readFileSync(peFixture('good-arm64.dll')));
  const lfanew = bytes.readUInt32LE(0x3c);
  bytes.writeUInt16LE(0xa641, lfanew + 4);
  const r = inspectBuffer('arm64ec.dll', bytes, ctx());
  t.deepEqual(r.module.arch, ['arm64ec']);
  t.true(codes(r).includes('DIGEST_MISMATCH'));
});
