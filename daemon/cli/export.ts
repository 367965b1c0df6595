// `sealwatch export list [--json] [--state S]`, `export retry --id N|--dead`: the export outbox seen and nudged from
// the command line, like `alerts list|retry`. Rows hold the sink's name and a redacted error, never a URL or token.
import { isHeld } from '../alert/removed.ts';
import { type ExportRow, type ExportState } from '../inventory/store/export-outbox.ts';
import { SealwatchError } from '../shared/errors.ts';
import { type AlertsDbOptions, withAlertStore } from './alerts.ts';
import { ExitCode } from './exit-codes.ts';
import type { Output } from './inspect.ts';
import { safe, table } from './terminal.ts';

const STATES: readonly ExportState[] = ['pending', 'sent', 'dead'];

function exportJson(r: ExportRow): Record<string, unknown> {
  return {
    id: r.id,
    state: r.state,
    sink: r.sink,
    app: r.app,
    snapshot: r.snapshot_id,
    baseline: r.baseline === 1,
    events_sent: r.events_sent,
    attempts: r.attempts,
    queued_at: r.queued_at,
    next_attempt_at: r.state === 'pending' ? r.next_attempt_at : null,
    // Held, not attempted, until its sink (removed by a config reload) comes back or next_attempt_at (its age).
    sink_removed: r.state === 'pending' && isHeld(r.last_error),
    last_attempt_at: r.last_attempt_at,
    last_status: r.last_status,
    last_error: r.last_error,
    done_at: r.done_at,
  };
}

/** When a row is next tried, or when it ended. */
function when(r: ExportRow, now: string): string {
  if (r.state !== 'pending') return `${r.state} ${r.done_at ?? '-'}`;
  if (r.leased_until && r.leased_until > now) return `batch under way since ${r.last_attempt_at ?? '-'}`;
  if (isHeld(r.last_error)) return `waiting for removed sink (dead at ${r.next_attempt_at})`;
  return `next ${r.next_attempt_at}`;
}

export async function runExportList(o: AlertsDbOptions & { json: boolean; state?: string }, io: Output): Promise<number> {
  if (o.state !== undefined && !STATES.includes(o.state as ExportState)) throw new SealwatchError('CONFIG', `export list: --state is pending, sent or dead, not ${JSON.stringify(o.state)}`);
  return withAlertStore(o, (store) => {
    const rows = store.exportOutbox.rows().filter((r) => o.state === undefined || r.state === o.state);
    if (o.json) {
      for (const r of rows) io.out(JSON.stringify(exportJson(r)));
      return ExitCode.ok;
    }
    const counts = STATES.map((s) => `${rows.filter((r) => r.state === s).length} ${s}`).join(', ');
    io.out(`${rows.length} export${rows.length === 1 ? '' : 's'}: ${counts}`);
    if (rows.length === 0) return ExitCode.ok;
    const now = new Date().toISOString();
    const lines = table(
      ['ID', 'STATE', 'SINK', 'APP', 'SNAPSHOT', 'EVENTS SENT', 'ATTEMPTS', 'WHEN', 'LAST ERROR'],
      rows.map((r) => [String(r.id), r.state, safe(r.sink), safe(r.app), `${r.snapshot_id}${r.baseline === 1 ? ' (baseline)' : ''}`, String(r.events_sent), String(r.attempts), safe(when(r, now)), safe(r.last_error)]),
      false,
    );
    for (const l of lines) io.out(l);
    return ExitCode.ok;
  });
}

/** --id: a row id from `export list` (a whole number). */
function rowId(id: string): number {
  if (!/^[1-9]\d{0,15}$/.test(id)) throw new SealwatchError('CONFIG', `export retry: --id is a row id from \`export list\` (a whole number), not ${JSON.stringify(id)}`);
  return Number(id);
}

export async function runExportRetry(o: AlertsDbOptions & { dead: boolean; id?: string }, io: Output): Promise<number> {
  if ((o.id === undefined) === !o.dead) throw new SealwatchError('CONFIG', 'export retry: give --id N (from `export list`) or --dead, not both');
  const id = o.id === undefined ? undefined : rowId(o.id);
  return withAlertStore(o, (store) => {
    const now = new Date();
    if (id === undefined) {
      const n = store.exportOutbox.retryDead(now);
      io.out(`${n} dead export${n === 1 ? '' : 's'} queued again (the running daemon sends them from where they stopped)`);
      return ExitCode.ok;
    }
    const r = store.exportOutbox.retry(id, now);
    if (!r.found) throw new SealwatchError('CONFIG', `export retry: no export ${id} (see \`sealwatch export list\`)`);
    if (r.inFlight) throw new SealwatchError('CONFIG', `export retry: export ${id} (sink ${safe(r.sink)}) is being sent right now; see \`export list\` in a moment`);
    if (!r.requeued) throw new SealwatchError('CONFIG', `export retry: export ${id} (sink ${safe(r.sink)}) was already sent; it is not sent twice`);
    io.out(`export ${id} (sink ${safe(r.sink)}) queued again (was ${r.state}; the running daemon sends it from where it stopped)`);
    return ExitCode.ok;
  });
}
