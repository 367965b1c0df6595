// `sealwatch alerts list [--json]`, `alerts retry ID|--dead`, `alerts test DESTINATION`: the outbox seen and nudged from
// the command line. Nothing here prints a webhook URL or secret: rows hold the destination's name and a redacted error.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isHeld } from '../alert/removed.ts';
import { type AlertState, type AlertRow, Store } from '../inventory/store/store.ts';
import { SealwatchError } from '../shared/errors.ts';
import { ExitCode } from './exit-codes.ts';
import type { Output } from './inspect.ts';
import { defaultDatabase, defaultWitness } from './scan.ts';
import { safe, table } from './terminal.ts';

export interface AlertsDbOptions {
  readonly db?: string;
  readonly config?: string;
}

const STATES: readonly AlertState[] = ['pending', 'sent', 'dead'];

/** --db, else the config's `database` (--config, $SEALWATCH_CONFIG or a config at the default place), else the default. */
async function databaseOf(o: AlertsDbOptions, env: NodeJS.ProcessEnv): Promise<string> {
  if (o.db) return o.db;
  const [{ configPath }, { loadConfig }] = await Promise.all([import('../config/paths.ts'), import('../config/config.ts')]);
  if (!o.config && !env.SEALWATCH_CONFIG && !existsSync(configPath(undefined, env))) return defaultDatabase();
  return loadConfig(o.config, env).database ?? defaultDatabase();
}

/** The history database of --db / the config, opened read-write for one command (also `export list|retry`). */
export async function withAlertStore<T>(o: AlertsDbOptions, fn: (store: Store) => T): Promise<T> {
  const store = Store.open(await databaseOf(o, process.env), { witness: defaultWitness(), mustExist: true });
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

function alertJson(r: AlertRow): Record<string, unknown> {
  return {
    id: r.id,
    delivery_id: r.delivery_id,
    state: r.state,
    destination: r.destination,
    type: r.type,
    app: r.app,
    snapshot: r.snapshot_id,
    summary: r.summary,
    attempts: r.attempts,
    created_at: r.created_at,
    next_attempt_at: r.state === 'pending' ? r.next_attempt_at : null,
    // Held, not attempted, until its destination (removed by a config reload) comes back or next_attempt_at (its age).
    destination_removed: r.state === 'pending' && isHeld(r.last_error),
    last_attempt_at: r.last_attempt_at,
    last_status: r.last_status,
    last_error: r.last_error,
    done_at: r.done_at,
  };
}

export async function runAlertsList(o: AlertsDbOptions & { json: boolean; state?: string }, io: Output): Promise<number> {
  if (o.state !== undefined && !STATES.includes(o.state as AlertState)) throw new SealwatchError('CONFIG', `alerts list: --state is pending, sent or dead, not ${JSON.stringify(o.state)}`);
  return withAlertStore(o, (store) => {
    const rows = store.alerts().filter((r) => o.state === undefined || r.state === o.state);
    if (o.json) {
      for (const r of rows) io.out(JSON.stringify(alertJson(r)));
      return ExitCode.ok;
    }
    const counts = STATES.map((s) => `${rows.filter((r) => r.state === s).length} ${s}`).join(', ');
    io.out(`${rows.length} alert${rows.length === 1 ? '' : 's'}: ${counts}`);
    if (rows.length === 0) return ExitCode.ok;
    const now = new Date().toISOString();
    const when = (r: AlertRow): string =>
      r.state !== 'pending'
        ? `${r.state} ${r.done_at ?? '-'}`
        : r.leased_until && r.leased_until > now
          ? `attempt under way since ${r.last_attempt_at ?? '-'}`
          : isHeld(r.last_error)
            ? `waiting for removed destination (dead at ${r.next_attempt_at})`
            : `next ${r.next_attempt_at}`;
    const lines = table(
      ['ID', 'STATE', 'DESTINATION', 'APP', 'SNAPSHOT', 'ATTEMPTS', 'WHEN', 'LAST ERROR', 'SUMMARY'],
      rows.map((r) => [String(r.id), r.state, safe(r.destination), safe(r.app), String(r.snapshot_id), String(r.attempts), safe(when(r)), safe(r.last_error), safe(r.summary)]),
      false,
    );
    for (const l of lines) io.out(l);
    return ExitCode.ok;
  });
}

export async function runAlertsRetry(id: string | undefined, o: AlertsDbOptions & { dead: boolean }, io: Output): Promise<number> {
  if ((id === undefined) === !o.dead) throw new SealwatchError('CONFIG', 'alerts retry: give an alert id (from `alerts list`) or --dead, not both');
  return withAlertStore(o, (store) => {
    const now = new Date();
    if (o.dead) {
      const n = store.retryDeadAlerts(now);
      io.out(`${n} dead alert${n === 1 ? '' : 's'} queued again (the running daemon delivers them)`);
      return ExitCode.ok;
    }
    const r = store.retryAlert(id as string, now);
    if (!r.found) throw new SealwatchError('CONFIG', `alerts retry: no alert ${JSON.stringify(id)} (see \`sealwatch alerts list\`)`);
    if (r.inFlight) throw new SealwatchError('CONFIG', `alerts retry: alert ${r.id} (${r.deliveryId}) is being delivered right now; see \`alerts list\` in a moment`);
    if (!r.requeued) throw new SealwatchError('CONFIG', `alerts retry: alert ${r.id} (${r.deliveryId}) was already delivered; it is not sent twice`);
    io.out(`alert ${r.id} (${r.deliveryId}) queued again (was ${r.state}; the running daemon delivers it)`);
    return ExitCode.ok;
  });
}

/** Sends the sample alert to one configured destination (by name or index), right away and once: 0 when accepted, 1 when not. */
export async function runAlertsTest(which: string, o: { config?: string }, io: Output): Promise<number> {
  const [{ loadConfig }, { alertBody }, { sampleAlert }, { sendOnce }] = await Promise.all([
    import('../config/config.ts'),
    import('../alert/payload.ts'),
    import('../alert/sample.ts'),
    import('../alert/send.ts'),
  ]);
  const config = loadConfig(o.config, process.env);
  const index = /^\d+$/.test(which) ? Number(which) : /^alerts\[(\d+)\]$/.exec(which)?.[1];
  const d = config.alerts.find((x) => x.name === which) ?? (index !== undefined ? config.alerts[Number(index)] : undefined);
  if (!d) {
    const names = config.alerts.map((x, i) => `${x.name} (or its index, ${i})`).join(', ');
    throw new SealwatchError('CONFIG', `alerts test: no destination ${JSON.stringify(which)} in ${config.source}${names ? ` (destinations: ${names})` : ' (it has no alerts)'}`, { file: config.source });
  }
  const now = new Date();
  const id = randomUUID();
  const result = await sendOnce(d, alertBody(d.type, sampleAlert(now), id), id, { now, timeoutMs: config.delivery.timeoutMs });
  if (result.ok) {
    io.out(`alerts test: ${safe(d.name)} (${d.type}): delivered (HTTP ${result.status}), delivery id ${id}`);
    return ExitCode.ok;
  }
  io.err(`alerts test: ${safe(d.name)} (${d.type}): not delivered: ${safe(result.error)}`);
  return 1;
}
