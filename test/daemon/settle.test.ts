// Settle batching and the scan queue, driven by a manual clock (the clock is injected, as everywhere in the daemon):
// a burst of events is one scan once quiet; an updater that never stops is scanned at max_wait; events during a scan
// lead to exactly one more scan after it; never two scans of one app at once.
import test from 'ava';
import { ScanQueue } from '../../daemon/run/scan-queue.ts';
import { SettleBatcher, type Timers } from '../../daemon/watch/settle.ts';

/** Timers on a clock that moves only when told to. */
class ManualTimers implements Timers {
  private t = 0;
  private queue: Array<{ at: number; fn: () => void; id: number }> = [];
  private ids = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.queue.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.queue = this.queue.filter((q) => q.id !== handle);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at);
      const next = this.queue[0];
      if (!next || next.at > end) break;
      this.queue.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}

test('a burst of events is one due app, once quiet for settle', (t) => {
  const timers = new ManualTimers();
  const due: Array<[string, number]> = [];
  const b = new SettleBatcher(1_000, 60_000, (app, waited) => due.push([app, waited]), timers);
  for (let i = 0; i < 500; i++) {
    timers.advance(10);
    b.touch('contoso');
  }
  t.deepEqual(due, [], 'still writing');
  timers.advance(999);
  t.deepEqual(due, [], 'not yet quiet for a whole settle');
  timers.advance(1);
  t.deepEqual(due, [['contoso', 5_990]], 'first event at 10 ms, last at 5000 ms, due at 6000 ms');
  t.false(b.isDirty('contoso'));
  timers.advance(10_000);
  t.is(due.length, 1, 'nothing more without events');
});

test('an updater still writing at max_wait is scanned anyway; apps settle independently', (t) => {
  const timers = new ManualTimers();
  const due: string[] = [];
  const b = new SettleBatcher(1_000, 5_000, (app) => due.push(app), timers);
  b.touch('quiet');
  for (let i = 0; i < 60; i++) {
    b.touch('busy');
    timers.advance(100);
  }
  t.deepEqual(due, ['quiet', 'busy'], 'quiet settled after 1 s, busy forced at 5 s though still writing');
  b.touch('busy');
  t.true(b.isDirty('busy'), 'a new event after the forced scan starts a new batch');
});

test('forget() drops a pending app (a scan of it started and covers its events)', (t) => {
  const timers = new ManualTimers();
  const due: string[] = [];
  const b = new SettleBatcher(1_000, 5_000, (app) => due.push(app), timers);
  b.touch('a');
  b.forget('a');
  timers.advance(10_000);
  t.deepEqual(due, []);
  t.is(b.pending, 0);
});

test('the queue: never two scans of one app at once; requests during a scan → exactly one more scan after it', async (t) => {
  const log: string[] = [];
  let active = 0;
  let maxActive = 0;
  const release: Array<() => void> = [];
  const q = new ScanQueue(async (app, trigger) => {
    active++;
    maxActive = Math.max(maxActive, active);
    log.push(`start ${app} ${trigger}`);
    await new Promise<void>((r) => release.push(r));
    log.push(`end ${app}`);
    active--;
  });
  q.request('a', 'schedule');
  q.request('b', 'schedule');
  q.request('a', 'watch'); // a is being scanned: one more after it
  q.request('a', 'watch'); // merged into that one
  q.request('b', 'watch'); // b is waiting: merged
  t.is(q.scanning, 'a');
  t.is(q.depth, 2);
  const step = async (): Promise<void> => {
    await new Promise((r) => setImmediate(r));
    release.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  await step();
  await step();
  await step();
  await q.idle();
  t.deepEqual(log, ['start a schedule', 'end a', 'start b schedule', 'end b', 'start a watch', 'end a']);
  t.is(maxActive, 1, 'one scan at a time');
});

test('a failed scan does not stop the queue; stop() waits for the scan under way and takes no more', async (t) => {
  const seen: string[] = [];
  let finish: (() => void) | undefined;
  const q = new ScanQueue(async (app) => {
    seen.push(app);
    if (app === 'bad') throw new Error('boom');
    if (app === 'slow') await new Promise<void>((r) => (finish = r));
  });
  q.request('bad', 'schedule');
  q.request('good', 'schedule');
  await q.idle();
  t.deepEqual(seen, ['bad', 'good']);
  q.request('slow', 'watch');
  q.request('later', 'watch');
  let stopped = false;
  const stopping = q.stop().then(() => (stopped = true));
  await new Promise((r) => setImmediate(r));
  t.false(stopped, 'waits for the scan under way');
  finish?.();
  await stopping;
  q.request('after', 'watch');
  t.deepEqual(seen, ['bad', 'good', 'slow'], 'nothing queued runs after stop');
});

test('the queue: a scheduled deep rescan is never lost in a merge — it wins over a waiting or a repeated watch scan', async (t) => {
  const log: string[] = [];
  const release: Array<() => void> = [];
  const q = new ScanQueue(async (app, trigger) => {
    log.push(`${app} ${trigger}`);
    await new Promise<void>((r) => release.push(r));
  });
  q.request('a', 'schedule'); // running
  q.request('b', 'watch');
  q.request('b', 'deep'); // b waits: its scan becomes deep
  q.request('b', 'watch'); // and stays deep
  q.request('a', 'deep'); // a is being scanned: one more, deep
  q.request('a', 'watch');
  const step = async (): Promise<void> => {
    await new Promise((r) => setImmediate(r));
    release.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  for (let i = 0; i < 3; i++) await step();
  await q.idle();
  t.deepEqual(log, ['a schedule', 'b deep', 'a deep']);
});
