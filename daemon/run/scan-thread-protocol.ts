// What the daemon and its scan process (scan-child.ts) say to each other over the fork's IPC channel (advanced
// serialization: structured-cloneable data only).
import { type AlertDestination } from '../alert/destination.ts';
import { type WorkerConfig } from '../inventory/scan-protocol.ts';
import { type Finding } from '../shared/findings.ts';
import { type Policy } from '../policy/types.ts';
import { type ScanTrigger } from './types.ts';

/** What a scan process is started with: everything but the scan itself, so it can load while an update settles. */
export interface ScanThreadSetup {
  readonly database: string;
  readonly witness: string;
  /** Worker settings of the scan's pool; `now` is replaced by each job's time. */
  readonly pool: Omit<WorkerConfig, 'now'>;
  readonly workers: number;
  readonly alerts: readonly AlertDestination[];
  /** Loaded policies (plain data), judged after detection in the scan (daemon/policy). */
  readonly policies?: readonly Policy[];
  /** Export sink names (config `export:`): the scan queues each an export outbox row in its commit (daemon/export). */
  readonly exports?: readonly string[];
  /** Where fetched manifests keep their last good copy (shared with the daemon's refresh schedule). */
  readonly manifestCache?: string;
}

/** The one scan a started process is then told to run. */
export interface ScanThreadRequest {
  readonly app: string;
  readonly root: string;
  readonly appVersion?: string;
  readonly vendor?: string;
  readonly trigger: ScanTrigger;
  /** ISO time of the scan (the daemon's clock). */
  readonly now: string;
  /** The app's signed release manifest (a path or an https URL) and the pinned public key files. */
  readonly manifest?: string;
  readonly manifestKeys?: readonly string[];
  /** Re-read and re-hash every file, trusting no stat (the scheduled full rescan). */
  readonly deep?: boolean;
}

/** Daemon → scan process: the setup (sent at start), then the one scan. */
export type ScanChildMessage = { readonly kind: 'setup'; readonly setup: ScanThreadSetup } | { readonly kind: 'scan'; readonly request: ScanThreadRequest };

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
  /** What became of each manifest (used, other version, rejected). */
  readonly manifests?: ReadonlyArray<{ readonly name: string; readonly state: string; readonly detail?: string; readonly stale?: string }>;
}

export type ScanThreadReply = { readonly ok: true; readonly summary: ScanSummary } | { readonly ok: false; readonly error: string; readonly code?: string };
