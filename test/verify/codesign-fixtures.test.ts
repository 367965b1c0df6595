// Apple code signing on programs built here (clang + ld64.lld) and signed by our test signer with a Developer-ID-
// shaped test PKI: vendor-signed bundles, and every way of tampering with one that the seal must catch.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleLayout, inspectBundle } from '../../daemon/inventory/bundle.ts';
import { type ModuleRecord } from '../../daemon/shared/model.ts';
import { loadIdentity, signMacho, type SigningIdentity } from '../helpers/apple-signer.ts';
import { buildAppBundle } from '../helpers/apple-bundle.ts';
import { appleFixture } from '../helpers/fixtures.ts';
import { codes, context, inspectBuffer } from '../helpers/inspect.ts';
import { tempDir } from '../helpers/temp.ts';

const ctx = () => context({ extraTrust: [appleFixture('trust')] });
const ENTITLEMENTS = '<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>com.apple.security.cs.allow-jit</key><true/></dict></plist>';

let vendor: SigningIdentity;
let mallory: SigningIdentity;
test.before(async () => {
  vendor = await loadIdentity(appleFixture('pki/vendor.der'), appleFixture('pki/vendor.pk8'), [appleFixture('pki/devid-ca.der')]);
  mallory = await loadIdentity(appleFixture('pki/other.der'), appleFixture('pki/other.pk8'), [appleFixture('pki/devid-ca.der')]);
});

const tmp = (): string => tempDir('sealwatch-apple-');
const read = (name: string): Buffer => readFileSync(appleFixture(name));

async function signedDylib(source: string, identity: SigningIdentity, teamId: string): Promise<{ bytes: Buffer; record: ModuleRecord }> {
  const bytes = await signMacho(read(source), { identifier: 'com.contoso.libffmpeg', teamId, identity });
  return { bytes, record: inspectBuffer('libffmpeg.dylib', bytes, ctx()) };
}

async function vendorApp(options: { stapleTicket?: boolean } = {}): Promise<{ root: string; nestedCdhash: string }> {
  const lib = await signedDylib('libffmpeg-arm64.dylib', vendor, 'CONTOSO123');
  const root = await buildAppBundle(tmp(), {
    name: 'Contoso',
    identifier: 'com.contoso.desktop',
    teamId: 'CONTOSO123',
    identity: vendor,
    executable: read('app-main-arm64'),
    shortVersion: '18.12.1',
    version: '1812',
    entitlements: ENTITLEMENTS,
    resources: { 'Resources/app.asar': 'console.log("contoso")', 'Resources/en.lproj/Localizable.strings': '"hello" = "hello";' },
    nested: { 'Frameworks/libffmpeg.dylib': { bytes: lib.bytes, cdhash: lib.record.code_signature.cdhash ?? '', requirement: 'identifier "com.contoso.libffmpeg"' } },
    ...options,
  });
  return { root, nestedCdhash: lib.record.code_signature.cdhash ?? '' };
}

async function inspectApp(root: string): Promise<ModuleRecord> {
  const layout = await bundleLayout(root);
  if (!layout) throw new Error(`${root} is not a bundle`);
  return (await inspectBundle(layout, ctx())).record;
}

test('a vendor-signed app: valid, trusted, Developer ID, Team ID, identifier, versions, seal and nested code verified', async (t) => {
  const { root } = await vendorApp();
  const r = await inspectApp(root);
  t.deepEqual(r.code_signature.problems, []);
  t.like(r, {
    module: { format: 'bundle', kind: 'app', arch: ['arm64'], version: { file: '1812', product: '18.12.1' } },
    bundle: { identifier: 'com.contoso.desktop', executable: 'Contoso', short_version: '18.12.1', version: '1812', sealed_files: 3, stapled_ticket: false },
    code_signature: { status: 'trusted', valid: true, trusted: true, team_id: 'CONTOSO123', signing_id: 'com.contoso.desktop', flags: ['runtime'] },
  });
  const s = r.code_signature.signatures[0];
  t.is(s?.cert_kind, 'developer-id-application');
  t.is(s?.designated_requirement, 'identifier "com.contoso.desktop" and anchor apple generic and certificate leaf[subject.OU] = "CONTOSO123"');
  t.deepEqual(s?.entitlements, { 'com.apple.security.cs.allow-jit': true });
});

test('a stapled notarization ticket in Contents/CodeResources is recognised, not treated as an added file', async (t) => {
  const r = await inspectApp((await vendorApp({ stapleTicket: true })).root);
  t.true(r.bundle?.stapled_ticket);
  t.is(r.code_signature.status, 'trusted');
  t.deepEqual(r.bundle?.seal.added, []);
});

test('a file added to a sealed bundle → BUNDLE_FILE_ADDED, invalid', async (t) => {
  const { root } = await vendorApp();
  writeFileSync(join(root, 'Contents', 'Resources', 'payload.js'), 'require("child_process")');
  const r = await inspectApp(root);
  t.deepEqual(r.bundle?.seal.added, ['Resources/payload.js']);
  t.true(codes(r).includes('BUNDLE_FILE_ADDED'));
  t.is(r.code_signature.status, 'invalid');
});

test('a modified resource → BUNDLE_FILE_MODIFIED; an omitted file (.DS_Store) is ignored', async (t) => {
  const { root } = await vendorApp();
  appendFileSync(join(root, 'Contents', 'Resources', 'app.asar'), '\n;fetch("https://evil.invalid")');
  writeFileSync(join(root, 'Contents', 'Resources', '.DS_Store'), 'finder state');
  const r = await inspectApp(root);
  t.deepEqual(r.bundle?.seal.modified, ['Resources/app.asar']);
  t.deepEqual(r.bundle?.seal.added, []);
  t.is(r.code_signature.status, 'invalid');
});

test('a missing sealed file → BUNDLE_FILE_MISSING; an optional (.lproj) one is not required', async (t) => {
  const { root } = await vendorApp();
  rmSync(join(root, 'Contents', 'Resources', 'app.asar'));
  rmSync(join(root, 'Contents', 'Resources', 'en.lproj'), { recursive: true });
  const r = await inspectApp(root);
  t.deepEqual(r.bundle?.seal.missing, ['Resources/app.asar']);
  t.true(codes(r).includes('BUNDLE_FILE_MISSING'));
});

test('a sealed file replaced by a symbolic link → BUNDLE_TYPE_CHANGED', async (t) => {
  const { root } = await vendorApp();
  const asar = join(root, 'Contents', 'Resources', 'app.asar');
  rmSync(asar);
  symlinkSync('/tmp/elsewhere.asar', asar);
  const r = await inspectApp(root);
  t.deepEqual(r.bundle?.seal.type_changed, ['Resources/app.asar']);
});

test('3CX-shaped: the nested dylib swapped for a trojan re-signed with the SAME Team ID — valid on its own, caught by the seal', async (t) => {
  const { root, nestedCdhash } = await vendorApp();
  const trojan = await signedDylib('libffmpeg-trojan-arm64.dylib', vendor, 'CONTOSO123');
  // On its own the trojan is a perfectly good Developer ID signature by the vendor's team…
  t.is(trojan.record.code_signature.status, 'trusted');
  t.is(trojan.record.code_signature.team_id, 'CONTOSO123');
  // …with what the detector will look for: a constructor and new imports, same LC_ID_DYLIB version.
  const slice = trojan.record.macho?.slices[0];
  t.is(slice?.constructors, 1);
  t.true(['_popen', '_chmod', '_flock', '_gethostname'].every((s) => slice?.imports.includes(s)));
  t.is(slice?.id_dylib?.current_version, '4.2.1');
  writeFileSync(join(root, 'Contents', 'Frameworks', 'libffmpeg.dylib'), trojan.bytes);
  const r = await inspectApp(root);
  t.not(trojan.record.code_signature.cdhash, nestedCdhash);
  t.deepEqual(r.bundle?.seal.nested_invalid, ['Frameworks/libffmpeg.dylib']);
  t.regex(r.code_signature.problems.find((p) => p.code === 'NESTED_CODE_INVALID')?.message ?? '', /cdhash is not the sealed/);
  t.is(r.code_signature.status, 'invalid');
});

test('a dylib signed by a different Team ID is valid, and its Team ID says so', async (t) => {
  const other = await signedDylib('libffmpeg-arm64.dylib', mallory, 'MALLORY999');
  t.is(other.record.code_signature.status, 'trusted');
  t.is(other.record.code_signature.team_id, 'MALLORY999');
  t.is(other.record.code_signature.subject_name, 'Developer ID Application: Mallory Test (MALLORY999)');
});

test('a Team ID in the CodeDirectory that is not the certificate\'s → TEAM_ID_MISMATCH, invalid', async (t) => {
  const bytes = await signMacho(read('libffmpeg-arm64.dylib'), { identifier: 'com.contoso.libffmpeg', teamId: 'CONTOSO123', identity: mallory });
  const r = inspectBuffer('libffmpeg.dylib', bytes, ctx());
  t.true(codes(r).includes('TEAM_ID_MISMATCH'));
  t.is(r.code_signature.status, 'invalid');
});

test('one flipped byte in a code page → CODE_PAGE_MISMATCH, invalid', async (t) => {
  const { root } = await vendorApp();
  const exe = join(root, 'Contents', 'MacOS', 'Contoso');
  const bytes = readFileSync(exe);
  bytes[0x4010] = (bytes[0x4010] ?? 0) ^ 0xff;
  writeFileSync(exe, bytes);
  const r = await inspectApp(root);
  t.regex(r.code_signature.problems.find((p) => p.code === 'CODE_PAGE_MISMATCH')?.message ?? '', /page 4, offset 16384/);
  t.is(r.code_signature.status, 'invalid');
});

test('an edited entitlements blob → SPECIAL_SLOT_MISMATCH (entitlements), invalid', async (t) => {
  const bytes = await signMacho(read('app-main-arm64'), { identifier: 'com.contoso.tool', teamId: 'CONTOSO123', identity: vendor, entitlements: ENTITLEMENTS });
  t.is(inspectBuffer('tool', bytes, ctx()).code_signature.status, 'trusted');
  const at = bytes.indexOf('allow-jit');
  bytes.write('allow-jiT', at, 'latin1');
  const r = inspectBuffer('tool', bytes, ctx());
  t.regex(r.code_signature.problems.find((p) => p.code === 'SPECIAL_SLOT_MISMATCH')?.message ?? '', /entitlements/);
  t.is(r.code_signature.status, 'invalid');
});

test('an edited Info.plist → SPECIAL_SLOT_MISMATCH (Info.plist)', async (t) => {
  const { root } = await vendorApp();
  const plistPath = join(root, 'Contents', 'Info.plist');
  writeFileSync(plistPath, readFileSync(plistPath, 'utf8').replace('18.12.1', '18.12.9'));
  const r = await inspectApp(root);
  t.regex(r.code_signature.problems.find((p) => p.code === 'SPECIAL_SLOT_MISMATCH')?.message ?? '', /Info\.plist/);
});

test('the main executable outside its bundle: its CodeResources seal is reported as not checked, not as broken', async (t) => {
  const { root } = await vendorApp();
  const r = inspectBuffer('Contoso', readFileSync(join(root, 'Contents', 'MacOS', 'Contoso')), ctx());
  t.true(codes(r).includes('SEAL_NOT_CHECKED'));
  t.true(r.code_signature.valid);
});

test('universal binary signed per slice (llvm-lipo): both slices verified; a flipped byte breaks only its slice; data after the last slice is reported', async (t) => {
  const dir = tmp();
  const arm = await signMacho(read('libffmpeg-arm64.dylib'), { identifier: 'com.contoso.libffmpeg', teamId: 'CONTOSO123', identity: vendor });
  const x64 = await signMacho(read('libffmpeg-x86_64.dylib'), { identifier: 'com.contoso.libffmpeg', teamId: 'CONTOSO123', identity: vendor });
  writeFileSync(join(dir, 'arm64'), arm);
  writeFileSync(join(dir, 'x86_64'), x64);
  execFileSync('llvm-lipo-14', ['-create', join(dir, 'arm64'), join(dir, 'x86_64'), '-output', join(dir, 'fat')]);
  const fat = readFileSync(join(dir, 'fat'));
  const good = inspectBuffer('libffmpeg.dylib', fat, ctx());
  t.true(good.macho?.universal);
  t.deepEqual(good.code_signature.signatures.map((s) => [s.arch, s.status, s.team_id]).sort(), [
    ['arm64', 'trusted', 'CONTOSO123'],
    ['x86_64', 'trusted', 'CONTOSO123'],
  ]);
  t.is(good.code_signature.status, 'trusted');
  const x64Slice = good.macho?.slices.find((s) => s.arch === 'x86_64');
  const tampered = Buffer.from(fat);
  const target = (x64Slice?.offset ?? 0) + 0x40;
  tampered[target] = (tampered[target] ?? 0) ^ 1;
  const bad = inspectBuffer('libffmpeg.dylib', tampered, ctx());
  t.deepEqual(bad.code_signature.signatures.map((s) => [s.arch, s.status]).sort(), [
    ['arm64', 'trusted'],
    ['x86_64', 'invalid'],
  ]);
  t.is(bad.code_signature.status, 'invalid');
  const padded = inspectBuffer('libffmpeg.dylib', Buffer.concat([fat, Buffer.from('hidden payload')]), ctx());
  t.true(codes(padded).includes('DATA_AFTER_LAST_SLICE'));
  t.is(padded.code_signature.status, 'trusted', 'the slices themselves still verify');
});
