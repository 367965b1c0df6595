// Pinned Debian packages once the mirrors drop their version: the same .deb by content from snapshot.debian.org, else
// the current version kept apart so that tests check only what does not depend on the build. Real apt, real mirror.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { candidateVersion, fetchDeb, listedVersions, parseDebSpec } from '../../scripts/lib/debian.ts';
import { currentBuildDir, realCorpusBuild, realCorpusEntries, realCorpusPath } from '../../scripts/lib/real-corpus.ts';
import { parsePe } from '../../daemon/formats/pe/index.ts';
import { inspectFile } from '../helpers/inspect.ts';
import { tempDir } from '../helpers/temp.ts';

const fwupd = realCorpusEntries().find((e) => e.id === 'fwupd-x64');
const member = (deb: string): Buffer => execFileSync('tar', ['-xOf', '-', fwupd?.member ?? ''], { input: execFileSync('dpkg-deb', ['--fsys-tarfile', deb], { maxBuffer: 64 << 20 }), maxBuffer: 64 << 20 });

test('parseDebSpec reads name:arch=version (epochs and tildes kept)', (t) => {
  t.deepEqual(parseDebSpec('fwupd-arm64-signed:arm64=1:1.4+1'), { name: 'fwupd-arm64-signed', arch: 'arm64', version: '1:1.4+1' });
  t.deepEqual(parseDebSpec('shim-signed:amd64=1.51~1+deb12u1+16.1-2~deb12u1'), { name: 'shim-signed', arch: 'amd64', version: '1.51~1+deb12u1+16.1-2~deb12u1' });
  t.deepEqual(parseDebSpec('ovmf'), { name: 'ovmf', arch: undefined, version: undefined });
  t.throws(() => parseDebSpec('Not A Package'), { message: /not a Debian package spec/ });
});

test('a pinned version still listed is fetched from the mirror and checked against the pinned .deb SHA-256', async (t) => {
  const work = tempDir('sealwatch-deb-');
  try {
    const got = await fetchDeb(fwupd ?? { package: '' }, work);
    t.is(got.via, 'mirror');
    t.is(got.version, '1:1.4+1');
    const bytes = member(got.path);
    t.true(bytes.equals(readFileSync(realCorpusPath('fwupd-x64', { pinned: true }))), 'the pinned member, byte for byte');
    // A wrong .deb pin is an error, never a silent fallback.
    await t.throwsAsync(fetchDeb({ ...fwupd, package: fwupd?.package ?? '', deb_sha256: '0'.repeat(64) }, mkdtempSync(join(work, 'x-'))), { message: /does not have the pinned SHA-256/ });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('a version the mirrors dropped: the pinned .deb from snapshot.debian.org when reachable, else the current version, said so', async (t) => {
  const spec = parseDebSpec(fwupd?.package ?? '');
  const dropped = `${spec.name}:${spec.arch}=1:1.3~dropped`;
  t.false(listedVersions(parseDebSpec(dropped)).includes('1:1.3~dropped'));
  const work = tempDir('sealwatch-deb-');
  const logs: string[] = [];
  try {
    const got = await fetchDeb({ package: dropped, deb_sha256: fwupd?.deb_sha256, deb_sha1: fwupd?.deb_sha1 }, work, (s) => logs.push(s));
    t.log(logs.join('\n'));
    t.regex(logs[0] ?? '', /version 1:1\.3~dropped is no longer on the configured mirrors/);
    if (got.via === 'snapshot') {
      // snapshot.debian.org served the pinned .deb by its SHA-1 (its SHA-256 was checked): the pinned member, unchanged.
      t.is(got.version, '1:1.3~dropped');
      t.is(member(got.path).length, readFileSync(realCorpusPath('fwupd-x64', { pinned: true })).length);
    } else {
      t.is(got.via, 'current');
      t.is(got.version, candidateVersion(spec) ?? '(no candidate)');
      t.true(logs.some((l) => /snapshot\.debian\.org/.test(l)), 'the snapshot was tried first');
      t.regex(logs.at(-1) ?? '', /falling back to the current version/);
      // What the tests then read: a signed EFI image of that package.
      t.true([10, 11, 12, 13].includes(parsePe(member(got.path)).headers.subsystem), 'an EFI image');
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('the tests read a current build kept apart (with its origin) only while the pinned bytes are absent', (t) => {
  const entry = realCorpusEntries().find((e) => e.id === 'fwupd-x64');
  if (!entry) throw new Error('fwupd-x64 not in the manifest');
  const pinned = realCorpusPath('fwupd-x64');
  const cache = tempDir('sealwatch-cache-');
  const saved = process.env.SEALWATCH_CORPUS_CACHE;
  process.env.SEALWATCH_CORPUS_CACHE = cache;
  try {
    t.throws(() => realCorpusPath('fwupd-x64'), { message: /run `npm run corpus:fetch` first/ });
    const dir = currentBuildDir(entry);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, basename(entry.member)), readFileSync(pinned));
    const record = { package: 'fwupd-amd64-signed:amd64=1:1.5+1', version: '1:1.5+1', sha256: 'ab'.repeat(32) };
    writeFileSync(join(dir, 'source.json'), JSON.stringify(record));
    t.deepEqual(realCorpusBuild('fwupd-x64'), record);
    t.is(realCorpusPath('fwupd-x64'), join(dir, basename(entry.member)));
    t.is(inspectFile(realCorpusPath('fwupd-x64')).module.kind, 'efi');
    // Once the pinned bytes are back, they win.
    const pinnedCopy = realCorpusPath('fwupd-x64', { mustExist: false, pinned: true });
    mkdirSync(join(pinnedCopy, '..'), { recursive: true });
    writeFileSync(pinnedCopy, readFileSync(pinned));
    t.is(realCorpusBuild('fwupd-x64'), undefined);
    t.is(realCorpusPath('fwupd-x64'), pinnedCopy);
  } finally {
    if (saved === undefined) delete process.env.SEALWATCH_CORPUS_CACHE;
    else process.env.SEALWATCH_CORPUS_CACHE = saved;
    rmSync(cache, { recursive: true, force: true });
  }
});
