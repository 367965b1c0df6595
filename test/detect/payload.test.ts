// Payloads and capabilities (issue 9 §4), on real signed vendor binaries: bytes hidden in a Mach-O code signature,
// network access gained by ordinal or by name at run time, a module rolled back, a side-loading name, a swapped program.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLoadCommands } from '../../daemon/formats/macho/load-commands.ts';
import { codes, inspectBuffer } from '../helpers/inspect.ts';
import { realAppPath, realCorpusPath } from '../helpers/real-corpus.ts';
import { above, appDir, harness } from '../helpers/scan.ts';
import { put } from '../../scripts/lib/three-cx.ts';
import { tempDir } from '../helpers/temp.ts';

/** Where the signature area of a thin Mach-O is, and how long its SuperBlob is. */
function signatureArea(macho: Buffer): { dataoff: number; datasize: number; superLength: number } {
  const cs = parseLoadCommands(macho).codeSignature;
  if (!cs) throw new Error('not signed');
  return { ...cs, superLength: macho.readUInt32BE(cs.dataoff + 4) };
}

/** Writes `payload` into the zero slack after the SuperBlob (inside LC_CODE_SIGNATURE's datasize). */
function payloadInSlack(macho: Buffer, payload: Buffer): Buffer {
  const out = Buffer.from(macho);
  const { dataoff, datasize, superLength } = signatureArea(out);
  if (datasize - superLength < payload.length) throw new Error('not enough slack');
  payload.copy(out, dataoff + superLength);
  return out;
}

/** Rebuilds the SuperBlob with one more blob (type `type`, a blob wrapper around `payload`), in the same area. */
function extraBlob(macho: Buffer, type: number, payload: Buffer): Buffer {
  const added = Buffer.concat([Buffer.from([0xfa, 0xde, 0x0b, 0x01]), Buffer.alloc(4), payload]);
  added.writeUInt32BE(added.length, 4);
  return extraBlobRaw(macho, type, added);
}

/** Rebuilds the SuperBlob with one more blob `added` (whole, header included) of type `type`. */
function extraBlobRaw(macho: Buffer, type: number, added: Buffer): Buffer {
  const out = Buffer.from(macho);
  const { dataoff, datasize, superLength } = signatureArea(out);
  const area = out.subarray(dataoff, dataoff + datasize);
  const count = area.readUInt32BE(8);
  const entries = Array.from({ length: count }, (_, i) => ({ type: area.readUInt32BE(12 + i * 8), offset: area.readUInt32BE(16 + i * 8) }));
  const blobs = entries.map((e) => Buffer.from(area.subarray(e.offset, e.offset + area.readUInt32BE(e.offset + 4))));
  const all = [...entries.map((e, i) => ({ type: e.type, blob: blobs[i] as Buffer })), { type, blob: added }];
  let offset = 12 + all.length * 8;
  const index = Buffer.alloc(all.length * 8);
  all.forEach((b, i) => {
    index.writeUInt32BE(b.type, i * 8);
    index.writeUInt32BE(offset, i * 8 + 4);
    offset += b.blob.length;
  });
  const header = Buffer.alloc(12);
  header.writeUInt32BE(0xfade0cc0, 0);
  header.writeUInt32BE(offset, 4);
  header.writeUInt32BE(all.length, 8);
  const superBlob = Buffer.concat([header, index, ...all.map((b) => b.blob)]);
  if (superBlob.length > datasize || superLength >= superBlob.length) throw new Error('does not fit');
  area.fill(0);
  superBlob.copy(area);
  return out;
}

/** Adds a copy of the slot-0 CodeDirectory as alternate 0x1000, one identifier byte changed (same page hashes). */
function extraCodeDirectory(macho: Buffer): Buffer {
  const { dataoff } = signatureArea(macho);
  const area = macho.subarray(dataoff);
  const count = area.readUInt32BE(8);
  const cdAt = Array.from({ length: count }, (_, i) => ({ type: area.readUInt32BE(12 + i * 8), offset: area.readUInt32BE(16 + i * 8) })).find((e) => e.type === 0)?.offset ?? 0;
  const cd = Buffer.from(area.subarray(cdAt, cdAt + area.readUInt32BE(cdAt + 4)));
  const ident = cd.readUInt32BE(20);
  cd[ident] = (cd[ident] ?? 0) ^ 0x20; // "libmsalruntime" → "Libmsalruntime"
  return extraBlobRaw(macho, 0x1000, cd);
}

const RC4_LIKE = Buffer.concat([Buffer.from('feedface', 'hex'), createHash('sha512').update('payload').digest(), createHash('sha512').update('more').digest()]);

test('a real Developer-ID dylib with a payload in its code-signature slack, or in an extra SuperBlob blob: still "trusted", and UNAUTHENTICATED_DATA critical — on a baseline too', async (t) => {
  const genuine = readFileSync(realCorpusPath('msal-dylib'));
  const slack = payloadInSlack(genuine, RC4_LIKE);
  const blob = extraBlob(genuine, 0x20, RC4_LIKE);
  const dup = extraBlob(genuine, 2, RC4_LIKE); // a second "requirements" blob: verifiers read the first
  for (const [name, bytes, code] of [['slack', slack, 'CODESIGN_SLACK_DATA'], ['extra blob', blob, 'CODESIGN_UNKNOWN_BLOB'], ['duplicate slot', dup, 'CODESIGN_UNKNOWN_BLOB']] as const) {
    const r = inspectBuffer(`${name}.dylib`, bytes);
    t.is(r.code_signature.status, 'trusted', `${name}: the signature still verifies — the bytes are under no signature`);
    t.true(codes(r).includes(code), `${name}: ${codes(r).join(',')}`);
  }
  const h = harness();
  try {
    const root = appDir();
    put(root, 'libmsalruntime.dylib', genuine);
    put(root, 'libextra.dylib', blob); // already there on day one
    const base = await h.scan('msal-mac', root, { appVersion: '1.0.0' });
    t.is(base.findings.find((f) => f.rule === 'UNAUTHENTICATED_DATA' && f.path === 'libextra.dylib')?.severity, 'critical');
    put(root, 'libmsalruntime.dylib', slack);
    const r = await h.scan('msal-mac', root, { appVersion: '1.0.1' });
    const f = r.findings.find((x) => x.rule === 'UNAUTHENTICATED_DATA' && x.path === 'libmsalruntime.dylib');
    t.is(f?.severity, 'critical');
    t.regex(f?.message ?? '', /FE ED FA CE.*after the SuperBlob/);
  } finally {
    await h.close();
  }
});

test('slack holding stale SHA-256 hashes of the slice\'s own pages (what codesign leaves after re-signing a linker-signed arm64 slice) is not hidden data; real vendor Mach-O files have none', (t) => {
  const genuine = readFileSync(realCorpusPath('msal-dylib'));
  const { dataoff } = signatureArea(genuine);
  const hashes = Buffer.concat(Array.from({ length: 200 }, (_, i) => createHash('sha256').update(genuine.subarray(i * 4096, Math.min((i + 1) * 4096, dataoff))).digest()));
  const stale = payloadInSlack(genuine, hashes.subarray(13, hashes.length - 5));
  t.false(codes(inspectBuffer('stale.dylib', stale)).includes('CODESIGN_SLACK_DATA'));
  // …but the same hashes with a payload in the middle are reported.
  const mixed = payloadInSlack(genuine, Buffer.concat([hashes.subarray(0, 3200), RC4_LIKE, hashes.subarray(3200)]));
  t.true(codes(inspectBuffer('mixed.dylib', mixed)).includes('CODESIGN_SLACK_DATA'));
  for (const id of ['node-darwin', 'sentry-cli', 'msal-dylib', 'esbuild-darwin', 'vsce-sign', 'fsevents']) {
    const c = codes(inspectBuffer(id, readFileSync(realCorpusPath(id))));
    t.false(c.includes('CODESIGN_SLACK_DATA') || c.includes('CODESIGN_UNKNOWN_BLOB'), `${id}: ${c.join(',')}`);
  }
});

/** Two builds of one DLL (mingw-w64): the second reaches connect() — by ordinal import, or by name via GetProcAddress. */
function networkDlls(): { plain: Buffer; byOrdinal: Buffer; byName: Buffer } {
  const dir = tempDir('sealwatch-caps-');
  const cc = (src: string, out: string, extra: string[] = []): Buffer => {
    writeFileSync(join(dir, `${out}.c`), src);
    execFileSync('x86_64-w64-mingw32-gcc', ['-O2', '-s', '-shared', '-Wl,--no-insert-timestamp', '-o', join(dir, out), join(dir, `${out}.c`), ...extra], { cwd: dir, env: { ...process.env, TMPDIR: dir } });
    return readFileSync(join(dir, out));
  };
  // An import library that names ws2_32's connect by its ordinal only (ws2_32 exports connect as @4).
  writeFileSync(join(dir, 'ws2ord.def'), 'LIBRARY ws2_32.dll\nEXPORTS\nconnect @4 NONAME\n');
  // dlltool leaves its (empty) temp files behind: in the test's own dir, removed with it, not in /tmp
  execFileSync('x86_64-w64-mingw32-dlltool', ['-d', 'ws2ord.def', '-l', 'libws2ord.a'], { cwd: dir, env: { ...process.env, TMPDIR: dir } });
  const plain = cc('__declspec(dllexport) int work(int x) { return x + 1; }\n', 'plain.dll');
  const byOrdinal = cc('int __stdcall connect(unsigned long long s, const void *a, int n);\n__declspec(dllexport) int work(int x) { return x > 1000 ? connect(0, 0, x) : x + 1; }\n', 'ordinal.dll', [join(dir, 'libws2ord.a')]);
  const byName = cc('#include <windows.h>\n__declspec(dllexport) int work(int x) { FARPROC f = GetProcAddress(LoadLibraryA("ws2_32.dll"), "connect"); return f ? x + 2 : x + 1; }\n', 'byname.dll');
  return { plain, byOrdinal, byName };
}

test('a PE that gains connect() by ordinal (ws2_32 #4) or by GetProcAddress("connect") → NEW_CAPABILITIES naming connect', async (t) => {
  const { plain, byOrdinal, byName } = networkDlls();
  const r0 = inspectBuffer('ordinal.dll', byOrdinal);
  t.deepEqual(r0.pe?.imports.find((i) => i.dll.toLowerCase() === 'ws2_32.dll')?.functions, ['#4'], 'imported by ordinal only');
  t.deepEqual(inspectBuffer('byname.dll', byName).pe?.dynamic_imports, ['connect']);
  for (const [how, bytes, expect] of [['ordinal', byOrdinal, /new imports connect$/], ['name', byName, /new imports connect \(by name at run time\)/]] as const) {
    const h = harness();
    try {
      const root = appDir();
      put(root, 'work.dll', plain);
      await h.scan('caps', root, { appVersion: '1.0.0' });
      put(root, 'work.dll', bytes);
      const r = await h.scan('caps', root, { appVersion: '1.1.0' });
      const f = r.findings.find((x) => x.rule === 'NEW_CAPABILITIES');
      t.is(f?.severity, 'medium', how);
      t.regex(f?.message ?? '', expect, how);
    } finally {
      await h.close();
    }
  }
});

test('real node.exe rolled back from 14.21.3 to 14.12.0 while the app moves forward → MODULE_ROLLBACK high', async (t) => {
  const h = harness();
  try {
    const root = appDir();
    copyFileSync(join(realAppPath('node-win-14.21.3'), 'bin', 'node.exe'), join(root, 'node.exe'));
    await h.scan('app', root, { appVersion: '5.0.0' });
    copyFileSync(join(realAppPath('node-win-14.12.0'), 'bin', 'node.exe'), join(root, 'node.exe'));
    const r = await h.scan('app', root, { appVersion: '5.1.0' });
    const f = r.findings.find((x) => x.rule === 'MODULE_ROLLBACK');
    t.is(f?.severity, 'high');
    t.regex(f?.message ?? '', /rolled back — its own version went back from 14\.21\.3\.0 to 14\.12\.0\.0 while the app went 5\.0\.0 → 5\.1\.0/);
  } finally {
    await h.close();
  }
});

test('a new version.dll signed by Microsoft is SIDELOAD_NAME high; a module whose OriginalFilename changes is MODULE_SWAPPED high', async (t) => {
  const h = harness();
  try {
    const root = appDir();
    put(root, 'conpty.dll', readFileSync(realCorpusPath('conpty')));
    put(root, 'msal.dll', readFileSync(realCorpusPath('msalruntime')));
    const base = await h.scan('app', root, { appVersion: '1.0.0' });
    t.deepEqual(base.findings.filter((f) => above(f.severity)), []);
    put(root, 'version.dll', readFileSync(realCorpusPath('conpty'))); // genuine, Microsoft-signed, trusted
    put(root, 'msal.dll', readFileSync(realCorpusPath('conpty'))); // another Microsoft program in msalruntime's place
    const r = await h.scan('app', root, { appVersion: '1.1.0' });
    const side = r.findings.find((f) => f.rule === 'SIDELOAD_NAME');
    t.is(side?.severity, 'high');
    t.is(side?.path, 'version.dll');
    t.regex(side?.message ?? '', /signed by Microsoft Corporation \(trusted\)/);
    const swap = r.findings.find((f) => f.rule === 'MODULE_SWAPPED');
    t.is(swap?.severity, 'high');
    t.regex(swap?.message ?? '', /OriginalFilename msalruntime\.dll → conpty\.dll/);
  } finally {
    await h.close();
  }
});

test('a Mach-O dylib that gains dlsym(…, "connect") → NEW_CAPABILITIES naming connect (by name at run time)', async (t) => {
  const { appleFixture } = await import('../helpers/fixtures.ts');
  const { contosoIdentity } = await import('../../scripts/lib/three-cx.ts');
  const { signMacho } = await import('../helpers/apple-signer.ts');
  const dir = tempDir('sealwatch-dlsym-');
  // A libSystem stub with dlsym (clang + ld64.lld, no Apple SDK: as scripts/fixtures/build-apple-fixtures.sh does).
  writeFileSync(join(dir, 'libSystem.tbd'), "--- !tapi-tbd\ntbd-version: 4\ntargets: [ arm64-macos ]\ninstall-name: '/usr/lib/libSystem.B.dylib'\ncurrent-version: 1311\nexports:\n  - targets: [ arm64-macos ]\n    symbols: [ _puts, _dlsym, dyld_stub_binder ]\n...\n");
  const build = (name: string, src: string): Buffer => {
    writeFileSync(join(dir, `${name}.c`), src);
    execFileSync('clang', ['--target=arm64-apple-macos11', '-ffreestanding', '-fno-stack-protector', '-O2', '-c', `${name}.c`, '-o', `${name}.o`], { cwd: dir });
    execFileSync('ld64.lld-14', ['-arch', 'arm64', '-platform_version', 'macos', '11.0', '11.0', '-dylib', '-install_name', '@rpath/libnet.dylib', '-o', `${name}.dylib`, `${name}.o`, 'libSystem.tbd', '-adhoc_codesign'], { cwd: dir });
    return readFileSync(join(dir, `${name}.dylib`));
  };
  const plain = build('plain', 'int puts(const char *); int work(void) { return puts("work"); }\n');
  const dyn = build('dyn', 'int puts(const char *); void *dlsym(void *, const char *);\nint work(void) { return dlsym((void *)-2, "connect") ? 1 : puts("work"); }\n');
  const vendor = await contosoIdentity();
  t.deepEqual(inspectBuffer('dyn.dylib', dyn).macho?.dynamic_imports, ['connect']);
  const h = harness([appleFixture('trust')]);
  try {
    const root = appDir();
    put(root, 'libnet.dylib', await signMacho(plain, { identifier: 'com.contoso.net', teamId: 'CONTOSO123', identity: vendor }));
    await h.scan('net', root, { appVersion: '1.0.0' });
    put(root, 'libnet.dylib', await signMacho(dyn, { identifier: 'com.contoso.net', teamId: 'CONTOSO123', identity: vendor }));
    const r = await h.scan('net', root, { appVersion: '1.1.0' });
    const f = r.findings.find((x) => x.rule === 'NEW_CAPABILITIES');
    t.is(f?.severity, 'medium');
    t.regex(f?.message ?? '', /connect \(by name at run time\)/);
    t.false(r.findings.some((x) => x.rule === 'SIGNER_CHANGED' || x.rule === 'SIGNER_IMPOSTOR'), 'same Team ID, trusted: no identity finding');
  } finally {
    await h.close();
  }
});

test('an alternate CodeDirectory the CMS does not list (same page hashes, another identifier) is CODESIGN_UNKNOWN_BLOB; the genuine file is clean', async (t) => {
  const { appleFixture } = await import('../helpers/fixtures.ts');
  const { contosoIdentity } = await import('../../scripts/lib/three-cx.ts');
  const { signMacho } = await import('../helpers/apple-signer.ts');
  const { context } = await import('../helpers/inspect.ts');
  const ctx = context({ extraTrust: [appleFixture('trust')] });
  const signed = await signMacho(readFileSync(appleFixture('libffmpeg-arm64.dylib')), { identifier: 'com.contoso.libffmpeg', teamId: 'CONTOSO123', identity: await contosoIdentity() });
  const clean = inspectBuffer('lib.dylib', signed, ctx);
  t.is(clean.code_signature.status, 'trusted');
  t.false(codes(clean).includes('CODESIGN_UNKNOWN_BLOB'));
  const r = inspectBuffer('lib.dylib', extraCodeDirectory(signed), ctx);
  t.is(r.code_signature.status, 'trusted', 'its pages match: the file is intact');
  t.true(r.code_signature.problems.some((p) => p.code === 'CODESIGN_UNKNOWN_BLOB' && /alternate CodeDirectory 0x1000 is not among the cdhashes the CMS signs/.test(p.message)), codes(r).join(','));
});
