// `sealwatch inspect [--json] [--trust DIR] [--catalog DIR] PATH...`
import { addSystemTrust, loadTrustStore, DEFAULT_TRUST_DIR } from '../config/trust.ts';
import { defaultCatalogDirs, loadCatalogs } from '../inventory/catalogs.ts';
import { inspectBytes, type BundleContext, type InspectContext } from '../inventory/inspect-file.ts';
import { readModuleFile, walkEntries } from '../inventory/read.ts';
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

export function recordHasFindings(r: ModuleRecord): boolean {
  return (
    r.error !== undefined ||
    r.code_signature.status === 'invalid' ||
    r.code_signature.problems.some((p) => UNAUTHENTICATED_DATA_CODES.has(p.code))
  );
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
    const store = loadTrustStore(options.trust.length ? options.trust : [DEFAULT_TRUST_DIR], undefined, warnings);
    if (options.systemTrust) addSystemTrust(store, warnings);
    for (const w of warnings) io.err(`trust: ${w}`);
    const base = { store, now, signatureCache: new Map<string, boolean>() };
    const catalogDirs = options.catalog.length ? options.catalog : defaultCatalogDirs();
    const catalogs = catalogDirs.length ? await loadCatalogs(catalogDirs, base) : undefined;
    for (const e of catalogs?.errors ?? []) io.err(`catalog: ${e}`);
    ctx = catalogs ? { ...base, catalogs } : base;
  } catch (err) {
    io.err(errorMessage(err));
    return ExitCode.usage;
  }
  let code: number = ExitCode.ok;
  const emit = (record: ModuleRecord): void => {
    if (recordHasFindings(record) && code === ExitCode.ok) code = ExitCode.findings;
    io.out(options.json ? JSON.stringify(record) : `${renderHuman(record)}\n`);
  };
  // A bundle's main executable is verified with its bundle's Info.plist and CodeResources.
  const bundleContexts = new Map<string, BundleContext>();
  for (const root of paths) {
    try {
      for await (const entry of walkEntries(root, (p, why) => io.err(`skipped ${p}: ${why}`))) {
        try {
          if (entry.kind === 'directory') {
            const layout = await bundleLayout(entry.path);
            if (!layout) continue;
            const result = await inspectBundle(layout, ctx);
            if (result.executable) bundleContexts.set(result.executable, result.context);
            emit(result.record);
            continue;
          }
          const { facts, bytes } = await readModuleFile(entry.path, options.maxFileBytes);
          emit(inspectBytes(facts, bytes, ctx, bundleContexts.get(entry.path)));
        } catch (err) {
          io.err(errorMessage(err));
          code = ExitCode.unreadable;
        }
      }
    } catch (err) {
      io.err(`${root}: ${errorMessage(err)}`);
      code = ExitCode.unreadable;
    }
  }
  return code;
}
