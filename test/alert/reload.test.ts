// A destination removed by a real hot config reload, with the real daemon as a child process, a real SQLite file and
// a real receiver on 127.0.0.1: its pending alert is held (not attempted, not dead; `alerts list` says so), then the
// config brings the destination back under the same name and the alert is delivered there, with its delivery id.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonLines, sealwatch } from '../helpers/cli.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { DaemonProcess, logLines, Receiver, setup, waitForLog, waitReceived } from '../daemon/harness.ts';

test.serial('hot reload removes the destination → its pending alert is held; the same name back → delivered to it', async (t) => {
  const receiver = new Receiver();
  await receiver.start();
  receiver.respond = () => 500;
  const s = setup({ receiverUrl: receiver.url });
  writeFileSync(join(s.appRoot, 'readme.txt'), 'v1\n');
  const original = readFileSync(s.configFile, 'utf8');
  const withoutAlerts = original.replace(/alerts:\n(?: {2}.*\n)+/, '');
  t.not(withoutAlerts, original);
  const d = new DaemonProcess(s);
  try {
    await waitForLog(s, d.pid, (l) => l.message === 'scan finished' && l.baseline === true, 'the baseline');
    // An update with a new unsigned DLL: one alert for e2e, whose first attempt fails (HTTP 500).
    writeFileSync(join(s.appRoot, 'ffmpeg.dll'), readFileSync(realCorpusPath('pty-node')));
    const failed = await waitForLog(s, d.pid, (l) => l.message === 'alert delivery failed' && l.destination === 'e2e', 'the failed first attempt');
    const id = String(failed.delivery_id);

    writeFileSync(s.configFile, withoutAlerts);
    await waitForLog(s, d.pid, (l) => l.message === 'config reloaded' && Array.isArray(l.alerts) && l.alerts.length === 0, 'the reload without the destination');
    await waitForLog(s, d.pid, (l) => l.message === 'alert held: its destination was removed from the config' && l.delivery_id === id, 'the alert held');
    const attempts = receiver.received.length;
    const listed = jsonLines((await sealwatch(['alerts', 'list', '--db', s.db, '--json'])).stdout);
    t.is(listed.length, 1);
    t.like(listed[0], { delivery_id: id, destination: 'e2e', state: 'pending', destination_removed: true });
    t.regex(String(listed[0]?.last_error), /^waiting: destination e2e was removed from the config; held until it comes back or /);
    t.false(logLines(s).some((l) => l.message === 'alert dead-lettered'), 'not dead');

    receiver.respond = () => 200;
    writeFileSync(s.configFile, original);
    await waitForLog(s, d.pid, (l) => l.message === 'alert released: its destination is configured again' && l.delivery_id === id, 'the alert released');
    await waitReceived(receiver, attempts + 1);
    await waitForLog(s, d.pid, (l) => l.message === 'alert delivered' && l.delivery_id === id, 'the delivery');
    t.is(receiver.received.at(-1)?.deliveryId, id, 'the same alert, by id');
    t.like(jsonLines((await sealwatch(['alerts', 'list', '--db', s.db, '--json'])).stdout)[0], { delivery_id: id, state: 'sent', destination_removed: false });
    t.is(receiver.received.length, attempts + 1, 'no attempt while it was held');
  } finally {
    t.is((await d.stop()).code, 0, d.stderr);
    await receiver.close();
  }
});
