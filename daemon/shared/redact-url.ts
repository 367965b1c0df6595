// URLs can be credentials (a webhook's token in its path, a signed download's in its query, a proxy's user:password):
// every text that may quote one — an HTTP client's error, a proxy's refusal — goes through here before it is logged,
// stored or shown. Shared by the alert and export senders and the HTTP fetcher (manifests, feeds, bundles).

export const REDACTED = '[redacted]';

/** Every piece of `url` that could identify it: the whole, path and query, and each longer path segment or query value. */
export function secretParts(url: string): string[] {
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

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `text` with each of `secrets` replaced by the mark, longest first (so a piece never leaves the rest of a longer one). */
export function redactAll(text: string, secrets: Iterable<string>): string {
  const parts = [...new Set(secrets)].filter((p) => p.length > 0).sort((a, b) => b.length - a.length);
  let out = text;
  for (const p of parts) out = out.split(p).join(REDACTED);
  return out;
}

/** `text` with `urls` (and their pieces) replaced by the mark. */
export function redactUrls(text: string, urls: Iterable<string>): string {
  return redactAll(text, [...urls].flatMap(secretParts));
}

/**
 * How a fetched URL is named in errors and logs: scheme, host and path — never the query (signed URLs carry their
 * token there), the fragment or credentials.
 */
export function urlName(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? `?${REDACTED}` : ''}`;
  } catch {
    return REDACTED;
  }
}
