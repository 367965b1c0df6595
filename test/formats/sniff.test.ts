// Module kind by magic, not by name: Mach-O (thin and universal), ELF, Java class files that share 0xCAFEBABE.
// Full Apple code-signing verification is issue 3; here the formats and slices of the corpus rows are asserted.
import test from 'ava';
import { copyFileSync } from 'node:fs';
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

test('ELF: arch and kind from the header; Linux modules are unsigned', (t) => {
  const r = inspectFile(process.execPath.endsWith('node') ? process.execPath : '/bin/ls');
  t.is(r.module.format, 'elf');
  t.true(['x86_64', 'arm64'].includes(r.module.arch[0] ?? ''));
  t.is(r.code_signature.status, 'unsigned');
});
