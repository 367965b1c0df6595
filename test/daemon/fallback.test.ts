// The watcher is a hint: when it cannot watch (the inotify watch limit reached — ENOSPC), the daemon says so and
// falls back to rescans every `watch.poll`, and an update is still found and alerted. The limit is real: the daemon
// runs in a user namespace of its own whose inotify watch limit is set low (Linux ≥ 5.11 counts watches per user
// namespace), so nothing else on the machine is affected.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { DaemonProcess, health, httpPort, logLines, Receiver, setup, waitForLog, waitIdle, waitReceived } from './harness.ts';

/** `unshare` into a user namespace with at most `watches` inotify watches, then exec the rest (same pid). */
const LIMITED = (watches: number): string[] => ['unshare', '--user', '--map-root-user', 'sh', '-c', `echo ${watches} > /proc/sys/user/max_inotify_watches && exec "$@"`, 'sh'];

const userNamespaces = process.platform === 'linux' && spawnSync('unshare', ['--user', '--map-root-user', 'sh', '-c', 'echo 5 > /proc/sys/user/max_inotify_watches'], { stdio: 'ignore' }).status === 0;

(userNamespaces ? test : test.skip)('inotify watch limit reached (ENOSPC) → polling rescans; an update is still found and alerted once', async (t) => {
  const receiver = new Receiver();
  await receiver.start();
  const s = setup({ receiverUrl: receiver.url, extra: 'schedules:\n  rescan: "0 3 * * *"' });
  // 40 directories: more than the 10 watches the daemon's namespace allows.
  writeFileSync(join(s.appRoot, 'package.json'), JSON.stringify({ name: 'contoso', version: '1.0.0' }));
  for (let i = 0; i < 40; i++) mkdirSync(join(s.appRoot, `d${i}`));
  writeFileSync(s.configFile, readFileSync(s.configFile, 'utf8').replace('watch:\n', 'watch:\n  poll: 2s\n'));
  const d = new DaemonProcess(s, undefined, LIMITED(10));
  try {
    const failed = await waitForLog(s, d.pid, (l) => l.message === 'watcher failed: falling back to rescans', 'the watcher failing');
    t.like(failed, { app: 'contoso', code: 'ENOSPC', poll_ms: 2_000 });
    await waitForLog(s, d.pid, (l) => l.message === 'scan finished' && l.baseline === true, 'the baseline');
    const port = await httpPort(s, d.pid);
    t.like(await health(port), { watch: { polling: 1, watching: 0 } });
    await waitForLog(s, d.pid, (l) => l.message === 'rescan requested' && l.why === 'polling (watcher failed)', 'a polling rescan');
    await waitIdle(port);
    // An update nobody is notified of: the next polling rescan finds it.
    const mark = logLines(s).length;
    writeFileSync(join(s.appRoot, 'd7', 'ffmpeg.dll'), readFileSync(realCorpusPath('pty-node')));
    await waitReceived(receiver, 1);
    const after = logLines(s).slice(mark).filter((l) => l.pid === d.pid);
    // Found by a rescan (polling: trigger 'schedule'), never by a watcher event.
    const found = after.find((l) => l.message === 'scan finished' && (l.alerts as number) > 0);
    t.like(found, { trigger: 'schedule', alerts: 1 });
    t.false(after.some((l) => l.message === 'file event'), 'no watcher saw it');
    // The retries of the watcher at each poll fail quietly: one warning, not one per poll.
    t.is(logLines(s).filter((l) => l.pid === d.pid && l.message === 'watcher failed: falling back to rescans').length, 1);
    t.is(receiver.received.length, 1);
  } finally {
    t.is((await d.stop()).code, 0, d.stderr);
    await receiver.close();
  }
});
