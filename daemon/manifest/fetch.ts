// The one GET path of the daemon (manifests, vendor feeds, the signed policy bundle), with got (issue 11): HTTPS only
// unless the source allows http, never a redirect from https down to http, a timeout per attempt and for the whole
// answer, retries with exponential backoff on transient failures, conditional requests (ETag / If-Modified-Since), a
// bound on the response size, the proxy from the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, through Node's own
// agent), the last good copy kept on disk and used while a fetch fails, and every error text redacted (the URL's
// query, path pieces and the proxies' credentials never reach a log). An optional check refuses a URL — the first
// and every redirect — before it is requested (vendor feeds an app names: feed-hosts.ts).
// The daemon's node-cron schedule calls refresh(); a scan calls it once before it judges.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import { join } from 'node:path';
import type { Agents } from 'got';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { redactUrls, urlName } from '../shared/redact-url.ts';
import { makeDirs } from '../shared/make-dirs.ts';

export interface FetchOptions {
  /** Plain http:// (a test server, an internal mirror): off by default. */
  readonly allowHttp?: boolean;
  /** Whole answer, per attempt (default 30 s). */
  readonly timeoutMs?: number;
  /** Attempts after the first on a transient failure (default 3). */
  readonly retries?: number;
  /** First retry delay, doubled each time (default 1 s), capped at 30 s. */
  readonly retryBaseMs?: number;
  /** Largest answer accepted (default 16 MiB). */
  readonly maxBytes?: number;
  /** Where the last good copy is kept (default: none — memory only). */
  readonly cacheDir?: string;
  /** Proxy variables come from here (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Only a copy this accepts (parses as its format) becomes the last good copy. */
  readonly validate?: (bytes: Buffer) => void;
  /** How errors name the source (default `manifest source <origin and path>`); never the query. */
  readonly label?: string;
  readonly userAgent?: string;
  /** Extra CA certificates (PEM) trusted for this source besides Node's: an internal mirror's CA, a test server's. */
  readonly ca?: string;
  /**
   * Called with the URL and every redirect before it is requested; throwing a UrlRefused refuses it (that error, not
   * an IO one, is what refresh() throws: no last good copy stands in for a refusal).
   */
  readonly checkUrl?: (url: URL) => Promise<void> | void;
  /**
   * Name resolution for direct connections (no proxy, or a host NO_PROXY sends direct): refuses addresses it must not
   * reach. Node's proxy agent never calls it for a proxied request (the proxy resolves that name).
   */
  readonly lookup?: LookupFunction;
}

export interface FetchedCopy {
  readonly url: string;
  readonly bytes: Buffer;
  readonly etag?: string;
  readonly lastModified?: string;
  /** When this copy was last confirmed current (fetched, or answered 304). */
  readonly checkedAt: string;
}

export interface RefreshResult {
  readonly copy: FetchedCopy;
  /** 'fetched' (new bytes), 'not-modified' (304), or 'stale' (the fetch failed: the last good copy, with the error). */
  readonly state: 'fetched' | 'not-modified' | 'stale';
  readonly error?: string;
}

const DEFAULTS = { timeoutMs: 30_000, retries: 3, retryBaseMs: 1000, maxBytes: 16 * 1024 * 1024 };
const MAX_RETRY_DELAY_MS = 30_000;

function proxyEnvOf(env: NodeJS.ProcessEnv): { HTTP_PROXY?: string; HTTPS_PROXY?: string; NO_PROXY?: string } {
  const v = { HTTP_PROXY: env.HTTP_PROXY ?? env.http_proxy, HTTPS_PROXY: env.HTTPS_PROXY ?? env.https_proxy, NO_PROXY: env.NO_PROXY ?? env.no_proxy };
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined && x !== '')) as { HTTP_PROXY?: string; HTTPS_PROXY?: string; NO_PROXY?: string };
}

/** Node's agents with the environment's proxy settings (HTTP(S)_PROXY, NO_PROXY); loaded only when a URL is fetched. */
async function proxyAgents(proxyEnv: ReturnType<typeof proxyEnvOf>): Promise<Agents> {
  const [{ default: http }, { default: https }] = await Promise.all([import('node:http'), import('node:https')]);
  return { http: new http.Agent({ proxyEnv }), https: new https.Agent({ proxyEnv }) };
}

let roots: readonly string[] | undefined;
/** Node's default CA certificates (its bundle, NODE_EXTRA_CA_CERTS, the system's with --use-system-ca), read once. */
async function nodeRoots(): Promise<readonly string[]> {
  roots ??= (await import('node:tls')).getCACertificates('default');
  return roots;
}

/** A URL the source's check would not let it request (a vendor feed naming a host not allowed): not an I/O failure. */
export class UrlRefused extends SealwatchError {
  constructor(message: string, options: { cause?: unknown; file?: string } = {}) {
    super('CONFIG', message, options);
    this.name = 'UrlRefused';
  }
}

/** The refusal a check threw, wherever got wrapped it (a hook's error becomes a RequestError's cause). */
function refusalIn(err: unknown): UrlRefused | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) if (e instanceof UrlRefused) return e;
  return undefined;
}

export class ManifestSource {
  readonly url: string;
  private readonly options: FetchOptions;
  private last: FetchedCopy | undefined;
  private agents: Agents | undefined;
  private readonly proxyEnv: ReturnType<typeof proxyEnvOf>;
  /** How errors name this source. */
  readonly label: string;

  constructor(url: string, options: FetchOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new SealwatchError('CONFIG', `${options.label ?? 'manifest source'}: not a URL`);
    }
    this.label = options.label ?? `manifest source ${urlName(url)}`;
    if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && options.allowHttp)) {
      throw new SealwatchError('CONFIG', `${this.label}: only https:// is fetched (plain http only where the source is configured to allow it)`);
    }
    if (parsed.username || parsed.password) throw new SealwatchError('CONFIG', `${this.label}: credentials in the URL are not accepted`);
    this.url = url;
    this.options = options;
    this.proxyEnv = proxyEnvOf(options.env ?? process.env);
    this.last = this.loadCached();
  }

  /** `text` with this URL and the proxies (their credentials) taken out. */
  private redact(text: string): string {
    return redactUrls(text, [this.url, ...[this.proxyEnv.HTTP_PROXY, this.proxyEnv.HTTPS_PROXY].filter((x): x is string => x !== undefined)]);
  }

  /** The last good copy, if there is one (from this process or from the cache directory). */
  current(): FetchedCopy | undefined {
    return this.last;
  }

  /** Fetches the source (conditionally when a copy exists); on failure returns the last good copy, else throws IO. A refusal by checkUrl is thrown as is. */
  async refresh(now: Date): Promise<RefreshResult> {
    try {
      return await this.get(now);
    } catch (err) {
      if (err instanceof UrlRefused) throw err;
      const error = errorMessage(err instanceof SealwatchError && err.cause instanceof Error ? err.cause : err);
      if (this.last) return { copy: this.last, state: 'stale', error };
      throw new SealwatchError('IO', `${this.label}: ${error} (and no good copy kept from before)`, { cause: err });
    }
  }

  /** One fetch, no fallback: the new copy, or the kept one on 304; throws IO (`<label>: <reason>`, redacted) or a refusal. */
  async get(now: Date): Promise<{ readonly copy: FetchedCopy; readonly state: 'fetched' | 'not-modified' }> {
    try {
      const got304 = await this.fetch(now);
      return { copy: this.last as FetchedCopy, state: got304 ? 'not-modified' : 'fetched' };
    } catch (err) {
      const refused = refusalIn(err);
      if (refused) throw refused;
      // The reason's text is redacted; the original stays as its cause (never logged) for callers that ask why.
      const reason = new Error(this.redact(errorMessage(err)), { cause: err });
      throw new SealwatchError('IO', `${this.label}: ${reason.message}`, { cause: reason });
    }
  }

  /** true when the server answered 304 Not Modified. */
  private async fetch(now: Date): Promise<boolean> {
    const o = { ...DEFAULTS, ...this.options };
    await this.options.checkUrl?.(new URL(this.url));
    const abort = new AbortController();
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent ?? 'sealwatch-manifests', accept: '*/*' };
    if (this.last?.etag) headers['if-none-match'] = this.last.etag;
    if (this.last?.lastModified) headers['if-modified-since'] = this.last.lastModified;
    // got (and what it loads) only when a URL is fetched: a scan without one never pays for it.
    const { default: got } = await import('got');
    this.agents ??= await proxyAgents(this.proxyEnv);
    const request = got(this.url, {
      headers,
      agent: this.agents,
      // got's certificateAuthority replaces Node's roots: pass them along with the extra CA.
      ...(this.options.ca ? { https: { certificateAuthority: [...(await nodeRoots()), this.options.ca] } } : {}),
      // Every connection made directly (no proxy, or a host NO_PROXY names) resolves through it; through a proxy,
      // the proxy resolves the name and Node's agent does not call it (test/manifest/fetch-proxy.test.ts).
      ...(this.options.lookup ? { dnsLookup: this.options.lookup as never } : {}),
      responseType: 'buffer',
      throwHttpErrors: false,
      followRedirect: true,
      maxRedirects: 5,
      http2: false,
      decompress: true,
      signal: abort.signal,
      timeout: { request: o.timeoutMs },
      retry: {
        limit: o.retries,
        methods: ['GET'],
        statusCodes: [408, 429, 500, 502, 503, 504],
        calculateDelay: ({ computedValue, attemptCount }) => (computedValue === 0 ? 0 : Math.min(o.retryBaseMs * 2 ** (attemptCount - 1), MAX_RETRY_DELAY_MS)),
      },
      hooks: {
        // A redirect must not leave https for http (nor reach http at all unless the source allows it), and passes
        // the same check as the first URL.
        beforeRedirect: [
          async (options, response) => {
            const to = options.url instanceof URL ? options.url : new URL(String(options.url));
            const from = new URL(response.url || this.url);
            if (to.protocol !== 'https:' && (from.protocol === 'https:' || !this.options.allowHttp)) abort.abort(new Error(`redirected from ${from.protocol}// to ${to.origin}, not https: refused`));
            else if (this.options.checkUrl) await this.options.checkUrl(to);
          },
        ],
      },
    });
    // The announced length refuses an oversized answer before its body; the count, one that announces none.
    request.on('downloadProgress', (p: { transferred: number; total?: number }) => {
      if (abort.signal.aborted) return;
      if (p.total !== undefined && p.total > o.maxBytes) abort.abort(new Error(`the answer is ${p.total} bytes, more than the ${o.maxBytes} accepted`));
      else if (p.transferred > o.maxBytes) abort.abort(new Error(`the answer is longer than the ${o.maxBytes} bytes accepted`));
    });
    let res;
    try {
      res = await request;
    } catch (err) {
      if (abort.signal.aborted) throw new Error(errorMessage(abort.signal.reason), { cause: err });
      throw err;
    }
    if (res.statusCode === 304 && this.last) {
      this.keep({ ...this.last, checkedAt: now.toISOString() });
      return true;
    }
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
    const bytes = Buffer.from(res.body);
    if (bytes.length > o.maxBytes) throw new Error(`the answer is longer than the ${o.maxBytes} bytes accepted`);
    try {
      this.options.validate?.(bytes);
    } catch (err) {
      throw new Error(`the answer is not a valid manifest: ${errorMessage(err)}`, { cause: err });
    }
    const etag = res.headers.etag;
    const lastModified = res.headers['last-modified'];
    this.keep({ url: this.url, bytes, ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}), checkedAt: now.toISOString() });
    return false;
  }

  private cacheFiles(): { meta: string; body: string } | undefined {
    if (!this.options.cacheDir) return undefined;
    const id = createHash('sha256').update(this.url).digest('hex').slice(0, 32);
    return { meta: join(this.options.cacheDir, `${id}.json`), body: join(this.options.cacheDir, `${id}.body`) };
  }

  private keep(copy: FetchedCopy): void {
    this.last = copy;
    const files = this.cacheFiles();
    if (!files) return;
    try {
      makeDirs(this.options.cacheDir as string, 0o700);
      // Body first, then the metadata that names it, each replaced atomically: a crash leaves the old copy or the new.
      writeFileSync(`${files.body}.tmp`, copy.bytes);
      renameSync(`${files.body}.tmp`, files.body);
      const meta = { url: copy.url, etag: copy.etag, lastModified: copy.lastModified, checkedAt: copy.checkedAt, sha256: createHash('sha256').update(copy.bytes).digest('hex') };
      writeFileSync(`${files.meta}.tmp`, JSON.stringify(meta));
      renameSync(`${files.meta}.tmp`, files.meta);
    } catch (err) {
      throw new SealwatchError('IO', `manifest cache ${this.options.cacheDir}: cannot keep the copy of ${urlName(this.url)}: ${this.redact(errorMessage(err))}`, { cause: err });
    }
  }

  private loadCached(): FetchedCopy | undefined {
    const files = this.cacheFiles();
    if (!files) return undefined;
    try {
      const meta = JSON.parse(readFileSync(files.meta, 'utf8')) as { url: string; etag?: string; lastModified?: string; checkedAt: string; sha256: string };
      const bytes = readFileSync(files.body);
      // A cached body that is not what was kept (torn, edited) is no good copy.
      if (meta.url !== this.url || createHash('sha256').update(bytes).digest('hex') !== meta.sha256) return undefined;
      this.options.validate?.(bytes);
      return { url: meta.url, bytes, ...(meta.etag ? { etag: meta.etag } : {}), ...(meta.lastModified ? { lastModified: meta.lastModified } : {}), checkedAt: meta.checkedAt };
    } catch {
      return undefined;
    }
  }
}
