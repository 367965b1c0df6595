// Nothing outside the root is read, whatever the tree does while it is scanned (issue 7 §3). Real files in temp
// directories, the real worker pool; the faults are the ones found by trying: rename-exchange of a directory or a
// file with a link during a scan, version sources and bundle parts linked outside, a CFBundleExecutable that climbs
// out, and mounts inside the root.
import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appVersion } from '../../daemon/inventory/app-version.ts';
import { bundleLayout, inspectBundle } from '../../daemon/inventory/bundle.ts';
import { confine, mountPointsBeneath, openConfined, RefusedError } from '../../daemon/inventory/confined.ts';
import { scanTree } from '../../daemon/inventory/scan.ts';
import { DEFAULT_TRUST_DIR, loadTrustStore } from '../../daemon/config/trust.ts';
import { exchangeLoop, infoPlist, isRoot, linux, pool, started, tmp, tree, tryMount, umount } from './_fs.ts';

const sha256 = (b: string | Uint8Array): string => createHash('sha256').update(b).digest('hex');
const ctx = () => ({ store: loadTrustStore([DEFAULT_TRUST_DIR]), now: new Date('2026-11-01T00:00:00Z'), signatureCache: new Map<string, boolean>() });

test.serial('a directory and a file swapped with links out of the root during scans (rename-exchange): nothing outside is read', async (t) => {
  if (!linux) return t.pass('renameat2 is Linux-only');
  const base = tmp();
  const outside = join(base, 'outside');
  const root = join(base, 'app');
  const secrets = new Set<string>();
  const files: Record<string, string> = {};
  for (let i = 0; i < 150; i++) {
    const name = `f${String(i).padStart(3, '0')}.bin`;
    files[join('outside', 'dir', name)] = `OUTSIDE secret ${i}`;
    secrets.add(sha256(`OUTSIDE secret ${i}`));
    files[join('app', 'sub', name)] = `inside ${i}`;
  }
  files[join('outside', 'secret.bin')] = 'OUTSIDE single secret';
  secrets.add(sha256('OUTSIDE single secret'));
  files[join('app', 'file.bin')] = 'inside single file';
  tree(base, files);
  symlinkSync(join(outside, 'dir'), join(root, 'swap'));
  symlinkSync(join(outside, 'secret.bin'), join(root, 'flink'));
  const dirSwapper = exchangeLoop(join(root, 'sub'), join(root, 'swap'));
  const fileSwapper = exchangeLoop(join(root, 'file.bin'), join(root, 'flink'));
  const p = pool();
  let refused = 0;
  let inspected = 0;
  try {
    await Promise.all([started(dirSwapper), started(fileSwapper)]);
    for (let i = 0; i < 6; i++) {
      const out = await scanTree(root, new Map(), p);
      for (const f of out.files) {
        inspected++;
        t.false(secrets.has(f.record?.file.hash.sha256 ?? ''), `${f.path} was read from outside the root`);
      }
      refused += out.unreadable.length;
      for (const s of out.special) if (s.kind === 'symlink' && s.target?.includes('outside')) t.false(s.inside, `${s.path} → ${s.target}`);
    }
  } finally {
    dirSwapper.kill('SIGKILL');
    fileSwapper.kill('SIGKILL');
    await p.close();
  }
  t.log(`${inspected} files inspected, ${refused} refused while swapping`);
  t.true(inspected > 0);
});

test('the worker-side check: a directory on the path that is a link out of the root is refused as OUTSIDE_ROOT; a replaced file as CHANGED', async (t) => {
  const base = tmp();
  tree(base, { 'outside/x/a.bin': 'secret', 'app/x/a.bin': 'inside', 'app/b.bin': 'b' });
  const c = await confine(join(base, 'app'));
  const abs = Buffer.from(join(base, 'app', 'x', 'a.bin'));
  const { handle, stat } = await openConfined(c, abs);
  await handle.close();
  rmSync(join(base, 'app', 'x'), { recursive: true });
  symlinkSync(join(base, 'outside', 'x'), join(base, 'app', 'x'));
  const err = await t.throwsAsync(openConfined(c, abs, { dev: stat.dev, ino: stat.ino }));
  t.true(err instanceof RefusedError);
  // The identity check fires first; without an expected identity, the path check names the outside file.
  t.is((err as RefusedError).refusal, 'CHANGED');
  const err2 = (await t.throwsAsync(openConfined(c, abs))) as RefusedError;
  t.is(err2.refusal, linux ? 'OUTSIDE_ROOT' : 'OUTSIDE_ROOT');
  t.regex(err2.message, /outside\/x\/a\.bin.*outside the root|outside the root/);
  // The last component a link: never followed.
  symlinkSync(join(base, 'outside', 'x', 'a.bin'), join(base, 'app', 'c.bin'));
  t.is(((await t.throwsAsync(openConfined(c, Buffer.from(join(base, 'app', 'c.bin'))))) as RefusedError).refusal, 'SYMLINK');
});

test('package.json (and resources/) linked out of the root give no app version, and say why', async (t) => {
  const base = tmp();
  tree(base, { 'outside/package.json': '{"version":"6.6.6"}', 'outside/res/app-update.yml': 'version: 6.6.7\n', 'app/main.bin': 'x' });
  const root = join(base, 'app');
  symlinkSync(join(base, 'outside', 'package.json'), join(root, 'package.json'));
  symlinkSync(join(base, 'outside', 'res'), join(root, 'resources'));
  const v = await appVersion(root, new Map());
  t.is(v.version, undefined);
  t.is(v.source, 'unknown');
  t.true((v.refused ?? []).some((r) => /package\.json: is a symbolic link/.test(r)), JSON.stringify(v.refused));
  t.true((v.refused ?? []).some((r) => /app-update\.yml: opens .*outside the root|app-update\.yml: .*outside/.test(r)), JSON.stringify(v.refused));
  // Inside the root, the same sources still work.
  rmSync(join(root, 'package.json'));
  writeFileSync(join(root, 'package.json'), '{"version":"1.2.3"}');
  t.like(await appVersion(root, new Map()), { version: '1.2.3', source: 'package.json' });
});

test("a bundle whose CFBundleExecutable is ../../../../secret does not open that file", async (t) => {
  const base = tmp();
  writeFileSync(join(base, 'secret'), 'TOP SECRET');
  const app = join(base, 'deep', 'er', 'Evil.app');
  tree(app, { 'Contents/Info.plist': infoPlist({ CFBundleExecutable: '../../../../secret', CFBundleIdentifier: 'com.example.evil' }), 'Contents/MacOS/real': 'x' });
  const layout = await bundleLayout(app);
  if (!layout) return t.fail('not recognised as a bundle');
  const result = await inspectBundle(layout, ctx());
  t.is(result.executable, undefined);
  t.true(result.record.code_signature.problems.some((p) => p.code === 'BUNDLE_FILE_MISSING' && /not a file name in the bundle \(not opened\)/.test(p.message)));
  t.not(result.record.file.hash.sha256, sha256('TOP SECRET'));
});

test("a bundle whose Contents is a link out of the root is not read there", async (t) => {
  const base = tmp();
  tree(base, {
    'outside/Contents/Info.plist': infoPlist({ CFBundleExecutable: 'x', CFBundleShortVersionString: '9.9.9' }),
    'outside/Contents/MacOS/x': 'outside exe',
    'outside/Contents/Resources/secret.txt': 'outside secret',
  });
  const app = join(base, 'Linked.app');
  mkdirSync(app);
  symlinkSync(join(base, 'outside', 'Contents'), join(app, 'Contents'));
  const layout = await bundleLayout(app);
  if (layout) {
    const result = await inspectBundle(layout, ctx());
    t.is(result.record.bundle?.files ?? 0, 0, 'no file behind the link was hashed');
    t.not(result.record.module.version.product, '9.9.9');
  } else t.pass('not a bundle: its Contents is a link (recorded by the walk as a link out of the root)');
  // The app version does not come from behind the link either.
  t.not((await appVersion(app, new Map())).version, '9.9.9');
  // And the bundle directory itself reached through a link is refused, not read where it points.
  symlinkSync(join(base, 'outside'), join(base, 'Alias.app'));
  await t.throwsAsync(bundleLayout(join(base, 'Alias.app')), { message: /Alias.app: is a symbolic link/ });
});

test.serial('mounts inside the root (tmpfs, and a bind mount of the same file system) are recorded, not crossed unless configured', async (t) => {
  if (!linux || !isRoot) return t.pass('mounts need root on Linux');
  const base = tmp();
  tree(base, { 'outside/shadow': 'root:$6$secret', 'app/a.bin': 'a', 'app/bind/.keep': '', 'app/tmpfs/.keep': '' });
  const root = join(base, 'app');
  const why = tryMount(['--bind', join(base, 'outside'), join(root, 'bind')]) ?? tryMount(['-t', 'tmpfs', 'none', join(root, 'tmpfs')]);
  if (why) {
    umount(join(root, 'bind'));
    return t.pass(`mount not permitted here: ${why}`);
  }
  writeFileSync(join(root, 'tmpfs', 'on-tmpfs.bin'), 'tmpfs file');
  // A single file bind-mounted over a file of the root.
  writeFileSync(join(root, 'file-mount.bin'), 'placeholder');
  const fileWhy = tryMount(['--bind', join(base, 'outside', 'shadow'), join(root, 'file-mount.bin')]);
  const p = pool();
  try {
    const out = await scanTree(root, new Map(), p);
    const paths = out.files.map((f) => f.path);
    t.deepEqual(paths.filter((x) => x.startsWith('bind/') || x.startsWith('tmpfs/')), []);
    t.false(out.files.some((f) => f.record?.file.hash.sha256 === sha256('root:$6$secret')), 'the bind-mounted secret was read');
    const mounts = out.special.filter((s) => s.kind === 'mount-point').map((s) => s.path).sort();
    t.deepEqual(mounts, ['bind', 'tmpfs']);
    if (!fileWhy) t.true(out.unreadable.some((u) => u.path === 'file-mount.bin' && u.refusal === 'OTHER_FILESYSTEM'), JSON.stringify(out.unreadable));
    const crossed = await scanTree(root, new Map(), p, undefined, { crossFilesystems: true });
    t.true(crossed.files.some((f) => f.path === 'tmpfs/on-tmpfs.bin'));
    t.true(crossed.files.some((f) => f.path === 'bind/shadow'));
  } finally {
    await p.close();
    umount(join(root, 'file-mount.bin'));
    umount(join(root, 'bind'));
    umount(join(root, 'tmpfs'));
  }
  t.is(readFileSync(join(base, 'outside', 'shadow'), 'utf8'), 'root:$6$secret');
});

test.serial('mount points beneath a root are found in /proc/self/mountinfo (octal-escaped names too); none, and the per-open mount checks are off', async (t) => {
  if (!linux || !isRoot) return t.pass('mounts need root on Linux');
  const base = tmp();
  tree(base, { 'outside/x': 'x', 'app dir/deep/with space/.keep': '', 'app dir/plain.bin': 'p', 'app dir2/.keep': '' });
  const root = join(base, 'app dir');
  t.false(mountPointsBeneath(Buffer.from(root)));
  t.is((await confine(root)).mountId, undefined, 'no mount beneath: no per-open mount-id check');
  const why = tryMount(['--bind', join(base, 'outside'), join(root, 'deep', 'with space')]);
  if (why) return t.pass(`mount not permitted here: ${why}`);
  try {
    t.true(mountPointsBeneath(Buffer.from(root)));
    t.true(mountPointsBeneath(Buffer.from(`${root}/`)));
    t.false(mountPointsBeneath(Buffer.from(join(base, 'app dir2'))), 'a sibling whose name starts the same is not beneath');
    t.false(mountPointsBeneath(Buffer.from(join(root, 'deep', 'with space'))), 'the mount point itself is not beneath itself');
    t.is(typeof (await confine(root)).mountId, 'number');
  } finally {
    umount(join(root, 'deep', 'with space'));
  }
});
