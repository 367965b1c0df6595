// The daemon's live pages on its loopback endpoint: GET /report (same query as the CLI: app=…&app=…&since=…) and
// GET /ioc?hash=…&hash=… — read-only, rendered from the daemon's own store on each request.
import { type Store } from '../inventory/store/store.ts';
import { SealwatchError } from '../shared/errors.ts';
import { parseIsoDate } from '../cli/terminal.ts';
import { buildHunt, renderHunt } from './ioc-page.ts';
import { buildReport } from './model.ts';
import { CONTENT_SECURITY_POLICY } from './page.ts';
import { renderReport } from './report-page.ts';

export interface PageAnswer {
  readonly status: number;
  readonly type: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

const HEADERS = { 'content-security-policy': CONTENT_SECURITY_POLICY, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' };
const HTML = 'text/html; charset=utf-8';
const text = (status: number, body: string): PageAnswer => ({ status, type: 'text/plain; charset=utf-8', body: `${body}\n`, headers: HEADERS });

/** The page for `path`, or undefined when it is not one of these (the endpoint answers 404). */
export function servePage(store: Store, path: string, query: URLSearchParams, now: Date): PageAnswer | undefined {
  try {
    if (path === '/report') {
      const since = query.get('since');
      const model = buildReport(store, { apps: query.getAll('app'), ...(since ? { since: parseIsoDate(since, 'since') } : {}), now });
      return { status: 200, type: HTML, body: renderReport(model), headers: HEADERS };
    }
    if (path === '/ioc') {
      const hashes = query.getAll('hash').flatMap((h) => h.split(/[\s,]+/)).filter(Boolean);
      if (hashes.length === 0) return text(400, 'give one or more SHA-256 hashes: /ioc?hash=…');
      const bad = hashes.find((h) => !/^[0-9a-f]{64}$/i.test(h));
      if (bad !== undefined) return text(400, 'hash: a SHA-256 is 64 hex digits');
      return { status: 200, type: HTML, body: renderHunt(buildHunt(store, hashes.map((h) => ({ hash: h.toLowerCase(), sha256: h.toLowerCase() }))), now.toISOString()), headers: HEADERS };
    }
    return undefined;
  } catch (err) {
    // A bad query (unknown app, bad date) is the asker's mistake: say which, without echoing markup back.
    if (err instanceof SealwatchError && err.code === 'CONFIG') return text(400, err.message);
    throw err;
  }
}
