// Bytes hidden inside the CMS of a real signed file, where no signature covers them (verify/cms-unvouched.ts): the
// CRL field, elements after the SignedData's last field, the certificate bag, extra or broken timestamps, unsigned
// attributes, content inside Apple's detached signature. Each edit needs no key and keeps the file validly signed
// and trusted; each must be reported as hidden data, and the detection rule must raise it even on a baseline.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { UNAUTHENTICATED_DATA_CODES } from '../../daemon/verify/problems.ts';
import * as cms from '../../scripts/lib/cms-edit.ts';
import { put } from '../../scripts/lib/three-cx.ts';
import { codes, inspectBuffer } from '../helpers/inspect.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { appDir, harness } from '../helpers/scan.ts';

const OID_RFC3161_MS = '1.3.6.1.4.1.311.3.3.1';
const OID_COUNTERSIGNATURE = '1.2.840.113549.1.9.6';
const OID_SEALING = '1.3.6.1.4.1.311.2.4.3';
const OID_APPLE_TIMESTAMP = '1.2.840.113549.1.9.16.2.14';

/** Microsoft-signed conpty.dll (SHA-256, RFC 3161 timestamp) and msal's Developer-ID dylib. */
const pe = (): Buffer => Buffer.from(readFileSync(realCorpusPath('conpty')));
const macho = (): Buffer => Buffer.from(readFileSync(realCorpusPath('msal-dylib')));
const editPe = (edit: (ci: Buffer) => Buffer): Buffer => cms.withPeSignature(pe(), edit(cms.peSignature(pe())));
const editMacho = (edit: (ci: Buffer) => Buffer): Buffer => cms.withMachoSignature(macho(), edit(cms.machoSignature(macho())));

function verdict(name: string, bytes: Buffer): { status: string; hidden: string[]; messages: string; timestamp: unknown } {
  const r = inspectBuffer(name, bytes);
  const hidden = [...new Set(codes(r).filter((c) => (UNAUTHENTICATED_DATA_CODES as ReadonlySet<string>).has(c)))].sort();
  return { status: r.code_signature.status, hidden, messages: r.code_signature.problems.map((p) => p.message).join(' | '), timestamp: r.code_signature.timestamp };
}

test('controls: the genuine files, and their signatures re-embedded byte for byte, are trusted with nothing hidden', (t) => {
  for (const [name, bytes] of [['conpty.dll', pe()], ['same.dll', editPe((ci) => ci)], ['lib.dylib', macho()], ['same.dylib', editMacho((ci) => ci)]] as const) {
    const v = verdict(name, bytes);
    t.is(v.status, 'trusted', name);
    t.deepEqual(v.hidden, [], `${name}: ${v.messages}`);
  }
});

test('PE: CRLs are tolerated but bounded (an empty field is nothing, 200 KB is EXTRA_CERTIFICATES and over the file\'s bound); elements after the SignerInfos are SIGNATURE_UNVOUCHED_DATA', (t) => {
  t.deepEqual(verdict('a.dll', editPe((ci) => cms.addCrls(ci, Buffer.alloc(0)))).hidden, [], 'an empty CRL field');
  const crl = verdict('a.dll', editPe((ci) => cms.addCrls(ci, cms.payloadOctets(200_000))));
  t.is(crl.status, 'trusted');
  t.deepEqual(crl.hidden, ['EXTRA_CERTIFICATES', 'OVERSIZED_UNSIGNED_ATTRIBUTE']);
  t.regex(crl.messages, /0 certificate\(s\) and CRLs beside the signature's chains hold 2000\d\d bytes/);
  t.regex(crl.messages, /the file's 1 signature\(s\) carry \d+ bytes nothing vouches for/);
  const after = verdict('a.dll', editPe((ci) => cms.appendToSignedData(ci, cms.payloadOctets(3000))));
  t.deepEqual(after.hidden, ['SIGNATURE_UNVOUCHED_DATA']);
  t.regex(after.messages, /3004 bytes in the 1 element\(s\) after the end of the SignedData/);
});

test('PE: certificate-bag entries that are not certificates, and a made-up "cross-certificate" with room inside, are EXTRA_CERTIFICATES', (t) => {
  const junk = verdict('a.dll', editPe((ci) => cms.addToCertificateBag(ci, [cms.payloadOctets(50_000)])));
  t.is(junk.status, 'trusted');
  t.deepEqual(junk.hidden, ['EXTRA_CERTIFICATES']);
  t.regex(junk.messages, /an entry of the certificate bag is not a certificate/);
  // The PCA's own name and public key (both public) with a 20 KB extension: it "verifies" the leaf, as a genuine
  // cross-certificate would, so only its size gives it away. A small one passes: the room is bounded, not closed.
  const bag = cms.bagCertificates(cms.peSignature(pe()));
  const pca = bag.find((c) => c.includes(Buffer.from('Microsoft Code Signing PCA 2011')) && !c.includes(Buffer.from('Microsoft Corporation0'))) ?? bag[bag.length - 1];
  if (!pca) return t.fail('no PCA in the bag');
  const big = verdict('a.dll', editPe((ci) => cms.addToCertificateBag(ci, [cms.withExtraExtension(pca, 20_000)])));
  t.deepEqual(big.hidden, ['EXTRA_CERTIFICATES']);
  t.regex(big.messages, /certificate\(s\) and CRLs beside the signature's chains hold \d+ bytes/);
  const small = verdict('a.dll', editPe((ci) => cms.addToCertificateBag(ci, [cms.withExtraExtension(pca, 3_000)])));
  t.deepEqual(small.hidden, []);
  // A certificate that names nothing on the chain (an Apple CA, from the dylib's signature) is unrelated.
  const apple = cms.bagCertificates(cms.machoSignature(macho()))[1] as Buffer;
  const unrelated = verdict('a.dll', editPe((ci) => cms.addToCertificateBag(ci, [apple])));
  t.deepEqual(unrelated.hidden, ['EXTRA_CERTIFICATES']);
  t.regex(unrelated.messages, /certificate "[^"]*Apple[^"]*" is not part of any chain in the signature/);
});

test('PE: a second timestamp (RFC 3161 or countersignature) that does not verify is SIGNATURE_UNVOUCHED_DATA; the genuine first one still dates the signature', (t) => {
  const genuineTime = verdict('conpty.dll', pe()).timestamp;
  t.truthy(genuineTime);
  for (const oid of [OID_RFC3161_MS, OID_COUNTERSIGNATURE]) {
    const v = verdict('a.dll', editPe((ci) => cms.addUnsignedAttributes(ci, [cms.attribute(oid, [cms.payloadOctets(2000)])])));
    t.is(v.status, 'trusted');
    t.deepEqual(v.hidden, ['SIGNATURE_UNVOUCHED_DATA'], oid);
    t.regex(v.messages, /timestamp #2 \(2004 bytes\) does not verify over this signature/);
    t.is(v.timestamp, genuineTime, 'the first timestamp is the genuine one');
  }
});

test('PE: known unsigned attributes are bounded in total — many small ones are OVERSIZED_UNSIGNED_ATTRIBUTE, one small one is not', (t) => {
  const many = verdict('a.dll', editPe((ci) => cms.addUnsignedAttributes(ci, Array.from({ length: 5 }, () => cms.attribute(OID_SEALING, [cms.payloadOctets(40_000)])))));
  t.is(many.status, 'trusted');
  t.deepEqual(many.hidden, ['OVERSIZED_UNSIGNED_ATTRIBUTE']);
  t.regex(many.messages, /6 unsigned attribute\(s\) outside nested signatures hold \d+ bytes/);
  const one = verdict('a.dll', editPe((ci) => cms.addUnsignedAttributes(ci, [cms.attribute(OID_SEALING, [cms.payloadOctets(4000)])])));
  t.deepEqual(one.hidden, []);
});

test('Mach-O: an unknown unsigned attribute, a CRL, bag junk, a broken second timestamp, content in the detached signature — each hidden data, the dylib still trusted', (t) => {
  const cases: Array<[string, (ci: Buffer) => Buffer, string, RegExp]> = [
    ['unknown attribute', (ci) => cms.addUnsignedAttributes(ci, [cms.attribute('1.2.3.4.5', [cms.payloadOctets(20_000)])]), 'UNKNOWN_UNSIGNED_ATTRIBUTE', /unknown unsigned attribute 1\.2\.3\.4\.5/],
    ['CRL field', (ci) => cms.addCrls(ci, cms.payloadOctets(20_000)), 'EXTRA_CERTIFICATES', /certificate\(s\) and CRLs beside the signature's chains hold 2000\d bytes/],
    ['bag junk', (ci) => cms.addToCertificateBag(ci, [cms.payloadOctets(20_000)]), 'EXTRA_CERTIFICATES', /not a certificate/],
    ['second timestamp', (ci) => cms.addUnsignedAttributes(ci, [cms.attribute(OID_APPLE_TIMESTAMP, [cms.payloadOctets(20_000)])]), 'SIGNATURE_UNVOUCHED_DATA', /timestamp #2 \(20004 bytes\) does not verify/],
    ['content', (ci) => cms.withEContent(ci, Buffer.alloc(5000, 7)), 'SIGNATURE_UNVOUCHED_DATA', /5000 bytes of content inside the detached signature/],
  ];
  for (const [name, edit, code, message] of cases) {
    const v = verdict('lib.dylib', editMacho(edit));
    t.is(v.status, 'trusted', name);
    t.deepEqual(v.hidden, [code], `${name}: ${v.messages}`);
    t.regex(v.messages, message, name);
  }
});

test('scan: a payload in the CMS of a real signed PE and Mach-O is UNAUTHENTICATED_DATA critical, on a baseline and in an update', async (t) => {
  const h = harness();
  try {
    const root = appDir();
    put(root, 'conpty.dll', pe());
    put(root, 'libextra.dylib', editMacho((ci) => cms.addCrls(ci, cms.payloadOctets(20_000)))); // there on day one
    const base = await h.scan('cms-hidden', root, { appVersion: '1.0.0' });
    t.is(base.findings.find((f) => f.rule === 'UNAUTHENTICATED_DATA' && f.path === 'libextra.dylib')?.severity, 'critical');
    put(root, 'conpty.dll', editPe((ci) => cms.addUnsignedAttributes(ci, [cms.attribute(OID_RFC3161_MS, [cms.payloadOctets(30_000)])])));
    const update = await h.scan('cms-hidden', root, { appVersion: '1.0.1' });
    const f = update.findings.find((x) => x.rule === 'UNAUTHENTICATED_DATA' && x.path === 'conpty.dll');
    t.is(f?.severity, 'critical');
    t.regex(f?.message ?? '', /timestamp #2/);
  } finally {
    await h.close();
  }
});

test('the RFC 3161 token is checked as a signature of its own: junk in its certificate bag, a large CRL field, elements after its SignedData — hidden data; a token without certificates (certReq false) is a timestamp that cannot be verified, not hidden data', (t) => {
  const inToken = (edit: (token: Buffer) => Buffer): Buffer => editPe((ci) => cms.editTimestampToken(ci, OID_RFC3161_MS, edit));
  t.deepEqual(verdict('same.dll', inToken((token) => token)).hidden, [], 'the genuine token, rebuilt');
  const cases: Array<[string, Buffer, string]> = [
    ['bag', inToken((token) => cms.addToCertificateBag(token, [cms.tlv(0xa3, cms.payloadOctets(20_000))])), 'EXTRA_CERTIFICATES'],
    ['CRL field', inToken((token) => cms.addCrls(token, cms.payloadOctets(20_000))), 'EXTRA_CERTIFICATES'],
    ['after the SignedData', inToken((token) => cms.appendToSignedData(token, cms.payloadOctets(3_000))), 'SIGNATURE_UNVOUCHED_DATA'],
  ];
  for (const [name, bytes, code] of cases) {
    const v = verdict('a.dll', bytes);
    t.is(v.status, 'trusted', name);
    t.deepEqual(v.hidden, [code], `${name}: ${v.messages}`);
    t.truthy(v.timestamp, `${name}: the token still verifies`);
  }
  // A TSA's unsigned attribute counts in the signature's own bound (the token is inside an unsigned attribute).
  t.deepEqual(verdict('a.dll', inToken((token) => cms.addUnsignedAttributes(token, [cms.attribute(OID_SEALING, [cms.payloadOctets(3_000)])]))).hidden, []);
  t.deepEqual(verdict('a.dll', inToken((token) => cms.addUnsignedAttributes(token, [cms.attribute(OID_SEALING, [cms.payloadOctets(70_000)])]))).hidden, ['OVERSIZED_UNSIGNED_ATTRIBUTE']);
  const noCerts = verdict('a.dll', inToken((token) => cms.withoutCertificateBag(token)));
  t.deepEqual(noCerts.hidden, [], noCerts.messages);
  t.regex(noCerts.messages, /the TSA certificate is not in the token/);
});

test('PE: a second WIN_CERTIFICATE entry that is not a signature, a copy of the signature nested in itself — hidden data', (t) => {
  for (const [revision, type] of [[0x200, 1], [0x100, 1], [0x200, 0x0ef1]] as const) {
    const v = verdict('a.dll', cms.withExtraEntry(pe(), revision, type, cms.payloadOctets(100_000)));
    t.is(v.status, 'trusted', `${revision}/${type}`);
    t.deepEqual(v.hidden, ['CERT_ENTRY_UNSUPPORTED'], `${revision}/${type}: ${v.messages}`);
  }
  const copy = verdict('a.dll', editPe((ci) => cms.addUnsignedAttributes(ci, [cms.attribute('1.3.6.1.4.1.311.2.4.1', [cms.peSignature(pe())])])));
  t.is(copy.status, 'trusted');
  t.deepEqual(copy.hidden, ['NESTED_SIGNATURE_UNVOUCHED'], copy.messages);
  t.regex(copy.messages, /nested signature 0\.1 \(\d+ bytes\) repeats signature 0 \(same certificate, same digest algorithm\)/);
});

test('a certificate on the chain padded after its signature (its issuer\'s signature still verifies, so it stays on the path) is SIGNATURE_UNVOUCHED_DATA', (t) => {
  const padded = verdict('a.dll', editPe((ci) => cms.mapCertificateBag(ci, (c, i) => (i === 1 ? cms.withTrailingElement(c, 100_000) : c))));
  t.is(padded.status, 'trusted');
  t.true(padded.hidden.includes('SIGNATURE_UNVOUCHED_DATA'), padded.messages);
  t.regex(padded.messages, /certificate "[^"]+" carries 1000\d\d bytes outside what its issuer signed/);
  const dylib = verdict('lib.dylib', editMacho((ci) => cms.mapCertificateBag(ci, (c, i) => (i === 0 ? cms.withTrailingElement(c, 10_000) : c))));
  t.is(dylib.status, 'trusted');
  t.deepEqual(dylib.hidden, ['SIGNATURE_UNVOUCHED_DATA'], dylib.messages);
});

test('parameters on a digest algorithm (which takes none) are SIGNATURE_UNVOUCHED_DATA; the signature still verifies', (t) => {
  const v = verdict('a.dll', editPe((ci) => cms.withDigestAlgorithmParameters(ci, cms.payloadOctets(50_000))));
  t.is(v.status, 'trusted');
  t.deepEqual(v.hidden, ['SIGNATURE_UNVOUCHED_DATA'], v.messages);
  t.regex(v.messages, /50004 bytes of parameters of the SignedData digest algorithm/);
});
