// Scans that used to abort and record nothing (issue 7 §3): names that are not UTF-8, paths longer than PATH_MAX.
// And what the walk does not read is recorded, not dropped: links (with target and whether it stays inside),
// FIFOs, sockets, devices.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { bytesText, textBytes } from '../../daemon/inventory/names.ts';
import { scanTree } from '../../daemon/inventory/scan.ts';
import { harness } from '../helpers/scan.ts';
import { isRoot, linux, pool, tmp, tree } from './_fs.ts';

const b = (...parts: Array<string | number[]>): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

test('names: valid UTF-8 kept as is; other bytes \\xNN; a backslash \\\\; unique and reversible', (t) => {
  const cases: Array<[Buffer, string]> = [
    [b('plain.dll'), 'plain.dll'],
    [b('naïve 日本.dll'), 'naïve 日本.dll'],
    [b([0xff], '.dll'), '\\xff.dll'],
    [b([0xfe], '.dll'), '\\xfe.dll'],
    [b('a\\b'), 'a\\\\b'],
    [b('\\xff'), '\\\\xff'],
    [b([0xc3]), '\\xc3'], // truncated sequence
    [b([0xed, 0xa0, 0x80]), '\\xed\\xa0\\x80'], // a UTF-16 surrogate, not UTF-8
    [b([0xc0, 0xaf]), '\\xc0\\xaf'], // overlong '/'
  ];
  for (const [bytes, text] of cases) {
    t.is(bytesText(bytes), text, bytes.toString('hex'));
    if (process.platform !== 'win32') t.true(textBytes(text).equals(bytes), text);
  }
  t.is(new Set(cases.map(([bytes]) => bytesText(bytes))).size, cases.length);
});

test('two names that are not UTF-8 (and would both decode to U+FFFD) are scanned and stored as two files', async (t) => {
  if (process.platform === 'win32') return t.pass('names on Windows are UTF-16');
  const root = tmp();
  const rootBytes = Buffer.from(root);
  writeFileSync(b(rootBytes.toString(), '/', [0xff], '.dll'), 'one');
  writeFileSync(b(rootBytes.toString(), '/', [0xfe], '.dll'), 'two');
  mkdirSync(b(rootBytes.toString(), '/', [0x80], 'dir'));
  writeFileSync(b(rootBytes.toString(), '/', [0x80], 'dir/x\\y.dll'), 'three');
  const p = pool();
  try {
    const out = await scanTree(root, new Map(), p);
    t.deepEqual(out.unreadable, []);
    t.deepEqual(out.files.map((f) => f.path).sort(), ['\\x80dir/x\\\\y.dll', '\\xfe.dll', '\\xff.dll']);
    // Each record names its file in the same text form, and that text opens the file again.
    for (const f of out.files) t.true(f.record?.file.path.endsWith(f.path));
  } finally {
    await p.close();
  }
  // Through the pipeline into the store (this aborted on "UNIQUE constraint failed" before).
  const h = harness();
  try {
    const report = await h.scan('bad-names', root, { appVersion: '1' });
    const paths = h.store.files(report.snapshotId).map((f) => f.path).sort();
    t.deepEqual(paths, ['\\x80dir/x\\\\y.dll', '\\xfe.dll', '\\xff.dll']);
  } finally {
    await h.close();
  }
});

test('a path longer than 4,096 bytes is walked and read (Linux), never aborting the scan', async (t) => {
  const root = tmp();
  const name = 'd'.repeat(200);
  const levels = 24; // 24 × 201 bytes > 4,096
  // Made with relative mkdir/cd, which has no PATH_MAX limit.
  execFileSync('bash', ['-c', `cd "$1" && for i in $(seq ${levels}); do mkdir ${name} && cd ${name}; done && printf deep > deep.bin`, 'make', root]);
  writeFileSync(join(root, 'top.bin'), 'top');
  const p = pool();
  try {
    const out = await scanTree(root, new Map(), p);
    const deep = `${Array.from({ length: levels }, () => name).join('/')}/deep.bin`;
    t.true(Buffer.byteLength(`${root}/${deep}`) > 4096);
    t.true(out.files.some((f) => f.path === 'top.bin'));
    if (linux) {
      t.deepEqual(out.unreadable, []);
      const f = out.files.find((x) => x.path === deep);
      t.is(f?.record?.file.size, 4);
    } else {
      t.true(out.files.some((f) => f.path === deep) || out.unreadable.some((u) => u.path.startsWith(name)));
    }
  } finally {
    await p.close();
    execFileSync('rm', ['-rf', root]);
  }
});

test('links, FIFOs, sockets and devices are recorded with what they are; links inside the root to files are still inspected', async (t) => {
  const base = tmp();
  tree(base, { 'outside.dll': 'outside', 'app/real.dll': 'real', 'app/sub/inner.dll': 'inner' });
  const root = join(base, 'app');
  symlinkSync('real.dll', join(root, 'inside-link.dll'));
  symlinkSync(join(base, 'outside.dll'), join(root, 'escape.dll'));
  symlinkSync('nowhere.dll', join(root, 'dangling.dll'));
  symlinkSync('sub', join(root, 'dir-link'));
  execFileSync('mkfifo', [join(root, 'pipe')]);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(join(root, 'sock'), resolve));
  if (isRoot && linux) execFileSync('mknod', [join(root, 'null-dev'), 'c', '1', '3']);
  const p = pool();
  try {
    const out = await scanTree(root, new Map(), p);
    t.deepEqual(out.files.map((f) => f.path).sort(), ['inside-link.dll', 'real.dll', 'sub/inner.dll']);
    const by = new Map(out.special.map((s) => [s.path, s]));
    t.like(by.get('inside-link.dll'), { kind: 'symlink', target: 'real.dll', inside: true, inspected: true });
    t.like(by.get('escape.dll'), { kind: 'symlink', target: join(base, 'outside.dll'), inside: false });
    t.like(by.get('dangling.dll'), { kind: 'symlink', target: 'nowhere.dll', inside: false });
    t.like(by.get('dir-link'), { kind: 'symlink', target: 'sub', inside: true });
    t.like(by.get('pipe'), { kind: 'fifo' });
    t.like(by.get('sock'), { kind: 'socket' });
    if (isRoot && linux) t.like(by.get('null-dev'), { kind: 'char-device' });
    for (const s of out.special) t.regex(s.stat, /^\d+:\d+:\d+:\d+:\d+$/);
    // The link's record is the target's content, under the link's path.
    const viaLink = out.files.find((f) => f.path === 'inside-link.dll');
    const real = out.files.find((f) => f.path === 'real.dll');
    t.is(viaLink?.record?.file.hash.sha256, real?.record?.file.hash.sha256);
    t.regex(viaLink?.record?.file.path ?? '', /inside-link\.dll$/);
  } finally {
    await p.close();
    server.close();
  }
});

test.serial('a caller that stops the walk at any item leaves no directory open (each directory is closed however the walk ends)', async (t) => {
  if (!linux) return t.pass('counts /proc/self/fd');
  const { readdirSync } = await import('node:fs');
  const { confine } = await import('../../daemon/inventory/confined.ts');
  const { walkConfined } = await import('../../daemon/inventory/walk.ts');
  const root = tmp();
  tree(root, { 'a/b/c/file1': '1', 'a/b/file2': '2', 'd/e/file3': '3', 'top': 't' });
  const c = await confine(root);
  const open = (): number => readdirSync('/proc/self/fd').length;
  const before = open();
  let items = 0;
  for await (const _ of walkConfined(c)) items++;
  t.true(items >= 9);
  // Stop at each item in turn: at a directory, a file, deep inside.
  for (let stopAt = 1; stopAt <= items; stopAt++) {
    let n = 0;
    for await (const _ of walkConfined(c)) if (++n === stopAt) break;
    t.is(open(), before, `stopped at item ${stopAt}`);
  }
});
