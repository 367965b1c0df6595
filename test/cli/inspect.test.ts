// The CLI as users run it: a real child process on Node 24, JSON lines out, documented exit codes.
import test from 'ava';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sealwatch } from '../helpers/cli.ts';
import { peFixture, peFixtureTrustDir } from '../helpers/fixtures.ts';
import { realCorpusPath, sharedCorpus } from '../helpers/real-corpus.ts';
import { type ModuleRecord } from '../../daemon/shared/model.ts';
import { tempDir } from '../helpers/temp.ts';

const root = resolve(import.meta.dirname, '..', '..');


const records = (stdout: string): ModuleRecord[] => stdout.trim().split('\n').map((l) => JSON.parse(l) as ModuleRecord);

test('inspect --json on a directory: one ECS record per file, recursing, with the documented fields', async (t) => {
  const { code, stdout } = await sealwatch(['inspect', '--json', '--at', '2026-11-01T00:00:00Z', join(sharedCorpus, 'pe')]);
  const rs = records(stdout);
  t.is(rs.length, 16);
  const whois = rs.find((r) => r.file.name === 'signify-whois.exe');
  t.truthy(whois);
  t.like(whois, {
    file: { size: 398192 },
    module: { format: 'pe', arch: ['x86'], kind: 'exe', version: { file: '1.21' } },
    code_signature: { exists: true, status: 'trusted', valid: true, trusted: true, subject_name: 'Microsoft Corporation', digest_algorithm: 'sha256' },
  });
  t.regex(whois?.file.hash.sha256 ?? '', /^[0-9a-f]{64}$/);
  // SHA-1 and MD5 only with --ioc-digests (below); the SHA-256 authentihash always.
  t.is(whois?.file.hash.sha1, undefined);
  t.is(whois?.file.hash.md5, undefined);
  t.regex(whois?.pe?.authentihash.sha256 ?? '', /^[0-9a-f]{64}$/);
  t.regex(whois?.code_signature.thumbprint_sha256 ?? '', /^[0-9a-f]{64}$/);
  t.is(whois?.code_signature.signatures[0]?.timestamp?.kind, 'rfc3161');
  t.is(code, 1, 'the corpus holds invalid and malformed files: exit 1');
});

test('inspect --ioc-digests: SHA-1 and MD5 of the file and the SHA-1 authentihash are recorded too, and are the right ones', async (t) => {
  const path = join(sharedCorpus, 'pe', 'signify-whois.exe');
  const { stdout } = await sealwatch(['inspect', '--json', '--ioc-digests', '--at', '2026-11-01T00:00:00Z', path]);
  const [r] = records(stdout);
  const bytes = readFileSync(path);
  const digest = (alg: string): string => createHash(alg).update(bytes).digest('hex');
  t.is(r?.file.hash.sha256, digest('sha256'));
  t.is(r?.file.hash.sha1, digest('sha1'));
  t.is(r?.file.hash.md5, digest('md5'));
  t.regex(r?.pe?.authentihash.sha1 ?? '', /^[0-9a-f]{40}$/);
  t.is(r?.code_signature.status, 'trusted', 'the verdict does not depend on the digests recorded');
});

test('exit 0 when everything verifies; human output names signer, timestamp and hashes', async (t) => {
  const good = peFixture('good-timestamped.exe');
  const { code, stdout } = await sealwatch(['inspect', '--trust', join(root, 'config', 'trust'), '--trust', peFixtureTrustDir(), good]);
  t.is(code, 0);
  t.regex(stdout, /Signature: valid, trusted \(embedded\)/);
  t.regex(stdout, /Contoso Test Publisher <- Sealwatch Test Code Signing CA \(sha256; valid, trusted\)/);
  t.regex(stdout, /timestamp 2026-01-01T00:00:00.000Z \(rfc3161, trusted\)/);
  t.regex(stdout, /SHA-256: {3}[0-9a-f]{64}/);
});

test('exit 1 for hidden data or a broken signature; exit 3 for an unreadable path; exit 2 for bad usage', async (t) => {
  t.is((await sealwatch(['inspect', join(sharedCorpus, 'pe', 'uthenticode-YourPhone.exe')])).code, 1);
  const missing = await sealwatch(['inspect', '/nonexistent/sealwatch-test']);
  t.is(missing.code, 3);
  t.regex(missing.stderr, /nonexistent\/sealwatch-test/);
  t.is((await sealwatch(['inspect'])).code, 2);
  t.is((await sealwatch(['inspect', '--at', 'not-a-date', peFixture('unsigned.exe')])).code, 2);
  t.is((await sealwatch(['frobnicate'])).code, 2);
});

test('--catalog resolves a catalog-signed file', async (t) => {
  const { stdout } = await sealwatch(['inspect', '--json', '--catalog', join(sharedCorpus, 'catalog'), join(sharedCorpus, 'pe', 'signify-DXCore.dll')]);
  const [r] = records(stdout);
  t.is(r?.code_signature.source, 'both');
  t.true(r?.code_signature.signatures.some((s) => s.kind === 'catalog' && s.catalog?.matched_by === 'authentihash_sha256'));
});

test('directories: links inside the root are followed, links out of it and loops are not', async (t) => {
  const { copyFileSync, symlinkSync, mkdirSync } = await import('node:fs');
  const dir = tempDir('sealwatch-walk-');
  mkdirSync(join(dir, 'app'));
  copyFileSync(peFixture('unsigned.exe'), join(dir, 'app', 'a.exe'));
  copyFileSync(peFixture('good.dll'), join(dir, 'outside.dll'));
  symlinkSync(join(dir, 'app', 'a.exe'), join(dir, 'app', 'inside-link.exe'));
  symlinkSync(join(dir, 'outside.dll'), join(dir, 'app', 'escape.dll'));
  symlinkSync(join(dir, 'app'), join(dir, 'app', 'loop'));
  const { stdout, stderr } = await sealwatch(['inspect', '--json', join(dir, 'app')]);
  t.deepEqual(records(stdout).map((r) => r.file.name).sort(), ['a.exe', 'inside-link.exe']);
  t.regex(stderr, /escape\.dll: symbolic link out of the watched root/);
});

test('run as root, a --trust or --catalog directory that non-admins can change is refused (exit 2), naming it and why', async (t) => {
  if (process.platform === 'win32' || process.getuid?.() !== 0) return t.pass('the check applies to root');
  const { chmodSync, copyFileSync, mkdirSync, readdirSync } = await import('node:fs');
  const base = tempDir('sealwatch-trust-perm-');
  const trust = join(base, 'trust');
  mkdirSync(trust);
  for (const f of readdirSync(peFixtureTrustDir())) copyFileSync(join(peFixtureTrustDir(), f), join(trust, f));
  const good = peFixture('good-timestamped.exe');
  const ok = await sealwatch(['inspect', '--json', '--trust', trust, good]);
  t.is(ok.code, 0, ok.stderr);
  // A file inside that anyone may rewrite (a planted root), then the directory itself.
  const [first] = readdirSync(trust);
  chmodSync(join(trust, first ?? ''), 0o666);
  const planted = await sealwatch(['inspect', '--json', '--trust', trust, good]);
  t.is(planted.code, 2);
  t.regex(planted.stderr, /--trust directory .*trust: refused: non-admin users can change it/);
  chmodSync(join(trust, first ?? ''), 0o644);
  chmodSync(trust, 0o777);
  const open = await sealwatch(['inspect', '--json', '--catalog', trust, good]);
  t.is(open.code, 2);
  t.regex(open.stderr, /--catalog directory .*trust: refused/);
});

test('files whose names hold a backslash or bytes that are not UTF-8 are read and shown (a rename cannot hide a payload from inspect); a non-module file named by a relative path is shown; an unreadable path is counted', async (t) => {
  const dir = tempDir();
  const mix = join(dir, 'mix');
  mkdirSync(mix);
  // The CVE-2013-3900-style duplicated entry, under a name with a backslash; a signed file under a non-UTF-8 name.
  copyFileSync(join(sharedCorpus, 'pe', 'uthenticode-32-pegoat-authenticode_duplicated.exe'), join(mix, 'a\\b.exe'));
  copyFileSync(join(sharedCorpus, 'pe', 'signify-whois.exe'), Buffer.concat([Buffer.from(`${mix}/c`), Buffer.of(0xff), Buffer.from('d.dll')]));
  writeFileSync(join(mix, 'package.json'), '{}');
  const json = await sealwatch(['inspect', '--json', '--at', '2026-11-01T00:00:00Z', mix]);
  const rs = records(json.stdout);
  t.deepEqual(rs.map((r) => r.file.name).sort(), ['a\\\\b.exe', 'c\\xffd.dll'], json.stderr);
  t.is(rs.find((r) => r.file.name === 'a\\\\b.exe')?.code_signature.problems.some((p) => p.code === 'CERT_TABLE_EXTRA_ENTRY'), true);
  t.is(json.code, 1, 'hidden data: exit 1, not 3');
  const named = await sealwatch(['inspect', '--at', '2026-11-01T00:00:00Z', join(mix, 'a\\b.exe')]);
  t.is(named.code, 1, named.stderr);
  t.regex(named.stdout, /CERT_TABLE_EXTRA_ENTRY/);
  // Relative to the caller's directory: the file is the one named, so it is shown although it is not a module.
  const relative = await sealwatch(['inspect', '--json', join('mix', 'package.json')], {}, dir);
  t.is(records(relative.stdout)[0]?.module.format, 'unknown', relative.stderr);
  const missing = await sealwatch(['inspect', join(mix, 'nope.exe')]);
  t.is(missing.code, 3);
  t.regex(missing.stderr, /nope\.exe: cannot read: no such file or directory/);
  t.regex(missing.stdout, /1 unreadable/);
});

test('a finding outranks an unreadable path: exit 1 for a folder with hidden data and a path that cannot be read, whatever the order', async (t) => {
  const dir = tempDir();
  copyFileSync(join(sharedCorpus, 'pe', 'uthenticode-32-pegoat-authenticode_duplicated.exe'), join(dir, 'hidden.exe'));
  for (const args of [[join(dir, 'nope.exe'), dir], [dir, join(dir, 'nope.exe')]]) {
    const r = await sealwatch(['inspect', ...args]);
    t.is(r.code, 1, r.stderr);
    t.regex(r.stdout, /1 with hidden data, 1 unreadable/);
  }
});

test('the status line says what macOS says: "valid, certificate expired" for an expired Developer certificate without a secure timestamp; a universal file with an unsigned slice is "unsigned (not every slice is signed)"', async (t) => {
  const expired = await sealwatch(['inspect', '--at', '2026-11-01T00:00:00Z', join(sharedCorpus, 'macho', 'santa-allowed_signingid')]);
  t.regex(expired.stdout, /Signature: valid, trusted, certificate expired \(no secure timestamp\) \(embedded\)/);
  const mixed = await sealwatch(['inspect', realCorpusPath('fsevents')]);
  t.regex(mixed.stdout, /Signature: unsigned \(not every slice is signed\)\n/);
});

test('inspect --ioc-digests shows the SHA-1 and MD5 it recorded in human output too (and only then)', async (t) => {
  const path = join(sharedCorpus, 'pe', 'signify-whois.exe');
  const bytes = readFileSync(path);
  const withDigests = await sealwatch(['inspect', '--ioc-digests', path]);
  t.true(withDigests.stdout.includes(`SHA-1:     ${createHash('sha1').update(bytes).digest('hex')}`), withDigests.stdout);
  t.true(withDigests.stdout.includes(`MD5:       ${createHash('md5').update(bytes).digest('hex')}`));
  t.regex(withDigests.stdout, /Authentihash: sha256 [0-9a-f]{64}, sha1 [0-9a-f]{40}/);
  const plain = await sealwatch(['inspect', path]);
  t.notRegex(plain.stdout, /SHA-1:|MD5:/);
});

test('a --trust directory with no certificates in it is said on stderr (most likely the wrong directory), not silently used', async (t) => {
  const empty = tempDir();
  const r = await sealwatch(['inspect', '--trust', empty, join(sharedCorpus, 'pe', 'signify-whois.exe')]);
  t.true(r.stderr.includes(`trust: ${empty}: no certificates here`), r.stderr);
  t.notRegex((await sealwatch(['inspect', join(sharedCorpus, 'pe', 'signify-whois.exe')])).stderr, /no certificates here/);
});

test('a part of the tree the walk cannot read (nested past its depth bound) is named, counted as unreadable, and makes the exit code 3', async (t) => {
  const dir = tempDir();
  mkdirSync(join(dir, ...Array.from({ length: 260 }, () => 'd')), { recursive: true });
  copyFileSync(join(sharedCorpus, 'pe', 'signify-whois.exe'), join(dir, 'whois.exe'));
  const r = await sealwatch(['inspect', dir]);
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /cannot read .*: nested deeper than \d+ directories: not entered/);
  t.regex(r.stdout, /1 module, 1 signed, 1 trusted, 0 invalid, 0 with hidden data, 1 unreadable/);
});
