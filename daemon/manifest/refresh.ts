// Refreshing every URL source between scans (issue 11: "refreshed on a node-cron schedule when the daemon runs"), so
// a scan finds a current copy and a failing source keeps its last good one. The daemon owns the schedule
// (daemon/run/daemon.ts schedules its tasks with node-cron); this is what its task calls.
import { errorMessage } from '../shared/errors.ts';
import { type ManifestStage } from './stage.ts';

export interface RefreshOutcome {
  readonly url: string;
  readonly state: 'fetched' | 'not-modified' | 'stale' | 'failed';
  readonly error?: string;
}

/** Refreshes each URL source of each stage once (sources are independent: one failing never stops the others). */
export async function refreshSources(stages: Iterable<ManifestStage>, now: Date): Promise<RefreshOutcome[]> {
  const out: RefreshOutcome[] = [];
  for (const stage of stages) {
    for (const source of await stage.urlSources()) {
      try {
        const r = await source.refresh(now);
        out.push({ url: source.url, state: r.state, ...(r.error ? { error: r.error } : {}) });
      } catch (err) {
        out.push({ url: source.url, state: 'failed', error: errorMessage(err) });
      }
    }
  }
  return out;
}
