// Fresh records stream from the scan into the store a batch at a time, so a scan never holds them all: what stays in
// memory per fresh path is its stored facts and its diff summary (plus whole records of top-level files, which the app
// version may be read from).
import { summarise, type ModuleSummary } from '../diff/summary.ts';
import { type EntryFacts, type Store } from '../inventory/store/store.ts';
import { type ModuleRecord } from '../shared/model.ts';

const BATCH = 256;

export interface FreshPath {
  readonly stat: string;
  readonly summary: ModuleSummary;
  facts?: EntryFacts;
}

export class RecordSink {
  readonly fresh = new Map<string, FreshPath>();
  /** Records of files at the top of the root: version sources. */
  readonly topLevel = new Map<string, ModuleRecord>();
  private pending: Array<{ path: string; record: ModuleRecord }> = [];
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  add(path: string, stat: string, record: ModuleRecord): void {
    this.fresh.set(path, { stat, summary: summarise(path, record) });
    if (!path.includes('/')) this.topLevel.set(path, record);
    this.pending.push({ path, record });
    if (this.pending.length >= BATCH) this.flush();
  }

  has(path: string): boolean {
    return this.fresh.has(path);
  }

  /** Writes what is pending; records are content-addressed, so one left by a scan that never commits is harmless. */
  flush(): void {
    if (this.pending.length === 0) return;
    const facts = this.store.putRecords(this.pending.map((p) => p.record));
    this.pending.forEach((p, i) => {
      const f = this.fresh.get(p.path);
      if (f) f.facts = facts[i];
    });
    this.pending = [];
  }
}
