// Apple bundles (.app, .framework, .bundle, .appex, .xpc, …): find the layout, verify the main executable with the
// bundle's Info.plist and CodeResources, hash every file once, verify nested code recursively, and compare the
// whole tree with the resource seal. The result is one record for the bundle; its files get their own records.
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { parsePlistDict, type PlistDict } from '../formats/plist/index.ts';
import { isMachO } from '../formats/macho/universal.ts';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { type BundleRecord, type ModuleRecord } from '../shared/model.ts';
import { parseCodeResources, verifySeal, type BundleEntry, type SealReport } from '../verify/codesign/seal.ts';
import { problem, type Problem } from '../verify/problems.ts';
import { inspectBytes, type BundleContext, type InspectContext } from './inspect-file.ts';
import { problemRecord } from './records.ts';
import { readModuleFile } from './read.ts';

export const BUNDLE_NAME = /\.(app|framework|bundle|appex|xpc|plugin|kext|qlgenerator|mdimporter|prefPane|saver|driver)$/i;
const MAX_NESTING = 6;
const MAX_FILES = 200_000;

export interface BundleLayout {
  readonly root: string;
  readonly kind: string;
  /** Directory the seal's paths are relative to (Contents/, Versions/A/, or the bundle itself). */
  readonly contentRoot: string;
  readonly infoPlist: string;
  readonly codeResources: string;
  /** Contents/CodeResources: a stapled notarization ticket, not part of the seal. */
  readonly stapledTicket: string | undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The bundle layout of `dir`, or undefined when it is not a bundle. */
export async function bundleLayout(dir: string): Promise<BundleLayout | undefined> {
  if (!BUNDLE_NAME.test(dir)) return undefined;
  const kind = (/\.([^.]+)$/.exec(dir)?.[1] ?? 'bundle').toLowerCase();
  const deep = join(dir, 'Contents');
  if (await exists(join(deep, 'Info.plist'))) {
    return { root: dir, kind, contentRoot: deep, infoPlist: join(deep, 'Info.plist'), codeResources: join(deep, '_CodeSignature', 'CodeResources'), stapledTicket: join(deep, 'CodeResources') };
  }
  const version = join(dir, 'Versions', 'Current');
  if (await exists(join(version, 'Resources', 'Info.plist'))) {
    return { root: dir, kind, contentRoot: version, infoPlist: join(version, 'Resources', 'Info.plist'), codeResources: join(version, '_CodeSignature', 'CodeResources'), stapledTicket: undefined };
  }
  if (await exists(join(dir, 'Resources', 'Info.plist'))) {
    return { root: dir, kind, contentRoot: dir, infoPlist: join(dir, 'Resources', 'Info.plist'), codeResources: join(dir, '_CodeSignature', 'CodeResources'), stapledTicket: undefined };
  }
  if (await exists(join(dir, 'Info.plist'))) {
    return { root: dir, kind, contentRoot: dir, infoPlist: join(dir, 'Info.plist'), codeResources: join(dir, '_CodeSignature', 'CodeResources'), stapledTicket: undefined };
  }
  return undefined;
}

async function readOptional(path: string | undefined): Promise<Uint8Array | undefined> {
  if (!path) return undefined;
  try {
    return await readFile(path);
  } catch {
    return undefined;
  }
}

const str = (d: PlistDict, k: string): string | undefined => (typeof d[k] === 'string' ? (d[k] as string) : undefined);

export interface BundleResult {
  readonly record: ModuleRecord;
  /** Truncated cdhashes of the main executable's slices (what a parent's seal records for nested code). */
  readonly cdhashes: readonly string[];
  readonly valid: boolean;
  /** Main executable path and the context it was verified with (so a walker can reuse it). */
  readonly executable: string | undefined;
  readonly context: BundleContext;
}

export async function inspectBundle(layout: BundleLayout, ctx: InspectContext, depth = 0): Promise<BundleResult> {
  const problems: Problem[] = [];
  const label = 'bundle';
  const infoBytes = await readOptional(layout.infoPlist);
  let info: PlistDict = {};
  try {
    if (infoBytes) info = parsePlistDict(infoBytes, 'Info.plist');
  } catch (err) {
    problems.push(problem('CODESIGN_MALFORMED', `${layout.infoPlist}: ${errorMessage(err)}`, label));
  }
  const codeResources = await readOptional(layout.codeResources);
  const stapled = (await readOptional(layout.stapledTicket)) !== undefined;
  const context: BundleContext = { ...(infoBytes ? { infoPlist: infoBytes } : {}), ...(codeResources ? { codeResources } : {}) };

  // The main executable, verified with the bundle's Info.plist and CodeResources for its special slots.
  const exeName = str(info, 'CFBundleExecutable');
  const exeDir = layout.contentRoot === join(layout.root, 'Contents') ? join(layout.contentRoot, 'MacOS') : layout.contentRoot;
  const executable = exeName ? join(exeDir, exeName) : undefined;
  let exeRecord: ModuleRecord | undefined;
  if (executable) {
    try {
      const { facts, bytes } = await readModuleFile(executable);
      exeRecord = inspectBytes(facts, bytes, ctx, context);
    } catch (err) {
      problems.push(problem('BUNDLE_FILE_MISSING', `main executable ${exeName}: ${errorMessage(err)}`, label));
    }
  }

  // Every item under the content root, hashed once; nested bundles and Mach-O files verified as code.
  const entries: BundleEntry[] = [];
  const treeHash = createHash('sha256');
  let totalBytes = 0;
  const walk = async (dir: string): Promise<void> => {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      if (entries.length >= MAX_FILES) throw new SealwatchError('LIMIT_EXCEEDED', `${layout.root}: more than ${MAX_FILES} files`);
      const full = join(dir, name);
      const rel = relative(layout.contentRoot, full).split(sep).join('/');
      const st = await lstat(full);
      if (st.isSymbolicLink()) {
        entries.push({ path: rel, type: 'symlink', linkTarget: await readlink(full) });
        treeHash.update(`L ${rel} ${await readlink(full)}\n`);
      } else if (st.isDirectory()) {
        const nestedLayout = depth < MAX_NESTING ? await bundleLayout(full) : undefined;
        if (nestedLayout) {
          const nested = await inspectBundle(nestedLayout, ctx, depth + 1);
          const why = nested.record.code_signature.problems.find((p) => p.severity === 'integrity')?.message;
          entries.push({ path: rel, type: 'dir', nested: { cdhashes: nested.cdhashes, valid: nested.valid, ...(why ? { problem: why } : {}) } });
          treeHash.update(`B ${rel} ${nested.record.file.hash.sha256}\n`);
        } else {
          await walk(full);
        }
      } else if (st.isFile()) {
        const bytes = await readFile(full);
        totalBytes += bytes.length;
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        const entry: BundleEntry = { path: rel, type: 'file', sha1: createHash('sha1').update(bytes).digest('hex'), sha256 };
        if (isMachO(bytes) && full !== executable) {
          const r = inspectBytes({ path: full, size: bytes.length }, bytes, ctx);
          entries.push({ ...entry, nested: { cdhashes: cdhashesOf(r), valid: r.code_signature.valid } });
        } else entries.push(entry);
        treeHash.update(`F ${rel} ${sha256}\n`);
      }
    }
  };
  await walk(layout.contentRoot);

  // The seal. Without CodeResources a signed executable that seals resources (special slot 3) is unsealed.
  let seal: SealReport | undefined;
  const exeRel = executable ? relative(layout.contentRoot, executable).split(sep).join('/') : undefined;
  const exclude = (p: string): boolean => p === exeRel || p.startsWith('_CodeSignature/') || (stapled && p === 'CodeResources');
  if (codeResources) {
    try {
      seal = verifySeal(entries, parseCodeResources(codeResources), exclude, label);
      problems.push(...seal.problems);
    } catch (err) {
      problems.push(problem('BUNDLE_UNSEALED', `CodeResources does not parse: ${errorMessage(err)}`, label));
    }
  } else if (exeRecord?.code_signature.problems.some((p) => p.code === 'SEAL_NOT_CHECKED' && /CodeResources/.test(p.message))) {
    problems.push(problem('BUNDLE_UNSEALED', 'the executable seals resources but _CodeSignature/CodeResources is missing', label));
  }

  const exeSig = exeRecord?.code_signature;
  const integrityBroken = problems.some((p) => p.severity === 'integrity');
  const valid = (exeSig?.valid ?? false) && !integrityBroken;
  const bundle: BundleRecord = {
    kind: layout.kind,
    ...(str(info, 'CFBundleIdentifier') ? { identifier: str(info, 'CFBundleIdentifier') as string } : {}),
    ...(exeName ? { executable: exeName } : {}),
    ...(str(info, 'CFBundleShortVersionString') ? { short_version: str(info, 'CFBundleShortVersionString') as string } : {}),
    ...(str(info, 'CFBundleVersion') ? { version: str(info, 'CFBundleVersion') as string } : {}),
    files: entries.filter((e) => e.type === 'file').length,
    sealed_files: seal?.sealedFiles ?? 0,
    stapled_ticket: stapled,
    seal: { added: seal?.added ?? [], modified: seal?.modified ?? [], missing: seal?.missing ?? [], type_changed: seal?.typeChanged ?? [], nested_invalid: seal?.nestedInvalid ?? [] },
  };
  const record: ModuleRecord = {
    file: { path: layout.root, name: basename(layout.root), size: totalBytes, hash: { sha256: treeHash.digest('hex'), sha1: '', md5: '' } },
    module: {
      format: 'bundle',
      arch: exeRecord?.module.arch ?? [],
      kind: layout.kind,
      version: { file: bundle.version, product: bundle.short_version },
    },
    bundle,
    code_signature: exeSig
      ? {
          ...exeSig,
          status: integrityBroken && exeSig.exists ? 'invalid' : exeSig.status,
          valid,
          trusted: valid && exeSig.trusted,
          problems: [...exeSig.problems.filter((p) => p.code !== 'SEAL_NOT_CHECKED'), ...problems.map(problemRecord)],
        }
      : {
          exists: false, status: 'unsigned', valid: false, trusted: false, source: 'none', subject_name: undefined, issuer_name: undefined,
          digest_algorithm: undefined, timestamp: undefined, thumbprint_sha256: undefined, signatures: [], problems: problems.map(problemRecord),
        },
  };
  return { record, cdhashes: exeRecord ? cdhashesOf(exeRecord) : [], valid, executable, context };
}

function cdhashesOf(r: ModuleRecord): string[] {
  return r.code_signature.signatures.flatMap((s) => [s.cdhash, ...(s.cdhashes ?? []).map((c) => c.cdhash.slice(0, 40))].filter((x): x is string => !!x));
}
