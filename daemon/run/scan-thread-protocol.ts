// What the daemon's main thread and its scan thread say to each other (structured-cloneable data only).
import { type AlertDestination } from '../alert/destination.ts';
import { type WorkerConfig } from '../inventory/scan-protocol.ts';
import { type Finding } from '../shared/findings.ts';
import { type Policy } from '../policy/types.ts';
import { type ScanTrigger } from './types.ts';

/** What a scan thread is started with: everything but the scan itself, so it can load while an update settles. */
export interface ScanThreadSetup {
  readonly database: string;
  readonly witness: string;
  /** Worker settings of the scan's pool; `now` is replaced by each job's time. */
  readonly pool: Omit<WorkerConfig, 'now'>;
  readonly workers: number;
  readonly alerts: readonly AlertDestination[];
  /** Loaded policies (plain data), judged after detection in the scan (daemon/policy). */
  readonly policies?: readonly Policy[];
}

/** The one scan a started thread is then told to run (its only message). */
export interface ScanThreadRequest {
  readonly app: string;
  readonly root: string;
  readonly appVersion?: string;
  readonly vendor?: string;
  readonly trigger: ScanTrigger;
  /** ISO time of the scan (the daemon's clock). */
  readonly now: string;
}

/** What the daemon logs and counts of one scan. */
export interface ScanSummary {
  readonly snapshotId: number;
  readonly baseline: boolean;
  readonly fromVersion: string | null;
  readonly toVersion: string | null;
  readonly files: number;
  readonly read: number;
  readonly reused: number;
  readonly changes: number;
  readonly unreadable: number;
  readonly findings: ReadonlyArray<Pick<Finding, 'rule' | 'severity' | 'path' | 'explained'>>;
  readonly alerts: ReadonlyArray<{ readonly deliveryId: string; readonly destination: string }>;
}

export type ScanThreadReply = { readonly ok: true; readonly summary: ScanSummary } | { readonly ok: false; readonly error: string; readonly code?: string };
