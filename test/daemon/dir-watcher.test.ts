// The Linux watcher (daemon/watch/dir-watcher.ts): one inotify watch per directory, never per file, links not
// followed; a file written anywhere under the root is reported; a directory made later is watched, one removed is
// dropped. Real directories and real inotify; waits have limits only to stop a stuck test.
import test from 'ava';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DirWatcher } from '../../daemon/watch/dir-watcher.ts';
import { tempDir } from '../helpers/temp.ts';

async function until(what: string, ok: () => boolean, limitMs = 30_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`not within ${limitMs} ms: ${what}`);
    await sleep(20);
  }
}

(process.platform === 'linux' ? test : test.skip)('one watch per directory; writes anywhere are reported; new directories watched, removed ones dropped; links not followed', async (t) => {
  const root = tempDir('sealwatch-dirwatch-');
  const outside = tempDir('sealwatch-outside-');
  mkdirSync(join(outside, 'deep'));
  for (const d of ['a', 'a/b', 'c']) mkdirSync(join(root, d));
  for (let i = 0; i < 300; i++) writeFileSync(join(root, ['a', 'a/b', 'c'][i % 3] as string, `f${i}.js`), `${i}`);
  symlinkSync(outside, join(root, 'link-out'));
  const w = new DirWatcher(root);
  const events: string[] = [];
  w.on('all', (_e, path) => events.push(path));
  try {
    await new Promise<void>((resolve, reject) => (w.on('ready', resolve), w.on('error', reject)));
    t.is(w.size, 4, 'root, a, a/b, c — not 300 files, not the linked directory');

    writeFileSync(join(root, 'a', 'b', 'f1.js'), 'changed');
    await until('the write under a/b', () => events.includes(join(root, 'a', 'b', 'f1.js')));

    mkdirSync(join(root, 'new'));
    await until('the new directory watched', () => w.size === 5);
    writeFileSync(join(root, 'new', 'plugin.dll'), 'MZ');
    await until('the write in the new directory', () => events.includes(join(root, 'new', 'plugin.dll')));

    writeFileSync(join(outside, 'deep', 'x'), 'not ours');
    rmSync(join(root, 'a'), { recursive: true });
    await until('a and a/b dropped', () => w.size === 3);
    t.false(events.some((p) => p.startsWith(outside) || p.includes('link-out/')), 'nothing through the link');
  } finally {
    await w.close();
  }
  t.is(w.size, 0);
});

(process.platform === 'linux' ? test : test.skip)('a root configured as a link (/opt/app -> /opt/app-1.2) is watched through it, as the scan reads it', async (t) => {
  const real = tempDir('sealwatch-dirwatch-real-');
  mkdirSync(join(real, 'sub'));
  const link = join(tempDir('sealwatch-dirwatch-link-'), 'app');
  symlinkSync(real, link);
  const w = new DirWatcher(link);
  const events: string[] = [];
  w.on('all', (_e, path) => events.push(path));
  try {
    await new Promise<void>((resolve, reject) => (w.on('ready', resolve), w.on('error', reject)));
    t.is(w.size, 2, 'the linked root and its subdirectory');
    writeFileSync(join(real, 'sub', 'app.dll'), 'MZ');
    await until('the write under the linked root', () => events.includes(join(real, 'sub', 'app.dll')));
  } finally {
    await w.close();
  }
});

(process.platform === 'linux' ? test : test.skip)('a directory deleted and made again at once (rm -rf; mkdir), or swapped for a staged one (mv), is watched again: a file dropped into it later is reported', async (t) => {
  const root = tempDir('sealwatch-dirwatch-again-');
  for (const d of ['res', 'res/deep', 'lib']) mkdirSync(join(root, d));
  const w = new DirWatcher(root);
  const events: string[] = [];
  w.on('all', (_e, path) => events.push(path));
  try {
    await new Promise<void>((resolve, reject) => (w.on('ready', resolve), w.on('error', reject)));
    // Deleted and made again before the watcher hears of the deletion: the old watch is on a directory that is gone.
    rmSync(join(root, 'res'), { recursive: true });
    mkdirSync(join(root, 'res', 'deep'), { recursive: true });
    await sleep(500);
    writeFileSync(join(root, 'res', 'deep', 'drop.so'), 'ELF');
    await until('the drop into the remade directory', () => events.includes(join(root, 'res', 'deep', 'drop.so')));
    // The staged swap updaters use: the new tree moved in where the old one was, the old one removed.
    mkdirSync(join(root, 'lib.new'));
    renameSync(join(root, 'lib'), join(root, 'lib.old'));
    renameSync(join(root, 'lib.new'), join(root, 'lib'));
    rmSync(join(root, 'lib.old'), { recursive: true });
    await sleep(500);
    writeFileSync(join(root, 'lib', 'evil.so'), 'ELF');
    await until('the drop into the swapped-in directory', () => events.includes(join(root, 'lib', 'evil.so')));
    t.is(w.size, 4, 'root, res, res/deep, lib: nothing stale left');
  } finally {
    await w.close();
  }
});
