// The signed manifest envelope, one adversarial input per test line (with why): canonical JSON, the domain prefix,
// key ids checked against openssl, and every malformed shape refused with a reason naming the field.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalPayload, keyId, MANIFEST_FORMAT, ManifestRejected, parseEnvelope, payloadDigest, signPayload, verifyEnvelope, type ManifestPayload } from '../../daemon/manifest/envelope.ts';
import { tempDir } from '../helpers/temp.ts';

const NOW = new Date('2026-11-01T00:00:00Z');
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const payload: ManifestPayload = {
  app: 'contoso',
  version: '1.0.0',
  sequence: 3,
  issued_at: '2026-10-31T00:00:00.000Z',
  expires_at: '2027-01-01T00:00:00.000Z',
  files: [{ path: 'bin/contoso.exe', size: 10, sha256: 'a'.repeat(64), kind: 'exe', format: 'pe', signer: 'org:Contoso Ltd', file_version: '1.0.0.0' }],
};
const signed = signPayload(payload, privateKey);
const reason = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof ManifestRejected ? `${err.reason}: ${err.message}` : `other: ${(err as Error).message}`;
  }
  return undefined;
};

test('key id is the SHA-256 of the SPKI DER, as openssl computes it', (t) => {
  const dir = tempDir('sealwatch-keyid-');
  writeFileSync(join(dir, 'pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
  const der = execFileSync('openssl', ['pkey', '-pubin', '-in', join(dir, 'pub.pem'), '-outform', 'DER']);
  t.is(keyId(publicKey), createHash('sha256').update(der).digest('hex'));
  t.is(keyId(privateKey), keyId(publicKey), 'the same id from either half');
  t.is(signed.signatures[0]?.keyid, keyId(publicKey));
});

test('canonical JSON: key order, whitespace and number spelling in the file do not matter; content does', (t) => {
  // Re-written by hand with keys reversed, other spacing, and 10 spelled 1.0e1: the same canonical payload (RFC 8785).
  const text = `{"signatures":${JSON.stringify(signed.signatures)},"payload":{"files":[{"file_version":"1.0.0.0","signer":"org:Contoso Ltd","format":"pe","kind":"exe","sha256":"${'a'.repeat(64)}","size":1.0e1,"path":"bin/contoso.exe"}],"expires_at":"2027-01-01T00:00:00.000Z","issued_at":"2026-10-31T00:00:00.000Z","sequence":3,"version":"1.0.0","app":"contoso"},   "format":"${MANIFEST_FORMAT}"}`;
  const v = verifyEnvelope(parseEnvelope(text), [publicKey], NOW);
  t.is(v.digest, payloadDigest(payload));
  t.is(canonicalPayload(payload).toString().split('\n')[0], MANIFEST_FORMAT, 'domain-separated');
  t.regex(reason(() => verifyEnvelope(parseEnvelope(text.replace('"size":1.0e1', '"size":11')), [publicKey], NOW)) ?? '', /^bad-signature/);
});

test('a signature over the bare canonical payload (no domain prefix) does not verify as a manifest signature', (t) => {
  const bare = Buffer.from(canonicalPayload(payload).toString().slice(MANIFEST_FORMAT.length + 1));
  const forged = { ...signed, signatures: [{ keyid: keyId(publicKey), sig: sign(null, bare, privateKey).toString('base64') }] };
  t.regex(reason(() => verifyEnvelope(forged, [publicKey], NOW)) ?? '', /^bad-signature/);
});

test('time and sequence: expired, issued in the future, replayed, same sequence other content — each refused; the same manifest again accepted', (t) => {
  t.regex(reason(() => verifyEnvelope(signed, [publicKey], new Date('2027-01-01T00:00:00Z'))) ?? '', /^expired: expired at 2027-01-01/, 'expiry is exclusive');
  t.regex(reason(() => verifyEnvelope(signed, [publicKey], new Date('2026-10-30T00:00:00Z'))) ?? '', /^not-yet-valid/);
  t.regex(reason(() => verifyEnvelope(signed, [publicKey], NOW, { sequence: 4, digest: 'x' })) ?? '', /^replayed: .*older manifest/);
  t.regex(reason(() => verifyEnvelope(signed, [publicKey], NOW, { sequence: 3, digest: 'x' })) ?? '', /^replayed: .*same sequence/);
  t.notThrows(() => verifyEnvelope(signed, [publicKey], NOW, { sequence: 3, digest: payloadDigest(payload) }));
  t.notThrows(() => verifyEnvelope(signed, [publicKey], NOW, { sequence: 2, digest: 'x' }));
  const noSeq = signPayload({ ...payload, sequence: undefined } as ManifestPayload, privateKey);
  t.regex(reason(() => verifyEnvelope(parseEnvelope(JSON.stringify(noSeq)), [publicKey], NOW)) ?? '', /^malformed: a signed manifest needs payload\.sequence/);
});

test('keys: no pinned signer is wrong-key; a second, unpinned signature beside a pinned one is ignored', (t) => {
  const other = generateKeyPairSync('ed25519');
  t.regex(reason(() => verifyEnvelope(signed, [other.publicKey], NOW)) ?? '', /^wrong-key/);
  const both = { ...signed, signatures: [...signPayload(payload, other.privateKey).signatures, ...signed.signatures] };
  t.is(verifyEnvelope(both, [publicKey], NOW).keyId, keyId(publicKey));
  t.regex(reason(() => verifyEnvelope({ ...signed, signatures: [] }, [publicKey], NOW)) ?? '', /^unsigned/);
});

test('malformed shapes are refused with the field named', (t) => {
  const withFiles = (files: unknown[]): string => JSON.stringify({ ...signed, payload: { ...payload, files } });
  const file = payload.files[0] as object;
  const cases: Array<[string, string, RegExp]> = [
    ['not JSON', '{', /^malformed: not JSON/],
    ['an array', '[]', /not a JSON object/],
    ['another format', JSON.stringify({ ...signed, format: 'x/1' }), /format is "x\/1"/],
    ['a path out of the app', withFiles([{ ...file, path: '../etc/passwd' }]), /files\[0\]\.path must be a relative path inside the app/],
    ['an absolute path', withFiles([{ ...file, path: '/bin/sh' }]), /files\[0\]\.path/],
    ['a path listed twice (which entry would count?)', withFiles([file, file]), /listed twice/],
    ['an uppercase hash (one spelling only)', withFiles([{ ...file, sha256: 'A'.repeat(64) }]), /sha256 must be 64 lowercase hex/],
    ['no hash at all (vouches for anything)', withFiles([{ ...file, sha256: undefined }]), /gives no hash/],
    ['a negative size', withFiles([{ ...file, size: -1 }]), /size must be a whole number/],
    ['a sequence that is not a whole number', JSON.stringify({ ...signed, payload: { ...payload, sequence: 1.5 } }), /sequence must be a whole number/],
    ['an expiry that is not a date', JSON.stringify({ ...signed, payload: { ...payload, expires_at: 'soon' } }), /expires_at must be an ISO date-time/],
    ['a signature without a key id', JSON.stringify({ ...signed, signatures: [{ sig: 'AA==' }] }), /signatures\[0\] must be/],
  ];
  for (const [why, text, expected] of cases) t.regex(reason(() => parseEnvelope(text)) ?? '(accepted)', expected, why);
});
