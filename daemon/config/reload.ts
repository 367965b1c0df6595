// Hot reload: the config file and the managed sources are watched (stat polling, which also sees an editor's
// write-and-rename and a plist an MDM replaces; the Windows policy key is re-read on a timer), and SIGHUP asks for a
// reload at once. A new config is loaded through every layer and checked like at start: a good one is handed to the
// daemon, a bad one is refused — the last good config stays in force and the refusal is logged and alerted as a
// CONFIG_REJECTED operational alert through the outbox (no app, no snapshot: migration 4).
import { unwatchFile, watchFile } from 'node:fs';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { type AlertInsert } from '../inventory/store/store.ts';
import { type AlertContent } from '../alert/content.ts';
import { type AlertDestination } from '../alert/destination.ts';
import { alertBody } from '../alert/payload.ts';
import { errorMessage } from '../shared/errors.ts';
import { severityRank } from '../shared/findings.ts';
import { type SealwatchConfig } from './config.ts';

export interface ReloadOptions {
  /** Files whose change means a reload (the config file, the managed plist). */
  readonly files: readonly string[];
  /** The Windows policy key's text, polled (win32). */
  readonly registry?: () => string;
  readonly registryPollMs?: number;
  readonly pollMs?: number;
  /** Loads every layer again (throws a CONFIG error when the result is invalid). */
  readonly load: () => SealwatchConfig;
  readonly apply: (config: SealwatchConfig) => Promise<void>;
  readonly reject: (error: string) => void;
}

export class ConfigReloader {
  private readonly o: ReloadOptions;
  private timer: NodeJS.Timeout | undefined;
  private registryTimer: NodeJS.Timeout | undefined;
  private registryText: string | undefined;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly onHup = (): void => this.request('SIGHUP');
  /** Further files followed for the config in force: its policy files and their directories (follow). */
  private followed = new Set<string>();

  constructor(o: ReloadOptions) {
    this.o = o;
  }

  start(): void {
    for (const f of this.o.files) this.watch(f);
    if (this.o.registry) {
      this.registryText = this.safeRegistry();
      this.registryTimer = setInterval(() => {
        const text = this.safeRegistry();
        if (text !== this.registryText) (this.registryText = text), this.request('registry');
      }, this.o.registryPollMs ?? 60_000).unref();
    }
    process.on('SIGHUP', this.onHup);
  }

  /**
   * Follows `paths` too (and no longer what it followed before): a policy file edited, or one added to or removed
   * from a policy directory (the directory's own mtime), reloads like the config itself.
   */
  follow(paths: Iterable<string>): void {
    const next = new Set([...paths].filter((p) => !this.o.files.includes(p)));
    for (const p of this.followed) if (!next.has(p)) unwatchFile(p);
    for (const p of next) if (!this.followed.has(p)) this.watch(p);
    this.followed = next;
  }

  private watch(file: string): void {
    watchFile(file, { interval: this.o.pollMs ?? 1_000, persistent: false }, (cur, prev) => {
      if (cur.mtimeMs !== prev.mtimeMs || cur.ino !== prev.ino || cur.size !== prev.size || cur.mode !== prev.mode) this.request(file);
    });
  }

  close(): Promise<void> {
    this.closed = true;
    for (const f of [...this.o.files, ...this.followed]) unwatchFile(f);
    clearTimeout(this.timer);
    clearInterval(this.registryTimer);
    process.off('SIGHUP', this.onHup);
    return this.chain;
  }

  /** A change seen: reload once things are quiet for a moment (an editor writes in several steps). */
  request(_why: string): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => (this.chain = this.chain.then(() => this.reload())), 300);
  }

  private async reload(): Promise<void> {
    if (this.closed) return;
    let next: SealwatchConfig;
    try {
      next = this.o.load();
    } catch (err) {
      this.o.reject(errorMessage(err));
      return;
    }
    await this.o.apply(next);
  }

  private safeRegistry(): string {
    try {
      return this.o.registry?.() ?? '';
    } catch (err) {
      return `error: ${errorMessage(err)}`;
    }
  }
}

/** One CONFIG_REJECTED alert per destination of the config in force whose threshold admits a high finding. */
export function rejectionAlerts(destinations: readonly AlertDestination[], file: string, error: string, now: Date): AlertInsert[] {
  const message = `the new configuration was refused; the last good one stays in force: ${error.split('\n').slice(0, 5).join(' / ')}`;
  const content: AlertContent = {
    host: hostname(),
    app: 'sealwatch',
    fromVersion: null,
    toVersion: null,
    snapshotId: 0,
    time: now.toISOString(),
    findings: [{ rule: 'CONFIG_REJECTED', severity: 'high', path: file, message, evidence: { config: file } }],
  };
  return destinations
    .filter((d) => severityRank(d.minSeverity) <= severityRank('high'))
    .map((d) => {
      const deliveryId = randomUUID();
      return { deliveryId, destination: d.name, type: d.type, summary: `sealwatch on ${content.host}: CONFIG_REJECTED ${file} (last good config in force)`, body: alertBody(d.type, content, deliveryId) };
    });
}
