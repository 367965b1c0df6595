// Scans of one app are serialised through a lock row in the history database, so that a second scan started while
// one runs (a watcher and a manual scan, two cron jobs) waits and then compares against the first — never both
// becoming baselines, never one update compared twice. A holder that died is detected (same host: its pid is gone;
// any host: its heartbeat stopped).
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SealwatchError } from '../shared/errors.ts';
import { type Store } from '../inventory/store/store.ts';

export interface LockTiming {
  /** How long to wait for another scan of the same app before giving up. */
  readonly waitMs: number;
  readonly pollMs: number;
  readonly heartbeatMs: number;
  /** A holder whose heartbeat is older than this is presumed dead. */
  readonly staleAfterMs: number;
}

export const DEFAULT_LOCK_TIMING: LockTiming = { waitMs: 60 * 60_000, pollMs: 250, heartbeatMs: 15_000, staleAfterMs: 5 * 60_000 };

export async function withScanLock<T>(store: Store, app: string, fn: () => Promise<T>, timing: LockTiming = DEFAULT_LOCK_TIMING): Promise<T> {
  const owner = randomUUID();
  const deadline = Date.now() + timing.waitMs;
  for (;;) {
    const holder = store.tryLock(app, owner, new Date(), timing.staleAfterMs);
    if (!holder) break;
    if (Date.now() >= deadline) {
      throw new SealwatchError('DATABASE', `database ${store.file}: another scan of ${app} (pid ${holder.pid} on ${holder.host}, since ${holder.acquired_at}) is still running`, { file: store.file });
    }
    await sleep(timing.pollMs);
  }
  const beat = setInterval(() => {
    try {
      store.heartbeatLock(app, owner, new Date());
    } catch {
      // A busy database delays one heartbeat; the next one retries, and staleness allows minutes.
    }
  }, timing.heartbeatMs);
  beat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(beat);
    store.releaseLock(app, owner);
  }
}
