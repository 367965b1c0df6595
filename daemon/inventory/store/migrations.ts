// Numbered, forward-only schema migrations. Never edit a shipped migration: add the next number.
export const MIGRATIONS: ReadonlyArray<{ readonly version: number; readonly sql: string }> = [
  {
    version: 1,
    sql: `
      CREATE TABLE apps (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        vendor TEXT,
        root TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY,
        app_id INTEGER NOT NULL REFERENCES apps(id),
        version TEXT,
        version_source TEXT,
        taken_at TEXT NOT NULL,
        trigger TEXT NOT NULL,
        root TEXT NOT NULL,
        files INTEGER NOT NULL,
        modules INTEGER NOT NULL
      );
      CREATE INDEX snapshots_by_app ON snapshots(app_id, id);
      -- Module records without their path, de-duplicated by content: an unchanged file costs one row per snapshot.
      CREATE TABLE records (
        id INTEGER PRIMARY KEY,
        digest TEXT NOT NULL UNIQUE,
        json TEXT NOT NULL
      );
      CREATE TABLE files (
        snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        stat TEXT NOT NULL,
        format TEXT NOT NULL,
        status TEXT NOT NULL,
        signer TEXT NOT NULL,
        record_id INTEGER NOT NULL REFERENCES records(id),
        PRIMARY KEY (snapshot_id, path)
      ) WITHOUT ROWID;
      CREATE INDEX files_by_sha256 ON files(sha256);
      -- First and last sighting of each (app, path, content): answers "were we ever hit, and since when".
      CREATE TABLE sightings (
        app_id INTEGER NOT NULL REFERENCES apps(id),
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        first_snapshot INTEGER NOT NULL,
        last_snapshot INTEGER NOT NULL,
        PRIMARY KEY (app_id, path, sha256)
      ) WITHOUT ROWID;
      CREATE INDEX sightings_by_sha256 ON sightings(sha256);
      CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        app_id INTEGER NOT NULL REFERENCES apps(id),
        snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
        rule TEXT NOT NULL,
        severity TEXT NOT NULL,
        path TEXT,
        message TEXT NOT NULL,
        evidence TEXT NOT NULL,
        explained INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'open',
        created_at TEXT NOT NULL,
        reviewed_at TEXT,
        note TEXT
      );
      CREATE INDEX findings_by_app ON findings(app_id, snapshot_id);
    `,
  },
  {
    // Entries instead of one row per file per snapshot: a row lives from the snapshot where a path took that content
    // (and stat) until the first snapshot where it no longer holds it, so an unchanged snapshot costs one row. The
    // sightings table is derived from entries now. Plus: database identity (meta) and per-app scan locks.
    version: 2,
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        app_id INTEGER NOT NULL REFERENCES apps(id),
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        stat TEXT NOT NULL,
        format TEXT NOT NULL,
        status TEXT NOT NULL,
        signer TEXT NOT NULL,
        record_id INTEGER NOT NULL REFERENCES records(id),
        first_snapshot INTEGER NOT NULL REFERENCES snapshots(id),
        end_snapshot INTEGER REFERENCES snapshots(id)
      );
      WITH snap AS (SELECT id, app_id, row_number() OVER (PARTITION BY app_id ORDER BY id) AS n FROM snapshots),
      f AS (SELECT fl.*, s.app_id, s.n FROM files fl JOIN snap s ON s.id = fl.snapshot_id),
      g AS (SELECT f.*, n - row_number() OVER (PARTITION BY app_id, path, sha256, size, stat, format, status, signer, record_id ORDER BY n) AS run FROM f),
      runs AS (SELECT app_id, path, sha256, size, stat, format, status, signer, record_id, min(snapshot_id) AS first_snapshot, max(n) AS last_n
               FROM g GROUP BY app_id, path, sha256, size, stat, format, status, signer, record_id, run)
      INSERT INTO entries (app_id, path, sha256, size, stat, format, status, signer, record_id, first_snapshot, end_snapshot)
        SELECT r.app_id, r.path, r.sha256, r.size, r.stat, r.format, r.status, r.signer, r.record_id, r.first_snapshot,
          (SELECT id FROM snap WHERE snap.app_id = r.app_id AND snap.n = r.last_n + 1)
        FROM runs r ORDER BY r.first_snapshot, r.path;
      CREATE UNIQUE INDEX entries_current ON entries(app_id, path) WHERE end_snapshot IS NULL;
      CREATE INDEX entries_by_path ON entries(app_id, path, first_snapshot);
      CREATE INDEX entries_by_sha256 ON entries(sha256);
      CREATE INDEX entries_by_end ON entries(app_id, end_snapshot);
      DROP TABLE sightings;
      DROP TABLE files;
      CREATE TABLE scan_locks (
        app TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        acquired_at TEXT NOT NULL,
        heartbeat_at TEXT NOT NULL
      );
    `,
  },
  {
    // The alert outbox: one row per (snapshot, destination), written in the snapshot's own transaction and drained by
    // the deliverer. The body is built when queued and sent byte for byte on every attempt with the same delivery_id;
    // the destination is kept by name only (its URL is a credential and stays in the config).
    version: 3,
    sql: `
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        delivery_id TEXT NOT NULL UNIQUE,
        destination TEXT NOT NULL,
        type TEXT NOT NULL,
        app_id INTEGER NOT NULL REFERENCES apps(id),
        snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
        summary TEXT NOT NULL,
        body TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        queued_at TEXT NOT NULL,
        next_attempt_at TEXT NOT NULL,
        -- Set while an attempt is under way (or its process died during one): nobody else sends the row until then.
        leased_until TEXT,
        last_attempt_at TEXT,
        last_status INTEGER,
        last_error TEXT,
        done_at TEXT,
        UNIQUE (snapshot_id, destination)
      );
      CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
    `,
  },
  {
    // Operational alerts (issue 12, CFG): a config the daemon refused is alerted through the same outbox, with no app
    // and no snapshot. SQLite cannot drop NOT NULL in place: the table is rebuilt with app_id / snapshot_id nullable.
    version: 4,
    sql: `
      CREATE TABLE outbox_v4 (
        id INTEGER PRIMARY KEY,
        delivery_id TEXT NOT NULL UNIQUE,
        destination TEXT NOT NULL,
        type TEXT NOT NULL,
        app_id INTEGER REFERENCES apps(id),
        snapshot_id INTEGER REFERENCES snapshots(id),
        summary TEXT NOT NULL,
        body TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        queued_at TEXT NOT NULL,
        next_attempt_at TEXT NOT NULL,
        leased_until TEXT,
        last_attempt_at TEXT,
        last_status INTEGER,
        last_error TEXT,
        done_at TEXT,
        UNIQUE (snapshot_id, destination)
      );
      INSERT INTO outbox_v4 SELECT id, delivery_id, destination, type, app_id, snapshot_id, summary, body, state, attempts, created_at,
        queued_at, next_attempt_at, leased_until, last_attempt_at, last_status, last_error, done_at FROM outbox;
      DROP TABLE outbox;
      ALTER TABLE outbox_v4 RENAME TO outbox;
      CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
    `,
  },
  {
    // The export outbox (issue 12, FLEET; daemon/export): one row per (snapshot, sink), written in the snapshot's own
    // transaction. Events are built from the snapshot's immutable history when sent, a bounded batch at a time;
    // `cursor` says how far the sink has got (export/events.ts), so a baseline of 100,000 modules is never held whole.
    // The sink is kept by name only: its URL and token stay in the config.
    version: 5,
    sql: `
      CREATE TABLE export_outbox (
        id INTEGER PRIMARY KEY,
        sink TEXT NOT NULL,
        app_id INTEGER NOT NULL REFERENCES apps(id),
        snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
        baseline INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
        cursor TEXT NOT NULL DEFAULT '',
        events_sent INTEGER NOT NULL DEFAULT 0,
        -- Failed attempts since the last batch that went through.
        attempts INTEGER NOT NULL DEFAULT 0,
        queued_at TEXT NOT NULL,
        next_attempt_at TEXT NOT NULL,
        leased_until TEXT,
        last_attempt_at TEXT,
        last_status INTEGER,
        last_error TEXT,
        done_at TEXT,
        UNIQUE (snapshot_id, sink)
      );
      CREATE INDEX export_outbox_due ON export_outbox(state, next_attempt_at);
      -- A snapshot's new entries (its changed modules; on a baseline, its whole inventory), read in id order.
      CREATE INDEX entries_by_first ON entries(first_snapshot, id);
    `,
  },
];
