// Manifests and feeds fetched over HTTP with got (issue 11): HTTPS only unless the source allows http, a timeout per
// attempt and for the whole answer, retries with exponential backoff on transient failures, conditional requests
// (ETag / If-Modified-Since), a bound on the response size, the proxy from the environment (HTTPS_PROXY, HTTP_PROXY,
// NO_PROXY, through Node's own agent), and the last good copy kept on disk and used while a fetch fails.
// The daemon's node-cron schedule calls refresh(); a scan calls it once before it judges.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import type { Agents } from 'got';
import { errorMessage, SealwatchError } from '../shared/errors.ts';

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

/** Node's agents with the environment's proxy settings (HTTP(S)_PROXY, NO_PROXY). */
function proxyAgents(env: NodeJS.ProcessEnv): Agents {
  const proxyEnv = { HTTP_PROXY: env.HTTP_PROXY ?? env.http_proxy, HTTPS_PROXY: env.HTTPS_PROXY ?? env.https_proxy, NO_PROXY: env.NO_PROXY ?? env.no_proxy };
  return { http: new http.Agent({ proxyEnv }), https: new https.Agent({ proxyEnv }) };
}

export class ManifestSource {
  readonly url: string;
  private readonly options: FetchOptions;
  private last: FetchedCopy | undefined;
  private readonly agents: Agents;

  constructor(url: string, options: FetchOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new SealwatchError('CONFIG', `manifest source ${url}: not a URL`);
    }
    if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && options.allowHttp)) {
      throw new SealwatchError('CONFIG', `manifest source ${url}: only https:// is fetched (plain http only where the source is configured to allow it)`);
    }
    if (parsed.username || parsed.password) throw new SealwatchError('CONFIG', `manifest source ${parsed.origin}${parsed.pathname}: credentials in the URL are not accepted`);
    this.url = url;
    this.options = options;
    this.agents = proxyAgents(options.env ?? process.env);
    this.last = this.loadCached();
  }

  /** The last good copy, if there is one (from this process or from the cache directory). */
  current(): FetchedCopy | undefined {
    return this.last;
  }

  /** Fetches the source (conditionally when a copy exists); on failure returns the last good copy, else throws IO. */
  async refresh(now: Date): Promise<RefreshResult> {
    try {
      const got304 = await this.fetch(now);
      return { copy: this.last as FetchedCopy, state: got304 ? 'not-modified' : 'fetched' };
    } catch (err) {
      const error = errorMessage(err);
      if (this.last) return { copy: this.last, state: 'stale', error };
      throw new SealwatchError('IO', `manifest source ${this.url}: ${error} (and no good copy kept from before)`, { cause: err });
    }
  }

  /** true when the server answered 304 Not Modified. */
  private async fetch(now: Date): Promise<boolean> {
    const o = { ...DEFAULTS, ...this.options };
    const abort = new AbortController();
    const headers: Record<string, string> = { 'user-agent': 'sealwatch-manifests', accept: '*/*' };
    if (this.last?.etag) headers['if-none-match'] = this.last.etag;
    if (this.last?.lastModified) headers['if-modified-since'] = this.last.lastModified;
    // got (and what it loads) only when a URL is fetched: a scan without one never pays for it.
    const { default: got } = await import('got');
    const request = got(this.url, {
      headers,
      agent: this.agents,
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
        // A redirect must not leave https for http.
        beforeRedirect: [
          (options) => {
            const to = options.url instanceof URL ? options.url : new URL(String(options.url));
            if (to.protocol !== 'https:' && !this.options.allowHttp) abort.abort(new Error(`redirected to ${to.origin}, not https`));
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
      const reason = abort.signal.aborted ? errorMessage(abort.signal.reason) : errorMessage(err);
      throw new Error(reason, { cause: err });
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
      mkdirSync(this.options.cacheDir as string, { recursive: true, mode: 0o700 });
      // Body first, then the metadata that names it, each replaced atomically: a crash leaves the old copy or the new.
      writeFileSync(`${files.body}.tmp`, copy.bytes);
      renameSync(`${files.body}.tmp`, files.body);
      const meta = { url: copy.url, etag: copy.etag, lastModified: copy.lastModified, checkedAt: copy.checkedAt, sha256: createHash('sha256').update(copy.bytes).digest('hex') };
      writeFileSync(`${files.meta}.tmp`, JSON.stringify(meta));
      renameSync(`${files.meta}.tmp`, files.meta);
    } catch (err) {
      throw new SealwatchError('IO', `manifest cache ${this.options.cacheDir}: cannot keep the copy of ${this.url}: ${errorMessage(err)}`, { cause: err });
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
