// The daemon's log: JSON lines in a file of the log directory, rotated by size; the config's secrets (webhook URLs,
// HMAC keys) replaced wherever they appear, in the message or any field.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDaemonLogger, LOG_FILE_NAME, redactor } from '../../daemon/log/logger.ts';
import { tempDir } from '../helpers/temp.ts';

const URL = 'https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX';
const KEY = 'hmac-k3y-value';

test('JSON lines with level, time, pid; secrets redacted in message and nested fields; debug only when asked', async (t) => {
  const dir = join(tempDir('sealwatch-log-'), 'log');
  const log = createDaemonLogger({ level: 'info', dir, maxSizeBytes: 1 << 20, maxFiles: 3, console: false, secrets: [URL, KEY] });
  log.info('scan finished', { app: 'contoso', snapshot_id: 7 });
  log.error(`delivery to ${URL} failed`, { error: `signed with ${KEY}`, nested: { url: URL, list: [KEY] } });
  log.debug('file event', { path: '/x' });
  await log.close();
  const lines = readFileSync(join(dir, LOG_FILE_NAME), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.is(lines.length, 2, 'debug is below the level');
  t.like(lines[0], { level: 'info', message: 'scan finished', app: 'contoso', snapshot_id: 7, pid: process.pid });
  t.truthy(Date.parse(String(lines[0]?.timestamp)));
  t.like(lines[1], { level: 'error', message: 'delivery to [redacted] failed', error: 'signed with [redacted]', nested: { url: '[redacted]', list: ['[redacted]'] } });
  const raw = readFileSync(join(dir, LOG_FILE_NAME), 'utf8');
  t.false(raw.includes('XXXXsecretXXXX'));
  t.false(raw.includes(KEY));
});

test('the file rotates by size and keeps max_files', async (t) => {
  const dir = join(tempDir('sealwatch-log-'), 'log');
  const log = createDaemonLogger({ level: 'info', dir, maxSizeBytes: 4_096, maxFiles: 3, console: false, secrets: [] });
  for (let i = 0; i < 400; i++) log.info('scan finished', { app: 'contoso', snapshot_id: i, pad: 'x'.repeat(40) });
  await log.close();
  const files = readdirSync(dir).sort();
  t.true(files.length >= 2 && files.length <= 3, files.join(', '));
  t.true(files.includes(LOG_FILE_NAME));
});

test('redactor: longest secret first, short strings (under 4 characters) never treated as secrets', (t) => {
  const r = redactor(['abcdef', 'abcdefgh', 'ab']);
  t.is(r('x abcdefgh y abcdef ab'), 'x [redacted] y [redacted] ab');
});

test('a line logged after close() (work finishing while the daemon stops) goes to stderr, redacted, and does not end the process', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const dir = join(tempDir('sealwatch-log-'), 'log');
  const logger = join(import.meta.dirname, '..', '..', 'daemon', 'log', 'logger.ts');
  const script = `const { createDaemonLogger } = await import(${JSON.stringify(logger)});
const log = createDaemonLogger({ level: 'info', dir: ${JSON.stringify(dir)}, maxSizeBytes: 1 << 20, maxFiles: 3, console: false, secrets: [${JSON.stringify(URL)}] });
log.info('before');
await log.close();
log.error('manifest refresh failed', { error: 'fetch ${URL} failed' });
await new Promise((r) => setTimeout(r, 50));
process.stdout.write('still running');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, 'still running');
  const late = JSON.parse(r.stderr.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
  t.like(late, { level: 'error', message: 'manifest refresh failed', error: 'fetch [redacted] failed', after_close: true });
  t.false(r.stderr.includes('XXXXsecretXXXX'));
});
