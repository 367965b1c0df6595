// Settle batching: file events only mark an app dirty; the app is due once it has been quiet for `settleMs`, or
// `maxWaitMs` after its first unsettled event (an updater that never stops writing is scanned anyway). One timer per
// dirty app, re-armed lazily: a burst of 10,000 events costs 10,000 timestamp writes, not 10,000 timers.

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

interface Dirty {
  first: number;
  last: number;
  timer: unknown;
}

export class SettleBatcher {
  private readonly dirty = new Map<string, Dirty>();
  private readonly settleMs: number;
  private readonly maxWaitMs: number;
  private readonly timers: Timers;
  private readonly due: (app: string, waitedMs: number) => void;

  constructor(settleMs: number, maxWaitMs: number, due: (app: string, waitedMs: number) => void, timers: Timers = realTimers) {
    this.settleMs = settleMs;
    this.maxWaitMs = maxWaitMs;
    this.due = due;
    this.timers = timers;
  }

  /** A file event (or any other hint) for `app`. */
  touch(app: string): void {
    const now = this.timers.now();
    const d = this.dirty.get(app);
    if (d) {
      d.last = now;
      return;
    }
    const fresh: Dirty = { first: now, last: now, timer: undefined };
    this.dirty.set(app, fresh);
    this.arm(app, fresh);
  }

  isDirty(app: string): boolean {
    return this.dirty.has(app);
  }

  /** Apps waiting to settle. */
  get pending(): number {
    return this.dirty.size;
  }

  /** Forgets `app` (its scan is happening anyway, or it is no longer watched). */
  forget(app: string): void {
    const d = this.dirty.get(app);
    if (d) this.timers.clearTimeout(d.timer);
    this.dirty.delete(app);
  }

  close(): void {
    for (const app of [...this.dirty.keys()]) this.forget(app);
  }

  private arm(app: string, d: Dirty): void {
    const at = Math.min(d.last + this.settleMs, d.first + this.maxWaitMs);
    d.timer = this.timers.setTimeout(() => this.check(app, d), Math.max(0, at - this.timers.now()));
  }

  private check(app: string, d: Dirty): void {
    if (this.dirty.get(app) !== d) return;
    const now = this.timers.now();
    if (now >= d.last + this.settleMs || now >= d.first + this.maxWaitMs) {
      this.dirty.delete(app);
      this.due(app, now - d.first);
    } else this.arm(app, d);
  }
}
