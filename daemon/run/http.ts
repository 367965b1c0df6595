// The optional loopback-only endpoint: GET /healthz (JSON, 200 or 503 while stopping), GET /metrics (Prometheus
// text) and, read-only, the report pages GET /report and GET /ioc?hash=… (daemon/report/serve.ts). It binds only to a
// loopback address (the schema allows nothing else) and answers nothing else.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { errorMessage, SealwatchError } from '../shared/errors.ts';

/** A page's answer (daemon/report/serve.ts PageAnswer). */
type Page = { status: number; type: string; body: string; headers: Readonly<Record<string, string>> };

export interface HttpHandlers {
  health(): { ok: boolean; body: Record<string, unknown> };
  metrics(): Promise<string>;
  // ---- issue 13 (report): the live read-only pages /report and /ioc (daemon/report/serve.ts) ----
  /** A page for this path and query, or undefined (404). */
  page?(path: string, query: URLSearchParams): Page | undefined | Promise<Page | undefined>;
  // ---- end issue 13 ----
}

export interface HttpEndpoint {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export async function startHttp(host: string, port: number, handlers: HttpHandlers): Promise<HttpEndpoint> {
  if (!LOOPBACK.has(host)) throw new Error(`http: ${host} is not a loopback address`);
  const server = createServer((req, res) => void answer(req, res, handlers));
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    // A port in use or a host that is not here is a configuration problem (exit 2), named as such.
    server.once('error', (err) => reject(new SealwatchError('CONFIG', `http: cannot listen on ${host}:${port}: ${errorMessage(err)}`, { cause: err })));
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A web page from elsewhere can still reach a loopback port by DNS rebinding (its own name resolving to 127.0.0.1)
 * and read the report; its requests carry that name as Host, so only a loopback Host is answered.
 */
function loopbackHost(host: string | undefined): boolean {
  try {
    return host !== undefined && [...LOOPBACK, '[::1]'].includes(new URL(`http://${host}`).hostname);
  } catch {
    return false;
  }
}

async function answer(req: IncomingMessage, res: ServerResponse, handlers: HttpHandlers): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  try {
    if (!loopbackHost(req.headers.host)) return send(res, 421, 'text/plain', 'only a loopback Host is answered\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
    if (path === '/healthz') {
      const h = handlers.health();
      return send(res, h.ok ? 200 : 503, 'application/json', `${JSON.stringify(h.body)}\n`);
    }
    if (path === '/metrics') return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', await handlers.metrics());
    // ---- issue 13 (report) ----
    const page = await handlers.page?.(path ?? '/', new URL(req.url ?? '/', 'http://loopback').searchParams);
    if (page) return send(res, page.status, page.type, page.body, page.headers);
    // ---- end issue 13 ----
    send(res, 404, 'text/plain', 'not found\n');
  } catch {
    send(res, 500, 'text/plain', 'internal error\n');
  }
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}
