// `policy test APP`: a recorded history (real SQLite file, real signed and unsigned vendor binaries) judged again
// under a policy — the exact findings that would change, snapshot by snapshot — and nothing written: the database
// file's bytes are the same afterwards.
import test from 'ava';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { peFixture, peFixtureTrustDir } from '../../scripts/lib/fixtures.ts';
import { put } from '../../scripts/lib/three-cx.ts';
import { sealwatch } from '../helpers/cli.ts';
import { realAppPath, realCorpusPath } from '../helpers/real-corpus.ts';
import { namedRoot, policiesFrom, policyFile, policyHarness } from './helpers.ts';

const POLICY = `name: term
match:
  apps: [term]
signers:
  - organization: Microsoft Corporation
unsigned:
  - pty.node
severity:
  NEW_MODULE: critical
exceptions:
  - rule: NEW_UNSIGNED_MODULE
    path: clipboard_x86_64.exe
    reason: vendor confirmed the helper; signed from 1.2
    owner: secops@example.com
    expires: 2026-12-01
`;

/** Two snapshots recorded without any policy: a Microsoft-signed baseline, then three new modules. */
async function recordHistory(policies: ReturnType<typeof policiesFrom> = []): Promise<string> {
  const h = policyHarness(policies, [peFixtureTrustDir()]);
  try {
    const root = namedRoot('term');
    put(root, 'conpty.dll', readFileSync(realCorpusPath('conpty')));
    await h.scan('term', root, { appVersion: '1.0.0' });
    put(root, 'pty.node', readFileSync(realCorpusPath('pty-node'))); // unsigned (node-pty 1.1.0)
    put(root, 'clipboard_x86_64.exe', readFileSync(realCorpusPath('clipboard'))); // unsigned (clipboardy 5.3.2)
    put(root, 'contoso.dll', readFileSync(peFixture('vendor-signed.dll'))); // trusted, Contoso Test Ltd
    await h.scan('term', root, { appVersion: '1.1.0' });
    return h.dbPath;
  } finally {
    await h.close();
  }
}

const bytesOf = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex') + (existsSync(`${file}-wal`) ? createHash('sha256').update(readFileSync(`${file}-wal`)).digest('hex') : '');

interface Change { kind: string; rule: string; path: string | null; before?: { severity: string; explained: boolean; policy?: { action: string; rule?: string } }; after?: { severity: string; explained: boolean; policy?: { action: string; rule?: string } } }
interface Replay { changes: number; snapshots: Array<{ snapshot: number; version: string; policies: string[]; changes: Change[] }> }

const brief = (c: Change): string[] => [c.kind, c.rule, c.path ?? '', c.before ? `${c.before.severity}${c.before.explained ? '*' : ''}` : '-', c.after ? `${c.after.severity}${c.after.explained ? '*' : ''}` : '-', (c.kind === 'removed' ? c.before : c.after)?.policy?.action ?? ''];

test('policy test: the exact findings a policy would change in a recorded history, and the database file unchanged byte for byte', async (t) => {
  const db = await recordHistory();
  const policy = policyFile(POLICY);
  const before = bytesOf(db);
  const r = await sealwatch(['policy', 'test', 'term', '--policy', policy, '--db', db, '--json']);
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Replay;
  t.deepEqual(out.snapshots.map((s) => [s.version, s.policies, s.changes.map(brief).sort()]), [
    ['1.0.0', ['term'], []],
    ['1.1.0', ['term'], [
      ['added', 'UNEXPECTED_SIGNER', 'clipboard_x86_64.exe', '-', 'high', 'raised'],
      ['added', 'UNEXPECTED_SIGNER', 'contoso.dll', '-', 'high', 'raised'],
      ['changed', 'NEW_MODULE', 'contoso.dll', 'high', 'critical', 'severity'],
      ['changed', 'NEW_UNSIGNED_MODULE', 'clipboard_x86_64.exe', 'high', 'info*', 'exception'],
      ['changed', 'NEW_UNSIGNED_MODULE', 'pty.node', 'high', 'info*', 'allowed-unsigned'],
    ]],
  ]);
  t.is(out.changes, 5);
  t.is(bytesOf(db), before, 'policy test wrote nothing');

  // The human form says the same, one line per change.
  const human = await sealwatch(['policy', 'test', 'term', '--policy', policy, '--db', db]);
  t.regex(human.stdout, /^term: 2 snapshots judged again under 4 policies \(each at its own time\): 5 findings would change \(nothing is written\)$/m);
  t.regex(human.stdout, /^ {2}high → info \(explained\) NEW_UNSIGNED_MODULE clipboard_x86_64\.exe: .* — policy exception exceptions\[0\] in .*policy\.yaml: vendor confirmed the helper; signed from 1\.2 \(owner secops@example\.com, until 2026-12-01\)$/m);
  t.is(bytesOf(db), before);
});

test('policy test --at: on the expiry date the exception stops applying and is reported as EXCEPTION_EXPIRED', async (t) => {
  const db = await recordHistory();
  const policy = policyFile(POLICY);
  const run = async (at: string): Promise<Replay> => JSON.parse((await sealwatch(['policy', 'test', 'term', '--policy', policy, '--db', db, '--json', '--at', at])).stdout) as Replay;
  const clipboard = (r: Replay): string[][] => (r.snapshots[1]?.changes ?? []).filter((c) => c.path === 'clipboard_x86_64.exe' || c.rule === 'EXCEPTION_EXPIRED').map(brief).sort();
  t.deepEqual(clipboard(await run('2026-11-30T23:59:59.999Z')), [
    ['added', 'UNEXPECTED_SIGNER', 'clipboard_x86_64.exe', '-', 'high', 'raised'],
    ['changed', 'NEW_UNSIGNED_MODULE', 'clipboard_x86_64.exe', 'high', 'info*', 'exception'],
  ]);
  const expired = await run('2026-12-01');
  t.deepEqual(clipboard(expired), [
    ['added', 'EXCEPTION_EXPIRED', 'clipboard_x86_64.exe', '-', 'info', 'expired'],
    ['added', 'UNEXPECTED_SIGNER', 'clipboard_x86_64.exe', '-', 'high', 'raised'],
  ], 'NEW_UNSIGNED_MODULE stays high: no change');
  t.true(expired.snapshots[0]?.changes.some((c) => c.rule === 'EXCEPTION_EXPIRED'), 'reported on every snapshot judged after the date');
});

test('policy test on a history recorded under a policy: judged without it, every policy effect is undone', async (t) => {
  const policy = policyFile(POLICY);
  const db = await recordHistory(policiesFrom(policy));
  const r = JSON.parse((await sealwatch(['policy', 'test', 'term', '--db', db, '--json'])).stdout) as Replay;
  t.deepEqual(r.snapshots[1]?.changes.map(brief).sort(), [
    ['changed', 'NEW_MODULE', 'contoso.dll', 'critical', 'high', ''],
    ['changed', 'NEW_UNSIGNED_MODULE', 'clipboard_x86_64.exe', 'info*', 'high', ''],
    ['changed', 'NEW_UNSIGNED_MODULE', 'pty.node', 'info*', 'high', ''],
    ['removed', 'UNEXPECTED_SIGNER', 'clipboard_x86_64.exe', 'high', '-', 'raised'],
    ['removed', 'UNEXPECTED_SIGNER', 'contoso.dll', 'high', '-', 'raised'],
  ]);
  // and under the same policy again: nothing changes
  const same = JSON.parse((await sealwatch(['policy', 'test', 'term', '--policy', policy, '--db', db, '--json'])).stdout) as Replay;
  t.is(same.changes, 0, JSON.stringify(same.snapshots.map((s) => s.changes)));
});

test('policy test: an app not in the history, or a bad --at, is a usage error (exit 2)', async (t) => {
  const db = await recordHistory();
  t.is((await sealwatch(['policy', 'test', 'nope', '--db', db])).code, 2);
  t.is((await sealwatch(['policy', 'test', 'term', '--db', db, '--at', '2026-02-30'])).code, 2);
});

const SQUIRREL_POLICY = `name: sq
match:
  apps: [sq]
signers:
  - organization: Microsoft Corporation
`;

test('policy test pairs a Squirrel update as the scan did: the same policy again changes nothing, whether the old app-x.y.z folder stays or goes (and beside an empty app-x.y.z folder)', async (t) => {
  const policy = policyFile(SQUIRREL_POLICY);
  for (const dropOld of [false, true]) {
    const h = policyHarness(policiesFrom(policy));
    let db: string;
    try {
      // The real Update.exe beside app-x.y.z folders, each a real msal release (Microsoft-signed modules and others)
      const root = namedRoot('sq');
      put(root, 'Update.exe', readFileSync(realCorpusPath('squirrel')));
      cpSync(realAppPath('msal-0.20.6'), join(root, 'app-0.20.6'), { recursive: true });
      await h.scan('sq', root);
      cpSync(realAppPath('msal-0.20.7'), join(root, 'app-0.20.7'), { recursive: true });
      if (dropOld) rmSync(join(root, 'app-0.20.6'), { recursive: true });
      mkdirSync(join(root, 'app-99.0.0')); // empty, newest by name: no version folder for the scan nor for the replay
      await h.scan('sq', root);
      db = h.dbPath;
    } finally {
      await h.close();
    }
    const r = await sealwatch(['policy', 'test', 'sq', '--policy', policy, '--db', db, '--json']);
    t.is(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Replay;
    t.is(out.snapshots.length, 2);
    t.deepEqual(out.snapshots.flatMap((s) => s.changes.map(brief)), [], dropOld ? 'old folder deleted' : 'old folder kept');
  }
});

test('policy test pairs a rename inside the newest Squirrel folder as the scan did: the module whose old name that folder held is not the counterpart', async (t) => {
  const policy = policyFile(SQUIRREL_POLICY);
  const h = policyHarness(policiesFrom(policy));
  let db: string;
  try {
    const root = namedRoot('sq');
    put(root, 'Update.exe', readFileSync(realCorpusPath('squirrel')));
    const unsigned = readFileSync(realCorpusPath('pty-node')); // a PE that no Microsoft policy allows
    put(root, 'app-1.0.0/lib/foo-1.dll', unsigned);
    put(root, 'app-2.0.0/lib/foo-1.dll', unsigned);
    await h.scan('sq', root);
    rmSync(join(root, 'app-2.0.0/lib/foo-1.dll'));
    put(root, 'app-2.0.0/lib/foo-2.dll', unsigned);
    const update = await h.scan('sq', root);
    t.true(update.findings.some((f) => f.rule === 'UNEXPECTED_SIGNER' && f.path === 'app-2.0.0/lib/foo-2.dll'), JSON.stringify(update.findings.map((f) => `${f.rule} ${f.path}`)));
    db = h.dbPath;
  } finally {
    await h.close();
  }
  const out = JSON.parse((await sealwatch(['policy', 'test', 'sq', '--policy', policy, '--db', db, '--json'])).stdout) as Replay;
  t.deepEqual(out.snapshots.flatMap((s) => s.changes.map(brief)), []);
});
