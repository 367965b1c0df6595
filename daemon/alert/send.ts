// One HTTP attempt at one destination with got: POST the stored body, a timeout per attempt, no retries of got's own
// (the outbox schedules them, durably), no redirects followed (a hook that redirects is misconfigured, and the body
// must not go elsewhere). What comes back is plain data with any failure text already redacted.
import { type ClientRequest, type IncomingMessage } from 'node:http';
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

/** A service's answer is read up to this; a longer one (a broken or hostile endpoint) is cut off, never buffered whole. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export async function sendOnce(d: AlertDestination, body: string, deliveryId: string, options: { now: Date; timeoutMs: number }): Promise<SendResult> {
  const abort = new AbortController();
  let status: number | undefined;
  let retryAfter: string | undefined;
  try {
    const request = got.post(d.url, {
      body,
      headers: requestHeaders(d, body, deliveryId, options.now),
      timeout: { request: options.timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      http2: false,
      signal: abort.signal,
    });
    // got reports its response only once the body is read: the status line is taken from the socket's request.
    request.on('request', (req: ClientRequest) =>
      req.once('response', (r: IncomingMessage) => {
        status = r.statusCode;
        const h = r.headers['retry-after'];
        retryAfter = typeof h === 'string' ? h : undefined;
      }),
    );
    request.on('downloadProgress', (p: { transferred: number }) => {
      if (p.transferred > MAX_RESPONSE_BYTES) abort.abort(new Error(`response longer than ${MAX_RESPONSE_BYTES} bytes`));
    });
    const res = await request;
    return answered(d, res.statusCode, res.headers['retry-after'], typeof res.body === 'string' ? res.body : '');
  } catch (err) {
    // The status line came and only the body failed (cut off as over-long, or stalled): the service answered. A 2xx
    // is a delivery — sending it again would only make a duplicate.
    const accepted = status !== undefined && status >= 200 && status < 300;
    if (status !== undefined && (abort.signal.aborted || accepted)) return answered(d, status, retryAfter, '');
    return { ok: false, error: describeFailure(err, d) };
  }
}

function answered(d: AlertDestination, status: number, retryAfter: string | undefined, text: string): SendResult {
  if (status >= 200 && status < 300) return { ok: true, status };
  const excerpt = text.slice(0, BODY_EXCERPT).replace(/\s+/g, ' ').trim();
  return { ok: false, status, ...(retryAfter ? { retryAfter } : {}), error: redact(`HTTP ${status}${excerpt ? `: ${excerpt}` : ''}`, d) };
}
