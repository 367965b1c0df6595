// One app root under watch. chokidar is only a hint: every event marks the app dirty (settle.ts decides when to
// scan). What chokidar can miss is covered here: the root's identity (device, inode) is checked every `rootCheckMs`,
// so a root deleted and recreated, or replaced by a rename, restarts the watcher and makes the app dirty; a watcher
// that fails (inotify watch or descriptor limits — ENOSPC, EMFILE — or a file system without notifications) is
// closed and the app falls back to a rescan every `pollMs`, trying the watcher again each time.
// On Linux the watcher is dir-watcher.ts (one inotify watch per directory); elsewhere chokidar.
import { stat } from 'node:fs/promises';
import { watch } from 'chokidar';
import { DirWatcher, type HintWatcher } from './dir-watcher.ts';
import { errorMessage } from '../shared/errors.ts';
import { type Logger } from '../shared/logger.ts';

export type WatchState = 'starting' | 'watching' | 'polling' | 'missing' | 'closed';

export interface RootWatcherOptions {
  readonly app: string;
  readonly root: string;
  readonly rootCheckMs: number;
  readonly pollMs: number;
  readonly logger: Logger;
  /** A hint that something under the root changed. */
  readonly onChange: (app: string, why: string) => void;
  /** The watcher failed: rescan the app now (and every pollMs until it works again). */
  readonly onRescan: (app: string, why: string) => void;
}

export class RootWatcher {
  state: WatchState = 'starting';
  private watcher: HintWatcher | undefined;
  private identity: string | undefined;
  private readonly checkTimer: NodeJS.Timeout;
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly o: RootWatcherOptions;
  private checking = false;
  /** A watcher started again from polling: its failure is expected, its success ends the polling. */
  private retrying = false;
  private readyResolve: (() => void) | undefined;
  /** Resolves once the first watcher has crawled the root (or the root was missing, or the watcher failed). */
  readonly ready: Promise<void> = new Promise((resolve) => (this.readyResolve = resolve));

  constructor(options: RootWatcherOptions) {
    this.o = options;
    this.checkTimer = setInterval(() => void this.checkRoot(), options.rootCheckMs);
    this.checkTimer.unref();
  }

  /** Starts watching (or notes the root is missing and waits for it). */
  async start(): Promise<void> {
    this.identity = await identityOf(this.o.root);
    if (this.identity === undefined) {
      this.missing();
      this.readyResolve?.();
    } else this.startWatcher();
  }

  async close(): Promise<void> {
    this.state = 'closed';
    this.readyResolve?.();
    clearInterval(this.checkTimer);
    clearInterval(this.pollTimer);
    await this.stopWatcher();
  }

  private startWatcher(): void {
    if (this.state === 'closed') return;
    const w = startHintWatcher(this.o.root);
    this.watcher = w;
    // A retry from polling counts as watching only once it has crawled the root without failing.
    if (!this.retrying) this.state = 'watching';
    w.on('all', (event, path) => {
      if (this.watcher !== w) return;
      this.o.logger.debug('file event', { app: this.o.app, event, path });
      this.o.onChange(this.o.app, event);
    });
    w.on('ready', () => {
      this.readyResolve?.();
      if (this.watcher !== w || !this.retrying) return;
      this.retrying = false;
      this.state = 'watching';
      clearInterval(this.pollTimer);
      this.o.logger.info('watcher works again: polling stopped', { app: this.o.app });
      // What happened between the last poll and the new watcher's start: one more scan.
      this.o.onRescan(this.o.app, 'watcher restored');
    });
    w.on('error', (err) => {
      this.readyResolve?.();
      if (this.watcher === w) void this.watcherFailed(err);
    });
  }

  private async stopWatcher(): Promise<void> {
    const w = this.watcher;
    this.watcher = undefined;
    await w?.close().catch(() => undefined);
  }

  /** inotify/descriptor limits or an unwatchable file system: poll by rescanning until the watcher works again. */
  private async watcherFailed(err: unknown): Promise<void> {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    const again = this.retrying;
    this.retrying = false;
    await this.stopWatcher();
    if (this.state === 'closed') return;
    this.state = 'polling';
    if (again) {
      this.o.logger.debug('watcher still failing: polling goes on', { app: this.o.app, code });
      return;
    }
    this.o.logger.warn('watcher failed: falling back to rescans', { app: this.o.app, code, error: errorMessage(err), poll_ms: this.o.pollMs });
    this.o.onRescan(this.o.app, `watcher failed (${code ?? 'error'})`);
    clearInterval(this.pollTimer);
    this.pollTimer = setInterval(() => this.poll(), this.o.pollMs);
    this.pollTimer.unref();
  }

  private poll(): void {
    if (this.state !== 'polling') return;
    this.o.onRescan(this.o.app, 'polling (watcher failed)');
    // Try the watcher again: the limit may have been raised or other watchers closed.
    this.retrying = true;
    this.startWatcher();
  }

  private missing(): void {
    if (this.state === 'missing') return;
    this.o.logger.warn('app root is missing: waiting for it to reappear', { app: this.o.app, root: this.o.root });
    this.state = 'missing';
    clearInterval(this.pollTimer);
    void this.stopWatcher();
  }

  /** The root's identity: gone, back, or another directory now (deleted and recreated, renamed into place). */
  private async checkRoot(): Promise<void> {
    if (this.checking || this.state === 'closed') return;
    this.checking = true;
    try {
      const now = await identityOf(this.o.root);
      if (now === undefined) {
        // Nothing to scan until it is back (the last snapshot stays the truth of what was there).
        this.missing();
      } else if (now !== this.identity || this.state === 'missing') {
        this.o.logger.info('app root is back or was replaced: watching it again', { app: this.o.app, root: this.o.root });
        await this.stopWatcher();
        this.startWatcher();
        this.o.onChange(this.o.app, 'root replaced');
      }
      this.identity = now;
    } finally {
      this.checking = false;
    }
  }
}

async function identityOf(root: string): Promise<string | undefined> {
  try {
    const s = await stat(root);
    return s.isDirectory() ? `${s.dev}:${s.ino}` : undefined;
  } catch {
    return undefined;
  }
}

/** Linux: directories only, one inotify watch each (dir-watcher.ts). Elsewhere chokidar. */
function startHintWatcher(root: string): HintWatcher {
  if (process.platform === 'linux') return new DirWatcher(root);
  return watch(root, {
    ignoreInitial: true,
    // Never follow a link out of the root; a link's own change is an event.
    followSymlinks: false,
    // Every name counts (no editor temp-file filtering): an attacker names files as they like.
    atomic: false,
    ignorePermissionErrors: true,
    persistent: true,
  });
}
