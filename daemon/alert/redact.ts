// Webhook URLs are credentials (Slack, Teams and Discord put the token in the path; generic hooks often in the query)
// and so is the signing secret: neither may reach a log, an error or `alerts list`. Every failure text that leaves the
// sender goes through here; error objects themselves (got's carry the URL in options) are never passed on.
import { type AlertDestination } from './destination.ts';
import { errorMessage } from '../shared/errors.ts';

const MARK = '[redacted]';

/** Every piece of `url` that could identify the hook: the whole, path and query, and each longer path segment or query value. */
function secretParts(url: string): string[] {
  const parts = [url];
  try {
    const u = new URL(url);
    parts.push(u.href, `${u.origin}${u.pathname}`, `${u.pathname}${u.search}`, u.search, u.username, u.password);
    if (u.pathname.length > 1) parts.push(u.pathname);
    for (const seg of u.pathname.split('/')) parts.push(seg, safeDecode(seg));
    for (const [k, v] of u.searchParams) parts.push(v, encodeURIComponent(v), `${k}=${v}`);
  } catch {
    // Not a URL at all: the whole string is all there is to hide, plus its words.
    parts.push(...url.split(/[/?&=#]/));
  }
  return parts.filter((p) => p.length >= 6);
}

/** Every character but letters and digits percent-encoded (what a strict encoder makes of it). */
const percentAll = (s: string): string => [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `text` with the destination's URL (and pieces of it) and secret replaced by a mark; longest pieces first. */
export function redact(text: string, d: Pick<AlertDestination, 'url' | 'secret'>): string {
  const parts = [...new Set([...secretParts(d.url), ...(d.secret ? [d.secret, encodeURIComponent(d.secret), percentAll(d.secret)] : [])])].sort((a, b) => b.length - a.length);
  let out = text;
  for (const p of parts) out = out.split(p).join(MARK);
  return out;
}

/** A failure as safe text: the error's code and message (never its options or request), redacted. */
export function describeFailure(err: unknown, d: Pick<AlertDestination, 'url' | 'secret'>): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  const name = err instanceof Error ? err.name : 'Error';
  return redact(`${typeof code === 'string' ? code : name}: ${errorMessage(err)}`, d);
}
