// Adversarial inputs for the parsers added for issue 7: the UEFI variable store / EFI_SIGNATURE_LIST reader
// (config/trust/uefi comes from it), DER entitlements (slot 7) and the CoreFoundation-tolerant plist reader.
// Tiny inputs, one line of why each; every failure is a typed error, never a read past the end.
import test from 'ava';
import { EFI_GUID, parseSignatureLists, parseVariableStore } from '../../daemon/formats/efi/variables.ts';
import { parseDerEntitlements } from '../../daemon/formats/macho/der-entitlements.ts';
import { parsePlistDetailed } from '../../daemon/formats/plist/index.ts';
import { SealwatchError } from '../../daemon/shared/errors.ts';

const guidBytes = (g: string): Buffer => {
  const h = g.replace(/-/g, '');
  const le = (s: string): string => s.match(/../g)?.reverse().join('') ?? '';
  return Buffer.from(le(h.slice(0, 8)) + le(h.slice(8, 12)) + le(h.slice(12, 16)) + h.slice(16), 'hex');
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const list = (type: string, sigs: Buffer[], sigSize: number, listSize?: number): Buffer => {
  const body = Buffer.concat(sigs);
  return Buffer.concat([guidBytes(type), u32(listSize ?? 28 + body.length), u32(0), u32(sigSize), body]);
};
const typed = (fn: () => unknown): SealwatchError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof SealwatchError) return err;
    throw err;
  }
  throw new Error('did not throw');
};

test('EFI_SIGNATURE_LIST: GUIDs read in EFI mixed-endian order; owner and data split at 16 bytes', (t) => {
  const owner = guidBytes('77fa9abd-0359-4d32-bd60-28f4e78f784b');
  const sigs = parseSignatureLists(list(EFI_GUID.certSha256, [Buffer.concat([owner, Buffer.alloc(32, 0xab)])], 48));
  t.is(sigs.length, 1);
  t.is(sigs[0]?.type, EFI_GUID.certSha256);
  t.is(sigs[0]?.owner, '77fa9abd-0359-4d32-bd60-28f4e78f784b');
  t.is(sigs[0]?.data.length, 32);
});

test('EFI_SIGNATURE_LIST: a SignatureSize under 16 (no room for the owner) is malformed', (t) => {
  t.is(typed(() => parseSignatureLists(list(EFI_GUID.certX509, [Buffer.alloc(8)], 8))).code, 'MALFORMED');
});

test('EFI_SIGNATURE_LIST: a list size that is not header + n × SignatureSize is malformed', (t) => {
  t.is(typed(() => parseSignatureLists(list(EFI_GUID.certX509, [Buffer.alloc(20)], 16))).code, 'MALFORMED');
});

test('EFI_SIGNATURE_LIST: a SignatureListSize past the end is TRUNCATED, not a read past the buffer', (t) => {
  t.is(typed(() => parseSignatureLists(list(EFI_GUID.certX509, [Buffer.alloc(16)], 16, 4096))).code, 'TRUNCATED');
});

test('variable store: no _FVH signature, or a store GUID that is not the authenticated one, is rejected', (t) => {
  t.regex(typed(() => parseVariableStore(Buffer.alloc(128))).message, /_FVH/);
  const fv = Buffer.alloc(128);
  fv.write('_FVH', 40, 'latin1');
  fv.writeUInt16LE(72, 48);
  t.regex(typed(() => parseVariableStore(fv)).message, /not an authenticated variable store/);
});

test('variable store: a variable whose DataSize runs past the end is TRUNCATED', (t) => {
  const fv = Buffer.alloc(72 + 28 + 60);
  fv.write('_FVH', 40, 'latin1');
  fv.writeUInt16LE(72, 48);
  guidBytes(EFI_GUID.authenticatedVariableStore).copy(fv, 72);
  fv.writeUInt32LE(28 + 60, 72 + 16);
  const v = 72 + 28;
  fv.writeUInt16LE(0x55aa, v);
  fv[v + 2] = 0x3f;
  fv.writeUInt32LE(4, v + 36); // NameSize
  fv.writeUInt32LE(0x7fffffff, v + 40); // DataSize
  t.is(typed(() => parseVariableStore(fv)).code, 'TRUNCATED');
});

test('DER entitlements: the empty dictionary apple-codesign encodes (70 05 02 01 01 b0 00)', (t) => {
  t.deepEqual(parseDerEntitlements(Buffer.from('70050201 01b000'.replace(/\s/g, ''), 'hex')), {});
});

test('DER entitlements: arrays, strings, integers and nested dictionaries', (t) => {
  // { "a": ["x", 7], "d": { "t": true } }
  const tlv = (tag: number, ...body: Buffer[]): Buffer => {
    const b = Buffer.concat(body);
    return Buffer.concat([Buffer.from([tag, b.length]), b]);
  };
  const str = (v: string): Buffer => tlv(0x0c, Buffer.from(v));
  const der = tlv(
    0x70,
    tlv(0x02, Buffer.from([1])),
    tlv(0xb0, tlv(0x30, str('a'), tlv(0x30, str('x'), tlv(0x02, Buffer.from([7])))), tlv(0x30, str('d'), tlv(0xb0, tlv(0x30, str('t'), tlv(0x01, Buffer.from([0xff])))))),
  );
  t.deepEqual(parseDerEntitlements(der), { a: ['x', 7], d: { t: true } });
});

test('DER entitlements: version 2, a missing dictionary, a non-string key or an unknown value tag is malformed', (t) => {
  t.regex(typed(() => parseDerEntitlements(Buffer.from('70050201 02b000'.replace(/\s/g, ''), 'hex'))).message, /version/);
  t.regex(typed(() => parseDerEntitlements(Buffer.from('7003020101', 'hex'))).message, /dictionary/);
  t.regex(typed(() => parseDerEntitlements(Buffer.from('700d020101b0083006020101 0101ff'.replace(/\s/g, ''), 'hex'))).message, /UTF8String/);
  t.regex(typed(() => parseDerEntitlements(Buffer.from('700c020101b00730050c0161 0500'.replace(/\s/g, ''), 'hex'))).message, /unsupported value tag 5/);
});

test('DER entitlements: "__proto__" as a key is stored as data, never as the object prototype', (t) => {
  const key = Buffer.from('__proto__');
  const entry = Buffer.concat([Buffer.from([0x30, 2 + key.length + 3, 0x0c, key.length]), key, Buffer.from([0x01, 0x01, 0xff])]);
  const dict = Buffer.concat([Buffer.from([0xb0, entry.length]), entry]);
  const der = Buffer.concat([Buffer.from([0x70, 3 + dict.length, 0x02, 0x01, 0x01]), dict]);
  const value = parseDerEntitlements(der);
  t.deepEqual(Object.keys(value), ['__proto__']);
  t.is(Object.getPrototypeOf(value), Object.prototype);
});

test('plist: only CoreFoundation\'s two tolerances apply; other malformed XML is still an error', (t) => {
  const doc = '<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>k</key><string>v</string></dict></plist>';
  t.deepEqual(parsePlistDetailed(Buffer.from(doc)).tolerated, []);
  t.deepEqual(parsePlistDetailed(Buffer.from(`\n\t ${doc}`)).value, { k: 'v' });
  t.deepEqual(parsePlistDetailed(Buffer.from(`${doc}\n</xml>\n`)).tolerated, ['8 bytes after the top-level </plist> ("</xml>")']);
  t.is(typed(() => parsePlistDetailed(Buffer.from(`junk${doc}`))).code, 'MALFORMED', 'junk before the document is not whitespace');
  t.is(typed(() => parsePlistDetailed(Buffer.from(doc.replace('</dict>', '')))).code, 'MALFORMED', 'an unclosed element stays an error');
});
