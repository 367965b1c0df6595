// One POST with got, as both outboxes make it: a timeout per attempt, no retries of got's own (the outbox schedules
// them, durably), no redirects followed (the body must not go elsewhere), and the answer read up to a cap so that a
// broken or hostile endpoint cannot make us buffer it whole. Callers turn the outcome into their own result.
import { type ClientRequest, type IncomingMessage } from 'node:http';
import got from 'got';

export interface PostRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly timeoutMs: number;
  /** The answer is cut off past this many bytes. */
  readonly maxResponseBytes: number;
}

export type PostOutcome =
  /** The whole answer came back. */
  | { readonly kind: 'answered'; readonly status: number; readonly retryAfter: string | undefined; readonly text: string }
  /** The status line came, then the body failed: cut off as over-long (`tooLong`), or stalled. */
  | { readonly kind: 'cut'; readonly status: number; readonly retryAfter: string | undefined; readonly tooLong: boolean; readonly error: unknown }
  /** No answer at all (refused, timed out, TLS, …). */
  | { readonly kind: 'failed'; readonly error: unknown };

export async function postOnce(r: PostRequest): Promise<PostOutcome> {
  const abort = new AbortController();
  let status: number | undefined;
  let retryAfter: string | undefined;
  try {
    const request = got.post(r.url, { body: r.body, headers: r.headers, timeout: { request: r.timeoutMs }, retry: { limit: 0 }, throwHttpErrors: false, followRedirect: false, http2: false, signal: abort.signal });
    // got reports its response only once the body is read: the status line is taken from the socket's request.
    request.on('request', (req: ClientRequest) =>
      req.once('response', (res: IncomingMessage) => {
        status = res.statusCode;
        const h = res.headers['retry-after'];
        retryAfter = typeof h === 'string' ? h : undefined;
      }),
    );
    request.on('downloadProgress', (p: { transferred: number }) => {
      if (p.transferred > r.maxResponseBytes) abort.abort(new Error(`response longer than ${r.maxResponseBytes} bytes`));
    });
    const res = await request;
    return { kind: 'answered', status: res.statusCode, retryAfter: res.headers['retry-after'], text: typeof res.body === 'string' ? res.body : '' };
  } catch (error) {
    if (status !== undefined) return { kind: 'cut', status, retryAfter, tooLong: abort.signal.aborted, error };
    return { kind: 'failed', error };
  }
}
