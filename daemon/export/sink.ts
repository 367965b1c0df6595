// Where exported events go: one configured sink (config `export:`, with url_env / token_env already resolved).
import { type Severity } from '../shared/findings.ts';

export type ExportType = 'ndjson' | 'clickhouse' | 'elasticsearch' | 'splunk';
export const EXPORT_TYPES: readonly ExportType[] = ['ndjson', 'clickhouse', 'elasticsearch', 'splunk'];

/** What a sink is sent: scan summaries, findings, the alerts queued, the module inventory. */
export type ExportKind = 'scans' | 'findings' | 'alerts' | 'inventory';
export const EXPORT_KINDS: readonly ExportKind[] = ['scans', 'findings', 'alerts', 'inventory'];

export interface ExportSink {
  /** Stable id: the config's `name:`, or "export[N]". Stored with every export outbox row; never the URL. */
  readonly name: string;
  readonly type: ExportType;
  /** HTTP sinks: the service's base URL (a credential when it carries one: never logged). */
  readonly url?: string;
  /** ndjson: the file written (rotated beside itself). */
  readonly path?: string;
  /** ClickHouse password, Elasticsearch API key, Splunk HEC token: never logged. */
  readonly token?: string;
  /** ClickHouse user (default "default"). */
  readonly user?: string;
  /** ClickHouse `database.table` (default sealwatch.events). */
  readonly table?: string;
  /** Elasticsearch/OpenSearch index or data stream (default sealwatch-events); Splunk index (default: the token's). */
  readonly index?: string;
  /** Findings below this are not sent (default info: all). */
  readonly minSeverity: Severity;
  readonly send: readonly ExportKind[];
  /** Events per request (default 500). */
  readonly batch: number;
  /** ndjson: rotate when the file would pass this many bytes (default 64 MiB), keeping this many old files (default 5). */
  readonly maxBytes: number;
  readonly maxFiles: number;
}

export const EXPORT_DEFAULTS = { table: 'sealwatch.events', index: 'sealwatch-events', batch: 500, maxBytes: 64 * 1024 * 1024, maxFiles: 5 } as const;
