// The daemon's log hides the secrets of the config in force — also those a hot reload brings — and hides them in
// pieces, as the alert and export senders do (a webhook token is a path segment: the whole URL rarely appears).
// The real daemon as a child process: a reload adds a generic destination whose URL path, query and signing secret
// are planted in the path of an app added by the same reload, so the daemon's own "app added" and scan lines carry
// them; the log file must hold none of them.
import test from 'ava';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { logSecrets } from '../../daemon/log/secrets.ts';
import { DaemonProcess, setup, waitForLog } from './harness.ts';

const TOKEN = 'T0kenPathPiece7Qx2';
const QUERY = 'Qu3rySecretValue9';
const HMAC = 'hmacS3cretPlanted';
const URL = `http://127.0.0.1:9/hooks/services/${TOKEN}?sig=${QUERY}`;

test('the pieces hidden: URL, path, query and its values, the secret in its encodings; plain words are not', (t) => {
  const secrets = logSecrets({ alerts: [{ name: 'late', type: 'generic', url: URL, secret: 'a b/c', minSeverity: 'medium' }], exports: [] });
  for (const piece of [URL, TOKEN, QUERY, `sig=${QUERY}`, `/hooks/services/${TOKEN}`, 'a b/c', 'a%20b%2Fc']) t.true(secrets.includes(piece), piece);
  for (const word of ['hooks', 'services']) t.false(secrets.includes(word), `${word}: a word of every Slack URL, not a credential`);
});

test.serial('a secret brought by a hot reload never reaches the log file, in whole or in pieces', async (t) => {
  const s = setup();
  const d = new DaemonProcess(s);
  try {
    await waitForLog(s, d.pid, (l) => l.message === 'scan finished' && l.app === 'contoso', 'the baseline of contoso');
    const planted = join(s.dir, `${TOKEN}-${QUERY}-${HMAC}`);
    mkdirSync(planted);
    writeFileSync(join(planted, 'notes.txt'), 'hello\n');
    const config = readFileSync(s.configFile, 'utf8').replace('watch:\n', `  - name: second\n    path: ${planted}\nwatch:\n`);
    writeFileSync(s.configFile, `${config}alerts:\n  - name: late\n    type: generic\n    url: "${URL}"\n    secret: ${HMAC}\n`);
    const added = await waitForLog(s, d.pid, (l) => l.message === 'app added to the watch' && l.app === 'second', 'app second added');
    t.is(added.root, join(s.dir, '[redacted]-[redacted]-[redacted]'));
    await waitForLog(s, d.pid, (l) => l.message === 'scan finished' && l.app === 'second', 'the baseline of the added app');
  } finally {
    await d.stop();
  }
  const raw = readFileSync(s.logFile, 'utf8');
  for (const secret of [TOKEN, QUERY, HMAC]) t.false(raw.includes(secret), `${secret} is in the log`);
  t.true(raw.includes('[redacted]'));
});
