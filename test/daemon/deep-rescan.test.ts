// The scheduled full rescan (`schedules.rescan`) re-reads and re-hashes every file; watch-triggered and start-up
// reconciliation scans trust the stat cache (a file whose size, mtime, ctime and inode are unchanged is not read).
// A rewrite in place that keeps the size and restores the mtime (utimes) still moves ctime on Linux ext4/tmpfs — but
// not on every file system (network shares, FUSE, FAT report no real ctime; a restore from backup can set it). The
// test plays such a file system by writing the file's new stat into the history (what the stat cache would have seen),
// then shows the gap and its fix on the real daemon: the reconciliation scan misses the rewrite, the scheduled deep
// rescan (a cron expression firing every second) catches it.
import test from 'ava';
import { closeSync, openSync, readFileSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { DEFAULT_TRUST_DIR } from '../../daemon/config/trust-dir.ts';
import { statKey } from '../../daemon/inventory/scan-protocol.ts';
import { put } from '../../scripts/lib/three-cx.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { DaemonProcess, logLines, setup, waitForLog } from './harness.ts';

const MODULE = 'signtool.exe';

test('a module rewritten in place with the same size and mtime: the stat-trusting rescan misses it, the scheduled deep rescan catches it', async (t) => {
  const s = setup({ trust: [DEFAULT_TRUST_DIR] });
  put(s.appRoot, MODULE, readFileSync(realCorpusPath('signtool-x64')));
  put(s.appRoot, 'resources/app.js', 'console.log("contoso");\n');
  const first = new DaemonProcess(s);
  try {
    await waitForLog(s, first.pid, (l) => l.message === 'scan finished' && l.baseline === true, 'the baseline');
  } finally {
    t.is((await first.stop()).code, 0, first.stderr);
  }

  // While the daemon is down: 64 bytes in the middle of the code rewritten in place, the timestamps put back.
  const file = join(s.appRoot, MODULE);
  const before = statSync(file);
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(64, 0xcc), 0, 64, Math.floor(before.size / 2));
  closeSync(fd);
  utimesSync(file, before.atimeMs / 1000, before.mtimeMs / 1000);
  const after = statSync(file);
  t.is(after.size, before.size);
  t.is(after.mtimeMs, before.mtimeMs);
  // A file system without a trustworthy ctime: the stat cache holds what the stat says now.
  const db = new DatabaseSync(s.db);
  db.prepare('UPDATE entries SET stat = ? WHERE path = ? AND end_snapshot IS NULL').run(statKey(after), MODULE);
  db.close();

  writeFileSync(s.configFile, `${readFileSync(s.configFile, 'utf8')}schedules:\n  rescan: "* * * * * *"\n`);
  const d = new DaemonProcess(s);
  try {
    const reconciled = await waitForLog(s, d.pid, (l) => l.message === 'scan finished', 'the reconciliation scan');
    t.like(reconciled, { trigger: 'schedule', deep: false, baseline: false, read: 0, changes: 0 }, 'the stat cache trusted: the rewrite is missed');
    const deep = await waitForLog(s, d.pid, (l) => l.message === 'scan finished' && l.deep === true, 'the scheduled deep rescan');
    t.like(deep, { trigger: 'schedule', baseline: false });
    t.true(Number(deep.read) >= 2, `every file re-read: ${JSON.stringify(deep)}`);
    t.true(Number(deep.changes) >= 1, JSON.stringify(deep));
    // Logged after 'scan finished' (the file transport writes asynchronously): waited for, not read at once.
    const caught = await waitForLog(s, d.pid, (l) => l.message === 'finding' && l.snapshot_id === deep.snapshot_id && l.path === MODULE && l.rule === 'OUT_OF_BAND_CHANGE', 'OUT_OF_BAND_CHANGE on the module');
    t.is(caught.severity, 'high');
    await waitForLog(s, d.pid, (l) => l.message === 'finding' && l.snapshot_id === deep.snapshot_id && l.rule === 'SIGNATURE_INVALID' && l.severity === 'critical', 'SIGNATURE_INVALID on the module');
    t.false(logLines(s).some((l) => l.pid === d.pid && l.message === 'finding' && l.snapshot_id === reconciled.snapshot_id));
  } finally {
    t.is((await d.stop()).code, 0, d.stderr);
  }
});
