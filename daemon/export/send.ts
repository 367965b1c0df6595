// One batch to one sink. HTTP sinks are posted like alerts are (shared/post-once.ts: a timeout per attempt, no retries
// of got's own — the export outbox schedules them durably —, no redirects, the answer read up to a cap); failure texts are
// redacted of the sink's URL and token before they leave here. The file sink appends (fsynced) and rotates.
import { describeFailure, redact } from '../alert/redact.ts';
import { postOnce } from '../shared/post-once.ts';
import { bulkBody, clickhouseBody, clickhouseQuery, hecBody, ndjsonBody } from './bodies.ts';
import { type EcsEvent } from './ecs.ts';
import { appendRotating } from './ndjson-file.ts';
import { EXPORT_DEFAULTS, type ExportSink } from './sink.ts';

export interface ExportResult {
  readonly ok: boolean;
  readonly status?: number;
  readonly retryAfter?: string;
  /** Safe to log and store. */
  readonly error?: string;
}

const USER_AGENT = 'sealwatch-export';
/** A _bulk answer lists every item; filter_path keeps it small, and this caps what a broken service can make us buffer. */
export const MAX_EXPORT_RESPONSE_BYTES = 1024 * 1024;

export interface HttpRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The request a batch makes (tests check it against the service's documented format). */
export function exportRequest(sink: ExportSink, events: readonly EcsEvent[]): HttpRequest {
  const base = (sink.url ?? '').replace(/\/+$/, '');
  const headers: Record<string, string> = { 'user-agent': USER_AGENT };
  switch (sink.type) {
    case 'clickhouse': {
      const u = new URL(`${base}/`);
      u.searchParams.set('query', clickhouseQuery(sink.table ?? EXPORT_DEFAULTS.table));
      u.searchParams.set('input_format_skip_unknown_fields', '1');
      headers['content-type'] = 'application/x-ndjson';
      headers['x-clickhouse-user'] = sink.user ?? 'default';
      if (sink.token) headers['x-clickhouse-key'] = sink.token;
      return { url: u.href, headers, body: clickhouseBody(events) };
    }
    case 'elasticsearch': {
      headers['content-type'] = 'application/x-ndjson';
      if (sink.token) headers.authorization = `ApiKey ${sink.token}`;
      return { url: `${base}/_bulk?filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason`, headers, body: bulkBody(events, sink.index ?? EXPORT_DEFAULTS.index) };
    }
    case 'splunk':
      headers['content-type'] = 'application/json';
      headers.authorization = `Splunk ${sink.token ?? ''}`;
      return { url: `${base}/services/collector/event`, headers, body: hecBody(events, sink.index) };
    case 'ndjson':
      throw new Error('the ndjson sink writes a file');
  }
}

export async function sendBatch(sink: ExportSink, events: readonly EcsEvent[], timeoutMs: number): Promise<ExportResult> {
  if (sink.type === 'ndjson') return writeFile(sink, events);
  const req = exportRequest(sink, events);
  const out = await postOnce({ ...req, timeoutMs, maxResponseBytes: MAX_EXPORT_RESPONSE_BYTES });
  if (out.kind === 'answered') return answered(sink, out.status, out.retryAfter, out.text);
  if (out.kind === 'cut' && out.tooLong) return { ok: false, status: out.status, ...(out.retryAfter ? { retryAfter: out.retryAfter } : {}), error: 'response too long' };
  return { ok: false, error: describeFailure(out.error, secrets(sink)) };
}

const secrets = (sink: ExportSink): { url: string; secret?: string } => ({ url: sink.url ?? '', ...(sink.token ? { secret: sink.token } : {}) });

function answered(sink: ExportSink, status: number, retryAfter: string | undefined, text: string): ExportResult {
  const excerpt = text.slice(0, 300).replace(/\s+/g, ' ').trim();
  if (status < 200 || status >= 300) return { ok: false, status, ...(retryAfter ? { retryAfter } : {}), error: redact(`HTTP ${status}${excerpt ? `: ${excerpt}` : ''}`, secrets(sink)) };
  if (sink.type === 'elasticsearch') {
    const failed = bulkFailures(text);
    if (failed) return { ok: false, status, error: redact(`_bulk: ${failed}`, secrets(sink)) };
  }
  return { ok: true, status };
}

/**
 * A _bulk answer is 200 even when items failed: `errors: true` and a status per item. An item that exists already
 * (409 on create: this batch was sent before) is a success; any other failed item fails the batch (sent again
 * whole, the ones that went in answer 409).
 */
export function bulkFailures(text: string): string | undefined {
  let body: { errors?: boolean; items?: Array<Record<string, { status?: number; error?: { type?: string; reason?: string } }>> };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return 'the answer is not JSON';
  }
  if (body.errors !== true) return undefined;
  const bad = (body.items ?? []).map((i) => Object.values(i)[0]).filter((r) => r && r.status !== undefined && (r.status < 200 || r.status >= 300) && r.status !== 409);
  if (bad.length === 0) return undefined;
  const first = bad[0]?.error;
  return `${bad.length} item(s) refused${first ? ` (${first.type ?? ''}: ${(first.reason ?? '').slice(0, 200)})` : ''}`;
}

function writeFile(sink: ExportSink, events: readonly EcsEvent[]): ExportResult {
  try {
    appendRotating(sink.path as string, ndjsonBody(events), sink.maxBytes, sink.maxFiles);
    return { ok: true };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { ok: false, error: `${typeof code === 'string' ? code : 'Error'}: cannot write ${sink.path as string}` };
  }
}
