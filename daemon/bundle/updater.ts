// Pulls the signed policy bundle from its URL on a node-cron schedule, through the daemon's one GET path
// (manifest/fetch.ts: size cap, no redirect down to http, the environment's proxy, ETag, redacted errors — the URL
// may carry a token and never reaches a log). A bundle is accepted only when it
// verifies (envelope.ts: pinned Ed25519 key, not expired, version above the last accepted one — kept in the history
// database's meta table, so a wiped bundle directory does not reopen the door to a rollback); then installed and
// announced (the daemon reloads its config, which loads the bundle's policies). A failed fetch or a refused bundle
// changes nothing: the last good bundle stays.
import { createHash, type KeyObject } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import type { FetchOptions, ManifestSource } from '../manifest/fetch.ts';
import { errorMessage } from '../shared/errors.ts';
import { type Logger } from '../shared/logger.ts';
import { BundleRejected, type BundleRejection, parseBundle, signedBytes, verifyBundle } from './envelope.ts';
import { installBundle } from './install.ts';

export const META_VERSION = 'bundle_version';
export const META_DIGEST = 'bundle_digest';
const MAX_BYTES = 16 * 1024 * 1024;

export interface BundleSettings {
  readonly url: string;
  readonly keys: readonly KeyObject[];
  readonly dir: string;
  readonly schedule: string;
  readonly timeoutMs?: number;
  /** Proxy variables, extra CA, retries… of the fetch (default: the environment's proxy, no retries: the schedule retries). */
  readonly fetch?: Pick<FetchOptions, 'env' | 'ca' | 'retries' | 'retryBaseMs' | 'maxBytes'>;
}

/** Where the last accepted version is remembered (the Store's meta table). */
export interface BundleMeta {
  meta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
}

export type BundleOutcome =
  | { readonly state: 'accepted'; readonly version: number; readonly keyId: string }
  | { readonly state: 'unchanged'; readonly version: number }
  | { readonly state: 'refused'; readonly reason: BundleRejection; readonly message: string }
  | { readonly state: 'fetch-failed'; readonly message: string };

export class BundleUpdater {
  private readonly s: BundleSettings;
  private readonly store: BundleMeta;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private readonly onAccepted: (version: number) => void;
  private task: ScheduledTask | undefined;
  /** Made at the first check; keeps the last copy's ETag, so an unchanged bundle is answered 304. */
  private source: ManifestSource | undefined;

  constructor(s: BundleSettings, store: BundleMeta, logger: Logger, onAccepted: (version: number) => void = () => {}, now: () => Date = () => new Date()) {
    this.s = s;
    this.store = store;
    this.logger = logger;
    this.onAccepted = onAccepted;
    this.now = now;
  }

  start(timezone?: string): void {
    this.task = cron.schedule(this.s.schedule, () => void this.check(), { name: 'sealwatch-bundle', noOverlap: true, ...(timezone ? { timezone } : {}) });
    void this.check();
  }

  async stop(): Promise<void> {
    await this.task?.destroy();
  }

  lastVersion(): number | undefined {
    const v = this.store.meta(META_VERSION);
    return v === undefined ? undefined : Number(v);
  }

  /** One fetch and, when it verifies, one install. Never throws. */
  async check(): Promise<BundleOutcome> {
    let text: string;
    try {
      text = await this.fetch();
    } catch (err) {
      const message = errorMessage(err);
      this.logger.warn('bundle fetch failed: the last good bundle stays', { version: this.lastVersion() ?? null, error: message });
      return { state: 'fetch-failed', message };
    }
    try {
      const env = parseBundle(text);
      const digest = createHash('sha256').update(signedBytes(env.payload)).digest('hex');
      const last = this.lastVersion();
      if (last === env.payload.version && this.store.meta(META_DIGEST) === digest) return { state: 'unchanged', version: last };
      const { keyId } = verifyBundle(env, this.s.keys, this.now(), last);
      installBundle(env, this.s.dir);
      this.store.setMeta(META_VERSION, String(env.payload.version));
      this.store.setMeta(META_DIGEST, digest);
      this.logger.info('bundle accepted', { version: env.payload.version, previous: last ?? null, key: keyId, policies: env.payload.policies.length, manifests: env.payload.manifests.length, expires_at: env.payload.expires_at });
      this.onAccepted(env.payload.version);
      return { state: 'accepted', version: env.payload.version, keyId };
    } catch (err) {
      const reason: BundleRejection = err instanceof BundleRejected ? err.reason : 'malformed';
      const message = errorMessage(err);
      this.logger.error('bundle refused: the last good bundle stays', { reason, version: this.lastVersion() ?? null, error: message });
      return { state: 'refused', reason, message };
    }
  }

  private async fetch(): Promise<string> {
    if (!this.source) {
      const { ManifestSource } = await import('../manifest/fetch.ts');
      // Plain http only when the configured URL is http (an operator's choice); an https URL never redirects down to it.
      const allowHttp = /^http:\/\//i.test(this.s.url);
      this.source = new ManifestSource(this.s.url, { allowHttp, label: 'bundle URL', userAgent: 'sealwatch-bundle', maxBytes: MAX_BYTES, retries: 0, timeoutMs: this.s.timeoutMs ?? 30_000, ...this.s.fetch });
    }
    const { copy } = await this.source.get(this.now());
    return copy.bytes.toString('utf8');
  }
}
