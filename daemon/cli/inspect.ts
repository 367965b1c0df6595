// `sealwatch inspect [--json] [--trust DIR] [--catalog DIR] PATH...`
import { buildInspectContext } from '../inventory/verification-context.ts';
import { checkVerificationDirs, verificationSettings } from './verification-options.ts';
import { type BundleContext, type InspectContext } from '../inventory/inspect-file.ts';
import { inspectOpenFile } from '../inventory/inspect-open.ts';
import { DEFAULT_MAX_FILE_BYTES, openNamedFile, walkEntries } from '../inventory/read.ts';
import { InspectPool } from '../inventory/pool.ts';
import { bundleLayout, inspectBundle } from '../inventory/bundle.ts';
import { UNAUTHENTICATED_DATA_CODES } from '../verify/problems.ts';
import { type ModuleRecord } from '../shared/model.ts';
import { errorMessage } from '../shared/errors.ts';
import { stat } from 'node:fs/promises';
import { ExitCode } from './exit-codes.ts';
import { Progress } from './progress.ts';
import { renderHuman } from './render.ts';
import { errorText, escapeTerminal, parseIsoDate } from './terminal.ts';
import { textBytes } from '../inventory/names.ts';

export interface InspectOptions {
  readonly json: boolean;
  readonly trust: readonly string[];
  readonly catalog: readonly string[];
  /** Also trust the operating system's root store (opt-in: widens trust, host-dependent verdicts). */
  readonly systemTrust?: boolean;
  /** Reference time (ISO); default now. Useful to reproduce a verdict as of a date. */
  readonly at?: string;
  readonly maxFileBytes?: number;
  /** Also print (and count) files found in directories that are not modules (format `unknown`). */
  readonly all?: boolean;
  /** Also record SHA-1 and MD5 of every file (and a PE's SHA-1 image digest), for IoC matching. */
  readonly iocDigests?: boolean;
}

export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** stdout is a terminal that takes colour (a TTY, NO_COLOR unset). */
  readonly colour?: boolean;
  /** Where a progress bar may be drawn: stderr when it is a terminal. */
  readonly progress?: NodeJS.WritableStream;
  /** stdout is a terminal (a bar on the same screen must step aside while a line is printed). */
  readonly stdoutTTY?: boolean;
}

/** Writes a line to stdout, with a progress bar on the same terminal moved out of the way. */
export function printer(io: Output, progress: Progress): (line: string) => void {
  return (line) => (io.stdoutTTY ? progress.around(() => io.out(line)) : io.out(line));
}

/** Below this many files, starting worker threads costs more than it saves. */
const PARALLEL_FROM = 16;

export function recordHasFindings(r: ModuleRecord): boolean {
  return (
    r.error !== undefined ||
    r.code_signature.status === 'invalid' ||
    r.code_signature.problems.some((p) => UNAUTHENTICATED_DATA_CODES.has(p.code))
  );
}

export { checkVerificationDirs, verificationSettings } from './verification-options.ts';

export async function runInspect(paths: readonly string[], options: InspectOptions, io: Output): Promise<number> {
  let now: Date;
  try {
    now = options.at !== undefined ? parseIsoDate(options.at, '--at') : new Date();
    checkVerificationDirs(options);
  } catch (err) {
    io.err(errorText(err));
    return ExitCode.usage;
  }
  let ctx: InspectContext;
  try {
    const warnings: string[] = [];
    ctx = await buildInspectContext(verificationSettings(options), now, warnings);
    for (const w of warnings) io.err(escapeTerminal(w));
  } catch (err) {
    io.err(escapeTerminal(errorMessage(err)));
    return ExitCode.usage;
  }
  // Something found (1) outranks a path that could not be read (3), as for scan: the finding is what a script acts on.
  let found = false;
  const progress = new Progress('inspect', io.progress);
  const print = printer(io, progress);
  const summary = { modules: 0, signed: 0, trusted: 0, invalid: 0, hidden: 0, malformed: 0, skipped: 0, unreadable: 0, others: 0 };
  const emit = (record: ModuleRecord, named: boolean): void => {
    if (recordHasFindings(record)) found = true;
    // Files found in a directory that are not modules are left out unless --all; a file named on the command line
    // is always shown.
    if (record.module.format === 'unknown' && !named && !options.all) {
      summary.skipped++;
      return;
    }
    if (record.module.format === 'unknown') summary.others++;
    else {
      summary.modules++;
      const status = record.code_signature.status;
      if (status === 'trusted' || status === 'untrusted' || status === 'invalid') summary.signed++;
      if (status === 'trusted') summary.trusted++;
      if (status === 'invalid') summary.invalid++;
      if (record.code_signature.problems.some((p) => UNAUTHENTICATED_DATA_CODES.has(p.code))) summary.hidden++;
      if (record.error) summary.malformed++;
    }
    const text = options.json ? JSON.stringify(record) : `${renderHuman(record)}\n`;
    print(text);
  };
  // Walk first; then inspect. Many files go to worker threads (both cores, a time limit per file); output keeps
  // the walk's order. A bundle's main executable is verified here, with its bundle's Info.plist and CodeResources.
  const entries: Array<{ kind: 'file' | 'directory'; path: string; named: boolean }> = [];
  for (const root of paths) {
    try {
      const onSkip = (p: string, why: string, unreadable: boolean): void => {
        io.err(escapeTerminal(`${unreadable ? 'cannot read' : 'skipped'} ${p}: ${why}`));
        if (unreadable) summary.unreadable++;
      };
      for await (const entry of walkEntries(root, onSkip)) entries.push({ ...entry, named: entry.root });
    } catch (err) {
      io.err(escapeTerminal(`${root}: cannot read: ${fsReason(err)}`));
      summary.unreadable++;
    }
  }
  const files = entries.filter((e) => e.kind === 'file').length;
  // Sizes for the bar's byte count and ETA, only when a bar can be drawn.
  const sizes = io.progress ? await Promise.all(entries.map((e) => (e.kind === 'file' ? stat(textBytes(e.path)).then((s) => s.size, () => 0) : 0))) : [];
  progress.add(files, sizes.reduce((a, b) => a + b, 0));
  const pool =
    files >= PARALLEL_FROM
      ? new InspectPool({
          ...verificationSettings(options),
          now: now.toISOString(),
          maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
        })
      : undefined;
  const bundleContexts = new Map<string, BundleContext>();
  // Settled results, so that a failure waiting its turn in the output is never an unhandled rejection.
  const pending: Array<Promise<({ record: ModuleRecord } | { error: unknown }) & { named: boolean }>> = [];
  const settle = (p: Promise<ModuleRecord>, size: number): Promise<{ record: ModuleRecord } | { error: unknown }> =>
    p.then((record) => ({ record }), (error: unknown) => ({ error })).finally(() => progress.done(1, size));
  // Over the in-memory bound a file is hashed by streaming and marked NOT_VERIFIED_TOO_LARGE, as a scan records it.
  const local = async (path: string, bundle?: BundleContext): Promise<ModuleRecord> => {
    const { handle, stat: st } = await openNamedFile(path);
    try {
      return await inspectOpenFile({ path, size: st.size, mtime: st.mtime }, handle, st.size, ctx, options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, bundle);
    } finally {
      await handle.close();
    }
  };
  try {
    for (const [i, entry] of entries.entries()) {
      if (entry.kind === 'directory') {
        const layout = await bundleLayout(entry.path);
        if (!layout) continue;
        const result = await inspectBundle(layout, ctx);
        if (result.executable) bundleContexts.set(result.executable, result.context);
        pending.push(Promise.resolve({ record: result.record, named: entry.named }));
        continue;
      }
      const bundle = bundleContexts.get(entry.path);
      pending.push(
        settle(
          pool && !bundle
            ? pool.inspect(entry.path, undefined, sizes[i] ?? 0).then((reply) => {
                if ('error' in reply) throw new Error(reply.error.message);
                return reply.record;
              })
            : local(entry.path, bundle),
          sizes[i] ?? 0,
        ).then((r) => ({ ...r, named: entry.named })),
      );
    }
    for (const p of pending) {
      const result = await p;
      if ('record' in result) emit(result.record, result.named);
      else {
        progress.around(() => io.err(escapeTerminal(errorMessage(result.error))));
        summary.unreadable++;
      }
    }
  } finally {
    progress.finish();
    await pool?.close();
  }
  if (!options.json) io.out(inspectSummary(summary));
  return found ? ExitCode.findings : summary.unreadable > 0 ? ExitCode.unreadable : ExitCode.ok;
}

/** The last line of `inspect` without --json: what was seen, in numbers. */
export function inspectSummary(s: { modules: number; signed: number; trusted: number; invalid: number; hidden: number; malformed: number; skipped: number; unreadable?: number; others?: number }): string {
  const parts = [`${s.modules} module${s.modules === 1 ? '' : 's'}`, `${s.signed} signed`, `${s.trusted} trusted`, `${s.invalid} invalid`, `${s.hidden} with hidden data`];
  if (s.malformed) parts.push(`${s.malformed} malformed`);
  if (s.others) parts.push(`${s.others} other file${s.others === 1 ? '' : 's'} shown`);
  if (s.unreadable) parts.push(`${s.unreadable} unreadable (see above)`);
  return `${parts.join(', ')}${s.skipped ? `; ${s.skipped} non-module file${s.skipped === 1 ? '' : 's'} not shown (--all shows them)` : ''}`;
}

/** A file-system error as a person reads it: "no such file or directory", not "ENOENT: …, realpath '…'". */
function fsReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const known: Record<string, string> = { ENOENT: 'no such file or directory', EACCES: 'permission denied', EPERM: 'permission denied', ENOTDIR: 'a part of the path is not a directory', ELOOP: 'too many symbolic links' };
  return (e?.code && known[e.code]) ?? errorMessage(err);
}
