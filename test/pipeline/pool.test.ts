// The worker pool bounds time per file: a file that never finishes reading (a FIFO nobody writes) is reported and
// its worker replaced; the next file is inspected normally.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TRUST_DIR } from '../../daemon/config/trust.ts';
import { InspectPool } from '../../daemon/inventory/pool.ts';
import { tempDir } from '../helpers/temp.ts';

test('a file that takes too long is cut off at the time limit and its worker replaced; the next file is fine', async (t) => {
  // 256 MiB of sparse zeros: reading and hashing it takes far longer than the 150 ms limit set here.
  const big = join(tempDir('sealwatch-pool-'), 'huge.bin');
  closeSync(openSync(big, 'w'));
  truncateSync(big, 256 * 1024 * 1024);
  const pool = new InspectPool({ trustDirs: [DEFAULT_TRUST_DIR], catalogDirs: [], systemTrust: false, now: '2026-11-01T00:00:00Z', maxFileBytes: 1 << 30 }, 1, 150);
  try {
    const slow = await pool.inspect(big);
    t.true('error' in slow);
    if ('error' in slow) t.regex(slow.error.message, /huge.bin: took longer than 150 ms/);
    t.is(pool.size, 1);
    const small = join(tempDir('sealwatch-pool-'), 'small.txt');
    writeFileSync(small, 'hello');
    const next = await pool.inspect(small);
    t.false('error' in next, JSON.stringify(next));
  } finally {
    await pool.close();
  }
});

test('a FIFO handed to the reader is refused at once (opened non-blocking), not waited on', async (t) => {
  const fifo = join(tempDir('sealwatch-pool-'), 'pipe');
  execFileSync('mkfifo', [fifo]);
  const { readModuleFile } = await import('../../daemon/inventory/read.ts');
  const err = await t.throwsAsync(readModuleFile(fifo));
  t.regex(err?.message ?? '', /not a regular file/);
});

test('workers that cannot load their trust store fail every file with the reason, and do not respawn forever', async (t) => {
  const pool = new InspectPool({ trustDirs: ['/nonexistent/sealwatch-trust'], catalogDirs: [], systemTrust: false, now: '2026-11-01T00:00:00Z', maxFileBytes: 1 << 20 }, 2);
  try {
    const reply = await pool.inspect('/bin/true');
    t.true('error' in reply);
    if ('error' in reply) t.regex(reply.error.message, /trust store directory \/nonexistent\/sealwatch-trust cannot be read/);
    t.is(pool.size, 2);
  } finally {
    await pool.close();
  }
});

test('workers start only when files are queued (a rescan that reads nothing starts none), and a clock judges each file at its own time', async (t) => {
  const { peFixture, peFixtureTrustDir } = await import('../helpers/fixtures.ts');
  let now = new Date('2020-01-01T00:00:00Z');
  const pool = new InspectPool({ trustDirs: [DEFAULT_TRUST_DIR, peFixtureTrustDir()], catalogDirs: [], systemTrust: false, now: '1999-01-01T00:00:00Z', maxFileBytes: 1 << 30 }, 2, undefined, () => now);
  try {
    t.is(pool.started, 0);
    const early = await pool.inspect(peFixture('expired-no-timestamp.exe'));
    t.is(pool.started, 1, 'one file, one worker');
    now = new Date('2099-01-01T00:00:00Z');
    const late = await pool.inspect(peFixture('expired-no-timestamp.exe'));
    if ('error' in early || 'error' in late) return t.fail(JSON.stringify([early, late]));
    const expired = (r: typeof early) => r.record.code_signature.problems.some((p) => p.code === 'CERT_EXPIRED');
    t.not(expired(early), expired(late), 'the same file judged at two clock times');
    t.true(expired(late));
  } finally {
    await pool.close();
  }
});

test('small files travel in batches; when a batch runs over the time limit only the file that is slow fails, the rest are inspected', async (t) => {
  const dir = tempDir('sealwatch-pool-batch-');
  // Declared small (the walk's size decides batching), but 3 GiB of sparse zeros to read and hash: seconds.
  const slow = join(dir, 'slow.bin');
  closeSync(openSync(slow, 'w'));
  truncateSync(slow, 3 * 1024 * 1024 * 1024);
  const small = Array.from({ length: 12 }, (_, i) => {
    const f = join(dir, `s${i}.txt`);
    writeFileSync(f, `small ${i}`);
    return f;
  });
  const pool = new InspectPool({ trustDirs: [DEFAULT_TRUST_DIR], catalogDirs: [], systemTrust: false, now: '2026-11-01T00:00:00Z', maxFileBytes: 1 << 30 }, 1, 1000);
  try {
    const order = [...small.slice(0, 5), slow, ...small.slice(5)];
    const replies = await Promise.all(order.map((f) => pool.inspect(f, undefined, 10)));
    const failed = order.filter((_, i) => 'error' in (replies[i] ?? {}));
    t.deepEqual(failed, [slow], JSON.stringify(replies.map((r) => ('error' in r ? r.error.message : 'ok'))));
    const err = replies[5];
    if (err && 'error' in err) t.regex(err.error.message, /slow.bin: took longer than 1000 ms/);
    for (const [i, r] of replies.entries()) if (i !== 5 && 'record' in r) t.is(r.record.file.size, Buffer.byteLength(`small ${i < 5 ? i : i - 1}`));
  } finally {
    await pool.close();
  }
});
