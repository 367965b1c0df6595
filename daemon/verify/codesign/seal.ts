// Bundle resource seal: `_CodeSignature/CodeResources` (VERIFY-NOTES B11). files2/rules2 (SHA-256 "hash2") when
// present, else files/rules (SHA-1). Every file under the bundle's content root is matched against the rules
// (highest weight wins): omitted files are ignored, sealed ones compared, extra ones reported, missing ones too.
// Raw bytes are hashed; nothing is re-serialised.
import { parsePlistDict, type PlistDict, type PlistValue } from '../../formats/plist/index.ts';
import { problem, type Problem } from '../problems.ts';

export interface SealedFile {
  readonly sha1?: string;
  readonly sha256?: string;
  readonly optional: boolean;
  readonly symlink?: string;
  /** Nested code: its cdhash and designated requirement. */
  readonly cdhash?: string;
  readonly requirement?: string;
}

export interface SealRule {
  readonly pattern: RegExp;
  readonly source: string;
  readonly omit: boolean;
  readonly optional: boolean;
  readonly nested: boolean;
  readonly weight: number;
}

export interface ResourceSeal {
  readonly version: 1 | 2;
  readonly files: ReadonlyMap<string, SealedFile>;
  readonly rules: readonly SealRule[];
}

/** What is on disk under the content root (paths relative to it, '/'-separated). */
export interface BundleEntry {
  readonly path: string;
  readonly type: 'file' | 'symlink' | 'dir';
  readonly sha1?: string;
  readonly sha256?: string;
  readonly linkTarget?: string;
  /** Set for nested code (a bundle directory or a Mach-O): its cdhashes and whether it verified. */
  readonly nested?: { readonly cdhashes: readonly string[]; readonly valid: boolean; readonly problem?: string };
}

export interface SealReport {
  readonly sealedFiles: number;
  readonly added: readonly string[];
  readonly modified: readonly string[];
  readonly missing: readonly string[];
  readonly typeChanged: readonly string[];
  readonly nestedInvalid: readonly string[];
  readonly problems: readonly Problem[];
}

const hex = (v: PlistValue | undefined): string | undefined => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : undefined);

function asDict(v: PlistValue | undefined): PlistDict | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date) ? (v as PlistDict) : undefined;
}

export function parseCodeResources(bytes: Uint8Array): ResourceSeal {
  const top = parsePlistDict(bytes, 'CodeResources');
  const v2 = asDict(top.files2) !== undefined;
  const filesDict = asDict(v2 ? top.files2 : top.files) ?? {};
  const rulesDict = asDict(v2 ? top.rules2 : top.rules) ?? {};
  const files = new Map<string, SealedFile>();
  for (const [path, value] of Object.entries(filesDict)) {
    const d = asDict(value);
    if (!d) {
      const sha1 = hex(value); // files (v1): the value is the SHA-1 itself
      files.set(path, { ...(sha1 ? { sha1 } : {}), optional: false });
      continue;
    }
    const entry: { -readonly [K in keyof SealedFile]: SealedFile[K] } = { optional: d.optional === true };
    const sha1 = hex(d.hash);
    const sha256 = hex(d.hash2);
    const cdhash = hex(d.cdhash);
    if (sha1) entry.sha1 = sha1;
    if (sha256) entry.sha256 = sha256;
    if (cdhash) entry.cdhash = cdhash;
    if (typeof d.symlink === 'string') entry.symlink = d.symlink;
    if (typeof d.requirement === 'string') entry.requirement = d.requirement;
    files.set(path, entry);
  }
  const rules: SealRule[] = [];
  for (const [source, value] of Object.entries(rulesDict)) {
    const d = asDict(value);
    let pattern: RegExp;
    try {
      pattern = new RegExp(source, 'u');
    } catch {
      try {
        pattern = new RegExp(source);
      } catch {
        continue; // a rule JavaScript cannot read is skipped; the files it would cover are then held to the default
      }
    }
    rules.push({
      pattern,
      source,
      omit: d?.omit === true,
      optional: d?.optional === true,
      nested: d?.nested === true,
      weight: typeof d?.weight === 'number' ? d.weight : 1,
    });
  }
  return { version: v2 ? 2 : 1, files, rules };
}

function ruleFor(path: string, rules: readonly SealRule[]): SealRule | undefined {
  let best: SealRule | undefined;
  for (const r of rules) if (r.pattern.test(path) && (!best || r.weight > best.weight)) best = r;
  return best;
}

/**
 * Compares the content root with the seal. `exclude` are paths sealed elsewhere (the main executable, sealed by its
 * CodeDirectory; `_CodeSignature/`; a stapled ticket).
 */
export function verifySeal(entries: readonly BundleEntry[], seal: ResourceSeal, exclude: (path: string) => boolean, label: string): SealReport {
  const problems: Problem[] = [];
  const added: string[] = [];
  const modified: string[] = [];
  const typeChanged: string[] = [];
  const nestedInvalid: string[] = [];
  const seen = new Set<string>();
  const useSha256 = seal.version === 2;
  // A nested bundle directory is one sealed item; nothing beneath it is compared here.
  const nestedRoots = entries.filter((e) => e.type === 'dir' && e.nested).map((e) => `${e.path}/`);
  for (const e of entries) {
    if (exclude(e.path) || nestedRoots.some((root) => e.path.startsWith(root))) continue;
    if (e.type === 'dir' && !e.nested) continue;
    const sealed = seal.files.get(e.path);
    const rule = ruleFor(e.path, seal.rules);
    if (!sealed) {
      if (rule?.omit) continue;
      added.push(e.path);
      continue;
    }
    seen.add(e.path);
    if (sealed.symlink !== undefined) {
      if (e.type !== 'symlink') typeChanged.push(e.path);
      else if (e.linkTarget !== sealed.symlink) modified.push(e.path);
      continue;
    }
    if (e.type === 'symlink') {
      typeChanged.push(e.path);
      continue;
    }
    if (sealed.cdhash !== undefined) {
      const n = e.nested;
      if (!n || !n.valid || !n.cdhashes.includes(sealed.cdhash)) {
        nestedInvalid.push(e.path);
        problems.push(
          problem(
            'NESTED_CODE_INVALID',
            `${e.path}: ${!n ? 'not code' : !n.valid ? `fails its own verification${n.problem ? ` (${n.problem})` : ''}` : `cdhash is not the sealed ${sealed.cdhash}`}`,
            label,
          ),
        );
      }
      continue;
    }
    if (e.type === 'dir') {
      typeChanged.push(e.path);
      continue;
    }
    const expected = useSha256 ? (sealed.sha256 ?? sealed.sha1) : sealed.sha1;
    const actual = useSha256 && sealed.sha256 ? e.sha256 : e.sha1;
    if (!expected || expected !== actual) modified.push(e.path);
  }
  // codesign copies a rule's "optional" into each file entry; older seals only have it on the rule.
  const missing = [...seal.files.entries()]
    .filter(([p, f]) => !seen.has(p) && !f.optional && !ruleFor(p, seal.rules)?.optional && !exclude(p))
    .map(([p]) => p);
  const list = (xs: readonly string[]): string => `${xs.slice(0, 5).join(', ')}${xs.length > 5 ? `, … (${xs.length})` : ''}`;
  if (added.length) problems.push(problem('BUNDLE_FILE_ADDED', `${added.length} file(s) not in the seal: ${list(added)}`, label));
  if (modified.length) problems.push(problem('BUNDLE_FILE_MODIFIED', `${modified.length} sealed file(s) changed: ${list(modified)}`, label));
  if (missing.length) problems.push(problem('BUNDLE_FILE_MISSING', `${missing.length} sealed file(s) missing: ${list(missing)}`, label));
  if (typeChanged.length) problems.push(problem('BUNDLE_TYPE_CHANGED', `${typeChanged.length} sealed item(s) changed type: ${list(typeChanged)}`, label));
  return { sealedFiles: seal.files.size, added, modified, missing, typeChanged, nestedInvalid, problems };
}
