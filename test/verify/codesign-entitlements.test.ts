// Entitlements, requirements and other informational content as macOS reads them: Apple accepts entitlements XML that
// a strict XML parser rejects, and a decoder failing on signed metadata must not turn a genuine binary "invalid"
// (issue 7 §1). Regression cases named after the real files that found them, re-signed here with the test signer.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseDerEntitlements } from '../../daemon/formats/macho/der-entitlements.ts';
import { loadIdentity, signMacho, type SigningIdentity } from '../helpers/apple-signer.ts';
import { appleFixture } from '../helpers/fixtures.ts';
import { codes, context, inspectBuffer } from '../helpers/inspect.ts';

const ctx = () => context({ extraTrust: [appleFixture('trust')] });
const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n';
// The hardened-runtime exceptions Node.js' macOS builds are signed with.
const NODE_ENTITLEMENTS = `${XML_DECL}<plist version="1.0">
<dict>
    <key>com.apple.security.cs.allow-jit</key>
    <true/>
    <key>com.apple.security.cs.allow-unsigned-executable-memory</key>
    <true/>
    <key>com.apple.security.cs.disable-executable-page-protection</key>
    <true/>
    <key>com.apple.security.cs.allow-dyld-environment-variables</key>
    <true/>
    <key>com.apple.security.cs.disable-library-validation</key>
    <true/>
</dict>
</plist>
`;
const NODE_EXPECTED = {
  'com.apple.security.cs.allow-jit': true,
  'com.apple.security.cs.allow-unsigned-executable-memory': true,
  'com.apple.security.cs.disable-executable-page-protection': true,
  'com.apple.security.cs.allow-dyld-environment-variables': true,
  'com.apple.security.cs.disable-library-validation': true,
};
const MS_ENTITLEMENTS = `${XML_DECL}<plist version="1.0">
<dict>
  <key>com.apple.security.cs.allow-jit</key>
  <true/>
  <key>com.apple.security.device.audio-input</key>
  <true/>
</dict>
</plist>
</xml>
`;

let vendor: SigningIdentity;
test.before(async () => {
  vendor = await loadIdentity(appleFixture('pki/vendor.der'), appleFixture('pki/vendor.pk8'), [appleFixture('pki/devid-ca.der')]);
});
const exe = (): Buffer => readFileSync(appleFixture('app-main-arm64'));
const sign = (extra: Parameters<typeof signMacho>[1] extends infer O ? Partial<O> : never) =>
  signMacho(exe(), { identifier: 'com.contoso.tool', teamId: 'CONTOSO123', identity: vendor, flags: 0x10000, ...extra });

/** DER entitlements: [APPLICATION 16] { INTEGER 1, [CONTEXT 16] { SEQUENCE { UTF8String, BOOLEAN TRUE }* } } */
function derEntitlements(keys: readonly string[]): Buffer {
  const tlv = (tag: number, body: Buffer): Buffer => {
    const len = body.length < 0x80 ? Buffer.from([body.length]) : body.length < 0x100 ? Buffer.from([0x81, body.length]) : Buffer.from([0x82, body.length >> 8, body.length & 0xff]);
    return Buffer.concat([Buffer.from([tag]), len, body]);
  };
  const entries = keys.map((k) => tlv(0x30, Buffer.concat([tlv(0x0c, Buffer.from(k)), tlv(0x01, Buffer.from([0xff]))])));
  return tlv(0x70, Buffer.concat([tlv(0x02, Buffer.from([1])), tlv(0xb0, Buffer.concat(entries))]));
}

test('Node.js Foundation macOS builds (to 2024): entitlements XML starting with two spaces before <?xml is read as macOS reads it', async (t) => {
  const r = inspectBuffer('node', await sign({ entitlements: `  ${NODE_ENTITLEMENTS}` }), ctx());
  t.is(r.code_signature.status, 'trusted', JSON.stringify(r.code_signature.problems));
  t.deepEqual(r.code_signature.signatures[0]?.entitlements, NODE_EXPECTED);
  t.false(codes(r).includes('CODESIGN_MALFORMED'));
  t.false(codes(r).includes('SIGNED_METADATA_UNREADABLE'));
});

test('Microsoft Developer ID binary: a stray </xml> after the top-level </plist> is ignored as CoreFoundation ignores it', async (t) => {
  const r = inspectBuffer('msbin', await sign({ entitlements: MS_ENTITLEMENTS }), ctx());
  t.is(r.code_signature.status, 'trusted', JSON.stringify(r.code_signature.problems));
  t.deepEqual(r.code_signature.signatures[0]?.entitlements, { 'com.apple.security.cs.allow-jit': true, 'com.apple.security.device.audio-input': true });
  t.deepEqual(codes(r), []);
});

test('XML entitlements no parser can read, with DER entitlements (slot 7): the DER ones are used; a warning, still trusted', async (t) => {
  const broken = NODE_ENTITLEMENTS.replace('<true/>\n    <key>com.apple.security.cs.allow-unsigned', '<true>\n    <key>com.apple.security.cs.allow-unsigned');
  const der = derEntitlements(Object.keys(NODE_EXPECTED));
  t.deepEqual(parseDerEntitlements(der), NODE_EXPECTED);
  const r = inspectBuffer('tool', await sign({ entitlements: broken, derEntitlements: der }), ctx());
  t.is(r.code_signature.status, 'trusted', JSON.stringify(r.code_signature.problems));
  t.deepEqual(r.code_signature.signatures[0]?.entitlements, NODE_EXPECTED);
  const p = r.code_signature.problems.find((x) => x.code === 'SIGNED_METADATA_UNREADABLE');
  t.is(p?.severity, 'warning');
  t.regex(p?.message ?? '', /bound by special slot 5.*read the DER entitlements \(slot 7\) instead/);
});

test('entitlements that decode neither as XML nor as DER but match their signed hash: warning, not CODESIGN_MALFORMED', async (t) => {
  const r = inspectBuffer('tool', await sign({ entitlements: 'not a plist at all', derEntitlements: Buffer.from([0x70, 0x03, 0x02, 0x01, 0x07]) }), ctx());
  t.is(r.code_signature.status, 'trusted', JSON.stringify(r.code_signature.problems));
  t.is(r.code_signature.signatures[0]?.entitlements, undefined);
  t.deepEqual(codes(r), ['SIGNED_METADATA_UNREADABLE']);
});

test('the same unreadable entitlements edited after signing: SPECIAL_SLOT_MISMATCH still makes the file invalid', async (t) => {
  const bytes = await sign({ entitlements: `  ${NODE_ENTITLEMENTS}` });
  const at = bytes.indexOf('allow-jit');
  bytes.write('allow-jot', at, 'latin1');
  const r = inspectBuffer('tool', bytes, ctx());
  t.is(r.code_signature.status, 'invalid');
  t.true(codes(r).includes('SPECIAL_SLOT_MISMATCH'));
});

test('a requirement set the decoder cannot read, bound by special slot 2: warning, the signature stays trusted', async (t) => {
  // A requirement set whose one requirement has an unknown opcode (0xff).
  const be32 = (n: number): Buffer => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  const req = Buffer.concat([be32(0xfade0c00), be32(16), be32(1), be32(0xff)]);
  const set = Buffer.concat([be32(0xfade0c01), be32(20 + req.length), be32(1), be32(3), be32(20), req]);
  const r = inspectBuffer('tool', await sign({ requirements: set }), ctx());
  t.is(r.code_signature.status, 'trusted', JSON.stringify(r.code_signature.problems));
  const p = r.code_signature.problems.find((x) => x.code === 'SIGNED_METADATA_UNREADABLE');
  t.regex(p?.message ?? '', /requirements cannot be decoded.*bound by special slot 2/);
});
