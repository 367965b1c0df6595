// Issue 9 §5 as pure rules: the wording and the counting that keep real updates quiet without letting an attacker
// hide in the quiet. (The real vendor pairs are in quiet.test.ts.)
import test from 'ava';
import { moduleStem } from '../../daemon/diff/diff.ts';
import { type ModuleSummary } from '../../daemon/diff/summary.ts';
import { type PriorLayout } from '../../daemon/detect/input.ts';
import { bySeverityDesc, detect } from '../../daemon/detect/rules.ts';
import { scanSummary } from '../../daemon/cli/scan.ts';
import { changesBetween, moduleSummary } from '../helpers/module-summary.ts';

// Each path its own digest, so that a new module never pairs with a removed one as a rename (same content).
const mod = (path: string, over: Partial<ModuleSummary> = {}): ModuleSummary =>
  moduleSummary(path, { sha256: `${path}-v1`.padEnd(64, '0'), fileClass: 'module', ...over });
const unsigned = { signed: false, signer: '', status: 'unsigned' } as const;

function prior(before: readonly ModuleSummary[]): PriorLayout {
  const moduleNames = new Map<string, Set<string>>();
  const directories = new Set<string>(['']);
  for (const m of before) {
    for (let i = m.path.lastIndexOf('/'); i > 0; i = m.path.lastIndexOf('/', i - 1)) directories.add(m.path.slice(0, i));
    const s = moduleNames.get(moduleStem(m.path)) ?? new Set<string>();
    s.add(m.signed ? m.signer : '');
    moduleNames.set(moduleStem(m.path), s);
  }
  return { modules: before.length, moduleNames, directories };
}

/** `before` is every module the app had (nothing else is unchanged); `after` the changed and new ones plus kept ones. */
function run(before: ModuleSummary[], after: ModuleSummary[], v: [string | undefined, string | undefined] = ['1.0', '1.1']) {
  return detect({
    baseline: false,
    fromVersion: v[0],
    toVersion: v[1],
    changes: changesBetween(before, after),
    knownSigners: new Set(before.map((m) => m.signer).filter((s) => s.startsWith('org:') || s.startsWith('team:'))),
    appWasSigned: before.some((m) => m.signed),
    prior: prior(before),
  });
}
const rules = (fs: ReturnType<typeof run>): string[] => fs.map((f) => `${f.rule}:${f.severity}`);

test('module stems ignore directory, extension, lib prefix, architecture words and versions', (t) => {
  t.is(moduleStem('dist/macos/arm64/libmsalruntime_arm64.dylib'), 'msalruntime');
  t.is(moduleStem('dist/windows/x86/msalruntime_x86.dll'), 'msalruntime');
  t.is(moduleStem('dist/linux/x64/libmsalruntime.so.1.2'), 'msalruntime');
  t.is(moduleStem('fallbacks/windows/clipboard_x86_64.exe'), 'clipboard');
  t.is(moduleStem('bin/ffmpeg-4.2.1.dll'), 'ffmpeg');
  t.not(moduleStem('version.dll'), moduleStem('winmm.dll'));
});

test('a linker-signed or ad-hoc new module is never "a publisher"; an app without signed code has no "own signer"', (t) => {
  const linker = run([mod('a.dylib', { format: 'macho' })], [mod('a.dylib', { format: 'macho' }), mod('b.dylib', { format: 'macho', signer: 'linker-signed', status: 'linker-signed' })], ['1.0', '1.0']);
  const f = linker.find((x) => x.path === 'b.dylib' && x.rule === 'NEW_MODULE');
  t.regex(f?.message ?? '', /linker-signed, with no publisher identity/);
  t.notRegex(f?.message ?? '', /publisher this app has not used/);
  const none = run([mod('a.node', unsigned)], [mod('a.node', unsigned), mod('b.dll')], ['1.0', '1.0']);
  const g = none.find((x) => x.path === 'b.dll' && x.rule === 'NEW_MODULE');
  t.notRegex(g?.message ?? '', /the app's own signer/);
  t.regex(g?.message ?? '', /the app had no signed code to compare with/);
  t.is(g?.severity, 'high');
});

test('an unsigned new module in a signed app is one finding, not two', (t) => {
  const fs = run([mod('a.dll')], [mod('a.dll'), mod('evil.dll', unsigned)]);
  t.deepEqual(fs.filter((f) => f.path === 'evil.dll').map((f) => f.rule), ['NEW_UNSIGNED_MODULE']);
});

test('rename pairing: same content anywhere; by name only with the same trusted signer in the same folder, or unsigned with unsigned', (t) => {
  const moved = run([mod('old/a.dll')], [mod('new/a.dll', { sha256: mod('old/a.dll').sha256 })]);
  t.deepEqual(rules(moved), ['UPDATE_EXPLAINED:info']);
  t.deepEqual(moved[0]?.evidence.renamed, [{ from: 'old/a.dll', to: 'new/a.dll' }]);
  const renamed = run([mod('x/libfoo.dylib', { format: 'macho' })], [mod('x/libfoo_arm64.dylib', { format: 'macho', sha256: 'f'.repeat(64) })]);
  t.deepEqual(rules(renamed), ['UPDATE_EXPLAINED:info']);
  const foreign = run([mod('x/libfoo.dylib', { format: 'macho' })], [mod('x/libfoo_arm64.dylib', { format: 'macho', sha256: 'f'.repeat(64), signer: 'org:Mallory' })]);
  t.true(rules(foreign).includes('NEW_MODULE:high'), 'another signer does not pair');
  // Unsigned code pairs by name only with unsigned code: judged exactly as if overwritten in place (explained inside
  // an update, OUT_OF_BAND_CHANGE outside one); never with a signed module (test/detect/generalise-detection.test.ts).
  const unsignedRename = run([mod('a.node', unsigned), mod('b.dll')], [mod('a_x64.node', { ...unsigned, sha256: 'e'.repeat(64) }), mod('b.dll')]);
  t.deepEqual(rules(unsignedRename), ['UPDATE_EXPLAINED:info'], 'unsigned → unsigned pairs as a rename');
  const unsignedOverSigned = run([mod('a.node'), mod('b.dll')], [mod('a_x64.node', { ...unsigned, sha256: 'e'.repeat(64) }), mod('b.dll')]);
  t.true(rules(unsignedOverSigned).includes('NEW_UNSIGNED_MODULE:high'), 'unsigned code never pairs with a signed module');
  const unsignedOutOfBand = run([mod('a.node', unsigned), mod('b.dll')], [mod('a_x64.node', { ...unsigned, sha256: 'e'.repeat(64) }), mod('b.dll')], ['1.0', '1.0']);
  t.deepEqual(rules(unsignedOutOfBand), ['OUT_OF_BAND_CHANGE:high']);
  const outOfBand = run([mod('x/libfoo.dylib', { format: 'macho' })], [mod('x/libfoo_arm64.dylib', { format: 'macho', sha256: 'f'.repeat(64) })], ['1.0', '1.0']);
  t.deepEqual(rules(outOfBand), ['OUT_OF_BAND_CHANGE:high']);
  t.regex(outOfBand[0]?.message ?? '', /renamed from x\/libfoo\.dylib/);
});

test('a new architecture folder: grouped in an update; each file on its own outside one; a foreign or unmatched member is judged on its own', (t) => {
  const before = [mod('dist/win/x64/core.dll'), mod('dist/win/x64/glue.node', unsigned)];
  const arm = [mod('dist/win/arm64/core_arm64.dll'), mod('dist/win/arm64/glue.node', unsigned)];
  const update = run(before, [...before, ...arm]);
  t.deepEqual(rules(update), ['NEW_MODULE_GROUP:medium']);
  t.like(update[0]?.evidence, { group: 'new-architecture', count: 2, unsigned: 1, folders: ['dist/win/arm64'] });
  const signedBefore = [before[0] as ModuleSummary, mod('dist/win/x64/glue.node')];
  const signedOnly = run(signedBefore, [...signedBefore, arm[0] as ModuleSummary, mod('dist/win/arm64/glue.node')]);
  t.deepEqual(rules(signedOnly), ['NEW_MODULE_GROUP:low'], 'every member signed by the app\'s signer');
  const outOfBand = run(before, [...before, ...arm], ['1.0', '1.0']);
  t.deepEqual(rules(outOfBand).sort(), ['NEW_MODULE:medium', 'NEW_UNSIGNED_MODULE:high']);
  const planted = run(before, [...before, ...arm, mod('dist/win/arm64/core_helper.dll', { signer: 'org:Mallory' }), mod('dist/win/arm64/payload.dll', unsigned)]);
  t.deepEqual(rules(planted).sort(), ['NEW_MODULE:high', 'NEW_MODULE_GROUP:medium', 'NEW_UNSIGNED_MODULE:high']);
  t.deepEqual(planted.filter((f) => f.rule !== 'NEW_MODULE_GROUP').map((f) => f.path).sort(), ['dist/win/arm64/core_helper.dll', 'dist/win/arm64/payload.dll']);
  const inOldFolder = run(before, [...before, mod('dist/win/x64/glue_x64.node', unsigned), mod('dist/win/x64/core_x64.dll')]);
  t.false(rules(inOldFolder).includes('NEW_MODULE_GROUP:medium'), 'only folders the app did not have');
});

test('first binaries: one group, but a fact about a member (hidden data) still stands on its own', (t) => {
  const fs = detect({
    baseline: false,
    fromVersion: '1.0.0-beta9',
    toVersion: '1.0.0',
    changes: changesBetween([], [mod('a.node', unsigned), mod('b.dll', { hiddenData: [{ code: 'UNAUTHENTICATED_DATA_IN_CERT_ENTRY', message: '4096 bytes' }] })]),
    knownSigners: new Set(),
    appWasSigned: false,
    prior: { modules: 0, moduleNames: new Map(), directories: new Set(['']) },
  });
  t.deepEqual(rules(fs), ['UNAUTHENTICATED_DATA:critical', 'NEW_MODULE_GROUP:medium']);
});

test('findings come most severe first, the order raised within a severity; the summary line names the top one', (t) => {
  const raised = [
    { rule: 'UPDATE_EXPLAINED', severity: 'info', path: undefined, message: 'm', evidence: {}, explained: true },
    { rule: 'NEW_CAPABILITIES', severity: 'medium', path: 'a', message: 'm', evidence: {}, explained: false },
    { rule: 'STEERING_CHANGED', severity: 'high', path: 'resources/app.asar', message: 'm', evidence: {}, explained: false },
    { rule: 'NEW_MODULE', severity: 'medium', path: 'b', message: 'm', evidence: {}, explained: false },
  ] as const;
  const ordered = bySeverityDesc(raised);
  t.deepEqual(ordered.map((f) => f.rule), ['STEERING_CHANGED', 'NEW_CAPABILITIES', 'NEW_MODULE', 'UPDATE_EXPLAINED']);
  t.is(scanSummary(ordered), '4 findings: 1 high, 2 medium, 1 info — most severe: high STEERING_CHANGED resources/app.asar');
  t.is(scanSummary([raised[0]]), '1 finding: 1 info');
});

test('a vendor DLL moved to a side-loading name pairs as a rename, and the side-loading name is still raised', (t) => {
  const fs = run([mod('bin/contoso_helper.dll')], [mod('bin/version.dll', { sha256: mod('bin/contoso_helper.dll').sha256 })]);
  t.true(rules(fs).includes('SIDELOAD_NAME:high'), JSON.stringify(rules(fs)));
});
