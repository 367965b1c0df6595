// Runs a deliverer's pass on a timer: passes never overlap, a call during a pass (a row just queued) gets one more
// pass right after it — so new work never waits for the next tick — and stop() waits for the pass under way.

export class PassLoop {
  private readonly pass: () => Promise<number>;
  private readonly pollMs: number;
  private readonly onError: (err: unknown) => void;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private halted = false;
  private again = false;

  /** `pass` returns the attempts it made; `onError` hears a pass that threw on the timer. */
  constructor(pass: () => Promise<number>, pollMs: number, onError: (err: unknown) => void) {
    this.pass = pass;
    this.pollMs = pollMs;
    this.onError = onError;
  }

  /** True after stop(): a pass under way checks it between rows. */
  get stopped(): boolean {
    return this.halted;
  }

  /** Runs passes on its own timer until stop(). */
  start(): void {
    this.halted = false;
    this.schedule(0);
  }

  /** Stops the timer and waits for the pass under way. */
  async stop(): Promise<void> {
    this.halted = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One pass now, or one more after the pass under way; resolves to the attempts made. */
  run(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.passes().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async passes(): Promise<number> {
    let attempts = 0;
    do {
      this.again = false;
      attempts += await this.pass();
    } while (this.again && !this.halted);
    return attempts;
  }

  private schedule(delayMs: number): void {
    // One timer chain at most, whatever the order of start(), stop() and a pass ending.
    if (this.halted || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.run()
        .catch(this.onError)
        .finally(() => this.schedule(this.pollMs));
    }, delayMs);
    this.timer.unref?.();
  }
}

/** Groups rows by `keyOf` (keeping their order) and drains the groups in parallel; sums what each drain returns. */
export async function drainGroups<R>(rows: Iterable<R>, keyOf: (row: R) => string, drain: (group: readonly R[]) => Promise<number>): Promise<number> {
  const groups = new Map<string, R[]>();
  for (const row of rows) {
    const group = groups.get(keyOf(row));
    if (group) group.push(row);
    else groups.set(keyOf(row), [row]);
  }
  const counts = await Promise.all([...groups.values()].map(drain));
  return counts.reduce((a, b) => a + b, 0);
}
