// A history read by a second connection while its owner keeps writing: the daemon's page worker
// (report/off-thread.ts) reads it read-only, and the owner's maintenance never waits for such a reader.
import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Store } from '../../daemon/inventory/store/store.ts';
import { SealwatchError } from '../../daemon/shared/errors.ts';
import { tempDir } from '../helpers/temp.ts';

const bytesOf = (file: string): string =>
  ['', '-wal'].map((s) => (existsSync(file + s) ? createHash('sha256').update(readFileSync(file + s)).digest('hex') : '-')).join(' ');

test('a read-only view of a history: reads what the owner wrote, writes nothing, and refuses another database, a missing file or a schema it does not know', (t) => {
  const file = join(tempDir('sealwatch-readers-'), 'h.db');
  const owner = Store.open(file);
  try {
    const id = owner.meta('database_id');
    t.truthy(id);
    const before = bytesOf(file);
    const view = Store.openReadOnly(file, { databaseId: id });
    try {
      t.is(view.meta('database_id'), id);
      t.deepEqual(view.apps(), owner.apps());
    } finally {
      view.close();
    }
    t.is(bytesOf(file), before, 'opening and reading wrote nothing');
    const other = t.throws(() => Store.openReadOnly(file, { databaseId: 'another-history' }), { instanceOf: SealwatchError });
    t.is(other?.code, 'DATABASE');
    t.regex(other?.message ?? '', /h\.db is not the history this was asked for/);
    t.throws(() => Store.openReadOnly(join(tempDir('sealwatch-readers-'), 'missing.db')), { instanceOf: SealwatchError, message: /missing\.db/ });
    t.false(existsSync(join(tempDir('sealwatch-readers-'), 'missing.db')), 'never created');
    // a newer sealwatch migrated it: not read with this code's idea of the schema
    const raw = new DatabaseSync(file);
    raw.exec("INSERT INTO schema_migrations (version, applied_at) VALUES (999, '2026-11-26T00:00:00Z')");
    raw.close();
    t.throws(() => Store.openReadOnly(file), { instanceOf: SealwatchError, message: /schema version 999/ });
  } finally {
    owner.close();
  }
});

test('maintenance does not wait for a reader: with a read open the checkpoint answers busy at once (the busy timeout here is 10 minutes), and truncates the log once the reader is gone', (t) => {
  const file = join(tempDir('sealwatch-readers-'), 'h.db');
  const owner = Store.open(file, { busyTimeoutMs: 600_000 });
  const writer = new DatabaseSync(file);
  const reader = new DatabaseSync(file, { readOnly: true });
  try {
    writer.exec("INSERT INTO meta (key, value) VALUES ('a', '1')");
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM meta').get(); // the read's snapshot is now held
    writer.exec("INSERT INTO meta (key, value) VALUES ('b', '2')");
    t.true(owner.maintain().busy, 'the reader keeps the log: busy, without waiting for it');
    reader.exec('COMMIT');
    const done = owner.maintain();
    t.false(done.busy);
    t.is(done.walFrames, 0, 'the log is truncated');
  } finally {
    reader.close();
    writer.close();
    owner.close();
  }
});
