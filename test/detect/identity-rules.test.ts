// The identity, rollback and side-loading rules as pure functions, at the boundaries the real-binary tests
// (identity.test.ts, payload.test.ts) do not reach: what counts as a rename, who can be impersonated, unsigned rollbacks.
import test from 'ava';
import { type ModuleSummary } from '../../daemon/diff/summary.ts';
import { detect } from '../../daemon/detect/rules.ts';
import { changesBetween, moduleSummary } from '../helpers/module-summary.ts';

const mod = (path: string, over: Partial<ModuleSummary> = {}): ModuleSummary => moduleSummary(path, {
  ownVersion: '1.0.0.0', signedAt: '2026-01-01T00:00:00.000Z', standing: 'trusted', sliceStandings: {}, untrustedClaims: [],
  signerDn: 'CN=Contoso, O=Contoso, L=Leeds, C=GB', originalName: 'a.dll', internalName: 'a', ...over,
});
const changed = (path: string, over: Partial<ModuleSummary>): ModuleSummary => mod(path, { sha256: 'b'.repeat(64), ownVersion: '1.1.0.0', signedAt: '2026-02-01T00:00:00.000Z', ...over });
const run = (before: ModuleSummary[], after: ModuleSummary[], v: [string, string] = ['1.0', '1.1']) =>
  detect({
    baseline: false,
    fromVersion: v[0],
    toVersion: v[1],
    changes: changesBetween(before, after),
    knownSigners: new Set(before.filter((m) => m.standing === 'trusted').map((m) => m.signer)),
    appWasSigned: before.some((m) => m.signed),
  });
const rules = (fs: ReturnType<typeof run>): string[] => fs.filter((f) => f.rule !== 'UPDATE_EXPLAINED').map((f) => `${f.rule}:${f.severity}`).sort();

test('a rename needs both trusted, the same issuing CA, the same locality and country; otherwise another signer is critical', (t) => {
  const renamed = { signer: 'org:Contoso Group', signerDn: 'CN=Contoso Group, O=Contoso Group, L=Leeds, ST=West Yorkshire, C=GB' };
  t.deepEqual(rules(run([mod('a.dll')], [changed('a.dll', renamed)])), ['SIGNER_CHANGED:high']);
  t.deepEqual(rules(run([mod('a.dll')], [changed('a.dll', { ...renamed, issuer: 'Other CA' })])), ['SIGNER_CHANGED:critical']);
  t.deepEqual(rules(run([mod('a.dll')], [changed('a.dll', { ...renamed, signerDn: 'CN=Contoso Group, O=Contoso Group, L=Minsk, C=BY' })])), ['SIGNER_CHANGED:critical']);
});

test('an untrusted signature naming the app\'s trusted signer is an impostor — on a changed module or a new one; naming someone else it is not', (t) => {
  const forged = { standing: 'untrusted' as const, status: 'untrusted', signer: 'untrusted:org:Contoso', untrustedClaims: ['org:Contoso'] };
  t.deepEqual(rules(run([mod('a.dll')], [changed('a.dll', forged)])), ['SIGNER_IMPOSTOR:critical']);
  t.true(rules(run([mod('a.dll')], [mod('a.dll'), mod('b.dll', forged)])).includes('SIGNER_IMPOSTOR:critical'));
  const stranger = { ...forged, signer: 'untrusted:org:Mallory', untrustedClaims: ['org:Mallory'] };
  t.deepEqual(rules(run([mod('a.dll')], [changed('a.dll', stranger)])), ['SIGNATURE_DOWNGRADED:critical']);
});

test('standing: a drop from untrusted is high; a rise (unsigned → signed, untrusted → trusted) raises nothing; invalid is SIGNATURE_INVALID only', (t) => {
  const untrusted = { standing: 'untrusted' as const, status: 'untrusted', signer: 'untrusted:org:Contoso' };
  t.deepEqual(rules(run([mod('a.dll', untrusted)], [changed('a.dll', { standing: 'adhoc', status: 'adhoc', signer: 'adhoc' })])), ['SIGNATURE_DOWNGRADED:high']);
  t.deepEqual(rules(run([mod('a.dll', untrusted)], [changed('a.dll', {})])), []);
  t.deepEqual(rules(run([mod('a.dll', { standing: 'unsigned', status: 'unsigned', signed: false, signer: '' })], [changed('a.dll', {})])), []);
  t.deepEqual(rules(run([mod('a.dll')], [changed('a.dll', { standing: 'invalid', status: 'invalid', integrityProblems: ['DIGEST_MISMATCH: x'] })])), ['SIGNATURE_INVALID:critical']);
});

test('rollback: unsigned modules by build time; nothing when the app itself went back (DOWNGRADE says it)', (t) => {
  const unsigned = { standing: 'unsigned' as const, status: 'unsigned', signed: false, signer: '', ownVersion: undefined, signedAt: undefined };
  const before = mod('u.dll', { ...unsigned, compiledAt: '2026-03-01T00:00:00.000Z' });
  t.deepEqual(rules(run([before], [changed('u.dll', { ...unsigned, compiledAt: '2025-01-01T00:00:00.000Z' })])), ['MODULE_ROLLBACK:high']);
  t.deepEqual(rules(run([mod('a.dll')], [changed('a.dll', { ownVersion: '0.9.0.0' })], ['2.0', '1.0'])), ['DOWNGRADE:high']);
});

test('side-loading names are case-insensitive and only for new PE modules; a changed version.dll is judged by the other rules', (t) => {
  t.deepEqual(rules(run([mod('a.dll')], [mod('a.dll'), mod('bin/VERSION.dll')])), ['NEW_MODULE:medium', 'SIDELOAD_NAME:high']);
  t.deepEqual(rules(run([mod('version.dll')], [changed('version.dll', {})])), []);
  t.deepEqual(rules(run([mod('a.dll')], [mod('a.dll'), mod('version.dylib', { format: 'macho' })])), ['NEW_MODULE:medium']);
});

test('MODULE_SWAPPED ignores case and extension, and needs a name on both sides', (t) => {
  t.deepEqual(rules(run([mod('a.dll')], [changed('a.dll', { originalName: 'A.DLL', internalName: 'a.dll' })])), []);
  t.deepEqual(rules(run([mod('a.dll')], [changed('a.dll', { originalName: undefined })])), []);
  t.deepEqual(rules(run([mod('a.dll')], [changed('a.dll', { originalName: 'mimikatz.exe' })])), ['MODULE_SWAPPED:high']);
});
