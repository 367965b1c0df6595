// ECS-shaped events (Elastic Common Schema 8.x field names) for what sealwatch sees: a scan's summary, its findings,
// the alerts it queued and its module inventory. Pure: every value comes from the stored history, so the same row
// always makes the same event (event.id included) — a batch sent twice is the same documents twice, which
// Elasticsearch (_id) and ClickHouse (ReplacingMergeTree) fold into one.
import { type ExportAlertRow, type ExportEntryRow, type ExportFindingRow, type ExportSnapshot } from '../inventory/store/export-outbox.ts';
import { SEVERITY_ORDER, type Severity } from '../shared/findings.ts';
import { type ModuleRecord } from '../shared/model.ts';

export const ECS_VERSION = '8.11.0';

export type EcsEvent = Record<string, unknown> & { readonly '@timestamp': string; readonly event: Readonly<Record<string, unknown>> & { readonly id: string; readonly dataset: string } };

export interface HostFacts {
  readonly hostname: string;
  /** Stable machine id (/etc/machine-id, IOPlatformUUID, MachineGuid), else this history database's id. */
  readonly id: string;
  readonly os: { readonly type: string; readonly platform: string; readonly version?: string };
}

/** What every event of one snapshot shares. */
export interface SnapshotContext {
  readonly host: HostFacts;
  readonly databaseId: string;
  readonly snapshot: ExportSnapshot;
  readonly baseline: boolean;
}

export const DATASETS = { scan: 'sealwatch.scan', finding: 'sealwatch.finding', alert: 'sealwatch.alert', module: 'sealwatch.module' } as const;

/** ECS event.severity is a number: info 0 … critical 4 (a SIEM sorts and filters on it). */
export const severityNumber = (s: string): number => Math.max(0, SEVERITY_ORDER.indexOf(s as Severity));

function base(c: SnapshotContext, kind: string, id: string, at: string, dataset: string, category: string[], type: string[], action: string): EcsEvent {
  return {
    '@timestamp': at,
    ecs: { version: ECS_VERSION },
    event: { id: `${c.databaseId}:${c.snapshot.id}:${id}`, kind, category, type, action, dataset, module: 'sealwatch' },
    host: { hostname: c.host.hostname, name: c.host.hostname, id: c.host.id, os: c.host.os },
    agent: { type: 'sealwatch' },
  };
}

function sealwatchBase(c: SnapshotContext): Record<string, unknown> {
  const s = c.snapshot;
  return { app: s.app, ...(s.vendor ? { vendor: s.vendor } : {}), snapshot: s.id, version: s.version ?? '', database_id: c.databaseId };
}

const joinPath = (root: string, path: string): string => (path === './' ? root : root.endsWith('/') || root.endsWith('\\') ? `${root}${path}` : `${root}/${path}`);

export function scanEvent(c: SnapshotContext, counts: { findings: number; unexplained: number; maxSeverity: string | undefined }): EcsEvent {
  const s = c.snapshot;
  const changed = !c.baseline && s.previous_version !== s.version;
  const e = base(c, 'event', 'scan', s.taken_at, DATASETS.scan, ['package'], [c.baseline ? 'installation' : changed ? 'change' : 'info'], c.baseline ? 'baseline' : 'scan');
  return {
    ...e,
    message: `${s.app} ${s.version ?? '(version unknown)'}: ${c.baseline ? 'baseline' : 'scan'}, ${s.files} files, ${counts.findings} findings`,
    package: { name: s.app, version: s.version ?? '', path: s.root },
    sealwatch: {
      ...sealwatchBase(c),
      previous_version: s.previous_version ?? '',
      previous_snapshot: s.previous_id ?? 0,
      version_source: s.version_source ?? '',
      trigger: s.trigger,
      baseline: c.baseline,
      root: s.root,
      files: s.files,
      modules: s.modules,
      findings: counts.findings,
      unexplained: counts.unexplained,
      ...(counts.maxSeverity ? { max_severity: counts.maxSeverity } : {}),
    },
  } as EcsEvent;
}

export function findingEvent(c: SnapshotContext, f: ExportFindingRow): EcsEvent {
  const e = base(c, 'alert', `finding:${f.id}`, f.created_at, DATASETS.finding, ['intrusion_detection', 'file'], ['info'], f.rule.toLowerCase());
  return {
    ...e,
    event: { ...e.event, severity: severityNumber(f.severity) },
    message: f.message,
    rule: { id: f.rule, name: f.rule, ruleset: 'sealwatch' },
    ...(f.path !== null ? { file: { path: joinPath(c.snapshot.root, f.path), name: f.path.split('/').pop() ?? f.path } } : {}),
    sealwatch: { ...sealwatchBase(c), rule: f.rule, severity: f.severity, explained: f.explained === 1, ...(f.path !== null ? { path: f.path } : {}), evidence: f.evidence, finding_id: f.id },
  } as EcsEvent;
}

export function alertEvent(c: SnapshotContext, a: ExportAlertRow): EcsEvent {
  const e = base(c, 'alert', `alert:${a.id}`, a.created_at, DATASETS.alert, ['intrusion_detection'], ['info'], 'alert-queued');
  return { ...e, message: a.summary, sealwatch: { ...sealwatchBase(c), delivery_id: a.delivery_id, destination: a.destination, destination_type: a.type } } as EcsEvent;
}

/** One inventory entry: opened by this snapshot (a new or changed path; every path of a baseline) or ended (gone). */
export function moduleEvent(c: SnapshotContext, row: ExportEntryRow): EcsEvent {
  const gone = row.json === null;
  const type = gone ? 'deletion' : c.baseline ? 'info' : row.existed ? 'change' : 'creation';
  const e = base(c, 'state', `module:${row.id}${gone ? ':end' : ''}`, c.snapshot.taken_at, DATASETS.module, ['file'], [type], gone ? 'module-removed' : c.baseline ? 'module-inventoried' : 'module-changed');
  const record = gone ? undefined : (JSON.parse(row.json as string) as ModuleRecord);
  const name = row.path === './' ? (c.snapshot.root.split(/[/\\]/).pop() ?? row.path) : (row.path.split('/').pop() ?? row.path);
  const signature = record ? codeSignature(record) : undefined;
  return {
    ...e,
    message: `${c.snapshot.app} ${row.path}: ${type}`,
    // code_signature at the top (as `inspect --json` has it) and under file (where ECS nests the field set, and where
    // Elastic's rules look for it).
    file: { ...fileFields(record, row), path: joinPath(c.snapshot.root, row.path), name, ...extension(name), ...(signature ? { code_signature: signature } : {}) },
    ...(signature ? { code_signature: signature } : {}),
    sealwatch: { ...sealwatchBase(c), path: row.path, format: row.format, status: row.status, signer: row.signer, entry_id: row.id },
  } as EcsEvent;
}

function extension(name: string): { extension?: string } {
  const m = /\.([A-Za-z0-9]{1,16})$/.exec(name);
  return m ? { extension: (m[1] as string).toLowerCase() } : {};
}

function fileFields(r: ModuleRecord | undefined, row: ExportEntryRow): Record<string, unknown> {
  const hash: Record<string, string> = {};
  if (row.sha256) hash.sha256 = row.sha256;
  if (r?.file.hash.sha1) hash.sha1 = r.file.hash.sha1;
  if (r?.file.hash.md5) hash.md5 = r.file.hash.md5;
  const out: Record<string, unknown> = { size: row.size, type: r?.entry ? r.entry.type : 'file', hash };
  if (r?.pe) out.pe = peFields(r);
  const leaf = r?.code_signature.signatures[0]?.chain[0];
  if (leaf) {
    out.x509 = {
      subject: { distinguished_name: leaf.subject_name },
      issuer: { distinguished_name: leaf.issuer_name },
      serial_number: leaf.serial_number,
      not_before: leaf.not_before,
      not_after: leaf.not_after,
    };
  }
  return out;
}

function peFields(r: ModuleRecord): Record<string, unknown> {
  const pe = r.pe as NonNullable<ModuleRecord['pe']>;
  const out: Record<string, unknown> = { architecture: r.module.arch[0] ?? '' };
  const put = (k: string, v: string | undefined): void => void (v !== undefined && v !== '' && (out[k] = v));
  put('company', pe.company);
  put('product', pe.product);
  put('description', pe.description);
  put('file_version', pe.file_version);
  put('original_file_name', pe.original_file_name);
  out.authentihash = { sha256: pe.authentihash.sha256 };
  return out;
}

function codeSignature(r: ModuleRecord): Record<string, unknown> {
  const cs = r.code_signature;
  const out: Record<string, unknown> = { exists: cs.exists, status: cs.status, trusted: cs.trusted, valid: cs.valid };
  const put = (k: string, v: string | undefined): void => void (v !== undefined && v !== '' && (out[k] = v));
  put('subject_name', cs.subject_name);
  put('team_id', cs.team_id);
  put('signing_id', cs.signing_id);
  put('timestamp', cs.timestamp);
  put('digest_algorithm', cs.digest_algorithm);
  put('thumbprint_sha256', cs.thumbprint_sha256);
  return out;
}
