// Real HTTP receivers on 127.0.0.1 that take requests the way the documented services do, strictly:
//   Elasticsearch `POST /_bulk` (docs: "Bulk API"): Content-Type application/x-ndjson; the body is newline-delimited
//     JSON, "the final line of data must end with a newline character"; each action line holds exactly one of
//     index/create/update/delete with its metadata, followed (except for delete) by the source line. "create" fails
//     with 409 when the _id exists; the answer is 200 with `errors` and one item per action.
//   Splunk HEC `POST /services/collector/event` (docs: "Format events for HTTP Event Collector"): `Authorization:
//     Splunk <token>`; the body is one or more JSON event objects, one after another; each has `event` and may have
//     only time (epoch seconds), host, source, sourcetype, index, fields. Answer {"text":"Success","code":0}; a bad
//     token 403 {"text":"Invalid token","code":4}; a malformed event 400 {"text":"Invalid data format","code":6}.
// A malformed body is answered 400 and recorded as a protocol violation, which the tests assert never happens.
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface Receiver<D> {
  readonly url: string;
  /** Stored documents, by id / in arrival order. */
  readonly docs: D;
  readonly requests: Array<{ url: string; headers: IncomingMessage['headers']; body: string }>;
  readonly violations: string[];
  /** Answer the next n requests with this status after storing (a lost or failed answer). */
  failNext(n: number, status: number): void;
  close(): Promise<void>;
}

async function serve(handler: (req: IncomingMessage, body: string) => { status: number; body: string }): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = handler(req, Buffer.concat(chunks).toString('utf8'));
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(r.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

const close = (server: Server) => async (): Promise<void> => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
};

const ACTIONS = new Set(['index', 'create', 'update', 'delete']);

/** Parses a _bulk body strictly; throws on the first departure from the format. */
export function parseBulk(body: string): Array<{ action: string; meta: Record<string, unknown>; source?: Record<string, unknown> }> {
  if (!body.endsWith('\n')) throw new Error('the body does not end with a newline');
  const lines = body.slice(0, -1).split('\n');
  const out: Array<{ action: string; meta: Record<string, unknown>; source?: Record<string, unknown> }> = [];
  for (let i = 0; i < lines.length; ) {
    const action = JSON.parse(lines[i] as string) as Record<string, Record<string, unknown>>;
    const keys = Object.keys(action);
    if (keys.length !== 1 || !ACTIONS.has(keys[0] as string)) throw new Error(`line ${i + 1}: not an action line`);
    const name = keys[0] as string;
    if (name === 'delete') {
      out.push({ action: name, meta: action[name] as Record<string, unknown> });
      i += 1;
      continue;
    }
    const src = lines[i + 1];
    if (src === undefined || src === '') throw new Error(`line ${i + 2}: the source line is missing`);
    const source = JSON.parse(src) as unknown;
    if (typeof source !== 'object' || source === null || Array.isArray(source)) throw new Error(`line ${i + 2}: the source is not an object`);
    out.push({ action: name, meta: action[name] as Record<string, unknown>, source: source as Record<string, unknown> });
    i += 2;
  }
  return out;
}

export async function bulkReceiver(options: { refuse?: (source: Record<string, unknown>) => boolean } = {}): Promise<Receiver<Map<string, Record<string, unknown>>>> {
  const docs = new Map<string, Record<string, unknown>>();
  const requests: Receiver<unknown>['requests'] = [];
  const violations: string[] = [];
  let failing = { n: 0, status: 500 };
  const { server, url } = await serve((req, body) => {
    requests.push({ url: req.url ?? '', headers: req.headers, body });
    // At the root, or under a path prefix (a reverse proxy in front of the cluster).
    if (req.method !== 'POST' || !new URL(req.url ?? '/', 'http://x').pathname.endsWith('/_bulk')) return (violations.push(`${req.method} ${req.url}`), { status: 404, body: '{}' });
    if (req.headers['content-type'] !== 'application/x-ndjson') violations.push(`content-type ${req.headers['content-type']}`);
    let actions;
    try {
      actions = parseBulk(body);
    } catch (err) {
      violations.push((err as Error).message);
      return { status: 400, body: JSON.stringify({ error: { type: 'illegal_argument_exception', reason: (err as Error).message }, status: 400 }) };
    }
    const items = actions.map((a) => {
      const id = String(a.meta._id);
      if (a.action !== 'create' || typeof a.meta._index !== 'string' || !a.meta._id) violations.push(`unexpected action ${JSON.stringify(a)}`);
      if (options.refuse?.(a.source ?? {})) return { create: { _index: a.meta._index, _id: id, status: 400, error: { type: 'document_parsing_exception', reason: 'failed to parse field [file.size]' } } };
      if (docs.has(id)) return { create: { _index: a.meta._index, _id: id, status: 409, error: { type: 'version_conflict_engine_exception', reason: `[${id}]: version conflict, document already exists` } } };
      docs.set(id, a.source as Record<string, unknown>);
      return { create: { _index: a.meta._index, _id: id, status: 201, result: 'created' } };
    });
    if (failing.n > 0) {
      failing = { n: failing.n - 1, status: failing.status };
      return { status: failing.status, body: '{"error":"gateway timeout"}' };
    }
    const errors = items.some((i) => i.create.status >= 300);
    return { status: 200, body: JSON.stringify({ took: 3, errors, items }) };
  });
  return { url, docs, requests, violations, failNext: (n, status) => void (failing = { n, status }), close: close(server) };
}

const HEC_KEYS = new Set(['time', 'host', 'source', 'sourcetype', 'index', 'event', 'fields']);

/** Parses a HEC /event body strictly: JSON objects one after another (whitespace between them allowed). */
export function parseHec(body: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  let i = 0;
  while (i < body.length) {
    while (i < body.length && /\s/.test(body[i] as string)) i++;
    if (i >= body.length) break;
    if (body[i] !== '{') throw new Error(`offset ${i}: not the start of an event object`);
    // Find the end of this object by parsing ever longer prefixes at each closing brace.
    let end = body.indexOf('}', i);
    let parsed: unknown;
    while (end >= 0) {
      try {
        parsed = JSON.parse(body.slice(i, end + 1));
        break;
      } catch {
        end = body.indexOf('}', end + 1);
      }
    }
    if (end < 0) throw new Error(`offset ${i}: unterminated event object`);
    const e = parsed as Record<string, unknown>;
    for (const k of Object.keys(e)) if (!HEC_KEYS.has(k)) throw new Error(`unknown envelope key ${k}`);
    if (typeof e.event !== 'object' || e.event === null) throw new Error('an envelope without event');
    if (e.time !== undefined && typeof e.time !== 'number') throw new Error('time is not a number of epoch seconds');
    for (const k of ['host', 'source', 'sourcetype', 'index']) if (e[k] !== undefined && typeof e[k] !== 'string') throw new Error(`${k} is not a string`);
    out.push(e);
    i = end + 1;
  }
  if (out.length === 0) throw new Error('no event');
  return out;
}

export async function hecReceiver(token: string): Promise<Receiver<Array<Record<string, unknown>>>> {
  const docs: Array<Record<string, unknown>> = [];
  const requests: Receiver<unknown>['requests'] = [];
  const violations: string[] = [];
  let failing = { n: 0, status: 503 };
  const { server, url } = await serve((req, body) => {
    requests.push({ url: req.url ?? '', headers: req.headers, body });
    if (req.method !== 'POST' || req.url !== '/services/collector/event') return (violations.push(`${req.method} ${req.url}`), { status: 404, body: '{"text":"The requested URL was not found on this server.","code":404}' });
    if (req.headers.authorization !== `Splunk ${token}`) return { status: 403, body: '{"text":"Invalid token","code":4}' };
    let events;
    try {
      events = parseHec(body);
    } catch (err) {
      violations.push((err as Error).message);
      return { status: 400, body: '{"text":"Invalid data format","code":6}' };
    }
    if (failing.n > 0) {
      failing = { n: failing.n - 1, status: failing.status };
      return { status: failing.status, body: '{"text":"Server is busy","code":9}' };
    }
    docs.push(...events);
    return { status: 200, body: '{"text":"Success","code":0}' };
  });
  return { url, docs, requests, violations, failNext: (n, status) => void (failing = { n, status }), close: close(server) };
}
