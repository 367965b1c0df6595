// The store on a real SQLite file: migrations are forward-only and idempotent; a newer schema is refused.
import test from 'ava';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { Store } from '../../daemon/inventory/store/store.ts';
import { SealwatchError } from '../../daemon/shared/errors.ts';

test('reopening applies nothing twice; data survives; WAL is on', (t) => {
  const file = join(tempDir('sealwatch-store-'), 'a.db');
  const s1 = Store.open(file);
  s1.upsertApp('contoso', '/opt/contoso', 'Contoso', new Date('2026-01-01T00:00:00Z'));
  s1.close();
  const s2 = Store.open(file);
  t.is(s2.app('contoso')?.vendor, 'Contoso');
  s2.close();
  const raw = new DatabaseSync(file);
  t.deepEqual((raw.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version), MIGRATIONS.map((m) => m.version));
  t.is((raw.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
  raw.close();
});

test('a database from a newer sealwatch is refused with a typed error, not damaged', (t) => {
  const file = join(tempDir('sealwatch-store-'), 'b.db');
  Store.open(file).close();
  const raw = new DatabaseSync(file);
  raw.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (99, ?)').run('2030-01-01');
  raw.close();
  const err = t.throws(() => Store.open(file));
  t.true(err instanceof SealwatchError);
  t.regex(err?.message ?? '', /schema version 99 is newer/);
});

// ---- issue 7 §3/§4: one transaction, entries, named errors, integrity at open, the witness ----
import { closeSync, openSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { MIGRATIONS } from '../../daemon/inventory/store/migrations.ts';
import { type ModuleRecord } from '../../daemon/shared/model.ts';
import { tempDir } from '../helpers/temp.ts';

const tmpDb = (name = 'h.db'): string => join(tempDir('sealwatch-store-'), name);
const record = (sha: string, status: 'trusted' | 'unsigned' = 'unsigned'): ModuleRecord =>
  ({
    file: { path: '', name: '', size: 1, hash: { sha256: sha, sha1: '', md5: '' } },
    module: { format: 'pe', arch: ['x86_64'], kind: 'dll', version: { file: undefined, product: undefined } },
    code_signature: { exists: status !== 'unsigned', status, valid: status !== 'unsigned', trusted: status === 'trusted', source: 'none', subject_name: undefined, issuer_name: undefined, digest_algorithm: undefined, timestamp: undefined, thumbprint_sha256: undefined, signatures: [], problems: [] },
  }) as ModuleRecord;
const snap = (s: Store, appId: number, files: Array<[string, string, string]>, at = new Date('2026-01-01T00:00:00Z')) =>
  s.recordSnapshot({ appId, version: '1', versionSource: 'test', takenAt: at, trigger: 'manual', root: '/app', files: files.map(([path, stat, sha]) => ({ path, stat, record: record(sha) })) });
const hex = (n: number): string => n.toString(16).padStart(64, '0');

test('entries: each snapshot reads back exactly as written; an unchanged snapshot adds no file rows; ioc spans versions', (t) => {
  const s = Store.open(tmpDb());
  const app = s.upsertApp('a', '/app', undefined, new Date());
  const s1 = snap(s, app.id, [['a.dll', 's1', hex(1)], ['b.dll', 's1', hex(2)]]).snapshotId;
  const s2 = snap(s, app.id, [['a.dll', 's1', hex(1)], ['b.dll', 's2', hex(3)], ['c.dll', 's1', hex(4)]]).snapshotId;
  const s3 = snap(s, app.id, [['a.dll', 's9', hex(1)], ['c.dll', 's1', hex(4)]]).snapshotId;
  const view = (id: number) => s.files(id).map((f) => `${f.path}:${f.sha256.slice(-1)}`);
  t.deepEqual(view(s1), ['a.dll:1', 'b.dll:2']);
  t.deepEqual(view(s2), ['a.dll:1', 'b.dll:3', 'c.dll:4']);
  t.deepEqual(view(s3), ['a.dll:1', 'c.dll:4']);
  t.is(s.files(s3).find((f) => f.path === 'a.dll')?.stat, 's9', 'a new stat for the same content moves in place');
  const hits = s.ioc(hex(2));
  t.like(hits[0], { path: 'b.dll', still_present: 0 });
  t.like(s.ioc(hex(4))[0], { path: 'c.dll', still_present: 1 });
  s.close();
});

test('a snapshot with nothing changed costs ≤ 1 MB of database at 100,000 files', (t) => {
  const file = tmpDb();
  const s = Store.open(file);
  const app = s.upsertApp('big', '/big', undefined, new Date());
  const files = Array.from({ length: 100_000 }, (_, i): [string, string, string] => [`dir${i % 500}/file${i}.dat`, `1:${i}`, hex(i)]);
  snap(s, app.id, files);
  const size = () => {
    const raw = new DatabaseSync(file);
    raw.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    raw.close();
    return statSync(file).size;
  };
  const before = size();
  s.commitScan({ appId: app.id, previousSnapshotId: s.latestSnapshot(app.id)?.id, version: '1', versionSource: 'test', takenAt: new Date(), trigger: 'manual', root: '/big', changed: [], removed: [], findings: [] });
  const grown = size() - before;
  t.true(grown <= 1024 * 1024, `unchanged snapshot grew the database by ${grown} bytes`);
  t.is(s.files(s.latestSnapshot(app.id)?.id ?? 0).length, 100_000);
  s.close();
});

test('one transaction: a scan that fails while storing its findings leaves no snapshot behind', (t) => {
  const s = Store.open(tmpDb());
  const app = s.upsertApp('a', '/app', undefined, new Date());
  const [facts] = s.putRecords([record(hex(1))]);
  const bad = { rule: 'SIGNATURE_INVALID', severity: 'critical', path: 'a.dll', message: 'x', evidence: { n: 1n }, explained: false } as const;
  const err = t.throws(() => s.commitScan({ appId: app.id, previousSnapshotId: undefined, version: '1', versionSource: 't', takenAt: new Date(), trigger: 'manual', root: '/app', changed: [{ path: 'a.dll', stat: 's', ...facts! }], removed: [], findings: [bad as never] }));
  t.true(err instanceof SealwatchError);
  t.is(s.latestSnapshot(app.id), undefined);
  t.deepEqual(s.currentFiles(app.id), []);
  s.close();
});

test('disk full while storing: a DATABASE error naming the file and the cause, nothing half-written', (t) => {
  const file = tmpDb();
  const s = Store.open(file);
  const app = s.upsertApp('a', '/app', undefined, new Date());
  const raw = new DatabaseSync(file);
  const pages = (raw.prepare('PRAGMA page_count').get() as { page_count: number }).page_count;
  raw.close();
  (s as unknown as { db: DatabaseSync }).db.exec(`PRAGMA max_page_count = ${pages + 2}`);
  const err = t.throws(() => snap(s, app.id, Array.from({ length: 5000 }, (_, i): [string, string, string] => [`f${i}`, 's', hex(i)])));
  t.is((err as SealwatchError).code, 'DATABASE');
  t.regex(err?.message ?? '', new RegExp(`database ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot grow: the disk is full`));
  t.notRegex(err?.message ?? '', /no transaction is active/);
  t.is(s.latestSnapshot(app.id), undefined);
  s.close();
});

test('a write lock held by another process: the error names the database and says it is locked', (t) => {
  const file = tmpDb();
  Store.open(file).close();
  const other = new DatabaseSync(file);
  other.exec('BEGIN EXCLUSIVE');
  try {
    const s = Store.open(file, { busyTimeoutMs: 100 });
    const err = t.throws(() => s.upsertApp('a', '/x', undefined, new Date()) && s.putRecords([record(hex(1))]));
    t.regex(err?.message ?? '', /database .*h\.db is locked by another process/);
    s.close();
  } finally {
    other.exec('ROLLBACK');
    other.close();
  }
});

test('random page corruption is found at open (quick_check) and named, before any command trusts the data', (t) => {
  const file = tmpDb();
  const s = Store.open(file);
  const app = s.upsertApp('a', '/app', undefined, new Date());
  snap(s, app.id, Array.from({ length: 3000 }, (_, i): [string, string, string] => [`f${i}`, 's', hex(i)]));
  s.close();
  const raw = new DatabaseSync(file);
  raw.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  raw.close();
  const fd = openSync(file, 'r+');
  const size = statSync(file).size;
  for (const at of [size / 2, size / 3, (2 * size) / 3]) writeSync(fd, Buffer.alloc(512, 0xa5), 0, 512, Math.floor(at / 4096) * 4096 + 100);
  closeSync(fd);
  const err = t.throws(() => Store.open(file));
  t.is((err as SealwatchError).code, 'DATABASE');
  t.regex(err?.message ?? '', /h\.db is (corrupt|not a SQLite database)/);
});

test('witness: a deleted, emptied or swapped history is refused (never a silent new baseline) unless --reinit', (t) => {
  const file = tmpDb();
  const witness = join(tempDir('sealwatch-witness-'), 'w.json');
  const s = Store.open(file, { witness });
  snap(s, s.upsertApp('a', '/app', undefined, new Date()).id, [['a.dll', 's', hex(1)]]);
  s.close();
  // deleted
  for (const ext of ['', '-wal', '-shm']) if (statSync(file + ext, { throwIfNoEntry: false })) unlinkSync(file + ext);
  t.regex(t.throws(() => Store.open(file, { witness }))?.message ?? '', /is gone or empty: the history created .* cannot be replaced silently/);
  // emptied
  closeSync(openSync(file, 'w'));
  truncateSync(file, 0);
  t.throws(() => Store.open(file, { witness }));
  // swapped for another database
  unlinkSync(file);
  Store.open(file).close();
  t.regex(t.throws(() => Store.open(file, { witness }))?.message ?? '', /was replaced by another database/);
  // on purpose: accepted, and remembered as a reset
  const again = Store.open(file, { witness, reinit: true });
  t.like(again.historyReset(), { reason: 'was replaced by another database' });
  again.close();
  t.notThrows(() => Store.open(file, { witness }).close(), 'the new history is now the one the witness knows');
});

test('migration 2 turns a version-1 history into entries that read back the same', (t) => {
  const file = tmpDb();
  const raw = new DatabaseSync(file);
  raw.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  raw.exec(MIGRATIONS[0]?.sql ?? '');
  raw.prepare('INSERT INTO schema_migrations VALUES (1, ?)').run('2026-01-01');
  raw.exec(`INSERT INTO apps VALUES (1, 'a', NULL, '/app', '2026'), (2, 'b', NULL, '/b', '2026');
    INSERT INTO records (id, digest, json) VALUES (1, 'd1', '{}'), (2, 'd2', '{}');
    INSERT INTO snapshots VALUES (1, 1, '1', 't', '2026-01-01', 'manual', '/app', 2, 2), (2, 2, '1', 't', '2026-01-02', 'manual', '/b', 1, 1),
      (3, 1, '2', 't', '2026-01-03', 'manual', '/app', 1, 1), (4, 1, '3', 't', '2026-01-04', 'manual', '/app', 2, 2);
    INSERT INTO files VALUES (1, 'x.dll', 'h1', 1, 's', 'pe', 'unsigned', '', 1), (1, 'y.dll', 'h2', 1, 's', 'pe', 'unsigned', '', 2),
      (2, 'x.dll', 'h1', 1, 's', 'pe', 'unsigned', '', 1),
      (3, 'x.dll', 'h1', 1, 's', 'pe', 'unsigned', '', 1),
      (4, 'x.dll', 'h1', 1, 's', 'pe', 'unsigned', '', 1), (4, 'y.dll', 'h2', 1, 's', 'pe', 'unsigned', '', 2);`);
  raw.close();
  const s = Store.open(file);
  const view = (id: number) => s.files(id).map((f) => f.path).join(',');
  t.deepEqual([1, 2, 3, 4].map(view), ['x.dll,y.dll', 'x.dll', 'x.dll', 'x.dll,y.dll']);
  t.like(s.ioc('h2').map((h) => ({ first: h.first_version, last: h.last_version, present: h.still_present })), [{ first: '1', last: '3', present: 1 }]);
  s.close();
});

test('witness: processes recording different databases at once never drop each other\'s entries', async (t) => {
  const { spawn } = await import('node:child_process');
  const { readWitness } = await import('../../daemon/inventory/store/witness.ts');
  const dir = tempDir('sealwatch-witness-');
  const witness = join(dir, 'w.json');
  const script = `import { writeWitness } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'daemon', 'inventory', 'store', 'witness.ts'))};
    for (let i = 0; i < 20; i++) writeWitness(process.argv[1], process.argv[2] + '-' + i, { database_id: 'x', created_at: 'now', last_snapshot_id: i });`;
  const runs = Array.from({ length: 6 }, (_, p) => new Promise<number | null>((resolve) => spawn(process.execPath, ['--input-type=module', '-e', script, witness, `db${p}`], { stdio: 'inherit' }).once('exit', resolve)));
  t.deepEqual(await Promise.all(runs), [0, 0, 0, 0, 0, 0]);
  t.is(Object.keys(readWitness(witness)).length, 120);
});

test('scan of a large tree re-executes itself once with a small young generation (same pid); a small tree and other commands do not', async (t) => {
  if (process.platform !== 'linux') return t.pass('reads /proc');
  const { spawn } = await import('node:child_process');
  const { readFileSync: read } = await import('node:fs');
  const main = join(import.meta.dirname, '..', '..', 'daemon', 'main.ts');
  const dir = tempDir('sealwatch-reexec-');
  const cmdlineOf = async (args: string[]): Promise<string[]> => {
    const child = spawn(process.execPath, [main, ...args], { stdio: 'ignore', env: { ...process.env, SEALWATCH_WITNESS: join(dir, 'w.json') } });
    const exited = new Promise((r) => child.once('exit', r));
    const seen = new Set<string>();
    let done = false;
    void exited.then(() => (done = true));
    while (!done) {
      try {
        seen.add(read(`/proc/${child.pid}/cmdline`, 'utf8'));
      } catch {
        // gone between checks
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    return [...seen];
  };
  const small = tempDir('sealwatch-small-');
  const smallScan = await cmdlineOf(['scan', small, '--app', 's', '--db', join(dir, 's.db')]);
  t.false(smallScan.some((c) => c.includes('--max-semi-space-size')), JSON.stringify(smallScan));
  // LARGE_TREE_ENTRIES (10,000) entries: empty files, cheap to read.
  const large = tempDir('sealwatch-large-');
  for (let i = 0; i < 100; i++) {
    mkdirSync(join(large, `d${i}`));
    for (let j = 0; j < 100; j++) writeFileSync(join(large, `d${i}`, `f${j}`), '');
  }
  const scan = await cmdlineOf(['scan', large, '--app', 'r', '--db', join(dir, 'h.db')]);
  t.true(scan.some((c) => c.includes('--max-semi-space-size=2')), JSON.stringify(scan));
  // A rescan is judged by the history's count of the app's entries, not by counting the tree again: the same app
  // pointed at a small tree still gets the small heap (it had 10,000 files), a small app does not.
  const rescan = await cmdlineOf(['scan', small, '--app', 'r', '--db', join(dir, 'h.db')]);
  t.true(rescan.some((c) => c.includes('--max-semi-space-size=2')), JSON.stringify(rescan));
  writeFileSync(join(small, 'one'), '1');
  await cmdlineOf(['scan', small, '--app', 's', '--db', join(dir, 's.db')]);
  const smallRescan = await cmdlineOf(['scan', large, '--app', 's', '--db', join(dir, 's.db')]);
  t.false(smallRescan.some((c) => c.includes('--max-semi-space-size')), JSON.stringify(smallRescan));
  const version = await cmdlineOf(['--version']);
  t.false(version.some((c) => c.includes('--max-semi-space-size')));
});

test('migration 4: an operational alert (no app, no snapshot) is queued, listed, claimed and sent like any other', (t) => {
  const file = join(tempDir('sealwatch-store-'), 'o.db');
  const s = Store.open(file);
  try {
    const now = new Date('2026-03-01T00:00:00Z');
    s.queueOperationalAlerts([{ deliveryId: 'op-1', destination: 'soc', type: 'generic', summary: 'sealwatch on h: CONFIG_REJECTED', body: '{}' }], now);
    const [row] = s.alerts();
    t.like(row, { delivery_id: 'op-1', app: 'sealwatch', snapshot_id: 0, state: 'pending' });
    const [due] = s.dueAlerts(now, 10);
    t.like(due, { delivery_id: 'op-1', app: 'sealwatch', body: '{}' });
    t.true(s.claimAlert(due!.id, now, new Date(now.getTime() + 1000)));
    s.alertSent(due!.id, 200, now);
    t.is(s.alertCounts().sent, 1);
  } finally {
    s.close();
  }
});

test('the large-tree count stops at its limit, counts directories, and never follows a link out', async (t) => {
  const { hasAtLeastEntries } = await import('../../daemon/cli/tree-size.ts');
  const big = tempDir('sealwatch-count-');
  for (let i = 0; i < 30; i++) writeFileSync(join(big, `f${i}`), '');
  const app = tempDir('sealwatch-count-app-');
  mkdirSync(join(app, 'sub'));
  writeFileSync(join(app, 'sub', 'a'), '');
  symlinkSync(big, join(app, 'link'));
  t.true(hasAtLeastEntries(app, 3), 'sub, sub/a and the link itself');
  t.false(hasAtLeastEntries(app, 4), 'the 30 files behind the link are not counted');
  t.true(hasAtLeastEntries(big, 30));
  t.false(hasAtLeastEntries(join(app, 'missing'), 1));
  t.false(hasAtLeastEntries(join(app, 'sub', 'a'), 1), 'a file is not a tree');
});

test('processes that create the same new database together all open it: each migration is applied once, under the write lock', async (t) => {
  const { spawn } = await import('node:child_process');
  const store = join(import.meta.dirname, '..', '..', 'daemon', 'inventory', 'store', 'store.ts');
  // Each child loads the store, then waits for the same instant (a spin on the clock) before opening the file.
  const script = `const { Store } = await import(${JSON.stringify(store)}); while (Date.now() < Number(process.argv[3])); Store.open(process.argv[1], { witness: process.argv[2] }).close();`;
  for (let round = 0; round < 3; round++) {
    const at = String(Date.now() + 1500);
    const dir = tempDir('sealwatch-race-');
    const file = join(dir, 'h.db');
    const codes = await Promise.all(
      [0, 1, 2, 3].map(
        (i) =>
          new Promise<{ code: number | null; err: string }>((resolve) => {
            const child = spawn(process.execPath, ['--input-type=module', '-e', script, file, join(dir, `w${i}.json`), at], { stdio: ['ignore', 'ignore', 'pipe'] });
            let err = '';
            child.stderr.on('data', (d: Buffer) => (err += d.toString()));
            child.on('exit', (code) => resolve({ code, err }));
          }),
      ),
    );
    t.deepEqual(codes.map((c) => c.code), [0, 0, 0, 0], codes.map((c) => c.err).join('\n'));
  }
});
