// A snapshot's events for one sink, read from the store a bounded batch at a time: its scan summary, its findings,
// the alerts it queued, the entries it opened (new and changed modules; on a baseline the whole inventory), the
// entries it ended (modules gone). The cursor names the phase and the last row id sent, so the next batch starts
// after it, whatever happened in between (a restart, a failed attempt).
import { type ExportOutbox, type ExportRow } from '../inventory/store/export-outbox.ts';
import { type Store } from '../inventory/store/store.ts';
import { severityRank, type Severity } from '../shared/findings.ts';
import { alertEvent, type EcsEvent, findingEvent, type HostFacts, moduleEvent, scanEvent, type SnapshotContext } from './ecs.ts';
import { type ExportKind, type ExportSink } from './sink.ts';

export interface Cursor {
  readonly phase: number;
  readonly after: number;
}

const PHASES: readonly ExportKind[] = ['scans', 'findings', 'alerts', 'inventory', 'inventory'];
export const START: Cursor = { phase: 0, after: 0 };

export function parseCursor(text: string): Cursor {
  if (!text) return START;
  const c = JSON.parse(text) as Cursor;
  return { phase: Number(c.phase), after: Number(c.after) };
}

export interface Batch {
  readonly events: EcsEvent[];
  readonly cursor: Cursor;
  readonly done: boolean;
}

/** Up to `limit` events of the row's snapshot from `cursor` on, and where the next batch starts. */
export function readBatch(store: Store, host: HostFacts, row: ExportRow, sink: Pick<ExportSink, 'send' | 'minSeverity'>, cursor: Cursor, limit: number): Batch {
  const x = store.exportOutbox;
  const snapshot = x.snapshot(row.snapshot_id);
  if (!snapshot) return { events: [], cursor: { phase: PHASES.length, after: 0 }, done: true };
  const c: SnapshotContext = { host, databaseId: store.meta('database_id') ?? '', snapshot, baseline: row.baseline === 1 };
  const events: EcsEvent[] = [];
  let { phase, after } = cursor;
  while (phase < PHASES.length && events.length < limit) {
    const wanted = sink.send.includes(PHASES[phase] as ExportKind);
    const got = wanted ? readPhase(store, x, c, sink.minSeverity, phase, after, limit - events.length) : { events: [], last: after, more: false };
    events.push(...got.events);
    after = got.last;
    // Rows may remain: the same phase again while the batch has room (findings below min_severity took none of it).
    if (got.more) continue;
    phase++;
    after = 0;
  }
  return { events, cursor: { phase, after }, done: phase >= PHASES.length };
}

interface PhaseRead {
  readonly events: EcsEvent[];
  readonly last: number;
  /** Rows may remain in this phase. */
  readonly more: boolean;
}

function readPhase(store: Store, x: ExportOutbox, c: SnapshotContext, min: Severity, phase: number, after: number, limit: number): PhaseRead {
  if (phase === 0) {
    if (after > 0) return { events: [], last: after, more: false };
    const findings = store.findings({ snapshotId: c.snapshot.id });
    const unexplained = findings.filter((f) => f.explained === 0 && f.severity !== 'info');
    const max = unexplained.map((f) => f.severity).sort((a, b) => severityRank(b) - severityRank(a))[0];
    return { events: [scanEvent(c, { findings: findings.length, unexplained: unexplained.length, maxSeverity: max })], last: 1, more: false };
  }
  const rows = phase === 1 ? x.findings(c.snapshot.id, after, limit) : phase === 2 ? x.alerts(c.snapshot.id, after, limit) : phase === 3 ? x.opened(c.snapshot.id, after, limit) : x.ended(c.snapshot.id, after, limit);
  const last = rows.at(-1)?.id ?? after;
  const more = rows.length === limit;
  if (phase === 1) return { events: (rows as ReturnType<ExportOutbox['findings']>).filter((f) => severityRank(f.severity as Severity) >= severityRank(min)).map((f) => findingEvent(c, f)), last, more };
  if (phase === 2) return { events: (rows as ReturnType<ExportOutbox['alerts']>).map((a) => alertEvent(c, a)), last, more };
  return { events: (rows as ReturnType<ExportOutbox['opened']>).map((r) => moduleEvent(c, r)), last, more };
}
