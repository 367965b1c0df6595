// The detection rules as pure functions: one case per rule boundary, on summaries shaped like real records.
import test from 'ava';
import { type ModuleSummary } from '../../daemon/diff/summary.ts';
import { compareVersions, detect } from '../../daemon/detect/rules.ts';
import { changesBetween, moduleSummary } from '../helpers/module-summary.ts';

const mod = (path: string, over: Partial<ModuleSummary> = {}): ModuleSummary =>
  moduleSummary(path, { ownVersion: '1.0.0.0', imports: new Set(['kernel32.dll!CreateFileW']), signedAt: '2026-01-01T00:00:00.000Z', ...over });
const run = (before: ModuleSummary[], after: ModuleSummary[], v: [string, string] = ['1.0', '1.1'], extra: { baseline?: boolean } = {}) =>
  detect({
    baseline: extra.baseline ?? false,
    fromVersion: v[0],
    toVersion: v[1],
    changes: changesBetween(before, after),
    knownSigners: new Set(before.map((m) => m.signer).filter(Boolean)),
    appWasSigned: before.some((m) => m.signed),
  });
const rules = (fs: ReturnType<typeof run>): string[] => fs.map((f) => `${f.rule}:${f.severity}`).sort();

test('a legitimate update — same signer, versions moved — is one explained info finding', (t) => {
  const fs = run([mod('a.dll')], [mod('a.dll', { sha256: 'b'.repeat(64), ownVersion: '1.1.0.0' })]);
  t.deepEqual(rules(fs), ['UPDATE_EXPLAINED:info']);
  t.regex(fs[0]?.message ?? '', /^1 module\(s\) changed and 0 removed with no finding of their own, explained by the update/, 'it counts what it explains');
});

test('hidden data in a changed module is critical, even when everything else fits', (t) => {
  const after = mod('d3d.dll', { sha256: 'b'.repeat(64), ownVersion: '1.1.0.0', hiddenData: [{ code: 'UNAUTHENTICATED_DATA_IN_CERT_ENTRY', message: '4096 bytes' }] });
  t.deepEqual(rules(run([mod('d3d.dll')], [after])), ['UNAUTHENTICATED_DATA:critical']);
});

test('the baseline caps change rules at info, but facts about the files keep their severity (day-one 3CX)', (t) => {
  const fs = run([], [mod('d3d.dll', { hiddenData: [{ code: 'UNAUTHENTICATED_DATA_IN_CERT_ENTRY', message: 'x' }] })], ['', '1.0'], { baseline: true });
  t.deepEqual(rules(fs), ['BASELINE:info', 'UNAUTHENTICATED_DATA:critical']);
  const broken = run([], [mod('a.dll', { status: 'invalid', integrityProblems: ['DIGEST_MISMATCH: x'] }), mod('b.dll', { signedAt: '2026-02-01T00:00:00.000Z', compiledAt: '2020-01-01T00:00:00.000Z' })], ['', '1.0'], { baseline: true });
  t.deepEqual(rules(broken), ['BASELINE:info', 'SIGNATURE_INVALID:critical', 'TIMESTAMP_ANOMALY:info']);
});

test('signer: another organisation is critical; the same organisation with a new issuing CA is info', (t) => {
  t.deepEqual(rules(run([mod('a.dll')], [mod('a.dll', { sha256: 'b'.repeat(64), ownVersion: '1.1', signer: 'org:Mallory' })])), ['SIGNER_CHANGED:critical']);
  t.deepEqual(rules(run([mod('a.dll')], [mod('a.dll', { sha256: 'b'.repeat(64), ownVersion: '1.1', issuer: 'Contoso CA 2' })])), ['SIGNER_CHANGED:info']);
});

test('new modules: unsigned high (NEW_UNSIGNED_MODULE only, not twice), foreign signer high, own signer medium', (t) => {
  t.deepEqual(rules(run([mod('a.dll')], [mod('a.dll'), mod('b.dll', { signed: false, signer: '', status: 'unsigned' })])), ['NEW_UNSIGNED_MODULE:high']);
  t.deepEqual(rules(run([mod('a.dll')], [mod('a.dll'), mod('b.dll', { signer: 'org:Mallory' })])), ['NEW_MODULE:high']);
  t.deepEqual(rules(run([mod('a.dll')], [mod('a.dll'), mod('b.dll')])), ['NEW_MODULE:medium']);
});

test('a trusted module losing its signature is SIGNATURE_DOWNGRADED critical (not also NEW_UNSIGNED_MODULE)', (t) => {
  const after = mod('a.dll', { sha256: 'b'.repeat(64), ownVersion: '1.1', signed: false, signer: '', status: 'unsigned', standing: 'unsigned' });
  t.deepEqual(rules(run([mod('a.dll', { standing: 'trusted' })], [after])), ['SIGNATURE_DOWNGRADED:critical']);
});

test('capabilities: a constructor or process/network imports appear → medium', (t) => {
  const after = mod('lib.dylib', { format: 'macho', sha256: 'b'.repeat(64), ownVersion: '1.1', constructors: 1, imports: new Set(['_popen', '_malloc']) });
  const fs = run([mod('lib.dylib', { format: 'macho', imports: new Set(['_malloc']) })], [after]);
  t.deepEqual(rules(fs), ['NEW_CAPABILITIES:medium']);
  t.regex(fs[0]?.message ?? '', /constructors 0 → 1; new imports popen/);
});

test('timestamps: a newer version signed before the older one is a rollback; signed long after its build an anomaly', (t) => {
  t.deepEqual(rules(run([mod('a.dll')], [mod('a.dll', { sha256: 'b'.repeat(64), ownVersion: '1.1', signedAt: '2025-06-01T00:00:00.000Z' })])), ['MODULE_ROLLBACK:high']);
  t.deepEqual(rules(run([mod('a.dll')], [mod('a.dll', { sha256: 'b'.repeat(64), ownVersion: '1.1', signedAt: '2026-02-01T00:00:00.000Z', compiledAt: '2024-01-01T00:00:00.000Z' })])), ['TIMESTAMP_ANOMALY:medium']);
});

test('versions: numeric comparison, placeholders and pre-releases', (t) => {
  t.is(compareVersions('18.12.416', '18.12.407'), 1);
  t.is(compareVersions('1.10.0', '1.9.9'), 1);
  t.is(compareVersions('2.0', '2.0.0'), 0);
  t.is(compareVersions(undefined, '1'), undefined);
  t.deepEqual(rules(run([mod('a.dll')], [mod('a.dll')], ['2.0', '1.9'])), ['DOWNGRADE:high']);
});

test('removed modules are listed in the explanation, not raised', (t) => {
  const fs = run([mod('a.dll'), mod('old.dll')], [mod('a.dll')]);
  t.deepEqual(rules(fs), ['UPDATE_EXPLAINED:info']);
  t.deepEqual(fs[0]?.evidence.removed, ['old.dll']);
});

test('a module path that now holds data, a link out of the root, a FIFO or an unreadable file is MODULE_DISPLACED high', (t) => {
  const data = mod('a.dll', { sha256: 'c'.repeat(64), format: 'unknown', isCode: false, signed: false, signer: '', status: 'unsigned', ownVersion: undefined });
  t.deepEqual(rules(run([mod('a.dll')], [data])), ['MODULE_DISPLACED:high']);
  for (const state of ['link-out-of-root', 'special', 'unreadable'] as const) {
    const after = { ...data, sha256: '', state, detail: state === 'link-out-of-root' ? '/etc/passwd' : 'EACCES' };
    const fs = run([mod('a.dll')], [after]);
    t.deepEqual(rules(fs), ['MODULE_DISPLACED:high'], state);
    t.regex(fs[0]?.message ?? '', /held a module, now holds/);
  }
});

test('a new path that cannot be verified is UNVERIFIED_PATH (medium; low for a link out of the root), even on a baseline', (t) => {
  const base = mod('x.dll', { sha256: '', format: 'unknown', isCode: false, signed: false, signer: '', status: 'unsigned', ownVersion: undefined });
  t.deepEqual(rules(run([mod('a.dll')], [mod('a.dll'), { ...base, state: 'unreadable', detail: 'EACCES' }])), ['UNVERIFIED_PATH:medium']);
  t.deepEqual(rules(run([mod('a.dll')], [mod('a.dll'), { ...base, path: 'assets', state: 'link-out-of-root', detail: '/etc' }])), ['UNVERIFIED_PATH:low']);
  // Under a module's name the link may be the code the app loads (never followed, so never read): medium.
  for (const name of ['version.dll', 'lib/libfoo.so.1', 'Frameworks/libbar.dylib', 'addon.node', 'python/_ssl.pyd', 'Frameworks/Foo.framework/Versions/A/Foo']) {
    t.deepEqual(rules(run([mod('a.dll')], [mod('a.dll'), { ...base, path: name, state: 'link-out-of-root', detail: '/tmp/evil' }])), ['UNVERIFIED_PATH:medium'], name);
  }
  // Or a steering file's: Python follows the link to a start-up hook.
  const hook = { ...base, path: 'python/Lib/sitecustomize.py', state: 'link-out-of-root' as const, detail: '/tmp/evil.py', fileClass: 'steering-code' as const };
  t.deepEqual(rules(run([mod('a.dll')], [mod('a.dll'), hook])), ['UNVERIFIED_PATH:medium']);
  t.deepEqual(rules(run([], [{ ...base, state: 'special', detail: 'fifo' }], ['', '1.0'], { baseline: true })), ['BASELINE:info', 'UNVERIFIED_PATH:medium']);
  // A PE over the in-memory bound: hashed, its signature not verified — no better than an unsigned module.
  t.deepEqual(rules(run([mod('a.dll')], [mod('a.dll'), { ...base, format: 'pe', state: 'unreadable', detail: 'too large' }], ['1.0', '1.0'])), ['UNVERIFIED_PATH:high']);
  // … medium where a release explains its arrival (a baseline, an update): genuine CUDA and ML libraries pass 1 GiB.
  t.deepEqual(rules(run([mod('a.dll')], [mod('a.dll'), { ...base, format: 'pe', state: 'unreadable', detail: 'too large' }], ['1.0', '2.0'])), ['UNVERIFIED_PATH:medium']);
});

test('a data file that becomes a module is a new module where none was, never "explained"', (t) => {
  const data = mod('a.png', { format: 'unknown', isCode: false, signed: false, signer: '', status: 'unsigned', ownVersion: undefined });
  const fs = run([mod('x.dll'), data], [mod('x.dll'), mod('a.dat', {}), { ...mod('a.png'), sha256: 'e'.repeat(64), signed: false, signer: '', status: 'unsigned' }]);
  t.true(rules(fs).includes('NEW_UNSIGNED_MODULE:high'));
  t.true(rules(fs).includes('TYPE_MISMATCH:high'));
  t.false(rules(fs).includes('UPDATE_EXPLAINED:info'));
});

test('a module removed while the app version stays is OUT_OF_BAND_CHANGE; removed in an update it is explained', (t) => {
  t.deepEqual(rules(run([mod('a.dll'), mod('b.dll')], [mod('a.dll')], ['1.0', '1.0'])), ['OUT_OF_BAND_CHANGE:high']);
  t.deepEqual(rules(run([mod('a.dll'), mod('b.dll')], [mod('a.dll')], ['1.0', '1.1'])), ['UPDATE_EXPLAINED:info']);
});

test('a directory of modules swapped for a link out of the root is one MODULE_DISPLACED, not "removed, explained by the update"', (t) => {
  const link = mod('resources', { sha256: '', format: 'unknown', isCode: false, signed: false, signer: '', status: 'unsigned', ownVersion: undefined, state: 'link-out-of-root', detail: '/tmp/evil' });
  const fs = run([mod('app.exe'), mod('resources/a.dll'), mod('resources/b.dll')], [mod('app.exe'), link]);
  t.deepEqual(rules(fs), ['MODULE_DISPLACED:high']);
  t.deepEqual(fs[0]?.evidence.modules, ['resources/a.dll', 'resources/b.dll']);
});
