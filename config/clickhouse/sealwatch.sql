-- sealwatch export tables for ClickHouse (issue 12; docs/fleet.md "Fleet queries"). Written for ClickHouse 18.16
-- (Debian's clickhouse-server) and later: flat column names as the `clickhouse` sink sends them (ECS field paths,
-- `file.hash.sha256`), JSONEachRow with input_format_skip_unknown_fields=1, so a column may be dropped or added.
-- ECS arrays (event.category, event.type) arrive as comma-joined text: ClickHouse takes array columns that share a
-- dotted prefix for one Nested structure whose arrays must be the same length.
-- Run: clickhouse-client --multiquery < config/clickhouse/sealwatch.sql   (or one statement per HTTP POST)

CREATE DATABASE IF NOT EXISTS sealwatch;

-- Every event of every host: scan summaries (event.dataset sealwatch.scan), findings (sealwatch.finding), alerts
-- (sealwatch.alert) and module inventory (sealwatch.module: a scan's new, changed and removed modules; the whole
-- inventory on a baseline). A batch sent twice (a retry after a lost answer) carries the same event.id: the
-- ReplacingMergeTree folds the copies when it merges, and the queries below never count a row twice.
CREATE TABLE IF NOT EXISTS sealwatch.events
(
    `@timestamp` DateTime,
    `ecs.version` String,
    `event.id` String,
    `event.kind` String,
    `event.category` String,
    `event.type` String,
    `event.action` String,
    `event.dataset` String,
    `event.module` String,
    `event.severity` UInt8,
    `host.hostname` String,
    `host.name` String,
    `host.id` String,
    `host.os.type` String,
    `host.os.platform` String,
    `host.os.version` String,
    `message` String,
    `rule.id` String,
    `rule.name` String,
    `package.name` String,
    `package.version` String,
    `file.path` String,
    `file.name` String,
    `file.extension` String,
    `file.size` UInt64,
    `file.type` String,
    `file.hash.sha256` String,
    `file.hash.sha1` String,
    `file.hash.md5` String,
    `file.pe.architecture` String,
    `file.pe.company` String,
    `file.pe.product` String,
    `file.pe.description` String,
    `file.pe.file_version` String,
    `file.pe.original_file_name` String,
    `file.pe.authentihash.sha256` String,
    `file.x509.subject.distinguished_name` String,
    `file.x509.issuer.distinguished_name` String,
    `file.x509.serial_number` String,
    `file.x509.not_before` String,
    `file.x509.not_after` String,
    `code_signature.exists` UInt8,
    `code_signature.status` String,
    `code_signature.trusted` UInt8,
    `code_signature.valid` UInt8,
    `code_signature.subject_name` String,
    `code_signature.team_id` String,
    `code_signature.signing_id` String,
    `code_signature.timestamp` String,
    `code_signature.digest_algorithm` String,
    `code_signature.thumbprint_sha256` String,
    `sealwatch.app` String,
    `sealwatch.vendor` String,
    `sealwatch.snapshot` UInt64,
    `sealwatch.version` String,
    `sealwatch.database_id` String,
    `sealwatch.previous_version` String,
    `sealwatch.previous_snapshot` UInt64,
    `sealwatch.version_source` String,
    `sealwatch.trigger` String,
    `sealwatch.baseline` UInt8,
    `sealwatch.root` String,
    `sealwatch.files` UInt64,
    `sealwatch.modules` UInt64,
    `sealwatch.findings` UInt32,
    `sealwatch.unexplained` UInt32,
    `sealwatch.max_severity` String,
    `sealwatch.rule` String,
    `sealwatch.severity` String,
    `sealwatch.explained` UInt8,
    `sealwatch.path` String,
    `sealwatch.evidence` String,
    `sealwatch.finding_id` UInt64,
    `sealwatch.delivery_id` String,
    `sealwatch.destination` String,
    `sealwatch.destination_type` String,
    `sealwatch.format` String,
    `sealwatch.status` String,
    `sealwatch.signer` String,
    `sealwatch.entry_id` UInt64
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(`@timestamp`)
ORDER BY (`event.dataset`, `host.id`, `sealwatch.app`, `sealwatch.path`, `event.id`);

-- Each host's modules as of its latest scan of each app, with the app version that scan found: per (host, app, path)
-- the newest inventory event (the highest snapshot of that host's history), unless it says the path is gone.
-- sealwatch.path is relative to the app's root, so the same module compares across hosts that installed the app in
-- different places.
CREATE VIEW IF NOT EXISTS sealwatch.modules_now AS
SELECT host_id, host, app, version, path, name, sha256, signer, status, snapshot
FROM
(
    SELECT
        `host.id` AS host_id,
        `sealwatch.app` AS app,
        `sealwatch.path` AS path,
        argMax(`host.name`, `sealwatch.snapshot`) AS host,
        argMax(`file.name`, `sealwatch.snapshot`) AS name,
        argMax(`file.hash.sha256`, `sealwatch.snapshot`) AS sha256,
        argMax(`code_signature.subject_name`, `sealwatch.snapshot`) AS signer,
        argMax(`code_signature.status`, `sealwatch.snapshot`) AS status,
        argMax(`event.type`, `sealwatch.snapshot`) AS last_type,
        max(`sealwatch.snapshot`) AS snapshot
    FROM sealwatch.events
    WHERE `event.dataset` = 'sealwatch.module'
    GROUP BY host_id, app, path
    HAVING last_type != 'deletion'
)
ALL INNER JOIN
(
    SELECT
        `host.id` AS host_id,
        `sealwatch.app` AS app,
        argMax(`sealwatch.version`, `sealwatch.snapshot`) AS version
    FROM sealwatch.events
    WHERE `event.dataset` = 'sealwatch.scan'
    GROUP BY host_id, app
) USING (host_id, app);
