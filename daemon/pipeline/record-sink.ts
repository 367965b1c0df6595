// Fresh records stream from the scan into the store a batch at a time, so a scan never holds them all: the records
// go to `records`, each path's row waits in the store's staging table for the commit. What stays in memory per fresh
// path is a diff summary, and only for code and for paths that hold no readable file (a data file's summary is
// rebuilt from its staged row in the rare case a module was at its path before).
import { summarise, type ModuleSummary } from '../diff/summary.ts';
import { classifyFile, isSteering } from '../inventory/file-class.ts';
import { type EntryFacts, type FileRow, type Store } from '../inventory/store/store.ts';
import { CODE_FORMATS, type ModuleRecord } from '../shared/model.ts';
import { tooLargeToVerify } from '../shared/verified.ts';

const BATCH = 256;

export class RecordSink {
  /** Every fresh path, with its summary when it is code, steers the app (scripts, app code, updater settings) or is unverified. */
  readonly fresh = new Map<string, ModuleSummary | undefined>();
  /** Records of executables at the top of the root (or of a Squirrel version folder) and of a bundle root: the app version may come from them. */
  readonly topLevel = new Map<string, ModuleRecord>();
  readonly scan: string;
  private pending: Array<{ path: string; stat: string; record: ModuleRecord }> = [];
  private readonly store: Store;

  /** Keep summaries of files that steer the app (false on a baseline: nothing is compared, and 100,000 .js files
   * would each hold one). */
  private readonly keepSteering: boolean;

  constructor(store: Store, options: { keepSteering?: boolean } = {}) {
    this.keepSteering = options.keepSteering ?? true;
    this.store = store;
    this.scan = store.startStaging();
  }

  add(path: string, stat: string, record: ModuleRecord): void {
    this.fresh.set(path, keptSummary(path, record, this.keepSteering));
    if (isVersionSource(path, record)) this.topLevel.set(path, record);
    this.pending.push({ path, stat, record });
    if (this.pending.length >= BATCH) this.flush();
  }

  has(path: string): boolean {
    return this.fresh.has(path);
  }

  /** Writes what is pending; records are content-addressed, so one left by a scan that never commits is harmless. */
  flush(): void {
    if (this.pending.length === 0) return;
    const facts = this.store.putRecords(this.pending.map((p) => p.record));
    this.store.stage(this.scan, this.pending.map((p, i) => ({ path: p.path, stat: p.stat, ...(facts[i] as EntryFacts) })));
    this.pending = [];
  }

  /** This scan's rows, for the commit. */
  rows(): Iterable<FileRow> {
    return this.store.stagedRows(this.scan);
  }

  row(path: string): FileRow | undefined {
    return this.store.stagedRow(this.scan, path);
  }

  close(): void {
    this.store.endStaging(this.scan);
  }
}

/**
 * The summary a fresh path keeps for the diff: code, files that steer the app (not on a baseline, `keepSteering`
 * false: nothing is compared, and 100,000 .js files would each hold one) and entries that are not a readable file.
 */
export function keptSummary(path: string, record: ModuleRecord, keepSteering: boolean): ModuleSummary | undefined {
  // A plain data file read without trouble keeps no summary on a baseline: decided without building one (a summary
  // of each of 100,000 .js files was most of a baseline's allocations). The same test summarise() makes.
  if (!keepSteering && !record.entry && !CODE_FORMATS.has(record.module.format) && !tooLargeToVerify(record)) return undefined;
  const summary = summarise(path, record);
  return summary.isCode || summary.state !== 'file' || (keepSteering && isSteering(summary.fileClass)) ? summary : undefined;
}

/** An executable at the top of the root or of a Squirrel app-x.y.z folder, or the root itself as a bundle (`./`): the app version may come from it. */
export function isVersionSource(path: string, record: { readonly module: { readonly format: string } }): boolean {
  if (path === './') return record.module.format === 'bundle';
  const top = !path.includes('/') || /^app-\d[^/]*\/[^/]+$/.test(path);
  return top && record.module.format === 'pe';
}

/** The summary of a stored entry: code from its whole record (read relative to `root`), data from its row. */
export function storedSummary(store: Store, path: string, row: FileRow, root: string): ModuleSummary {
  return CODE_FORMATS.has(row.format) ? summarise(path, store.record(row.record_id, root, path)) : dataSummary(path, row);
}

/** The summary of a data file (no code, nothing to verify), from what the store keeps of it. */
export function dataSummary(path: string, facts: EntryFacts): ModuleSummary {
  return {
    path,
    sha256: facts.sha256,
    format: facts.format as ModuleSummary['format'],
    isCode: false,
    state: 'file',
    detail: undefined,
    status: facts.status,
    signed: false,
    signer: '',
    signerSubject: undefined,
    issuer: undefined,
    leafThumbprint: undefined,
    ownVersion: undefined,
    hiddenData: [],
    integrityProblems: [],
    constructors: 0,
    imports: new Set(),
    signedAt: undefined,
    compiledAt: undefined,
    certificateTableSize: undefined,
    fileClass: classifyFile(path, facts.format),
  };
}
