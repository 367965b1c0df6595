// Which alerts a scan queues: one per destination whose min_severity at least one unexplained finding reaches. The
// delivery ids are drawn before the commit (stable from then on); the bodies are built inside the commit, once the
// snapshot has its id, so the outbox rows and the findings are one transaction.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type AlertInsert } from '../inventory/store/store.ts';
import { type Finding } from '../shared/findings.ts';
import { alertFindings, type AlertContent, summaryLine } from './content.ts';
import { type AlertDestination } from './destination.ts';
import { alertBody } from './payload.ts';

export interface UpdateFacts {
  readonly app: string;
  readonly fromVersion: string | undefined;
  readonly toVersion: string | undefined;
  readonly time: Date;
  readonly findings: readonly Finding[];
  readonly host?: string;
}

export interface PlannedAlert {
  readonly deliveryId: string;
  readonly destination: string;
}

export interface AlertPlan {
  readonly planned: readonly PlannedAlert[];
  /** For the commit: the outbox rows of the snapshot with this id. */
  readonly rows: (snapshotId: number) => AlertInsert[];
}

export function planAlerts(destinations: readonly AlertDestination[], u: UpdateFacts): AlertPlan {
  const host = u.host ?? hostname();
  // Names are ids (the config refuses duplicates); a duplicate here must not fail the scan's commit: first one wins.
  const unique = destinations.filter((d, i) => destinations.findIndex((x) => x.name === d.name) === i);
  const chosen = unique
    .map((d) => ({ d, findings: alertFindings(u.findings, d.minSeverity), deliveryId: randomUUID() }))
    .filter((x) => x.findings.length > 0);
  return {
    planned: chosen.map((x) => ({ deliveryId: x.deliveryId, destination: x.d.name })),
    rows: (snapshotId) =>
      chosen.map(({ d, findings, deliveryId }) => {
        const content: AlertContent = { host, app: u.app, fromVersion: u.fromVersion ?? null, toVersion: u.toVersion ?? null, snapshotId, time: u.time.toISOString(), findings };
        return { deliveryId, destination: d.name, type: d.type, summary: summaryLine(content), body: alertBody(d.type, content, deliveryId) };
      }),
  };
}
