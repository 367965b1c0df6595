// Every place in a Mach-O signature area where bytes can sit under no signature (verify/codesign/signature-area.ts),
// made by mutating a real Developer-ID-signed dylib; each mutation keeps the signature valid and trusted.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseLoadCommands } from '../../daemon/formats/macho/load-commands.ts';
import { codes, inspectBuffer } from '../helpers/inspect.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';

const genuine = (): Buffer => Buffer.from(readFileSync(realCorpusPath('msal-dylib')));
const PAYLOAD = Buffer.from('feedface0123456789abcdef', 'hex');

/** The signature area and its blob index: type, offset (area-relative) and length of each blob. */
function layout(m: Buffer): { at: number; size: number; length: number; blobs: { type: number; offset: number; length: number; entry: number }[] } {
  const cs = parseLoadCommands(m).codeSignature;
  if (!cs) throw new Error('unsigned');
  const at = cs.dataoff;
  const count = m.readUInt32BE(at + 8);
  const blobs = Array.from({ length: count }, (_, i) => {
    const offset = m.readUInt32BE(at + 16 + i * 8);
    return { type: m.readUInt32BE(at + 12 + i * 8), offset, length: m.readUInt32BE(at + offset + 4), entry: at + 12 + i * 8 };
  });
  return { at, size: cs.datasize, length: m.readUInt32BE(at + 4), blobs };
}

const verdict = (m: Buffer): { status: string; codes: string[]; messages: string[] } => {
  const r = inspectBuffer('lib.dylib', m);
  return { status: r.code_signature.status, codes: codes(r), messages: r.code_signature.problems.map((p) => p.message) };
};

test('the genuine file: trusted, nothing unauthenticated', (t) => {
  const v = verdict(genuine());
  t.is(v.status, 'trusted');
  t.false(v.codes.some((c) => c.startsWith('CODESIGN_')));
});

test('slack after the SuperBlob: zero is padding, a payload is CODESIGN_SLACK_DATA', (t) => {
  const m = genuine();
  const { at, length } = layout(m);
  PAYLOAD.copy(m, at + length + 100);
  const v = verdict(m);
  t.is(v.status, 'trusted');
  t.true(v.messages.some((x) => /\d+ bytes \(first non-zero at \+100: FE ED FA CE 01 23 45 67\) after the SuperBlob/.test(x)), v.messages.join(' | '));
});

test('a gap between blobs (the last blob moved on, a payload in between) is CODESIGN_SLACK_DATA', (t) => {
  const m = genuine();
  const { at, length, blobs } = layout(m);
  const last = blobs.reduce((a, b) => (b.offset > a.offset ? b : a));
  const shift = 64;
  m.copy(m, at + last.offset + shift, at + last.offset, at + last.offset + last.length);
  m.fill(0, at + last.offset, at + last.offset + shift);
  PAYLOAD.copy(m, at + last.offset + 8);
  m.writeUInt32BE(last.offset + shift, last.entry + 4);
  m.writeUInt32BE(length + shift, at + 4);
  const v = verdict(m);
  t.is(v.status, 'trusted');
  t.true(v.messages.some((x) => /between the SuperBlob's blobs/.test(x)), v.messages.join(' | '));
});

test('bytes after the CMS inside its blob wrapper (the wrapper grown over them) are CODESIGN_SLACK_DATA', (t) => {
  const m = genuine();
  const { at, length, blobs } = layout(m);
  const cms = blobs.find((b) => b.type === 0x10000);
  if (!cms) return t.fail('no CMS blob');
  t.is(cms.offset + cms.length, length, 'the CMS is the last blob');
  PAYLOAD.copy(m, at + length);
  m.writeUInt32BE(cms.length + PAYLOAD.length, at + cms.offset + 4);
  m.writeUInt32BE(length + PAYLOAD.length, at + 4);
  const v = verdict(m);
  t.is(v.status, 'trusted');
  t.true(v.messages.some((x) => /after the CMS signature, inside its blob/.test(x)), v.messages.join(' | '));
});

test('a blob type changed to one no CodeDirectory binds is CODESIGN_UNKNOWN_BLOB', (t) => {
  const m = genuine();
  const { blobs } = layout(m);
  const req = blobs.find((b) => b.type === 2);
  if (!req) return t.fail('no requirements blob');
  m.writeUInt32BE(0x30, req.entry);
  const v = verdict(m);
  t.true(v.messages.some((x) => /blob of type 0x30 .* is bound by no CodeDirectory/.test(x)), v.messages.join(' | '));
});
