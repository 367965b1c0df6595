// One HTTP attempt at one destination with got: POST the stored body, a timeout per attempt, no retries of got's own
// (the outbox schedules them, durably), no redirects followed (a hook that redirects is misconfigured, and the body
// must not go elsewhere). What comes back is plain data with any failure text already redacted.
import got from 'got';
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

export async function sendOnce(d: AlertDestination, body: string, deliveryId: string, options: { now: Date; timeoutMs: number }): Promise<SendResult> {
  try {
    const res = await got.post(d.url, {
      body,
      headers: requestHeaders(d, body, deliveryId, options.now),
      timeout: { request: options.timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      http2: false,
    });
    if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, status: res.statusCode };
    const retryAfter = res.headers['retry-after'];
    const excerpt = typeof res.body === 'string' ? res.body.slice(0, BODY_EXCERPT).replace(/\s+/g, ' ').trim() : '';
    return { ok: false, status: res.statusCode, ...(retryAfter ? { retryAfter } : {}), error: redact(`HTTP ${res.statusCode}${excerpt ? `: ${excerpt}` : ''}`, d) };
  } catch (err) {
    return { ok: false, error: describeFailure(err, d) };
  }
}
