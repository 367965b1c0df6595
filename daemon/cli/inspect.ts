// `sealwatch inspect [--json] [--trust DIR] [--catalog DIR] PATH...`
import { DEFAULT_TRUST_DIR } from '../config/trust.ts';
import { defaultCatalogDirs } from '../inventory/catalogs.ts';
import { buildInspectContext, type VerificationSettings } from '../inventory/verification-context.ts';
import { inspectBytes, type BundleContext, type InspectContext } from '../inventory/inspect-file.ts';
import { DEFAULT_MAX_FILE_BYTES, readModuleFile, walkEntries } from '../inventory/read.ts';
import { InspectPool } from '../inventory/pool.ts';
import { bundleLayout, inspectBundle } from '../inventory/bundle.ts';
import { UNAUTHENTICATED_DATA_CODES } from '../verify/problems.ts';
import { type ModuleRecord } from '../shared/model.ts';
import { errorMessage } from '../shared/errors.ts';
import { ExitCode } from './exit-codes.ts';
import { renderHuman } from './render.ts';

export interface InspectOptions {
  readonly json: boolean;
  readonly trust: readonly string[];
  readonly catalog: readonly string[];
  /** Also trust the operating system's root store (opt-in: widens trust, host-dependent verdicts). */
  readonly systemTrust?: boolean;
  /** Reference time (ISO); default now. Useful to reproduce a verdict as of a date. */
  readonly at?: string;
  readonly maxFileBytes?: number;
}

export interface Output {
  out(line: string): void;
  err(line: string): void;
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

/** --trust, --catalog and --system-trust as settings, with the shipped roots and the OS catalogs by default. */
export function verificationSettings(options: { trust: readonly string[]; catalog: readonly string[]; systemTrust?: boolean }): VerificationSettings {
  return {
    trustDirs: options.trust.length ? options.trust : [DEFAULT_TRUST_DIR],
    catalogDirs: options.catalog.length ? options.catalog : defaultCatalogDirs(),
    systemTrust: options.systemTrust ?? false,
  };
}

export async function runInspect(paths: readonly string[], options: InspectOptions, io: Output): Promise<number> {
  const now = options.at ? new Date(options.at) : new Date();
  if (Number.isNaN(now.getTime())) {
    io.err(`--at: not a date: ${options.at}`);
    return ExitCode.usage;
  }
  let ctx: InspectContext;
  try {
    const warnings: string[] = [];
    ctx = await buildInspectContext(verificationSettings(options), now, warnings);
    for (const w of warnings) io.err(w);
  } catch (err) {
    io.err(errorMessage(err));
    return ExitCode.usage;
  }
  let code: number = ExitCode.ok;
  const emit = (record: ModuleRecord): void => {
    if (recordHasFindings(record) && code === ExitCode.ok) code = ExitCode.findings;
    io.out(options.json ? JSON.stringify(record) : `${renderHuman(record)}\n`);
  };
  // Walk first; then inspect. Many files go to worker threads (both cores, a time limit per file); output keeps
  // the walk's order. A bundle's main executable is verified here, with its bundle's Info.plist and CodeResources.
  const entries: Array<{ kind: 'file' | 'directory'; path: string }> = [];
  for (const root of paths) {
    try {
      for await (const entry of walkEntries(root, (p, why) => io.err(`skipped ${p}: ${why}`))) entries.push(entry);
    } catch (err) {
      io.err(`${root}: ${errorMessage(err)}`);
      code = ExitCode.unreadable;
    }
  }
  const files = entries.filter((e) => e.kind === 'file').length;
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
  const pending: Array<Promise<{ record: ModuleRecord } | { error: unknown }>> = [];
  const settle = (p: Promise<ModuleRecord>): Promise<{ record: ModuleRecord } | { error: unknown }> =>
    p.then((record) => ({ record }), (error: unknown) => ({ error }));
  const local = async (path: string, bundle?: BundleContext): Promise<ModuleRecord> => {
    const { facts, bytes } = await readModuleFile(path, options.maxFileBytes);
    return inspectBytes(facts, bytes, ctx, bundle);
  };
  try {
    for (const entry of entries) {
      if (entry.kind === 'directory') {
        const layout = await bundleLayout(entry.path);
        if (!layout) continue;
        const result = await inspectBundle(layout, ctx);
        if (result.executable) bundleContexts.set(result.executable, result.context);
        pending.push(Promise.resolve({ record: result.record }));
        continue;
      }
      const bundle = bundleContexts.get(entry.path);
      pending.push(
        settle(
          pool && !bundle
            ? pool.inspect(entry.path).then((reply) => {
                if ('error' in reply) throw new Error(reply.error.message);
                return reply.record;
              })
            : local(entry.path, bundle),
        ),
      );
    }
    for (const p of pending) {
      const result = await p;
      if ('record' in result) emit(result.record);
      else {
        io.err(errorMessage(result.error));
        code = ExitCode.unreadable;
      }
    }
  } finally {
    await pool?.close();
  }
  return code;
}
