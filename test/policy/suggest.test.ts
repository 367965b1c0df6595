// `policy suggest APP`: a starting policy from the recorded history of real binaries — the app's own signers (a
// vendor rename keeps both names), co-signers by module, unsigned modules — that lints clean and, applied to the same
// history, raises nothing.
import test from 'ava';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { peFixture, peFixtureTrustDir } from '../../scripts/lib/fixtures.ts';
import { put } from '../../scripts/lib/three-cx.ts';
import { sealwatch } from '../helpers/cli.ts';
import { realAppPath, realCorpusPath, sharedCorpus } from '../helpers/real-corpus.ts';
import { namedRoot, policyFile, policyHarness } from './helpers.ts';

const jsonLinesOf = (text: string): Array<{ id: number; rule: string }> => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: number; rule: string });

interface Replay { changes: number; snapshots: Array<{ changes: Array<{ kind: string; rule: string; path: string | null }> }> }

async function suggestAndCheck(t: import('ava').ExecutionContext, db: string, app: string): Promise<Record<string, unknown>> {
  const r = await sealwatch(['policy', 'suggest', app, '--db', db]);
  t.is(r.code, 0, r.stderr);
  const file = policyFile(r.stdout, `${app}.yaml`);
  const lint = await sealwatch(['policy', 'lint', file]);
  t.is(lint.code, 0, lint.stdout);
  t.regex(lint.stdout, /^1 policy read; 0 errors, 0 warnings$/m);
  const replay = JSON.parse((await sealwatch(['policy', 'test', app, '--policy', file, '--db', db, '--json'])).stdout) as Replay;
  t.deepEqual(replay.snapshots.flatMap((s) => s.changes.filter((c) => c.rule === 'UNEXPECTED_SIGNER')), [], 'the suggestion allows what the history holds');
  return parse(r.stdout) as Record<string, unknown>;
}

test('suggest on node-win 14.12.0 → 14.21.3: both names of the renamed vendor are expected signers, and the rename is then explained', async (t) => {
  const h = policyHarness([]);
  const root = namedRoot('node');
  cpSync(realAppPath('node-win-14.12.0'), root, { recursive: true });
  await h.scan('node14', root);
  cpSync(realAppPath('node-win-14.21.3'), root, { recursive: true });
  await h.scan('node14', root);
  await h.close();
  // The rename raised SIGNER_CHANGED high: until someone reviews it, the new name is not suggested.
  const before = await sealwatch(['policy', 'suggest', 'node14', '--db', h.dbPath]);
  t.deepEqual((parse(before.stdout) as { signers: Array<{ organization: string }> }).signers.map((s) => s.organization), ['Node.js Foundation']);
  t.regex(before.stdout, /# Not suggested \(they arrived with a high or critical finding still open[^\n]*\n#\s+bin\/node\.exe \(SIGNER_CHANGED high, snapshot \d+, version v14\.21\.3\)/);
  const changed = jsonLinesOf((await sealwatch(['findings', '--app', 'node14', '--json', '--db', h.dbPath])).stdout).find((f) => f.rule === 'SIGNER_CHANGED');
  t.is((await sealwatch(['review', String(changed?.id), '--state', 'accepted', '--note', 'vendor renamed to OpenJS Foundation', '--db', h.dbPath])).code, 0);
  const p = await suggestAndCheck(t, h.dbPath, 'node14');
  t.like(p, { name: 'node14-suggested', match: { apps: ['node14'] } });
  t.deepEqual((p.signers as Array<{ organization: string }>).map((s) => s.organization).sort(), ['Node.js Foundation', 'OpenJS Foundation']);
  t.is(p.co_signers, undefined);
  t.is(p.unsigned, undefined);
  t.regex((p.signers as Array<{ observed: string }>)[0]?.observed ?? '', /sealwatch history of node14: 1 module\(s\) \(bin\/node\.exe\); issuing CA DigiCert SHA2 Assured ID Code Signing CA; 1 leaf certificate\(s\)/);
  const replay = JSON.parse((await sealwatch(['policy', 'test', 'node14', '--policy', policyFile((await sealwatch(['policy', 'suggest', 'node14', '--db', h.dbPath])).stdout), '--db', h.dbPath, '--json'])).stdout) as Replay;
  t.deepEqual(replay.snapshots[1]?.changes.map((c) => [c.kind, c.rule, c.path]), [['changed', 'SIGNER_CHANGED', 'bin/node.exe']]);
});

test('suggest on an Electron-shaped app of real files: the vendor signs, Microsoft co-signs its DLLs by name, node-pty and Squirrel modules are unsigned', async (t) => {
  const h = policyHarness([], [peFixtureTrustDir()]);
  const root = namedRoot('contoso');
  const pty = join(realAppPath('node-pty-1.1.0'), 'prebuilds', 'win32-x64');
  put(root, 'contoso.exe', readFileSync(peFixture('vendor-signed.dll')));
  put(root, 'd3dcompiler_47.dll', readFileSync(realCorpusPath('vcruntime140')));
  put(root, 'Update.exe', readFileSync(realCorpusPath('squirrel')));
  for (const f of ['pty.node', 'winpty.dll', 'conpty/conpty.dll', 'conpty/OpenConsole.exe']) put(root, `resources/app.asar.unpacked/pty/${f}`, readFileSync(join(pty, f)));
  await h.scan('contoso-desktop', root, { appVersion: '1.0.0' });
  await h.close();
  const p = await suggestAndCheck(t, h.dbPath, 'contoso-desktop');
  t.deepEqual((p.signers as Array<Record<string, string>>).map(({ observed: _o, ...s }) => s), [{ organization: 'Contoso Test Ltd' }]);
  t.deepEqual((p.co_signers as Array<{ modules: string[]; signers: Array<Record<string, string>> }>).map((c) => [c.modules, c.signers.map(({ observed: _o, ...s }) => s)]), [
    [['OpenConsole.exe', 'conpty.dll', 'd3dcompiler_47.dll'], [{ organization: 'Microsoft Corporation' }]],
  ]);
  t.deepEqual(p.unsigned, ['Update.exe', 'pty.node', 'winpty.dll']);
});

test('suggest never turns an attack in the history into an allowance: a DLL swapped for another publisher\'s genuine one (SIGNER_CHANGED critical, open) is held back and named', async (t) => {
  const h = policyHarness([]);
  const root = namedRoot('term');
  put(root, 'conpty.dll', readFileSync(realCorpusPath('conpty')));
  put(root, 'helper.dll', readFileSync(realCorpusPath('vcruntime140')));
  await h.scan('term', root, { appVersion: '1.0.0' });
  put(root, 'conpty.dll', readFileSync(realCorpusPath('squirrel')));
  const swapped = await h.scan('term', root, { appVersion: '1.0.0' });
  await h.close();
  t.true(swapped.findings.some((f) => f.path === 'conpty.dll' && (f.severity === 'high' || f.severity === 'critical') && !f.explained), 'the swap is an open alarm');
  const r = await sealwatch(['policy', 'suggest', 'term', '--db', h.dbPath]);
  t.is(r.code, 0, r.stderr);
  const p = parse(r.stdout) as { signers?: Array<{ organization: string }>; co_signers?: Array<{ signers: Array<{ organization: string }> }> };
  const allowed = [...(p.signers ?? []), ...(p.co_signers ?? []).flatMap((c) => c.signers)].map((s) => s.organization);
  t.deepEqual(allowed, ['Microsoft Corporation'], 'only the publisher of the modules nobody alarmed about');
  t.regex(r.stdout, /#\s+conpty\.dll \([A-Z_]+ (high|critical), snapshot \d+, version 1\.0\.0\)/);
});

test('suggest names an app that is not in the history as a usage error (exit 2), and never overwrites a file', async (t) => {
  const h = policyHarness([]);
  const root = namedRoot('x');
  put(root, 'conpty.dll', readFileSync(realCorpusPath('conpty')));
  await h.scan('x', root, { appVersion: '1' });
  await h.close();
  t.is((await sealwatch(['policy', 'suggest', 'nope', '--db', h.dbPath])).code, 2);
  const existing = policyFile('keep me\n');
  const r = await sealwatch(['policy', 'suggest', 'x', '--db', h.dbPath, '--out', existing]);
  t.is(r.code, 2);
  t.regex(r.stderr, /exists: it is not overwritten/);
  t.is(readFileSync(existing, 'utf8'), 'keep me\n');
});

test('suggest writes names from the history inert — a file named with a bidi override, a module whose untrusted signer says ESC[31m — and the YAML still means exactly those names', async (t) => {
  const h = policyHarness([]);
  const root = namedRoot('hostile');
  const bidi = 'evil\u202egnp.dll';
  put(root, 'conpty.dll', readFileSync(realCorpusPath('conpty')));
  put(root, bidi, readFileSync(realCorpusPath('pty-node'))); // unsigned: named in the policy's unsigned list
  put(root, 'x\u009b31m\u001b[2K.dll', readFileSync(join(sharedCorpus, 'pe', 'uthenticode-32-pegoat-authenticode.exe'))); // untrusted: named in a comment
  await h.scan('hostile', root, { appVersion: '1' });
  await h.close();
  const r = await sealwatch(['policy', 'suggest', 'hostile', '--db', h.dbPath]);
  t.is(r.code, 0, r.stderr);
  t.false(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(r.stdout), JSON.stringify(r.stdout));
  t.regex(r.stdout, /#\s+x\\x9b31m\\x1b\[2K\.dll \(untrusted/);
  const p = parse(r.stdout) as { unsigned: string[] };
  t.deepEqual(p.unsigned, [bidi]);
});
