// Every SQL statement of the store, prepared once: a typed object, so a misspelt name does not compile.
import { type DatabaseSync, type StatementSync } from 'node:sqlite';

const SNAPSHOT_ENTRIES = `FROM snapshots s JOIN entries e ON e.app_id = s.app_id AND e.first_snapshot <= s.id
  AND (e.end_snapshot IS NULL OR e.end_snapshot > s.id) WHERE s.id = ?`;

export function prepareStatements(db: DatabaseSync) {
  const p = (sql: string): StatementSync => db.prepare(sql);
  return {
    appByName: p('SELECT * FROM apps WHERE name = ?'),
    insertApp: p('INSERT INTO apps (name, vendor, root, created_at) VALUES (?, ?, ?, ?)'),
    updateAppRoot: p('UPDATE apps SET root = ?, vendor = coalesce(?, vendor) WHERE id = ?'),
    apps: p('SELECT * FROM apps ORDER BY name'),
    latestSnapshot: p('SELECT * FROM snapshots WHERE app_id = ? ORDER BY id DESC LIMIT 1'),
    maxSnapshotId: p('SELECT coalesce(max(id), 0) AS id FROM snapshots'),
    snapshots: p('SELECT * FROM snapshots WHERE app_id = ? ORDER BY id'),
    snapshotById: p('SELECT * FROM snapshots WHERE id = ?'),
    insertSnapshot: p('INSERT INTO snapshots (app_id, version, version_source, taken_at, trigger, root, files, modules) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    filesOf: p(`SELECT e.path, e.sha256, e.size, e.stat, e.format, e.status, e.signer, e.record_id ${SNAPSHOT_ENTRIES} ORDER BY e.path`),
    current: p('SELECT id, path, sha256, size, stat, format, status, signer, record_id FROM entries WHERE app_id = ? AND end_snapshot IS NULL ORDER BY path'),
    currentStats: p('SELECT path, stat, record_id FROM entries WHERE app_id = ? AND end_snapshot IS NULL'),
    currentStat: p('SELECT stat, record_id AS recordId FROM entries WHERE app_id = ? AND path = ? AND end_snapshot IS NULL'),
    currentPaths: p('SELECT path FROM entries WHERE app_id = ? AND end_snapshot IS NULL'),
    currentEntry: p('SELECT id, path, sha256, size, stat, format, status, signer, record_id FROM entries WHERE app_id = ? AND path = ? AND end_snapshot IS NULL'),
    currentSigners: p("SELECT DISTINCT signer FROM entries WHERE app_id = ? AND end_snapshot IS NULL AND signer <> ''"),
    currentBundles: p("SELECT id, path, sha256, size, stat, format, status, signer, record_id FROM entries WHERE app_id = ? AND end_snapshot IS NULL AND format = 'bundle'"),
    currentTopLevel: p("SELECT id, path, sha256, size, stat, format, status, signer, record_id FROM entries WHERE app_id = ? AND end_snapshot IS NULL AND instr(path, '/') = 0"),
    currentCounts: p(`SELECT count(*) AS files, coalesce(sum(format NOT IN ('unknown', 'catalog') AND status NOT IN ('unreadable', 'special', 'link-out-of-root', 'symlink')), 0) AS modules
      FROM entries WHERE app_id = ? AND end_snapshot IS NULL`),
    setCounts: p('UPDATE snapshots SET files = ?, modules = ? WHERE id = ?'),
    lastVerified: p(`SELECT path, sha256, size, stat, format, status, signer, record_id FROM entries
      WHERE app_id = ? AND path = ? AND status NOT IN ('unreadable', 'special', 'link-out-of-root') ORDER BY first_snapshot DESC LIMIT 1`),
    endEntry: p('UPDATE entries SET end_snapshot = ? WHERE id = ?'),
    restatEntry: p('UPDATE entries SET stat = ? WHERE id = ?'),
    insertEntry: p(`INSERT INTO entries (app_id, path, sha256, size, stat, format, status, signer, record_id, first_snapshot)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    recordById: p('SELECT json FROM records WHERE id = ?'),
    recordByDigest: p('SELECT id FROM records WHERE digest = ?'),
    insertRecord: p('INSERT INTO records (digest, json) VALUES (?, ?)'),
    insertFinding: p(`INSERT INTO findings (app_id, snapshot_id, rule, severity, path, message, evidence, explained, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    review: p('UPDATE findings SET state = ?, note = coalesce(?, note), reviewed_at = ? WHERE id = ?'),
    // One row per (app, path, content): first and last snapshot where that content was seen there.
    ioc: p(`WITH hits AS (
        SELECT app_id, path, sha256, min(first_snapshot) AS first_snapshot,
          CASE WHEN count(*) > count(end_snapshot) THEN NULL ELSE max(end_snapshot) END AS end_snapshot
        FROM entries WHERE sha256 = ? GROUP BY app_id, path, sha256)
      SELECT h.sha256, a.name AS app, h.path, fs.taken_at AS first_seen, ls.taken_at AS last_seen,
        fs.version AS first_version, ls.version AS last_version, (h.end_snapshot IS NULL) AS still_present
      FROM hits h JOIN apps a ON a.id = h.app_id JOIN snapshots fs ON fs.id = h.first_snapshot
      JOIN snapshots ls ON ls.id = (SELECT max(id) FROM snapshots WHERE app_id = h.app_id AND (h.end_snapshot IS NULL OR id < h.end_snapshot))
      ORDER BY a.name, h.path`),
    // Each entries row is one stretch of presence: several rows for one app and path are gaps (removed, then back).
    iocPeriods: p(`SELECT fs.taken_at AS first_seen, fs.version AS first_version, ls.taken_at AS last_seen, ls.version AS last_version
      FROM entries e JOIN apps a ON a.id = e.app_id JOIN snapshots fs ON fs.id = e.first_snapshot
      JOIN snapshots ls ON ls.id = (SELECT max(id) FROM snapshots WHERE app_id = e.app_id AND (e.end_snapshot IS NULL OR id < e.end_snapshot))
      WHERE e.sha256 = ? AND a.name = ? AND e.path = ? ORDER BY e.first_snapshot`),
    snapshotsBetween: p('SELECT s.*, a.name AS app FROM snapshots s JOIN apps a ON a.id = s.app_id WHERE s.taken_at >= ? AND s.taken_at < ? ORDER BY s.taken_at'),
    previousSnapshot: p('SELECT * FROM snapshots WHERE app_id = ? AND id < ? ORDER BY id DESC LIMIT 1'),
    meta: p('SELECT value FROM meta WHERE key = ?'),
    setMeta: p('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    lockOf: p('SELECT * FROM scan_locks WHERE app = ?'),
    takeLock: p(`INSERT INTO scan_locks (app, owner, pid, host, acquired_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (app) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, host = excluded.host,
        acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at`),
    heartbeat: p('UPDATE scan_locks SET heartbeat_at = ? WHERE app = ? AND owner = ?'),
    releaseLock: p('DELETE FROM scan_locks WHERE app = ? AND owner = ?'),
    // The alert outbox (migration 3).
    insertAlert: p(`INSERT INTO outbox (delivery_id, destination, type, app_id, snapshot_id, summary, body, created_at, queued_at, next_attempt_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    dueAlerts: p(`SELECT o.*, coalesce(a.name, 'sealwatch') AS app FROM outbox o LEFT JOIN apps a ON a.id = o.app_id
      WHERE o.state = 'pending' AND o.next_attempt_at <= ?1 AND (o.leased_until IS NULL OR o.leased_until <= ?1) ORDER BY o.id LIMIT ?2`),
    // Taking a row for one attempt: counted now and leased until the attempt must be over, so a crash mid-attempt
    // only delays it and two deliverers never send it at once.
    claimAlert: p(`UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?1, leased_until = ?2
      WHERE id = ?3 AND state = 'pending' AND next_attempt_at <= ?1 AND (leased_until IS NULL OR leased_until <= ?1)`),
    alertSent: p("UPDATE outbox SET state = 'sent', leased_until = NULL, last_status = ?, done_at = ? WHERE id = ? AND state = 'pending'"),
    alertFailed: p("UPDATE outbox SET next_attempt_at = ?, leased_until = NULL, last_status = ?, last_error = ? WHERE id = ? AND state = 'pending'"),
    alertDead: p("UPDATE outbox SET state = 'dead', leased_until = NULL, last_status = ?, last_error = ?, done_at = ? WHERE id = ? AND state = 'pending'"),
    alertsAll: p(`SELECT o.id, o.delivery_id, o.destination, o.type, coalesce(a.name, 'sealwatch') AS app, coalesce(o.snapshot_id, 0) AS snapshot_id, o.summary, o.state, o.attempts, o.created_at,
      o.queued_at, o.next_attempt_at, o.leased_until, o.last_attempt_at, o.last_status, o.last_error, o.done_at FROM outbox o LEFT JOIN apps a ON a.id = o.app_id ORDER BY o.id`),
    // Rows held for a removed destination (alert/removed.ts: last error 'waiting: …'), not under a lease; only pending rows are read (outbox_due).
    alertsHeld: p(`SELECT o.id, o.delivery_id, o.destination, o.type, coalesce(a.name, 'sealwatch') AS app, coalesce(o.snapshot_id, 0) AS snapshot_id, o.summary, o.state, o.attempts, o.created_at,
      o.queued_at, o.next_attempt_at, o.leased_until, o.last_attempt_at, o.last_status, o.last_error, o.done_at FROM outbox o LEFT JOIN apps a ON a.id = o.app_id
      WHERE o.state = 'pending' AND substr(o.last_error, 1, 9) = 'waiting: ' AND (o.leased_until IS NULL OR o.leased_until <= ?1) ORDER BY o.id`),
    releaseAlert: p(`UPDATE outbox SET next_attempt_at = ?1, leased_until = NULL, last_error = ?2
      WHERE id = ?3 AND state = 'pending' AND (leased_until IS NULL OR leased_until <= ?1)`),
    // Never a row whose attempt is under way: that would send it twice at once.
    requeueAlert: p(`UPDATE outbox SET state = 'pending', attempts = 0, queued_at = ?1, next_attempt_at = ?1, done_at = NULL
      WHERE id = ?2 AND state IN ('pending', 'dead') AND (leased_until IS NULL OR leased_until <= ?1)`),
    alertByKey: p('SELECT id, delivery_id, state, leased_until FROM outbox WHERE id = ? OR delivery_id = ?'),
    requeueDead: p("UPDATE outbox SET state = 'pending', attempts = 0, queued_at = ?1, next_attempt_at = ?1, done_at = NULL WHERE state = 'dead'"),
    alertCounts: p('SELECT state, count(*) AS n FROM outbox GROUP BY state'),
    // Operational alerts (migration 4): no app, no snapshot.
    insertOperationalAlert: p(`INSERT INTO outbox (delivery_id, destination, type, app_id, snapshot_id, summary, body, created_at, queued_at, next_attempt_at)
      VALUES (?1, ?2, ?3, NULL, NULL, ?4, ?5, ?6, ?6, ?6)`),
  };
}

