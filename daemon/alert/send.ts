// One HTTP attempt at one destination (shared/post-once.ts: no retries of got's own, no redirects — a hook that
// redirects is misconfigured —, the answer capped): POST the stored body. What comes back is plain data with any
// failure text already redacted.
import { postOnce } from '../shared/post-once.ts';
import { type AlertDestination } from './destination.ts';
import { describeFailure, redact } from './redact.ts';
import { signatureHeader } from './signature.ts';

export interface SendResult {
  readonly ok: boolean;
  /** HTTP status, when a response came back. */
  readonly status?: number;
  readonly retryAfter?: string;
  /** Why it failed, safe to log and store. */
  readonly error?: string;
}

const USER_AGENT = 'sealwatch-alerts';
/** Enough of an error response to say why (Slack answers "invalid_blocks", Discord a JSON reason). */
const BODY_EXCERPT = 300;

export function requestHeaders(d: AlertDestination, body: string, deliveryId: string, now: Date): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'user-agent': USER_AGENT, 'x-sealwatch-delivery': deliveryId };
  if (d.type === 'generic' && d.secret) headers['x-sealwatch-signature'] = signatureHeader(d.secret, body, now);
  return headers;
}

/** A service's answer is read up to this; a longer one (a broken or hostile endpoint) is cut off, never buffered whole. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export async function sendOnce(d: AlertDestination, body: string, deliveryId: string, options: { now: Date; timeoutMs: number }): Promise<SendResult> {
  const headers = requestHeaders(d, body, deliveryId, options.now);
  const out = await postOnce({ url: d.url, headers, body, timeoutMs: options.timeoutMs, maxResponseBytes: MAX_RESPONSE_BYTES });
  if (out.kind === 'answered') return answered(d, out.status, out.retryAfter, out.text);
  // The status line came and only the body failed (cut off as over-long, or stalled): the service answered. A 2xx
  // is a delivery — sending it again would only make a duplicate.
  if (out.kind === 'cut' && (out.tooLong || (out.status >= 200 && out.status < 300))) return answered(d, out.status, out.retryAfter, '');
  return { ok: false, error: describeFailure(out.error, d) };
}

function answered(d: AlertDestination, status: number, retryAfter: string | undefined, text: string): SendResult {
  if (status >= 200 && status < 300) return { ok: true, status };
  const excerpt = text.slice(0, BODY_EXCERPT).replace(/\s+/g, ' ').trim();
  return { ok: false, status, ...(retryAfter ? { retryAfter } : {}), error: redact(`HTTP ${status}${excerpt ? `: ${excerpt}` : ''}`, d) };
}
