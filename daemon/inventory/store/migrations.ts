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
];
