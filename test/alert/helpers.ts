// Shared by the alert tests: a real HTTP receiver on 127.0.0.1 (port 0) that answers from a script, a real SQLite
// store with alerts queued through the real commit, findings in bulk, and a logger that keeps what it was told.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { type AlertDestination } from '../../daemon/alert/destination.ts';
import { planAlerts } from '../../daemon/alert/enqueue.ts';
import { Store } from '../../daemon/inventory/store/store.ts';
import { type Finding, type RuleId, type Severity } from '../../daemon/shared/findings.ts';
import { type Logger } from '../../daemon/shared/logger.ts';
import { tempDir } from '../helpers/temp.ts';

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** What the receiver does with one request: answer, or hold it open (a hung service). */
export type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export interface Receiver {
  readonly url: string;
  readonly port: number;
  readonly received: Received[];
  /** Replies for the next requests, in order; when they run out: 200. */
  script(...replies: Reply[]): void;
  close(): Promise<void>;
}

export async function receiver(echo = false): Promise<Receiver> {
  const received: Received[] = [];
  const queue: Reply[] = [];
  const hung: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      const reply = queue.shift() ?? { status: 200, body: 'ok' };
      if (reply === 'hang') return void hung.push(res);
      res.writeHead(reply.status, reply.headers ?? {});
      // An echoing service puts what it was sent (path, query, headers) into its error body.
      res.end(echo ? `${reply.body ?? ''} ${r.url} ${JSON.stringify(r.headers)}` : (reply.body ?? ''));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    script: (...replies) => void queue.push(...replies),
    close: async () => {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function tempStore(): { store: Store; file: string } {
  const file = join(tempDir('sealwatch-alert-'), 'sealwatch.db');
  return { store: Store.open(file), file };
}

const RULES: readonly [RuleId, Severity][] = [
  ['SIGNATURE_INVALID', 'critical'],
  ['SIGNER_CHANGED', 'critical'],
  ['NEW_UNSIGNED_MODULE', 'high'],
  ['MODULE_CHANGED_SAME_VERSION', 'high'],
  ['NEW_MODULE', 'medium'],
  ['UNVERIFIED_PATH', 'low'],
  ['TIMESTAMP_ANOMALY', 'info'],
];

/** `n` findings cycling through the severities (least severe first, so ordering is something the alert must do), long paths and messages. */
export function manyFindings(n: number): Finding[] {
  return Array.from({ length: n }, (_, i) => {
    const [rule, severity] = RULES[(RULES.length - 1 - (i % RULES.length)) % RULES.length] as [RuleId, Severity];
    const path = `resources/app.asar.unpacked/node_modules/${'deeply-nested-package/'.repeat(4)}module-${i}.node`;
    return {
      rule,
      severity,
      path,
      message: `${rule} at ${path}: ${'the module was replaced by one that does not match what the vendor shipped; '.repeat(3)}#${i}`,
      evidence: { change: 'changed', before: { sha256: `${i}`.padStart(64, 'a'), signer: 'org:Contoso Ltd', subject: 'Contoso Ltd', status: 'valid' }, after: { sha256: `${i}`.padStart(64, 'b'), signer: i % 2 ? 'org:Contoso Ltd' : '(unsigned)', status: i % 2 ? 'valid' : 'unsigned' } },
      explained: false,
    };
  });
}

/** Commits a snapshot of `app` with these findings and the alerts they call for, through Store.commitScan as a scan does. */
export function commitWithAlerts(store: Store, destinations: readonly AlertDestination[], findings: readonly Finding[], at: Date, app = 'ContosoChat'): { snapshotId: number; deliveryIds: string[] } {
  const appId = store.upsertApp(app, '/opt/contoso-chat', undefined, at).id;
  const previous = store.latestSnapshot(appId);
  const plan = planAlerts(destinations, { app, fromVersion: previous?.version ?? '1.2.3', toVersion: '1.2.4', time: at, findings, host: 'test-host' });
  const { snapshotId } = store.commitScan({ appId, previousSnapshotId: previous?.id, version: '1.2.4', versionSource: 'test', takenAt: at, trigger: 'manual', root: '/opt/contoso-chat', changed: [], removed: [], findings, alerts: plan.rows });
  return { snapshotId, deliveryIds: plan.planned.map((p) => p.deliveryId) };
}

export interface CollectedLog {
  readonly logger: Logger;
  readonly lines: Array<{ level: string; message: string; meta?: object }>;
}

export function collectingLogger(): CollectedLog {
  const lines: CollectedLog['lines'] = [];
  const at = (level: string) => (message: string, meta?: object) => void lines.push({ level, message, ...(meta ? { meta } : {}) });
  return { lines, logger: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') } };
}

/** A clock the test moves by hand. */
export function manualClock(start: string): { now: () => Date; advance: (ms: number) => void; set: (d: Date) => void } {
  let t = Date.parse(start);
  return { now: () => new Date(t), advance: (ms) => void (t += ms), set: (d) => void (t = d.getTime()) };
}
