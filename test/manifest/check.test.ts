// The pure check stage: what a manifest may explain by its strength, the floor it can never move, group findings,
// and which files it judges. Synthetic findings and files (the end-to-end tests use real binaries).
import test from 'ava';
import { checkManifests, NEVER_EXPLAINED, RULES_EXPLAINED_BY, type CurrentFile, type ManifestCheckContext } from '../../daemon/manifest/check.ts';
import { type Manifest } from '../../daemon/manifest/model.ts';
import { type Finding, type RuleId } from '../../daemon/shared/findings.ts';

const H = (c: string): string => c.repeat(64);
const file = (path: string, sha: string, isModule = true): CurrentFile => ({ path, sha256: H(sha), size: 1, isModule });
const finding = (rule: RuleId, path: string | undefined, severity: Finding['severity'] = 'high', evidence: Record<string, unknown> = {}): Finding => ({ rule, severity, path, message: `${rule} ${path ?? ''}`, evidence, explained: false });
const manifest = (strength: Manifest['strength'], listed: Record<string, string>, extra: Partial<Manifest> = {}): Manifest => ({
  name: `m-${strength}`,
  kind: strength === 'pinned-key' ? 'sealwatch' : 'msix-blockmap',
  strength,
  digest: `d-${strength}`,
  files: Object.entries(listed).map(([path, sha]) => ({ path, sha256: H(sha) })),
  ...extra,
});
const ctx = (manifests: Manifest[], files: CurrentFile[], over: Partial<ManifestCheckContext> = {}): ManifestCheckContext => ({
  version: '1.0.0',
  baseline: false,
  versionMoved: true,
  manifests,
  rejected: [],
  files: new Map(files.map((f) => [f.path, f])),
  changed: new Set(files.map((f) => f.path)),
  usedBefore: new Set(),
  ...over,
});

test('the floor: a manifest listing the file exactly never explains UNAUTHENTICATED_DATA or SIGNATURE_INVALID', (t) => {
  const files = [file('a.dll', 'a')];
  const out = checkManifests([finding('UNAUTHENTICATED_DATA', 'a.dll', 'critical'), finding('SIGNATURE_INVALID', 'a.dll', 'critical'), finding('NEW_MODULE', 'a.dll')], ctx([manifest('pinned-key', { 'a.dll': 'a' })], files));
  t.deepEqual(out.map((f) => [f.rule, f.severity, f.explained]), [['UNAUTHENTICATED_DATA', 'critical', false], ['SIGNATURE_INVALID', 'critical', false], ['NEW_MODULE', 'info', true]]);
  for (const s of Object.values(RULES_EXPLAINED_BY)) for (const r of NEVER_EXPLAINED) t.false(s.has(r));
});

test('strength: a pinned-key manifest explains SIGNER_CHANGED, a vendor-signed list does not, a feed explains nothing', (t) => {
  const files = [file('a.dll', 'a')];
  const change = finding('SIGNER_CHANGED', 'a.dll', 'critical');
  t.true(checkManifests([change], ctx([manifest('pinned-key', { 'a.dll': 'a' })], files))[0]?.explained);
  t.false(checkManifests([change], ctx([manifest('vendor-signed', { 'a.dll': 'a' })], files))[0]?.explained);
  t.true(checkManifests([finding('NEW_MODULE', 'a.dll')], ctx([manifest('vendor-signed', { 'a.dll': 'a' })], files))[0]?.explained);
  t.false(checkManifests([finding('NEW_MODULE', 'a.dll')], ctx([manifest('feed', { 'a.dll': 'a' })], files))[0]?.explained);
  // With both, the finding names the stronger one.
  const both = checkManifests([finding('NEW_MODULE', 'a.dll')], ctx([manifest('vendor-signed', { 'a.dll': 'a' }), manifest('pinned-key', { 'a.dll': 'a' })], files));
  t.regex(both[0]?.explained_by ?? '', /^m-pinned-key \(signed with a pinned key\)$/);
  t.is((both[0]?.evidence.explained_by as { severity_before: string }).severity_before, 'high');
});

test('a listed file whose hash differs explains nothing and is MANIFEST_MISMATCH', (t) => {
  const out = checkManifests([finding('NEW_MODULE', 'a.dll')], ctx([manifest('pinned-key', { 'a.dll': 'b' })], [file('a.dll', 'a')]));
  t.false(out.find((f) => f.rule === 'NEW_MODULE')?.explained);
  t.is(out.find((f) => f.rule === 'MANIFEST_MISMATCH')?.severity, 'critical');
});

test('NEW_MODULE_GROUP is explained only when every member is vouched for, and only from a complete member list', (t) => {
  const group = (paths: string[], count = paths.length): Finding => finding('NEW_MODULE_GROUP', undefined, 'medium', { count, modules: paths.map((path) => ({ path })) });
  const files = [file('x64/a.node', 'a'), file('x64/b.node', 'b')];
  const m = manifest('pinned-key', { 'x64/a.node': 'a', 'x64/b.node': 'b' });
  t.true(checkManifests([group(['x64/a.node', 'x64/b.node'])], ctx([m], files))[0]?.explained);
  t.false(checkManifests([group(['x64/a.node', 'x64/b.node', 'x64/c.node'])], ctx([m], [...files, file('x64/c.node', 'c')]))[0]?.explained);
  t.false(checkManifests([group(['x64/a.node'], 2)], ctx([m], files))[0]?.explained, 'a cut-off list proves nothing about the rest');
});

test('scope: an unchanged file is judged when the manifest is new or the version moved, not on every rescan', (t) => {
  const m = manifest('pinned-key', { 'a.dll': 'a' });
  const files = [file('a.dll', 'a'), file('extra.dll', 'e')];
  const rescan = { changed: new Set<string>(), versionMoved: false, usedBefore: new Set([m.digest]) };
  t.deepEqual(checkManifests([], ctx([m], files, rescan)).map((f) => f.rule), []);
  t.deepEqual(checkManifests([], ctx([m], files, { ...rescan, usedBefore: new Set() })).map((f) => f.rule), ['NOT_IN_MANIFEST']);
  t.deepEqual(checkManifests([], ctx([m], files, { ...rescan, changed: new Set(['extra.dll']) })).map((f) => f.rule), ['NOT_IN_MANIFEST']);
  t.deepEqual(checkManifests([], ctx([m], [file('data.json', 'j', false), ...files], { ...rescan, usedBefore: new Set() })).map((f) => `${f.rule} ${f.path}`), ['NOT_IN_MANIFEST extra.dll'], 'data files are not modules');
});

test('a vouch-only list (a bundle seal) raises nothing; a scoped list judges only under its prefix', (t) => {
  const seal = manifest('vendor-signed', { 'A.app/Contents/x.dylib': 'b' }, { vouchOnly: true, scope: 'A.app/' });
  t.deepEqual(checkManifests([], ctx([seal], [file('A.app/Contents/x.dylib', 'a'), file('A.app/Contents/y.dylib', 'y')])), []);
  const scoped = manifest('vendor-signed', { 'A.app/Contents/x.dylib': 'a' }, { scope: 'A.app/' });
  t.deepEqual(checkManifests([], ctx([scoped], [file('A.app/Contents/x.dylib', 'a'), file('other.dll', 'o')])), []);
});

test('the check stage is pure: no file or network I/O, no clock (time and files come in as data)', async (t) => {
  const { readFileSync } = await import('node:fs');
  for (const f of ['check.ts', 'model.ts', 'envelope.ts', 'own.ts']) {
    const text = readFileSync(new URL(`../../daemon/manifest/${f}`, import.meta.url), 'utf8');
    t.notRegex(text, /from 'node:(fs|fs\/promises|net|http|https|child_process)'/, f);
    t.notRegex(text, /Date\.now\(\)|new Date\(\)/, f);
  }
});

test('listed by authentihash: the same image signed again by someone else is MANIFEST_MISMATCH (the image digest leaves the signature out)', (t) => {
  const m: Manifest = { name: 'm', kind: 'sealwatch', strength: 'pinned-key', digest: 'd', files: [{ path: 'a.dll', authentihash: H('1'), signer: 'org:Contoso Ltd' }] };
  const digests = (): { authentihash: string } => ({ authentihash: H('1') });
  const same = checkManifests([finding('NEW_MODULE', 'a.dll')], ctx([m], [{ ...file('a.dll', 'a'), signer: 'org:Contoso Ltd' }], { digests }));
  t.true(same[0]?.explained);
  const resigned = checkManifests([finding('NEW_MODULE', 'a.dll')], ctx([m], [{ ...file('a.dll', 'b'), signer: 'untrusted:org:Contoso Ltd' }], { digests }));
  t.false(resigned.find((f) => f.rule === 'NEW_MODULE')?.explained);
  t.regex(resigned.find((f) => f.rule === 'MANIFEST_MISMATCH')?.message ?? '', /authentihash matches, but signed by untrusted:org:Contoso Ltd, not org:Contoso Ltd/);
});
