// Hot reload with the real daemon as a child process: good → bad → good. The first change adds an app and moves the
// rescan schedule (applied without a restart: the new app is watched and scanned); the bad one is refused — logged,
// alerted as CONFIG_REJECTED to the real webhook receiver on 127.0.0.1, the last good config still in force; the
// third removes the app again.
import test from 'ava';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonProcess, health, httpPort, Receiver, setup, waitForLog, waitReceived } from '../daemon/harness.ts';

test.serial('hot reload: good → bad → good; the bad config is refused and alerted, the last good one stays', async (t) => {
  const receiver = new Receiver();
  await receiver.start();
  const s = setup({ receiverUrl: receiver.url });
  writeFileSync(join(s.appRoot, 'readme.txt'), 'v1\n');
  const second = join(s.dir, 'second');
  mkdirSync(second);
  writeFileSync(join(second, 'notes.txt'), 'hello\n');
  const original = readFileSync(s.configFile, 'utf8');
  const withSecond = original.replace('watch:\n', `  - name: second\n    path: ${second}\nschedules:\n  rescan: "0 4 * * *"\nwatch:\n`);
  const d = new DaemonProcess(s);
  try {
    await waitForLog(s, d.pid, (l) => l.message === 'scan finished' && l.app === 'contoso', 'the baseline of contoso');
    const port = await httpPort(s, d.pid);

    writeFileSync(s.configFile, withSecond);
    await waitForLog(s, d.pid, (l) => l.message === 'app added to the watch' && l.app === 'second', 'app second added');
    await waitForLog(s, d.pid, (l) => l.message === 'schedule changed' && l.schedule === 'rescan' && l.expression === '0 4 * * *', 'the rescan schedule replaced');
    await waitForLog(s, d.pid, (l) => l.message === 'scan finished' && l.app === 'second', 'the baseline of the added app');
    t.like(await health(port), { apps: 2 });

    writeFileSync(s.configFile, withSecond.replace(/settle: .*/, 'settle: soon'));
    const rejected = await waitForLog(s, d.pid, (l) => l.message === 'config rejected: the last good config stays in force', 'the rejection');
    t.regex(String(rejected.error), /line \d+: watch\.settle: must be a duration/);
    await waitReceived(receiver, 1);
    const alert = receiver.received[0]!;
    const findings = alert.body.findings as Array<{ rule: string; severity: string; path: string }>;
    t.like(findings[0], { rule: 'CONFIG_REJECTED', severity: 'high', path: s.configFile });
    t.like(alert.body, { app: 'sealwatch' });
    t.like(await health(port), { status: 'ok', apps: 2 }, 'still running on the last good config');

    writeFileSync(s.configFile, original);
    await waitForLog(s, d.pid, (l) => l.message === 'app removed from the watch' && l.app === 'second', 'app second removed');
    await waitForLog(s, d.pid, (l) => l.message === 'config reloaded' && (l.apps as number) === 1, 'the good config applied');
    t.like(await health(port), { status: 'ok', apps: 1 });
    t.is(receiver.received.length, 1, 'only the refusal was alerted');
  } finally {
    const exit = await d.stop();
    t.is(exit.code, 0, d.stderr);
    await receiver.close();
  }
});

test.serial('hot reload follows the policy files: editing one applies it, a broken one is refused (the last good policies stay), one added to the directory is loaded — no SIGHUP, no config change', async (t) => {
  const s0 = setup();
  const policies = join(s0.dir, 'policies');
  mkdirSync(policies, { mode: 0o755 });
  const policy = (severity: string): string => `name: contoso-local\nmatch:\n  apps: [contoso]\nseverity:\n  NEW_MODULE: ${severity}\n`;
  writeFileSync(join(policies, 'contoso.yaml'), policy('low'));
  const later = join(s0.dir, 'later');
  mkdirSync(later, { mode: 0o755 });
  writeFileSync(s0.configFile, `${readFileSync(s0.configFile, 'utf8')}policies:\n  - ${policies}\n  - ${later}\n`);
  const d = new DaemonProcess(s0);
  try {
    await waitForLog(s0, d.pid, (l) => l.message === 'scan finished' && l.app === 'contoso', 'the baseline');
    writeFileSync(join(policies, 'contoso.yaml'), policy('critical'));
    await waitForLog(s0, d.pid, (l) => l.message === 'config reloaded', 'the edited policy applied');
    writeFileSync(join(policies, 'contoso.yaml'), policy('severe'));
    const rejected = await waitForLog(s0, d.pid, (l) => l.message === 'config rejected: the last good config stays in force', 'the broken policy refused');
    t.regex(String(rejected.error), /contoso\.yaml:\d+: error: severity\.NEW_MODULE: must be one of/);
    writeFileSync(join(policies, 'contoso.yaml'), policy('low'));
    writeFileSync(join(policies, 'extra.yaml'), 'name: extra-local\nmatch:\n  apps: [nobody]\n');
    await waitForLog(s0, d.pid, (l) => l.message === 'config reloaded' && Array.isArray(l.policies) && (l.policies as string[]).includes('extra-local'), 'the added policy loaded');
    writeFileSync(join(later, 'first.yaml'), 'name: first-in-empty-dir\nmatch:\n  apps: [nobody]\n');
    await waitForLog(s0, d.pid, (l) => l.message === 'config reloaded' && Array.isArray(l.policies) && (l.policies as string[]).includes('first-in-empty-dir'), 'the first policy of a directory that was empty');
  } finally {
    const exit = await d.stop();
    t.is(exit.code, 0, d.stderr);
  }
});
