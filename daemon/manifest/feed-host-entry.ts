// What a `manifest.feed_hosts` entry (and `scan --feed-host`) may be, in the form feed-hosts.ts compares it with a
// URL's host. Its own module: the config loader reads it without loading DNS and HTTP code.
import { isIP } from 'node:net';

/**
 * A host name, `*.` and a domain, or an IP address (IPv6 with or without brackets). The config schema's pattern is
 * this one (test/manifest/feed-hosts.test.ts); feedHostEntry checks further what a pattern cannot.
 */
export const FEED_HOST_ENTRY = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]?$/;

/**
 * The entry as URL hosts are compared with it: lower case; an IPv6 address as the URL parser writes it (compressed,
 * no brackets: `0:0:0:0:0:0:0:1` is `::1`, `::ffff:127.0.0.1` is `::ffff:7f00:1`), which an entry written another way
 * would never match. Undefined when it is not a host name, a `*.` pattern or an IP address (`:`, `[::1`, `cafe:`).
 */
export function feedHostEntry(raw: string): string | undefined {
  if (!FEED_HOST_ENTRY.test(raw)) return undefined;
  const h = raw.toLowerCase();
  if (!h.includes(':')) return h;
  const bare = /^\[(.*)\]$/.exec(h)?.[1] ?? h;
  return isIP(bare) === 6 ? new URL(`http://[${bare}]`).hostname.slice(1, -1) : undefined;
}
