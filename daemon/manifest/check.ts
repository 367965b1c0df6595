// The manifest stage of the pipeline (issue 11): after detect, before policy. Pure: the manifests are parsed and
// verified before (load.ts), the app's current files come in as data, time is not read.
// - File lists (sealwatch's own manifest, MSIX block map, CodeResources): MANIFEST_MISMATCH, NOT_IN_MANIFEST,
//   MISSING_FROM_MANIFEST; a detect finding on a file the list vouches for is marked explained, naming the list —
//   as far as its strength allows (RULES_EXPLAINED_BY), and never UNAUTHENTICATED_DATA or SIGNATURE_INVALID: in 3CX
//   the vendor's own pipeline was compromised, so its manifests agreed with the trojan.
// - Feeds: VERSION_UNKNOWN_TO_VENDOR.
// - Manifests that failed verification: MANIFEST_INVALID, and they are not used.
// A scan judges the paths it saw change; every path when it is a baseline, the version moved, or a manifest is new.
import { ruleSeverity } from '../detect/rule-table.ts';
import { type Finding, type RuleId } from '../shared/findings.ts';
import { compareVersions, sameVersion } from '../shared/version-order.ts';
import { type ListedFile, type Manifest, type ManifestStrength, type RejectedManifest } from './model.ts';

/** What the stage needs of a file in the app now. */
export interface CurrentFile {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  /** PE, Mach-O, ELF: a module (bundles and data are not). */
  readonly isModule: boolean;
  /** sealwatch's signer identity (`org:…`, `team:…`, '' unsigned), when known. */
  readonly signer?: string;
}

export interface ManifestCheckContext {
  readonly version: string | undefined;
  /** The root bundle's CFBundleVersion, for feeds that list bundle versions (Sparkle without short versions). */
  readonly bundleVersion?: string | undefined;
  readonly baseline: boolean;
  readonly versionMoved: boolean;
  /** Manifests that verified and apply to this version. */
  readonly manifests: readonly Manifest[];
  readonly rejected: readonly RejectedManifest[];
  /** Every path of the app now (files that could not be read are absent). */
  readonly files: ReadonlyMap<string, CurrentFile>;
  /** Paths added, changed or removed in this scan. */
  readonly changed: ReadonlySet<string>;
  /** Manifests (by digest) already used on the previous scan: only a new one re-judges unchanged files. */
  readonly usedBefore: ReadonlySet<string>;
  /** Image digests of a current file, asked only where a manifest lists a file by them. */
  readonly digests?: (path: string) => { readonly authentihash?: string; readonly cdhash?: string } | undefined;
}

/** Rules a manifest's agreement may explain, by its strength. Facts about hidden data and broken signatures: none. */
export const RULES_EXPLAINED_BY: Readonly<Record<ManifestStrength, ReadonlySet<RuleId>>> = {
  'pinned-key': new Set<RuleId>([
    'NEW_MODULE', 'NEW_UNSIGNED_MODULE', 'NEW_MODULE_GROUP', 'OUT_OF_BAND_CHANGE', 'MODULE_CHANGED_SAME_VERSION', 'SIGNER_CHANGED',
    'MODULE_ROLLBACK', 'MODULE_SWAPPED', 'NEW_CAPABILITIES', 'TIMESTAMP_ANOMALY', 'SIDELOAD_NAME', 'STEERING_CHANGED', 'NEW_SCRIPT',
  ]),
  // The vendor's own word: it says what the vendor shipped, not that the vendor's pipeline was clean.
  'vendor-signed': new Set<RuleId>(['NEW_MODULE', 'NEW_UNSIGNED_MODULE', 'NEW_MODULE_GROUP', 'NEW_SCRIPT']),
  feed: new Set<RuleId>(),
};

/** Never explained, never lowered, whatever a manifest says. */
export const NEVER_EXPLAINED: ReadonlySet<RuleId> = new Set<RuleId>(['UNAUTHENTICATED_DATA', 'SIGNATURE_INVALID']);

const STRENGTH_WORDS: Readonly<Record<ManifestStrength, string>> = {
  'pinned-key': 'signed with a pinned key',
  'vendor-signed': "signed by the vendor's code-signing identity",
  feed: "the vendor's update feed",
};

export const describeManifest = (m: Pick<Manifest, 'name' | 'strength'>): string => `${m.name} (${STRENGTH_WORDS[m.strength]})`;

type Match = { readonly matches: true; readonly by: string } | { readonly matches: false; readonly by: string; readonly expected: string | undefined; readonly actual: string | undefined };

function compare(l: ListedFile, cur: CurrentFile, ctx: ManifestCheckContext): Match {
  if (l.checked) return l.checked.matches ? { matches: true, by: l.checked.detail } : { matches: false, by: l.checked.detail, expected: undefined, actual: cur.sha256 };
  if (l.sha256) return l.sha256 === cur.sha256 ? { matches: true, by: 'sha256' } : { matches: false, by: 'sha256', expected: l.sha256, actual: cur.sha256 };
  const d = ctx.digests?.(cur.path);
  const image = l.authentihash ? { by: 'authentihash', expected: l.authentihash, actual: d?.authentihash } : l.cdhash ? { by: 'cdhash', expected: l.cdhash, actual: d?.cdhash } : undefined;
  if (!image) return { matches: false, by: 'no hash listed', expected: undefined, actual: cur.sha256 };
  if (image.expected !== image.actual) return { matches: false, ...image };
  // The image digest leaves the signature out: anyone can sign the same image again. The listed signer must sign it.
  if (l.signer !== undefined && cur.signer !== undefined && l.signer !== cur.signer) {
    return { matches: false, by: `${image.by} matches, but signed by ${cur.signer || '(unsigned)'}, not ${l.signer || '(unsigned)'}`, expected: l.signer, actual: cur.signer };
  }
  // Hidden data in the certificate table is for UNAUTHENTICATED_DATA to report.
  return { matches: true, by: image.by === 'authentihash' ? 'authentihash (the certificate table is not covered)' : 'cdhash' };
}

function manifestEvidence(m: Manifest): Record<string, unknown> {
  return { name: m.name, kind: m.kind, strength: m.strength, ...(m.version ? { version: m.version } : {}), ...(m.facts ?? {}) };
}

function make(rule: RuleId, path: string | undefined, message: string, evidence: Record<string, unknown>): Finding {
  return { rule, severity: ruleSeverity(rule), path, message, evidence, explained: false };
}

interface ListOutcome {
  readonly findings: Finding[];
  /** Paths the list vouches for (listed and matching), with how they matched. */
  readonly vouched: Map<string, string>;
}

function checkFileList(m: Manifest, files: readonly ListedFile[], ctx: ManifestCheckContext): ListOutcome {
  const out: ListOutcome = { findings: [], vouched: new Map() };
  const all = ctx.baseline || ctx.versionMoved || !ctx.usedBefore.has(m.digest);
  const inScope = (p: string): boolean => (all || ctx.changed.has(p)) && (!m.scope || p.startsWith(m.scope));
  const listed = new Map(files.map((f) => [f.path, f]));
  const ev = manifestEvidence(m);
  for (const l of files) {
    const cur = ctx.files.get(l.path);
    if (!cur) {
      if (inScope(l.path)) out.findings.push(make('MISSING_FROM_MANIFEST', l.path, `${l.path}: listed by ${describeManifest(m)} but not in the app`, { manifest: ev, expected: { sha256: l.sha256, size: l.size } }));
      continue;
    }
    const match = compare(l, cur, ctx);
    if (match.matches) out.vouched.set(l.path, match.by);
    else if (inScope(l.path)) {
      out.findings.push(make('MANIFEST_MISMATCH', l.path, `${l.path}: differs from ${describeManifest(m)} (${match.by})`, {
        manifest: ev,
        matched_by: match.by,
        expected: match.expected,
        actual: match.actual,
        ...(l.signer !== undefined ? { expected_signer: l.signer || '(unsigned)' } : {}),
        sha256: cur.sha256,
      }));
    }
  }
  for (const cur of ctx.files.values()) {
    if (!cur.isModule || listed.has(cur.path) || !inScope(cur.path)) continue;
    out.findings.push(make('NOT_IN_MANIFEST', cur.path, `${cur.path}: a module that ${describeManifest(m)} does not list`, { manifest: ev, sha256: cur.sha256, size: cur.size }));
  }
  return out;
}

function checkFeed(m: Manifest, versions: readonly string[], ctx: ManifestCheckContext): Finding[] {
  const v = m.versionsAre === 'bundle-version' ? ctx.bundleVersion : ctx.version;
  if (!v || versions.length === 0 || !(ctx.baseline || ctx.versionMoved || !ctx.usedBefore.has(m.digest))) return [];
  const ev = { manifest: manifestEvidence(m), installed: v };
  if (m.latestOnly) {
    const latest = versions[0] as string;
    const cmp = compareVersions(v, latest);
    if (cmp === 1) return [make('VERSION_UNKNOWN_TO_VENDOR', undefined, `version ${v} is newer than the latest ${latest} that ${describeManifest(m)} names`, { ...ev, latest })];
    return [];
  }
  if (versions.some((x) => sameVersion(x, v) || x === v)) return [];
  // An old version a feed has pruned is not unknown: only one within the range the feed covers is.
  const oldest = versions.reduce((a, b) => ((compareVersions(b, a) ?? 0) < 0 ? b : a));
  if ((compareVersions(v, oldest) ?? 1) < 0) return [];
  return [make('VERSION_UNKNOWN_TO_VENDOR', undefined, `version ${v} is not among the ${versions.length} version(s) ${describeManifest(m)} lists`, { ...ev, listed: versions.slice(0, 50) })];
}

/** Marks a detect finding explained when a manifest strong enough vouches for its file. */
function explain(f: Finding, vouchers: ReadonlyArray<{ m: Manifest; vouched: ReadonlyMap<string, string> }>): Finding {
  if (f.explained || NEVER_EXPLAINED.has(f.rule)) return f;
  const paths = f.path !== undefined ? [f.path] : groupMembers(f);
  if (paths.length === 0) return f;
  const by = vouchers.find(({ m, vouched }) => RULES_EXPLAINED_BY[m.strength].has(f.rule) && paths.every((p) => vouched.has(p)));
  if (!by) return f;
  const name = describeManifest(by.m);
  return {
    ...f,
    severity: 'info',
    message: `${f.message} — explained by ${name}`,
    evidence: { ...f.evidence, explained_by: { manifest: manifestEvidence(by.m), severity_before: f.severity, matched_by: paths.map((p) => by.vouched.get(p)) } },
    explained: true,
    explained_by: name,
  };
}

/** NEW_MODULE_GROUP lists its members in evidence (all of them only when the list was not cut short). */
function groupMembers(f: Finding): string[] {
  const { modules, count } = f.evidence as { modules?: unknown; count?: unknown };
  if (!Array.isArray(modules) || modules.length !== count) return [];
  return modules.map((x) => (x as { path?: unknown }).path).filter((x): x is string => typeof x === 'string');
}

export function checkManifests(findings: readonly Finding[], ctx: ManifestCheckContext): Finding[] {
  const added: Finding[] = [];
  const vouchers: Array<{ m: Manifest; vouched: ReadonlyMap<string, string> }> = [];
  for (const r of ctx.rejected) {
    added.push(make('MANIFEST_INVALID', undefined, `manifest ${r.name} not used: ${r.reason}: ${r.message}`, { manifest: { name: r.name, kind: r.kind, ...(r.facts ?? {}) }, reason: r.reason, detail: r.message }));
  }
  for (const m of ctx.manifests) {
    if (m.files) {
      const o = checkFileList(m, m.files, ctx);
      if (!m.vouchOnly) added.push(...o.findings);
      vouchers.push({ m, vouched: o.vouched });
    }
    if (m.versions) added.push(...checkFeed(m, m.versions, ctx));
  }
  // Strongest first: the finding names the manifest that deserves the most trust.
  const order: ManifestStrength[] = ['pinned-key', 'vendor-signed', 'feed'];
  vouchers.sort((a, b) => order.indexOf(a.m.strength) - order.indexOf(b.m.strength));
  return [...findings.map((f) => explain(f, vouchers)), ...added];
}
