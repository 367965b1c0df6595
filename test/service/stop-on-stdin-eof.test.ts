// `sealwatch run --stop-on-stdin-eof`: how the Windows service host asks the daemon to stop (it closes the daemon's
// stdin; Windows has no SIGTERM). The real daemon (test/daemon/harness.ts) is started with stdin a pipe, the pipe
// closed, and the daemon must go through the same graceful shutdown as on SIGTERM. Without the flag an EOF on stdin
// changes nothing. (The host's side — the SCM protocol, the pipe, the job — is windows-service-host.test.ts, under wine.)
import test from 'ava';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { logLines, MAIN, setup, waitForLog } from '../daemon/harness.ts';

function daemon(s: ReturnType<typeof setup>, flag: boolean): { pid: number; close: () => void; kill: () => void; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN, 'run', '--config', s.configFile, ...(flag ? ['--stop-on-stdin-eof'] : [])], { env: s.env, stdio: ['pipe', 'ignore', 'ignore'] });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { pid: child.pid as number, close: () => child.stdin?.end(), kill: () => child.kill('SIGTERM'), exited };
}

test('with the flag, EOF on stdin stops the daemon gracefully: exit 0, "sealwatch stopped" with reason stdin-eof', async (t) => {
  const s = setup();
  t.teardown(() => rmSync(s.dir, { recursive: true, force: true }));
  const d = daemon(s, true);
  await waitForLog(s, d.pid, (l) => l.message === 'http endpoint listening', 'the daemon started');
  d.close();
  t.is(await d.exited, 0);
  const stopped = logLines(s).find((l) => l.pid === d.pid && l.message === 'sealwatch stopped');
  t.is(stopped?.reason, 'stdin-eof');
  t.truthy(logLines(s).find((l) => l.pid === d.pid && l.message === 'sealwatch stopping' && l.reason === 'stdin-eof'));
});

test('without the flag, EOF on stdin changes nothing: the daemon runs on until SIGTERM', async (t) => {
  const s = setup();
  t.teardown(() => rmSync(s.dir, { recursive: true, force: true }));
  const d = daemon(s, false);
  await waitForLog(s, d.pid, (l) => l.message === 'http endpoint listening', 'the daemon started');
  d.close();
  // Evidence it kept running after the EOF: it still answers a later SIGTERM, and its stop reason is that signal.
  await sleep(1000);
  t.false(logLines(s).some((l) => l.pid === d.pid && l.message === 'sealwatch stopping'));
  d.kill();
  t.is(await d.exited, 0);
  t.is(logLines(s).find((l) => l.pid === d.pid && l.message === 'sealwatch stopped')?.reason, 'SIGTERM');
});
