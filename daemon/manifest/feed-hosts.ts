// Which hosts a vendor feed URL that a scanned app names (`--vendor-feed KIND=auto`: an Info.plist SUFeedURL, an
// electron-updater app-update.yml) may make sealwatch — running as root, often inside a company network — reach. The
// app's own files choose that URL, so without a limit they could point sealwatch at any internal service (SSRF).
// Allowed: a host on the operator's list `manifest.feed_hosts` — an exact name (or IP), or `*.example.com` for any
// name under it. Refused besides: a literal IP, and a name that resolves to a loopback, private, link-local or other
// non-public address (or that does not resolve here), unless that exact host is on the list. Every redirect is checked the same way (fetch.ts
// checkUrl), and a direct connection's own name lookup refuses such addresses too (no rebinding between the check and
// the connection). A feed URL the operator gives (`--vendor-feed KIND=URL`) is not checked: it is their choice.
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { UrlRefused } from './fetch.ts';

export type FeedHostProblem = 'not-allowed' | 'ip-literal' | 'private-address' | 'unresolved';

/** A discovered feed URL (or one it redirected to) that is not fetched: which app file named it, the host, and why. */
export class FeedHostRefused extends UrlRefused {
  readonly host: string;
  /** The app's file (and key) that named the feed, relative to the app root. */
  readonly namedBy: string;
  readonly problem: FeedHostProblem;
  constructor(namedBy: string, host: string, problem: FeedHostProblem, detail: string) {
    super(`${namedBy} names a feed on host ${host}: ${detail}: not fetched`);
    this.name = 'FeedHostRefused';
    this.host = host;
    this.namedBy = namedBy;
    this.problem = problem;
  }
}

/** Addresses no discovered feed may reach (IANA special-purpose registries: loopback, private, link-local, …). */
const BLOCKED = ((): BlockList => {
  const b = new BlockList();
  // The documentation networks (TEST-NET-1/2/3) route nowhere on the Internet: a feed there is someone's own network.
  for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 3]] as const)
    b.addSubnet(net, bits, 'ipv4');
  // ::/96 (unspecified, loopback, deprecated IPv4-compatible), unique local, site-local (deprecated), link-local,
  // multicast. IPv4-mapped addresses (::ffff:a.b.c.d) are checked against the IPv4 rules by BlockList itself; a rule
  // for ::ffff:0:0/96 would match every IPv4 address. NAT64 and 6to4 carry an IPv4 address: see embeddedIPv4.
  // Also refused whole: Teredo 2001::/32 (a tunnel whose client IPv4 address is hidden by XOR), discard-only 100::/64,
  // benchmarking 2001:2::/48, ORCHID 2001:10::/28 and 2001:20::/28, documentation 2001:db8::/32 and 3fff::/20.
  const v6: ReadonlyArray<readonly [string, number]> = [['::', 96], ['100::', 64], ['2001::', 32], ['2001:2::', 48], ['2001:10::', 28], ['2001:20::', 28], ['2001:db8::', 32], ['3fff::', 20], ['fc00::', 7], ['fec0::', 10], ['fe80::', 10], ['ff00::', 8]];
  for (const [net, bits] of v6) b.addSubnet(net, bits, 'ipv6');
  return b;
})();

/** The eight 16-bit groups of a valid IPv6 address (a zone is dropped; a trailing dotted quad is two groups). */
function ipv6Groups(address: string): number[] {
  let a = address.replace(/%.*$/, '');
  const quad = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (quad) a = `${quad[1]}${((Number(quad[2]) << 8) | Number(quad[3])).toString(16)}:${((Number(quad[4]) << 8) | Number(quad[5])).toString(16)}`;
  const [head = '', tail] = a.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => parseInt(g, 16));
}

const quadOf = (hi: number, lo: number): string => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/**
 * The IPv4 address an IPv6 address reaches through a translator or tunnel, to be judged by the IPv4 rules: NAT64
 * 64:ff9b::/96 and the local-use 64:ff9b:1::/48 in its /96 form (any other layout there is refused: its IPv4 bits
 * sit elsewhere), 6to4 2002::/16 and IPv4-translated ::ffff:0:0/96. Undefined for any other address.
 */
function embeddedIPv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0) return quadOf(g[6] ?? 0, g[7] ?? 0);
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return g[3] === 0 && g[4] === 0 && g[5] === 0 ? quadOf(g[6] ?? 0, g[7] ?? 0) : '0.0.0.0';
  if (g[0] === 0x2002) return quadOf(g[1] ?? 0, g[2] ?? 0);
  // IPv4-translated ::ffff:0:a.b.c.d (SIIT): an IPv4 address a translator reaches.
  if (g.slice(0, 4).every((x) => x === 0) && g[4] === 0xffff && g[5] === 0) return quadOf(g[6] ?? 0, g[7] ?? 0);
  return undefined;
}

/** True for an address in a loopback, private, link-local, documentation, tunnel or other non-public range (directly or through NAT64 or 6to4). */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (BLOCKED.check(address, 'ipv6')) return true;
  const v4 = embeddedIPv4(address);
  return v4 !== undefined && BLOCKED.check(v4, 'ipv4');
}

/** A URL's host as compared with the list: lower case, no trailing dot, no IPv6 brackets. */
function hostOf(url: URL): string {
  return url.hostname.toLowerCase().replace(/\.$/, '').replace(/^\[(.*)\]$/, '$1');
}

export class FeedHostPolicy {
  private readonly exact: ReadonlySet<string>;
  private readonly suffixes: readonly string[];
  private readonly namedBy: string;

  /** `entries`: the operator's `manifest.feed_hosts`; `namedBy`: the app file that named the feed (for the report). */
  constructor(entries: readonly string[], namedBy: string) {
    const norm = entries.map((e) => e.trim().toLowerCase().replace(/\.$/, '').replace(/^\[(.*)\]$/, '$1')).filter((e) => e !== '');
    this.exact = new Set(norm.filter((e) => !e.startsWith('*.')));
    this.suffixes = norm.filter((e) => e.startsWith('*.')).map((e) => e.slice(1));
    this.namedBy = namedBy;
  }

  /** Refuses (FeedHostRefused) a URL whose host is not allowed, is a literal IP not listed, or resolves to a non-public address. */
  check = async (url: URL): Promise<void> => {
    const host = hostOf(url);
    if (this.exact.has(host)) return;
    if (isIP(host)) throw new FeedHostRefused(this.namedBy, host, 'ip-literal', 'a literal IP address (allowed only when manifest.feed_hosts lists it exactly)');
    if (!this.suffixes.some((s) => host.endsWith(s) && host.length > s.length)) throw new FeedHostRefused(this.namedBy, host, 'not-allowed', `not in manifest.feed_hosts (${this.listed()})`);
    const addresses = await resolveAll(host);
    // Unresolvable here (often: only the proxy can resolve it): a name allowed only by a pattern is not fetched
    // unchecked — the proxy would reach whatever the name points to.
    if (addresses.length === 0) throw new FeedHostRefused(this.namedBy, host, 'unresolved', `it does not resolve here, so it cannot be checked for a public address (allowed unresolved only when manifest.feed_hosts lists ${host} exactly)`);
    const bad = addresses.find(isNonPublicAddress);
    if (bad) throw new FeedHostRefused(this.namedBy, host, 'private-address', `it resolves to ${bad}, not a public address (allowed only when manifest.feed_hosts lists ${host} exactly)`);
  };

  /** Name resolution for the connection itself: a non-public answer is refused unless the host is listed exactly. */
  lookup: LookupFunction = (hostname, options, callback) => {
    const host = hostname.toLowerCase().replace(/\.$/, '');
    dnsLookup(hostname, { ...(options as LookupOneOptions), all: true } as LookupAllOptions, (err, addresses) => {
      if (err) return void callback(err, '', 0);
      const bad = this.exact.has(host) ? undefined : addresses.find((a) => isNonPublicAddress(a.address));
      if (bad) return void callback(new FeedHostRefused(this.namedBy, host, 'private-address', `it resolves to ${bad.address}, not a public address`), '', 0);
      if ((options as { all?: boolean }).all) return void (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };

  private listed(): string {
    const all = [...this.exact, ...this.suffixes.map((s) => `*${s}`)];
    return all.length ? `it allows ${all.join(', ')}` : 'it lists no host';
  }
}

async function resolveAll(host: string): Promise<string[]> {
  const { lookup } = await import('node:dns/promises');
  try {
    return (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    // Not resolvable now: the caller refuses it.
    return [];
  }
}

/**
 * The allow-list when the caller gives none (`sealwatch scan`): `manifest.feed_hosts` of the config at
 * $SEALWATCH_CONFIG or the per-OS place, when there is one; else empty (nothing an app names is fetched).
 */
export async function configuredFeedHosts(env: NodeJS.ProcessEnv = process.env): Promise<readonly string[]> {
  const [{ existsSync }, { configPath }, { loadConfig }] = await Promise.all([import('node:fs'), import('../config/paths.ts'), import('../config/config.ts')]);
  if (!env.SEALWATCH_CONFIG && !existsSync(configPath(undefined, env))) return [];
  return loadConfig(undefined, env).manifest.feedHosts;
}
