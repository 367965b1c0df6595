// `sealwatch manifest keygen|generate|sign|verify` and `scan --manifest --manifest-key`, as a user runs them (child
// processes), on real signed binaries: exit codes, the key files' modes, what verify says about each bad manifest.
import test from 'ava';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { put } from '../../scripts/lib/three-cx.ts';
import { sealwatch } from '../helpers/cli.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { appDir } from '../helpers/scan.ts';
import { tempDir } from '../helpers/temp.ts';

const tmp = (p: string): string => tempDir(p);

test('keygen → generate → sign → verify; scan with the manifest; every bad manifest refused with its reason', async (t) => {
  const keys = tmp('sealwatch-keys-');
  const kg = await sealwatch(['manifest', 'keygen', '--out', keys]);
  t.is(kg.code, 0, kg.stderr);
  t.is(statSync(join(keys, 'manifest.key')).mode & 0o777, 0o600);
  t.regex(readFileSync(join(keys, 'manifest.key'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  t.regex(readFileSync(join(keys, 'manifest.pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
  t.regex(kg.stdout, /key id +[0-9a-f]{64}/);
  t.false(kg.stdout.includes(readFileSync(join(keys, 'manifest.key'), 'utf8').split('\n')[1] as string), 'the private key is never printed');
  t.is((await sealwatch(['manifest', 'keygen', '--out', keys])).code, 2, 'an existing key is never overwritten');

  const app = appDir();
  put(app, 'conpty.dll', readFileSync(realCorpusPath('conpty')));
  put(app, 'vcruntime140.dll', readFileSync(realCorpusPath('vcruntime140')));
  const file = join(tmp('sealwatch-m-'), 'contoso-1.0.0.json');
  const gen = await sealwatch(['manifest', 'generate', app, '--app', 'contoso', '--app-version', '1.0.0', '--out', file]);
  t.is(gen.code, 0, gen.stderr);
  const unsigned = JSON.parse(readFileSync(file, 'utf8')) as { format: string; payload: { files: Array<{ path: string; authentihash?: string }> }; signatures: unknown[] };
  t.is(unsigned.format, 'sealwatch-manifest/1');
  t.deepEqual(unsigned.payload.files.map((f) => f.path), ['conpty.dll', 'vcruntime140.dll']);
  t.deepEqual(unsigned.signatures, []);
  const refused = await sealwatch(['manifest', 'verify', file, '--pub', join(keys, 'manifest.pub')]);
  t.is(refused.code, 1);
  t.regex(refused.stdout, /MANIFEST_INVALID \(unsigned\)/);

  t.is((await sealwatch(['manifest', 'sign', file, '--key', join(keys, 'manifest.key'), '--expires', '30d', '--sequence', '7'])).code, 0);
  const ok = await sealwatch(['manifest', 'verify', file, '--pub', join(keys, 'manifest.pub'), '--app', 'contoso']);
  t.is(ok.code, 0, ok.stdout);
  t.regex(ok.stdout, /^valid: contoso 1\.0\.0, 2 files, sequence 7, expires /);
  t.regex((await sealwatch(['manifest', 'verify', file, '--pub', join(keys, 'manifest.pub'), '--app', 'other'])).stdout, /wrong-app/);
  t.regex((await sealwatch(['manifest', 'verify', file, '--pub', join(keys, 'manifest.pub'), '--at', '2099-01-01'])).stdout, /MANIFEST_INVALID \(expired\)/);
  const other = tmp('sealwatch-keys-');
  await sealwatch(['manifest', 'keygen', '--out', other]);
  const wrong = await sealwatch(['manifest', 'verify', file, '--pub', join(other, 'manifest.pub')]);
  t.is(wrong.code, 1);
  t.regex(wrong.stdout, /MANIFEST_INVALID \(wrong-key\)/);
  const tampered = file.replace('.json', '-tampered.json');
  writeFileSync(tampered, readFileSync(file, 'utf8').replace('"1.0.0"', '"1.0.1"'));
  t.regex((await sealwatch(['manifest', 'verify', tampered, '--pub', join(keys, 'manifest.pub')])).stdout, /MANIFEST_INVALID \(bad-signature\)/);
  t.is((await sealwatch(['manifest', 'sign', file, '--key', join(keys, 'manifest.key'), '--expires', 'forever'])).code, 2);
  const pubSign = await sealwatch(['manifest', 'sign', file, '--key', join(keys, 'manifest.pub')]);
  t.is(pubSign.code, 2, 'a public key cannot sign');
  t.regex(pubSign.stderr, /lets others read it|not a PKCS#8 PEM private key/);
  chmodSync(join(keys, 'manifest.key'), 0o644);
  const open = await sealwatch(['manifest', 'sign', file, '--key', join(keys, 'manifest.key')]);
  t.is(open.code, 2);
  t.regex(open.stderr, /mode 644 lets others read it; chmod 600 it/);
  chmodSync(join(keys, 'manifest.key'), 0o600);

  const db = join(tmp('sealwatch-db-'), 'sealwatch.db');
  const scan = await sealwatch(['scan', app, '--app', 'contoso', '--app-version', '1.0.0', '--db', db, '--json', '--manifest', file, '--manifest-key', join(keys, 'manifest.pub')]);
  t.is(scan.code, 0, scan.stderr);
  const report = JSON.parse(scan.stdout) as { manifests: Array<{ state: string; name: string }>; findings: Array<{ rule: string }> };
  t.is(report.manifests[0]?.state, 'used');
  t.false(report.findings.some((f) => /MANIFEST/.test(f.rule)));
  put(app, 'msalruntime.dll', readFileSync(realCorpusPath('msalruntime')));
  const second = await sealwatch(['scan', app, '--app', 'contoso', '--app-version', '1.0.0', '--db', db, '--manifest', file, '--manifest-key', join(keys, 'manifest.pub')]);
  t.is(second.code, 1, 'a high finding');
  t.regex(second.stdout, /\[high\] NOT_IN_MANIFEST: msalruntime\.dll: a module that .*contoso-1\.0\.0\.json \[contoso 1\.0\.0, sequence 7, key [0-9a-f]{16}…\] \(signed with a pinned key\) does not list/);
  const usage = await sealwatch(['scan', app, '--app', 'contoso', '--db', db, '--manifest', file]);
  t.is(usage.code, 2);
  t.regex(usage.stderr, /--manifest needs the pinned public key/);
});
