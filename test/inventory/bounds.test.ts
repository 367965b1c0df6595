// No hang, bounded memory, any size hashed (issue 7 §3, §2): every version-source and bundle read goes through the
// same no-follow, non-blocking, bounded reader as module reads, and files over the in-memory bound are hashed by
// streaming (whole file and PE authentihash) instead of refused. Sparse files (truncate) cost no disk.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, copyFileSync, openSync, symlinkSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { appVersion } from '../../daemon/inventory/app-version.ts';
import { bundleLayout, inspectBundle } from '../../daemon/inventory/bundle.ts';
import { DEFAULT_TRUST_DIR, loadTrustStore } from '../../daemon/config/trust.ts';
import { scanTree } from '../../daemon/inventory/scan.ts';
import { realCorpusPath, sharedCorpus } from '../helpers/real-corpus.ts';
import { appDir, harness } from '../helpers/scan.ts';
import { infoPlist, isRoot, linux, peakMemory, pool, tmp, tree } from './_fs.ts';

const ctx = () => ({ store: loadTrustStore([DEFAULT_TRUST_DIR]), now: new Date('2026-11-01T00:00:00Z'), signatureCache: new Map<string, boolean>() });

/** Fails (instead of hanging the test run) when `p` does not settle in time. */
async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still blocked after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

test.serial('a FIFO named package.json at the root does not block the app version; it is refused with the reason', async (t) => {
  const root = tmp();
  execFileSync('mkfifo', [join(root, 'package.json')]);
  const v = await within(5000, 'appVersion', appVersion(root, new Map()));
  t.is(v.version, undefined);
  t.true((v.refused ?? []).some((r) => /package\.json: is a FIFO, not a regular file/.test(r)), JSON.stringify(v.refused));
});

test.serial('package.json → /dev/zero (a link, and as root a character device node) is refused at once: memory does not grow', async (t) => {
  const root = tmp();
  symlinkSync('/dev/zero', join(root, 'package.json'));
  const linked = await peakMemory(() => within(5000, 'appVersion', appVersion(root, new Map())));
  t.is(linked.result.version, undefined);
  t.true((linked.result.refused ?? []).some((r) => /package\.json: is a symbolic link/.test(r)));
  t.true(linked.arrayBuffersGrowth < 32 << 20, `grew ${linked.arrayBuffersGrowth} bytes`);
  if (isRoot && linux) {
    const dev = tmp();
    execFileSync('mknod', [join(dev, 'package.json'), 'c', '1', '5']);
    const node = await peakMemory(() => within(5000, 'appVersion', appVersion(dev, new Map())));
    t.true((node.result.refused ?? []).some((r) => /package\.json: is a character device, not a regular file/.test(r)), JSON.stringify(node.result.refused));
    t.true(node.arrayBuffersGrowth < 32 << 20, `grew ${node.arrayBuffersGrowth} bytes`);
  }
});

test.serial('a FIFO named Info.plist in a bundle does not block its inspection; the bundle records why', async (t) => {
  const app = join(tmp(), 'Piped.app');
  tree(app, { 'Contents/MacOS/x': 'x', 'Contents/Resources/a.txt': 'a' });
  execFileSync('mkfifo', [join(app, 'Contents', 'Info.plist')]);
  const layout = await within(5000, 'bundleLayout', bundleLayout(app));
  if (!layout) return t.fail('a bundle with a FIFO for Info.plist must still be inspected (and the FIFO reported)');
  const result = await within(5000, 'inspectBundle', inspectBundle(layout, ctx()));
  t.true(result.record.code_signature.problems.some((p) => /Info\.plist: is a FIFO, not a regular file/.test(p.message)), JSON.stringify(result.record.code_signature.problems));
  // The scan of the tree that holds it does not block either: the FIFO is recorded as one.
  const p = pool();
  try {
    const out = await within(20000, 'scanTree', scanTree(app, new Map(), p));
    t.true(out.special.some((s) => s.path === 'Contents/Info.plist' && s.kind === 'fifo'));
  } finally {
    await p.close();
  }
});

test.serial('a 1.9 GB file inside a bundle is hashed by streaming, never read whole', async (t) => {
  const app = join(tmp(), 'Big.app');
  tree(app, { 'Contents/Info.plist': infoPlist({ CFBundleIdentifier: 'com.example.big' }), 'Contents/Resources/small.txt': 'small' });
  const big = join(app, 'Contents', 'Resources', 'big.bin');
  closeSync(openSync(big, 'w'));
  truncateSync(big, 1_900_000_000);
  const layout = await bundleLayout(app);
  if (!layout) return t.fail('not a bundle');
  const { result, arrayBuffersGrowth, rssGrowth } = await peakMemory(() => inspectBundle(layout, ctx()));
  t.log(`peak growth while inspecting: ArrayBuffers ${(arrayBuffersGrowth / 1e6).toFixed(1)} MB, RSS ${(rssGrowth / 1e6).toFixed(1)} MB`);
  t.is(result.record.bundle?.files, 3, 'Info.plist, small.txt, big.bin');
  t.true(result.record.file.size > 1_900_000_000);
  t.true(arrayBuffersGrowth < 64 << 20, `ArrayBuffers grew ${arrayBuffersGrowth} bytes`);
});

test('a PE over the in-memory bound is hashed by streaming: the same hashes, authentihash and checksum as in memory, marked not verified', async (t) => {
  const dir = tmp();
  const file = join(dir, 'seven-zip.exe');
  copyFileSync(join(sharedCorpus, 'pe', 'signify-7z1900-x64_signed.exe'), file);
  const odd = join(dir, 'odd-length.exe');
  copyFileSync(join(sharedCorpus, 'pe', 'signify-whois.exe'), odd);
  appendFileSync(odd, Buffer.from([1, 2, 3]));
  // Both digest settings: the default (SHA-256 of the file and image; an in-memory record adds the SHA-1 image
  // digest a SHA-1 signature used, which streaming never verifies) and --ioc-digests (every digest, both ways).
  const small = pool(64 * 1024, 1);
  const whole = pool(undefined, 1);
  const smallIoc = pool(64 * 1024, 1, true);
  const wholeIoc = pool(undefined, 1, true);
  try {
    for (const [path, ioc] of [[file, false], [odd, false], [file, true], [odd, true]] as const) {
      const streamed = await (ioc ? smallIoc : small).inspect(path);
      const inMemory = await (ioc ? wholeIoc : whole).inspect(path);
      if ('error' in streamed || 'error' in inMemory) return t.fail(JSON.stringify({ streamed, inMemory }));
      const s = streamed.record;
      const m = inMemory.record;
      t.deepEqual(s.file.hash, m.file.hash);
      t.is(Object.keys(s.file.hash).length, ioc ? 3 : 1, 'SHA-256 always; SHA-1 and MD5 with --ioc-digests');
      if (ioc) t.deepEqual(s.pe?.authentihash, m.pe?.authentihash);
      else {
        t.is(s.pe?.authentihash.sha256, m.pe?.authentihash.sha256);
        t.is(s.pe?.authentihash.sha1, undefined);
      }
      t.deepEqual(s.pe?.checksum, m.pe?.checksum);
      t.is(s.module.format, 'pe');
      t.is(s.pe?.certificate_table_size, m.pe?.certificate_table_size);
      t.true(s.code_signature.problems.some((p) => p.code === 'NOT_VERIFIED_TOO_LARGE'));
      t.false(s.code_signature.valid);
      t.not(s.code_signature.status, 'invalid');
      t.is(s.error, undefined);
    }
  } finally {
    await Promise.all([small.close(), whole.close(), smallIoc.close(), wholeIoc.close()]);
  }
});

const SIZE = (1 << 30) + (100 << 20);

test('a 1.1 GiB PE (sparse) is hashed whole by the scan instead of refused with LIMIT_EXCEEDED', async (t) => {
  const root = tmp();
  const big = join(root, 'padded.dll');
  copyFileSync(join(sharedCorpus, 'pe', 'signify-whois.exe'), big);
  truncateSync(big, SIZE);
  const p = pool();
  try {
    const { result: out, arrayBuffersGrowth } = await peakMemory(() => scanTree(root, new Map(), p));
    t.deepEqual(out.unreadable, []);
    const [f] = out.files;
    const expected = execFileSync('sha256sum', [big]).toString().split(' ')[0];
    t.is(f?.record?.file.hash.sha256, expected);
    t.is(f?.record?.file.size, SIZE);
    t.true(f?.record?.code_signature.problems.some((x) => x.code === 'NOT_VERIFIED_TOO_LARGE'));
    t.true(arrayBuffersGrowth < 64 << 20, `main thread ArrayBuffers grew ${arrayBuffersGrowth}`);
  } finally {
    await p.close();
  }
});

// Attack study, session 6: a trojan DLL padded past the bound (sparse: nothing on disk) was UNVERIFIED_PATH medium
// where the same DLL unpadded is NEW_UNSIGNED_MODULE high.
test('a new unsigned DLL padded past the in-memory bound (sparse) is UNVERIFIED_PATH high, as a module that cannot be verified', async (t) => {
  const h = harness();
  try {
    const root = appDir();
    copyFileSync(join(sharedCorpus, 'pe', 'signify-whois.exe'), join(root, 'app.exe'));
    await h.scan('padded', root, { appVersion: '1.0.0' });
    const big = join(root, 'evil.dll');
    copyFileSync(realCorpusPath('pty-node'), big);
    truncateSync(big, SIZE);
    const r = await h.scan('padded', root, { appVersion: '1.0.0' });
    t.like(r.findings.find((f) => f.path === 'evil.dll'), { rule: 'UNVERIFIED_PATH', severity: 'high' });
  } finally {
    await h.close();
  }
});

test.serial('catalog directories: a .cat that is a FIFO or a link out of the directory is reported, not waited on or followed', async (t) => {
  const { loadCatalogs } = await import('../../daemon/inventory/catalogs.ts');
  const base = tmp();
  const dir = join(base, 'catroot');
  tree(base, { 'catroot/.keep': '' });
  execFileSync('mkfifo', [join(dir, 'pipe.cat')]);
  const real = join(sharedCorpus, 'catalog', 'signify-115fe8649854ad531fb7ecd1318fbee6b33c9cbd78f02ed582092a96d5eb5899.cat');
  symlinkSync(real, join(dir, 'linked.cat'));
  const index = await within(5000, 'loadCatalogs', loadCatalogs([dir], ctx()));
  t.true(index.errors.some((e) => /pipe\.cat: is a FIFO, not a regular file/.test(e)), JSON.stringify(index.errors));
  t.true(index.errors.some((e) => /linked\.cat: is a symbolic link/.test(e)), JSON.stringify(index.errors));
});

test('inspect of a file over the in-memory bound: hashed by streaming and marked NOT_VERIFIED_TOO_LARGE (as a scan records it), not refused as unreadable', async (t) => {
  const { runInspect } = await import('../../daemon/cli/inspect.ts');
  const { createHash } = await import('node:crypto');
  const { readFileSync } = await import('node:fs');
  const path = realCorpusPath('conpty');
  const out: string[] = [];
  const err: string[] = [];
  const code = await runInspect([path], { json: true, trust: [], catalog: [], maxFileBytes: 64 * 1024 }, { out: (l) => out.push(l), err: (l) => err.push(l) });
  t.is(code, 0, err.join('\n'));
  const r = JSON.parse(out[0] ?? '{}') as { file: { hash: { sha256: string } }; code_signature: { problems: Array<{ code: string }> } };
  t.is(r.file.hash.sha256, createHash('sha256').update(readFileSync(path)).digest('hex'));
  t.true(r.code_signature.problems.some((p) => p.code === 'NOT_VERIFIED_TOO_LARGE'));
});
