// The store on a real SQLite file: migrations are forward-only and idempotent; a newer schema is refused.
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../daemon/inventory/store/store.ts';
import { SealwatchError } from '../../daemon/shared/errors.ts';

test('reopening applies nothing twice; data survives; WAL is on', (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'sealwatch-store-')), 'a.db');
  const s1 = Store.open(file);
  s1.upsertApp('contoso', '/opt/contoso', 'Contoso', new Date('2026-01-01T00:00:00Z'));
  s1.close();
  const s2 = Store.open(file);
  t.is(s2.app('contoso')?.vendor, 'Contoso');
  s2.close();
  const raw = new DatabaseSync(file);
  t.deepEqual((raw.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version), [1]);
  t.is((raw.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
  raw.close();
});

test('a database from a newer sealwatch is refused with a typed error, not damaged', (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'sealwatch-store-')), 'b.db');
  Store.open(file).close();
  const raw = new DatabaseSync(file);
  raw.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (99, ?)').run('2030-01-01');
  raw.close();
  const err = t.throws(() => Store.open(file));
  t.true(err instanceof SealwatchError);
  t.regex(err?.message ?? '', /schema version 99 is newer/);
});
