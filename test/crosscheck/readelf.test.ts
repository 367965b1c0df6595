// ELF facts cross-checked with binutils' readelf on real system binaries and on programs built here with
// RPATH and RUNPATH.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseElf } from '../../daemon/formats/elf/index.ts';
import { inspectFile } from '../helpers/inspect.ts';
import { tempDir } from '../helpers/temp.ts';

function readelf(path: string): { buildId?: string; needed: string[]; soname?: string; rpath: string[]; runpath: string[] } {
  const notes = execFileSync('readelf', ['-n', path], { encoding: 'utf8' });
  const dyn = execFileSync('readelf', ['-d', path], { encoding: 'utf8' });
  const all = (tag: string): string[] => [...dyn.matchAll(new RegExp(`\\(${tag}\\)[^\\[]*\\[([^\\]]*)\\]`, 'g'))].map((m) => m[1] ?? '');
  const buildId = /Build ID: ([0-9a-f]+)/.exec(notes)?.[1];
  return {
    ...(buildId ? { buildId } : {}),
    needed: all('NEEDED'),
    ...(all('SONAME')[0] ? { soname: all('SONAME')[0] as string } : {}),
    rpath: all('RPATH').flatMap((s) => s.split(':')),
    runpath: all('RUNPATH').flatMap((s) => s.split(':')),
  };
}

test('build-id, DT_NEEDED, DT_SONAME, DT_RPATH and DT_RUNPATH agree with readelf', (t) => {
  const dir = tempDir('sealwatch-elf-');
  writeFileSync(join(dir, 'main.c'), 'int main(void) { return 0; }\n');
  execFileSync('gcc', ['-o', join(dir, 'with-rpath'), join(dir, 'main.c'), '-Wl,--disable-new-dtags,-rpath,/opt/vendor/lib:$ORIGIN/../lib', '-Wl,--build-id']);
  execFileSync('gcc', ['-o', join(dir, 'with-runpath'), join(dir, 'main.c'), '-Wl,--enable-new-dtags,-rpath,/opt/vendor/lib', '-Wl,--build-id']);
  const files = [join(dir, 'with-rpath'), join(dir, 'with-runpath'), '/bin/ls', process.execPath];
  for (const f of files) {
    const ours = parseElf(readFileSync(f));
    const theirs = readelf(f);
    t.is(ours.buildId, theirs.buildId, `${f}: build-id`);
    t.deepEqual(ours.needed, theirs.needed, `${f}: needed`);
    t.is(ours.soname, theirs.soname, `${f}: soname`);
    t.deepEqual(ours.rpath, theirs.rpath, `${f}: rpath`);
    t.deepEqual(ours.runpath, theirs.runpath, `${f}: runpath`);
  }
  t.deepEqual(parseElf(readFileSync(join(dir, 'with-rpath'))).rpath, ['/opt/vendor/lib', '$ORIGIN/../lib']);
  t.deepEqual(parseElf(readFileSync(join(dir, 'with-runpath'))).runpath, ['/opt/vendor/lib']);
  const r = inspectFile(join(dir, 'with-rpath'));
  t.is(r.code_signature.status, 'unsigned');
  t.regex(r.elf?.build_id ?? '', /^[0-9a-f]{40}$/);
});
