// The catalog rows of test/corpus/README.md, plus catalog-signed lookups and a tampered catalog.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalogs } from '../../daemon/inventory/catalogs.ts';
import { CatalogIndex, parseCatalog } from '../../daemon/verify/catalog/catalog.ts';
import { codes, context, inspectBuffer, inspectFile } from '../helpers/inspect.ts';
import { sharedCorpus } from '../helpers/real-corpus.ts';

const cat = (name: string): string => join(sharedCorpus, 'catalog', name);
const V2 = 'signify-115fe8649854ad531fb7ecd1318fbee6b33c9cbd78f02ed582092a96d5eb5899.cat';

test('v2 catalog: SHA-256 member tags are raw 32-byte authentihashes; signed by Microsoft Windows, trusted', (t) => {
  const c = parseCatalog(readFileSync(cat(V2)), V2, context());
  t.is(c.members.length, 20);
  t.true(c.members.some((m) => m.tag.length === 64 && m.digest === m.tag && m.kind === 'pe'));
  t.true(c.signature.valid);
  t.true(c.signature.trusted);
  t.is(c.signature.signer?.subjectFields.commonName, 'Microsoft Windows');
});

test('signify-DXCore.dll is found in the v2 catalog by its SHA-256 authentihash; both signatures are reported', async (t) => {
  const ctx = context();
  const catalogs = await loadCatalogs([join(sharedCorpus, 'catalog')], ctx);
  t.is(catalogs.catalogs.length, 3, 'three .cat files load (the .p7x is not a catalog)');
  const r = inspectFile(join(sharedCorpus, 'pe', 'signify-DXCore.dll'), { ...ctx, catalogs });
  t.is(r.code_signature.source, 'both');
  const catSig = r.code_signature.signatures.find((s) => s.kind === 'catalog');
  t.is(catSig?.catalog?.matched_by, 'authentihash_sha256');
  t.is(catSig?.catalog?.member, r.pe?.authentihash.sha256);
  t.true(catSig?.trusted);
  t.is(r.code_signature.status, 'trusted');
});

test('a catalog-signed file without an embedded signature is "catalog", not "unsigned"', async (t) => {
  const ctx = context();
  const catalogs = await loadCatalogs([join(sharedCorpus, 'catalog')], ctx);
  // Strip DXCore's embedded signature: clear the certificate-table directory entry and cut the table off.
  const bytes = Buffer.from(readFileSync(join(sharedCorpus, 'pe', 'signify-DXCore.dll')));
  const signedRecord = inspectBuffer('DXCore.dll', bytes, ctx);
  const peOff = bytes.readUInt32LE(0x3c);
  const dd = peOff + 24 + 144;
  const start = bytes.readUInt32LE(dd);
  bytes.writeUInt32LE(0, dd);
  bytes.writeUInt32LE(0, dd + 4);
  const stripped = bytes.subarray(0, start);
  const r = inspectBuffer('DXCore-stripped.dll', stripped, { ...ctx, catalogs });
  t.is(r.pe?.authentihash.sha256, signedRecord.pe?.authentihash.sha256, 'the authentihash ignores the signature');
  t.is(r.code_signature.source, 'catalog');
  t.is(r.code_signature.status, 'trusted');
  t.true(r.code_signature.exists);
});

test('signify-catfiletest.cat: zero SignerInfos = unsigned catalog; tag is uppercase hex in UTF-16LE', (t) => {
  const c = parseCatalog(readFileSync(cat('signify-catfiletest.cat')), 'catfiletest', context());
  t.false(c.signature.valid);
  t.true(c.signature.problems.some((p) => p.code === 'CATALOG_UNSIGNED'));
  t.is(c.members.length, 1);
  t.regex(c.members[0]?.tag ?? '', /^[0-9a-f]{40}$/);
  t.is(c.members[0]?.tag, c.members[0]?.digest, 'the UTF-16 hex tag decodes to the member digest');
  const r = inspectFile(cat('signify-catfiletest.cat'));
  t.is(r.module.format, 'catalog');
  t.is(r.code_signature.status, 'unsigned');
});

test('signify-oem89.cat: the shipped file verifies (signify agrees); altering its messageDigest makes it invalid', (t) => {
  // The corpus README calls this file "messageDigest altered"; its messageDigest equals SHA-256 of the CTL content
  // octets (3aa30812…, checked by hand with openssl asn1parse) and signify's own test lists it as valid. The altered
  // case is made here instead, by changing one byte of the messageDigest attribute.
  const bytes = readFileSync(cat('signify-oem89.cat'));
  const ok = parseCatalog(bytes, 'oem89', context());
  t.true(ok.signature.valid);
  t.is(ok.signature.signer?.subjectFields.commonName, 'Microsoft Windows Hardware Compatibility Publisher');
  const md = Buffer.from('3aa308129066a5a09a4a1869dcd98b2ccc8c93dd7fc0fc5a6bd1685d8752722c', 'hex');
  const at = bytes.indexOf(md);
  t.true(at > 0);
  const altered = Buffer.from(bytes);
  altered[at] = (altered[at] ?? 0) ^ 0x01;
  const bad = parseCatalog(altered, 'oem89-altered', context());
  t.false(bad.signature.valid);
  t.true(bad.signature.problems.some((p) => p.code === 'MESSAGE_DIGEST_MISMATCH'));
  t.true(codes(inspectBuffer('oem89-altered.cat', altered)).includes('MESSAGE_DIGEST_MISMATCH'));
});

test('signify-AppxSignature.p7x: PKCX prefix + PKCS#7 package signature is read and its signer verified', (t) => {
  const r = inspectFile(cat('signify-AppxSignature.p7x'));
  t.is(r.module.format, 'p7x');
  t.is(r.error, undefined);
  const s = r.code_signature.signatures[0];
  t.truthy(s?.subject_name);
  t.true(s?.valid, JSON.stringify(r.code_signature.problems));
});

test('catalog lookups by flat-file hash: a member with an old UTF-16 hex tag matches the file SHA-1', (t) => {
  const index = new CatalogIndex();
  const c = parseCatalog(readFileSync(cat('signify-catfiletest.cat')), 'catfiletest', context());
  index.add(c);
  const digest = c.members[0]?.digest ?? '';
  t.is(index.lookup({ authentihash_sha256: '00'.repeat(32), file_sha1: digest.toUpperCase() })?.matchedBy, 'file_sha1');
  t.is(index.lookup({ file_sha1: 'ff'.repeat(20) }), undefined);
});
