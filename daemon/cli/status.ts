// `sealwatch status [--json] [--config FILE] [--db FILE]`: what the daemon has recorded, read from the history
// database (so it works whether or not the daemon runs): per app its last scan, version and pending findings; the
// outbox depth; the last delivery error. Never a webhook URL or secret: the outbox stores destination names, and
// its errors were redacted before they were stored.
import { existsSync } from 'node:fs';
import { type AlertRow, Store } from '../inventory/store/store.ts';
import { loadConfig } from '../config/config.ts';
import { configPath } from '../config/paths.ts';
import { SEVERITY_ORDER, type Severity } from '../shared/findings.ts';
import { ExitCode } from './exit-codes.ts';
import type { Output } from './inspect.ts';
import { defaultDatabase, defaultWitness } from './scan.ts';
import { safe, table } from './terminal.ts';

export interface StatusOptions {
  readonly json: boolean;
  readonly config?: string;
  readonly db?: string;
}

interface AppStatus {
  readonly name: string;
  readonly root: string | null;
  readonly configured: boolean;
  readonly last_scan: string | null;
  readonly trigger: string | null;
  readonly snapshot: number | null;
  readonly version: string | null;
  readonly pending_findings: Record<Severity | 'total', number>;
}

/**
 * --db, else the config's database (when a config is given or exists at its default place), else the default. With
 * --db and no --config, no config is read (a broken config does not hide the database).
 */
function databaseOf(options: StatusOptions): { db: string; configured: readonly { name: string; path: string }[] } {
  const file = configPath(options.config);
  const useConfig = options.config !== undefined || (options.db === undefined && (process.env.SEALWATCH_CONFIG !== undefined || existsSync(file)));
  const config = useConfig ? loadConfig(options.config, process.env) : undefined;
  return { db: options.db ?? config?.database ?? defaultDatabase(), configured: config?.apps ?? [] };
}

export async function runStatus(options: StatusOptions, io: Output): Promise<number> {
  const { db, configured } = databaseOf(options);
  const store = Store.open(db, { witness: defaultWitness(), mustExist: true });
  try {
    const apps = appStatuses(store, configured);
    const outbox = store.alertCounts();
    const lastError = lastDeliveryError(store.alerts());
    // export (issue 12, FLEET): the export outbox's depth and its last failure (sink names only; errors redacted)
    const exports = exportStatus(store);
    if (options.json) {
      io.out(JSON.stringify({ database: db, apps, outbox, last_delivery_error: lastError, export_outbox: exports.counts, last_export_error: exports.lastError }));
      return ExitCode.ok;
    }
    io.out(`database ${safe(db)}: ${apps.length} app${apps.length === 1 ? '' : 's'}`);
    const rows = apps.map((a) => [safe(a.name), a.last_scan ? safe(a.last_scan) : 'never', safe(a.trigger ?? '-'), safe(a.version ?? '?'), a.snapshot === null ? '-' : String(a.snapshot), pendingText(a.pending_findings)]);
    for (const l of table(['APP', 'LAST SCAN', 'TRIGGER', 'VERSION', 'SNAPSHOT', 'PENDING FINDINGS'], rows, false)) io.out(l);
    io.out(`outbox: ${outbox.pending} pending, ${outbox.dead} dead, ${outbox.sent} sent`);
    if (exports.counts.pending + exports.counts.sent + exports.counts.dead > 0) io.out(`export outbox: ${exports.counts.pending} pending, ${exports.counts.dead} dead, ${exports.counts.sent} sent${exports.lastError ? `; last error: ${safe(exports.lastError.at ?? '?')} ${safe(exports.lastError.sink)} (snapshot ${exports.lastError.snapshot_id}, ${exports.lastError.state}): ${safe(exports.lastError.error)}` : ''}`);
    io.out(lastError ? `last delivery error: ${safe(lastError.at ?? '?')} ${safe(lastError.destination)} (${safe(lastError.delivery_id)}, ${lastError.state}): ${safe(lastError.error)}` : 'last delivery error: none');
    return ExitCode.ok;
  } finally {
    store.close();
  }
}

function appStatuses(store: Store, configured: readonly { name: string; path: string }[]): AppStatus[] {
  const known = new Map(store.apps().map((a) => [a.name, a]));
  const names = [...new Set([...configured.map((c) => c.name), ...known.keys()])];
  return names.map((name) => {
    const a = known.get(name);
    const latest = a ? store.latestSnapshot(a.id) : undefined;
    const pending = Object.fromEntries([['total', 0], ...SEVERITY_ORDER.map((s) => [s, 0])]) as Record<Severity | 'total', number>;
    if (a) {
      for (const f of store.findings({ app: name, unexplained: true })) {
        pending[f.severity]++;
        pending.total++;
      }
    }
    return {
      name,
      root: a?.root ?? configured.find((c) => c.name === name)?.path ?? null,
      configured: configured.some((c) => c.name === name),
      last_scan: latest?.taken_at ?? null,
      trigger: latest?.trigger ?? null,
      snapshot: latest?.id ?? null,
      version: latest?.version ?? null,
      pending_findings: pending,
    };
  });
}

function pendingText(p: Record<Severity | 'total', number>): string {
  if (p.total === 0) return 'none';
  return [...SEVERITY_ORDER].reverse().filter((s) => p[s] > 0).map((s) => `${p[s]} ${s}`).join(', ');
}

/** The latest failed attempt recorded in the outbox (its error text was redacted when stored). */
function lastDeliveryError(rows: readonly AlertRow[]): { at: string | null; destination: string; delivery_id: string; state: string; status: number | null; error: string } | null {
  let last: AlertRow | undefined;
  for (const r of rows) if (r.last_error && (!last || (r.last_attempt_at ?? '') >= (last.last_attempt_at ?? ''))) last = r;
  // Once sent, the row's last status is the success's: the error's own status is then only in its text.
  return last ? { at: last.last_attempt_at, destination: last.destination, delivery_id: last.delivery_id, state: last.state, status: last.state === 'sent' ? null : last.last_status, error: last.last_error as string } : null;
}

/** The export outbox (daemon/export): counts by state, and the most recent failure still on a row. */
function exportStatus(store: Store): { counts: Record<'pending' | 'sent' | 'dead', number>; lastError: { at: string | null; sink: string; snapshot_id: number; state: string; status: number | null; error: string } | null } {
  const rows = store.exportOutbox.rows().filter((r) => r.last_error !== null);
  const last = rows.sort((a, b) => (a.last_attempt_at ?? '').localeCompare(b.last_attempt_at ?? '')).at(-1);
  return { counts: store.exportOutbox.counts(), lastError: last ? { at: last.last_attempt_at, sink: last.sink, snapshot_id: last.snapshot_id, state: last.state, status: last.last_status, error: last.last_error as string } : null };
}
