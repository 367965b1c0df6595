// Apple bundles (.app, .framework, .bundle, .appex, .xpc, …): find the layout, verify the main executable with the
// bundle's Info.plist and CodeResources, hash every file once, verify nested code recursively, and compare the
// whole tree with the resource seal. The result is one record for the bundle; its files get their own records.
import { createHash } from 'node:crypto';
import { lstat, realpath } from 'node:fs/promises';
import { basename, sep } from 'node:path';
import { parsePlistDict, type PlistDict } from '../formats/plist/index.ts';
import { isMachO } from '../formats/macho/universal.ts';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { type BundleRecord, type ModuleRecord } from '../shared/model.ts';
import { parseCodeResources, verifySeal, type BundleEntry, type SealReport } from '../verify/codesign/seal.ts';
import { problem, type Problem } from '../verify/problems.ts';
import { confine, DEFAULT_MAX_FILE_BYTES, isBeneath, openConfined, readAll, readAt, readConfined, RefusedError, type Confinement } from './confined.ts';
import { digestStream } from './hash.ts';
import { digestChoice, inspectBytes, type BundleContext, type InspectContext } from './inspect-file.ts';
import { inspectOpenFile } from './inspect-open.ts';
import { bytesText, textBytes } from './names.ts';
import { problemRecord } from './records.ts';
import { walkConfined } from './walk.ts';

import { BUNDLE_NAME } from './bundle-name.ts';
export { BUNDLE_NAME };
const MAX_NESTING = 6;
const MAX_FILES = 200_000;
/** Info.plist and CodeResources are read whole: bounded far below a module (a real CodeResources is a few MB). */
export const METADATA_MAX_BYTES = 16 * 1024 * 1024;

export interface BundleLayout {
  readonly root: string;
  readonly kind: string;
  /** Directory the seal's paths are relative to (Contents/, Versions/A/, or the bundle itself). */
  readonly contentRoot: string;
  readonly infoPlist: string;
  readonly codeResources: string;
  /** Contents/CodeResources: a stapled notarization ticket, not part of the seal. */
  readonly stapledTicket: string | undefined;
  /** Every read of the bundle stays under its directory (confined.ts): `Contents` linked elsewhere is not read. */
  readonly confinement: Confinement;
}

/** Something (not a directory) at a path under the bundle, reached through no link: it will be read (or refused). */
async function present(c: Confinement, path: string): Promise<boolean> {
  const abs = textBytes(path);
  if (!isBeneath(c, abs)) return false;
  try {
    const st = await lstat(abs);
    if (st.isDirectory()) return false;
    const dir = abs.subarray(0, abs.lastIndexOf(sep));
    return (await realpath(dir, { encoding: 'buffer' })).equals(dir);
  } catch {
    return false;
  }
}

const under = (dir: string, ...names: string[]): string => [dir, ...names].join(sep);

/**
 * The bundle layout of `dir` (a real path, in the text form of names.ts), or undefined when it is not a bundle.
 * `dir` reached through a symbolic link is refused: a bundle swapped for a link must not be read where it points.
 */
export async function bundleLayout(dir: string): Promise<BundleLayout | undefined> {
  if (!BUNDLE_NAME.test(dir)) return undefined;
  const dirBytes = textBytes(dir);
  let real: Buffer;
  try {
    const st = await lstat(dirBytes);
    if (st.isSymbolicLink()) throw new RefusedError('SYMLINK', dir, 'is a symbolic link: not read as a bundle');
    if (!st.isDirectory()) return undefined;
    real = await realpath(dirBytes, { encoding: 'buffer' });
  } catch (err) {
    if (err instanceof RefusedError) throw err;
    return undefined;
  }
  if (!real.equals(dirBytes)) throw new RefusedError('SYMLINK', dir, `reached through a symbolic link (resolves to ${bytesText(real)}): not read as a bundle`);
  const c = await confine(dirBytes);
  const kind = (/\.([^.]+)$/.exec(dir)?.[1] ?? 'bundle').toLowerCase();
  const deep = under(dir, 'Contents');
  if (await present(c, under(deep, 'Info.plist'))) {
    return { root: dir, kind, contentRoot: deep, infoPlist: under(deep, 'Info.plist'), codeResources: under(deep, '_CodeSignature', 'CodeResources'), stapledTicket: under(deep, 'CodeResources'), confinement: c };
  }
  // Frameworks: Versions/Current is a link to the current version, which must stay inside the bundle.
  try {
    const current = await realpath(textBytes(under(dir, 'Versions', 'Current')), { encoding: 'buffer' });
    if (isBeneath(c, current) && !current.equals(Buffer.from(c.root))) {
      const version = bytesText(current);
      if (await present(c, under(version, 'Resources', 'Info.plist'))) {
        return { root: dir, kind, contentRoot: version, infoPlist: under(version, 'Resources', 'Info.plist'), codeResources: under(version, '_CodeSignature', 'CodeResources'), stapledTicket: undefined, confinement: c };
      }
    }
  } catch {
    // no Versions/Current
  }
  if (await present(c, under(dir, 'Resources', 'Info.plist'))) {
    return { root: dir, kind, contentRoot: dir, infoPlist: under(dir, 'Resources', 'Info.plist'), codeResources: under(dir, '_CodeSignature', 'CodeResources'), stapledTicket: undefined, confinement: c };
  }
  if (await present(c, under(dir, 'Info.plist'))) {
    return { root: dir, kind, contentRoot: dir, infoPlist: under(dir, 'Info.plist'), codeResources: under(dir, '_CodeSignature', 'CodeResources'), stapledTicket: undefined, confinement: c };
  }
  return undefined;
}

/** A metadata file of the bundle: confined, no-follow, non-blocking, bounded; a refusal is a problem, not a throw. */
async function readMetadata(c: Confinement, path: string | undefined, problems: Problem[], label: string): Promise<Uint8Array | undefined> {
  if (!path || !(await present(c, path))) return undefined;
  try {
    return await readConfined(c, textBytes(path), METADATA_MAX_BYTES);
  } catch (err) {
    problems.push(problem('BUNDLE_FILE_MISSING', `${errorMessage(err)}`, label));
    return undefined;
  }
}

/** CFBundleExecutable names a file in the executable directory: one path component, nothing else. */
function isFileName(name: string): boolean {
  return name.length > 0 && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
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

export async function inspectBundle(layout: BundleLayout, ctx: InspectContext, depth = 0, maxFileBytes = DEFAULT_MAX_FILE_BYTES): Promise<BundleResult> {
  const problems: Problem[] = [];
  const label = 'bundle';
  const c = layout.confinement;
  const infoBytes = await readMetadata(c, layout.infoPlist, problems, label);
  let info: PlistDict = {};
  try {
    if (infoBytes) info = parsePlistDict(infoBytes, 'Info.plist');
  } catch (err) {
    problems.push(problem('CODESIGN_MALFORMED', `${layout.infoPlist}: ${errorMessage(err)}`, label));
  }
  const codeResources = await readMetadata(c, layout.codeResources, problems, label);
  const stapled = layout.stapledTicket !== undefined && (await present(c, layout.stapledTicket));
  const context: BundleContext = { ...(infoBytes ? { infoPlist: infoBytes } : {}), ...(codeResources ? { codeResources } : {}) };

  // The main executable, verified with the bundle's Info.plist and CodeResources for its special slots. Its name
  // is one file name in the executable directory: `../../secret` is refused, never opened.
  const exeName = str(info, 'CFBundleExecutable');
  const exeDir = layout.contentRoot === under(layout.root, 'Contents') ? under(layout.contentRoot, 'MacOS') : layout.contentRoot;
  let executable: string | undefined;
  let exeRecord: ModuleRecord | undefined;
  if (exeName !== undefined && !isFileName(exeName)) {
    problems.push(problem('BUNDLE_FILE_MISSING', `main executable ${JSON.stringify(exeName)}: CFBundleExecutable is not a file name in the bundle (not opened)`, label));
  } else if (exeName !== undefined) {
    executable = under(exeDir, exeName);
    try {
      const { handle, stat } = await openConfined(c, textBytes(executable));
      try {
        exeRecord = await inspectOpenFile({ path: executable, size: stat.size, mtime: stat.mtime }, handle, stat.size, ctx, maxFileBytes, context);
      } finally {
        await handle.close();
      }
    } catch (err) {
      problems.push(problem('BUNDLE_FILE_MISSING', `main executable ${exeName}: ${errorMessage(err)}`, label));
    }
  }

  // Every item under the content root, hashed once by streaming; nested bundles and Mach-O files verified as code.
  // The walk stays under the bundle (walk.ts): links are recorded as links, never followed.
  const entries: BundleEntry[] = [];
  const treeHash = createHash('sha256');
  let totalBytes = 0;
  const contentRoot = textBytes(layout.contentRoot);
  const nestedLayouts = new Map<string, BundleLayout>();
  const enter = async (rel: string, abs: Buffer): Promise<boolean> => {
    if (depth >= MAX_NESTING || !BUNDLE_NAME.test(rel)) return true;
    const nested = await bundleLayout(bytesText(abs)).catch(() => undefined);
    if (!nested) return true;
    nestedLayouts.set(rel, nested);
    return false;
  };
  const exeAbs = executable === undefined ? undefined : textBytes(executable);
  for await (const item of walkConfined({ ...c, root: contentRoot }, { followFileLinks: false, enter })) {
    if (entries.length >= MAX_FILES) throw new SealwatchError('LIMIT_EXCEEDED', `${layout.root}: more than ${MAX_FILES} files`);
    if (item.kind === 'directory') {
      const nestedLayout = item.entered ? undefined : nestedLayouts.get(item.rel);
      if (!nestedLayout) continue;
      const nested = await inspectBundle(nestedLayout, ctx, depth + 1, maxFileBytes);
      const why = nested.record.code_signature.problems.find((p) => p.severity === 'integrity')?.message;
      entries.push({ path: item.rel, type: 'dir', nested: { cdhashes: nested.cdhashes, valid: nested.valid, ...(why ? { problem: why } : {}) } });
      treeHash.update(`B ${item.rel} ${nested.record.file.hash.sha256}\n`);
    } else if (item.kind === 'special') {
      const e = item.entry;
      if (e.kind === 'symlink') {
        entries.push({ path: e.path, type: 'symlink', linkTarget: e.target ?? '' });
        treeHash.update(`L ${e.path} ${e.target ?? ''}\n`);
      } else {
        // A FIFO, socket, device or mount point where the seal may expect a file: not read; the seal reports it.
        treeHash.update(`S ${e.path} ${e.kind}\n`);
      }
    } else if (item.kind === 'unreadable') {
      problems.push(problem('BUNDLE_FILE_MISSING', `${item.rel}: ${item.reason}`, label));
      treeHash.update(`U ${item.rel}\n`);
    } else {
      try {
        const entry = await hashBundleFile(c, item.abs, item.rel, item.stat, exeAbs, ctx, maxFileBytes);
        totalBytes += entry.size;
        if (entry.unverifiedCode) problems.push(problem('NOT_VERIFIED_TOO_LARGE', `${item.rel}: Mach-O of ${entry.size} bytes, over the ${maxFileBytes}-byte bound: hashed for the seal, its own signature not verified`, label));
        entries.push(entry.entry);
        treeHash.update(`F ${item.rel} ${entry.entry.sha256 ?? ''}\n`);
      } catch (err) {
        problems.push(problem('BUNDLE_FILE_MISSING', `${item.rel}: ${errorMessage(err)}`, label));
        treeHash.update(`U ${item.rel}\n`);
      }
    }
  }

  // The seal. Without CodeResources a signed executable that seals resources (special slot 3) is unsealed.
  let seal: SealReport | undefined;
  const exeRel = executable && executable.startsWith(layout.contentRoot + sep) ? executable.slice(layout.contentRoot.length + 1).split(sep).join('/') : undefined;
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
    file: { path: layout.root, name: basename(layout.root), size: totalBytes, hash: { sha256: treeHash.digest('hex') } },
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

/** One file of a bundle: hashed by streaming (any size); a Mach-O other than the main executable inspected as code. */
async function hashBundleFile(
  c: Confinement,
  abs: Buffer,
  rel: string,
  seen: { readonly dev: number; readonly ino: number },
  executable: Buffer | undefined,
  ctx: InspectContext,
  maxFileBytes: number,
): Promise<{ entry: BundleEntry; size: number; unverifiedCode?: boolean }> {
  const { handle, stat, display } = await openConfined(c, abs, seen);
  try {
    const head = await readAt(handle, 0, Math.min(stat.size, 4096));
    if (isMachO(head) && !(executable && executable.equals(abs)) && stat.size <= maxFileBytes) {
      const bytes = await readAll(handle, stat.size, maxFileBytes, display);
      const r = inspectBytes({ path: display, size: bytes.length }, bytes, { ...ctx, fileSha1: true });
      return {
        entry: { path: rel, type: 'file', sha1: r.file.hash.sha1, sha256: r.file.hash.sha256, nested: { cdhashes: cdhashesOf(r), valid: r.code_signature.valid } },
        size: bytes.length,
      };
    }
    const d = await digestStream(handle, stat.size, undefined, undefined, { ...digestChoice(ctx), sha1: true });
    const unverifiedCode = isMachO(head) && !(executable && executable.equals(abs));
    return { entry: { path: rel, type: 'file', sha1: d.sha1, sha256: d.sha256 }, size: d.bytesRead, ...(unverifiedCode ? { unverifiedCode } : {}) };
  } finally {
    await handle.close();
  }
}
