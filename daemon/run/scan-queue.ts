// Scans run one at a time, in the order they became due: never two scans of one app at once, and one pool of
// workers (at most one per core) shared by every app, so memory is bounded by one scan. A request for an app that
// is already waiting is merged into it (a deep rescan wins: it covers any other); a request for the app being scanned
// runs once more after that scan.
import { type QueuedScan } from './types.ts';

export type ScanRunner = (app: string, trigger: QueuedScan) => Promise<void>;

const merge = (a: QueuedScan | undefined, b: QueuedScan): QueuedScan => (a === undefined ? b : a === 'deep' || b === 'deep' ? 'deep' : a);

export class ScanQueue {
  private readonly waiting = new Map<string, QueuedScan>();
  private current: { app: string; done: Promise<void> } | undefined;
  /** Requests for the app being scanned: one more scan of it after this one. */
  private again: QueuedScan | undefined;
  private stopped = false;
  private readonly run: ScanRunner;
  private idleWaiters: Array<() => void> = [];

  constructor(run: ScanRunner) {
    this.run = run;
  }

  request(app: string, trigger: QueuedScan): void {
    if (this.stopped) return;
    if (this.current?.app === app) this.again = merge(this.again, trigger);
    else this.waiting.set(app, merge(this.waiting.get(app), trigger));
    this.pump();
  }

  /** The app being scanned, if any. */
  get scanning(): string | undefined {
    return this.current?.app;
  }

  get depth(): number {
    return this.waiting.size + (this.again ? 1 : 0);
  }

  /** Takes no more requests; resolves when the current scan (if any) has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.waiting.clear();
    this.again = undefined;
    await this.current?.done;
  }

  /** Resolves once nothing is running or waiting (start-up reconciliation). */
  idle(): Promise<void> {
    if (!this.current && this.waiting.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    if (this.current || this.stopped) return;
    const next = this.waiting.entries().next();
    if (next.done) {
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    const [app, trigger] = next.value;
    this.waiting.delete(app);
    const done = this.run(app, trigger)
      .catch(() => undefined) // the runner logs its own failures; the queue goes on
      .finally(() => {
        this.current = undefined;
        const again = this.again;
        this.again = undefined;
        if (again && !this.stopped) this.waiting.set(app, merge(this.waiting.get(app), again));
        this.pump();
      });
    this.current = { app, done };
  }
}
