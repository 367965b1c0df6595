// Module kind by magic, not by name: Mach-O (thin and universal), ELF, Java class files that share 0xCAFEBABE.
// Full Apple code-signing verification is issue 3; here the formats and slices of the corpus rows are asserted.
import test from 'ava';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sniffFormat } from '../../daemon/formats/sniff/index.ts';
import { type SignatureStatus } from '../../daemon/shared/model.ts';
import { inspectBuffer, inspectFile } from '../helpers/inspect.ts';
import { realCorpusPath, sharedCorpus } from '../helpers/real-corpus.ts';
import { tempDir } from '../helpers/temp.ts';

const macho = (name: string): string => join(sharedCorpus, 'macho', name);

const rows: Array<[string, string[], SignatureStatus]> = [
  ['santa-cal-yikes-universal_signed', ['x86_64', 'x86'], 'trusted'],
  ['santa-yikes-universal', ['x86', 'x86_64'], 'unsigned'],
  ['santa-signed-with-teamid', ['x86_64'], 'trusted'],
  ['santa-allowed_cdhash', ['arm64'], 'linker-signed'],
  ['santa-goodbinary', ['x86_64'], 'unsigned'],
  ['santa-bad_pagezero', ['x86'], 'unsigned'],
];
for (const [name, arch, status] of rows) {
  test(`Mach-O ${name}: slices ${arch.join('+')}, ${status}`, (t) => {
    const r = inspectFile(macho(name));
    t.is(r.module.format, 'macho');
    t.deepEqual([...r.module.arch].sort(), [...arch].sort());
    t.is(r.code_signature.status, status);
  });
}

test('REAL Mach-O files are recognised with every slice: sentry-cli universal x86_64+arm64, fsevents universal', (t) => {
  t.deepEqual([...inspectFile(realCorpusPath('sentry-cli')).module.arch].sort(), ['arm64', 'x86_64']);
  t.deepEqual([...inspectFile(realCorpusPath('fsevents')).module.arch].sort(), ['arm64', 'x86_64']);
  t.deepEqual(inspectFile(realCorpusPath('node-darwin')).module.arch, ['x86_64']);
  t.is(inspectFile(realCorpusPath('msal-dylib')).module.kind, 'dylib');
});

test('a Mach-O named .rtf is still a Mach-O module', (t) => {
  const dir = tempDir('sealwatch-sniff-');
  const disguised = join(dir, 'README.rtf');
  copyFileSync(macho('santa-goodbinary'), disguised);
  t.is(inspectFile(disguised).module.format, 'macho');
});

test('a Java class file (0xCAFEBABE + class-file version) is not a universal binary', (t) => {
  const javaClass = Buffer.from('cafebabe00000034000a0a0002000307', 'hex');
  t.is(sniffFormat(javaClass), 'unknown');
  t.is(inspectBuffer('Hello.class', javaClass).module.format, 'unknown');
});

// Attack study, session 6: a universal file of more than 20 entries, or of none (dyld still looks for one more entry),
// was taken for data — a real signed dylib dropped in as a new module raised nothing.
const ALIGN = 1 << 14;
/** The real thin arm64 dylib as a universal file: declared `count` entries (the dylib first, then minimal ppc slices). */
function universal(thin: Buffer, count: number, entries = count): Buffer {
  const bodies = [thin, ...Array.from({ length: Math.max(0, entries - 1) }, (_, i) => Buffer.from([0xfe, 0xed, 0xfa, 0xce, 0, 0, 0, 18, 0, 0, 0, i, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))];
  const header = Buffer.alloc(ALIGN);
  header.writeUInt32BE(0xcafebabe, 0);
  header.writeUInt32BE(count, 4);
  const parts: Buffer[] = [header];
  let at = ALIGN;
  bodies.forEach((body, i) => {
    const e = 8 + 20 * i;
    header.writeUInt32BE(i === 0 ? body.readUInt32LE(4) : 18, e);
    header.writeUInt32BE(i === 0 ? body.readUInt32LE(8) : i, e + 4);
    header.writeUInt32BE(at, e + 8);
    header.writeUInt32BE(body.length, e + 12);
    header.writeUInt32BE(14, e + 16);
    const pad = i === bodies.length - 1 ? 0 : (ALIGN - (body.length % ALIGN)) % ALIGN;
    parts.push(body, Buffer.alloc(pad));
    at += body.length + pad;
  });
  return Buffer.concat(parts);
}

test('universal files of up to dyld\'s bound of entries, and of none, are Mach-O modules (a count of none leaves every slice byte as hidden data)', (t) => {
  const thin = readFileSync(realCorpusPath('msal-dylib'));
  const many = inspectBuffer('libmany.dylib', universal(thin, 21));
  t.is(many.module.format, 'macho');
  t.is(many.module.arch.length, 21);
  t.is(many.code_signature.status, 'unsigned', 'the weakest slice: twenty unsigned ppc stubs');
  const none = inspectBuffer('libnone.dylib', universal(thin, 0, 1));
  t.is(none.module.format, 'macho');
  t.true(none.code_signature.problems.some((p) => p.code === 'DATA_AFTER_LAST_SLICE'));
  t.is(sniffFormat(universal(thin, 200)), 'macho', 'a count Java class versions share, with entries a class file never has');
  // Review finding 2: the first entry of an unusual CPU (mc680x0), the real arm64 dylib second — dyld takes the arm64.
  const odd = universal(Buffer.alloc(64, 0x41), 45);
  const real = universal(thin, 2);
  odd.writeUInt32BE(6, 8);
  const withReal = Buffer.concat([odd, Buffer.alloc((ALIGN - (odd.length % ALIGN)) % ALIGN), thin]);
  const at = withReal.length - thin.length;
  withReal.writeUInt32BE(real.readUInt32BE(8), 28);
  withReal.writeUInt32BE(real.readUInt32BE(12), 32);
  withReal.writeUInt32BE(at, 36);
  withReal.writeUInt32BE(thin.length, 40);
  t.is(inspectBuffer('libodd.dylib', withReal).module.format, 'macho');
  t.is(sniffFormat(Buffer.from('cafebabf00000000', 'hex')), 'macho', '0xCAFEBABF is never a class file');
});

test('Java class files of every version (45 = Java 1.1 … 70), preview ones included, stay data', (t) => {
  for (let major = 45; major <= 70; major++) {
    for (const minor of [0, 3, 0xffff]) {
      const head = Buffer.from([0xca, 0xfe, 0xba, 0xbe, minor >> 8, minor & 0xff, major >> 8, major & 0xff, 0x00, 0x1d, 0x0a, 0x00, 0x02, 0x00, 0x03, 0x07]);
      t.is(sniffFormat(head), 'unknown', `${major}.${minor}`);
    }
  }
});

test('ELF: arch and kind from the header; Linux modules are unsigned', (t) => {
  const r = inspectFile(process.execPath.endsWith('node') ? process.execPath : '/bin/ls');
  t.is(r.module.format, 'elf');
  t.true(['x86_64', 'arm64'].includes(r.module.arch[0] ?? ''));
  t.is(r.code_signature.status, 'unsigned');
});
