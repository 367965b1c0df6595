// Changes + context → findings. Pure; no I/O, no clock. The rules, their severities and whether a baseline caps them
// are data (rule-table.ts, mirrored in README "Detection rules"); this file holds how each one is evaluated. Every
// change is either explained by the update or becomes a finding.
import { type ModuleChange } from '../diff/diff.ts';
import { type ModuleSummary } from '../diff/summary.ts';
import { type Finding, type RuleId, type Severity, SEVERITY_ORDER } from '../shared/findings.ts';
import { RULES, ruleSeverity } from './rule-table.ts';

export { SEVERITY_ORDER, type Finding, type Severity };

export interface DetectInput {
  readonly baseline: boolean;
  readonly fromVersion: string | undefined;
  readonly toVersion: string | undefined;
  readonly changes: readonly ModuleChange[];
  /** Signer identities of the app's code before this snapshot (signerIdentity values). */
  readonly knownSigners: ReadonlySet<string>;
  /** At least one module of the app was signed before this snapshot. */
  readonly appWasSigned: boolean;
}

/** Imports that give code new reach: processes, network, file permissions, other processes' memory. */
const CAPABILITY_IMPORTS = new Set([
  'popen', 'system', 'execve', 'execv', 'execvp', 'fork', 'vfork', 'posix_spawn', 'posix_spawnp', 'dlopen',
  'socket', 'connect', 'getaddrinfo', 'gethostbyname', 'gethostname', 'curl_easy_perform',
  'chmod', 'fchmod', 'chown', 'fchown', 'flock', 'setuid', 'ptrace', 'task_for_pid',
  'CreateProcessA', 'CreateProcessW', 'CreateProcessAsUserW', 'WinExec', 'ShellExecuteA', 'ShellExecuteW', 'ShellExecuteExW',
  'WSAStartup', 'InternetOpenA', 'InternetOpenW', 'InternetOpenUrlA', 'InternetOpenUrlW', 'WinHttpOpen', 'URLDownloadToFileA', 'URLDownloadToFileW',
  'VirtualAllocEx', 'WriteProcessMemory', 'CreateRemoteThread', 'SetFileSecurityW', 'SetNamedSecurityInfoW',
]);

/** Names that promise data, not code. Executable content behind them is hiding. */
const DATA_EXTENSIONS = new Set([
  'txt', 'rtf', 'md', 'json', 'xml', 'plist', 'yml', 'yaml', 'ini', 'cfg', 'conf', 'log', 'csv', 'html', 'htm', 'css',
  'png', 'jpg', 'jpeg', 'gif', 'bmp', 'ico', 'icns', 'svg', 'webp', 'tif', 'tiff', 'pdf', 'mp3', 'wav', 'mp4', 'ttf', 'otf',
  'woff', 'woff2', 'pak', 'dat', 'db', 'sqlite', 'strings', 'nib', 'car', 'asar', 'zip', 'gz', 'license', 'mui',
]);

const symbolName = (i: string): string => i.replace(/^.*!/, '').replace(/^_/, '');

function versionParts(v: string | undefined): number[] | undefined {
  if (!v) return undefined;
  const m = v.match(/\d+/g);
  return m ? m.map(Number) : undefined;
}

/** -1, 0, 1, or undefined when either side has no numeric version. */
export function compareVersions(a: string | undefined, b: string | undefined): number | undefined {
  const x = versionParts(a);
  const y = versionParts(b);
  if (!x || !y) return undefined;
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

const STATE_WORDS: Readonly<Record<ModuleSummary['state'], string>> = {
  file: 'a file',
  symlink: 'a symbolic link',
  'link-out-of-root': 'a symbolic link out of the app root',
  special: 'a FIFO, socket or device',
  unreadable: 'something that cannot be read',
};

const evidenceOf = (m: ModuleSummary | undefined): Record<string, unknown> | undefined =>
  m && {
    sha256: m.sha256,
    signer: m.signer || '(unsigned)',
    subject: m.signerSubject,
    issuer: m.issuer,
    status: m.status,
    version: m.ownVersion,
    signed_at: m.signedAt,
    ...(m.state !== 'file' ? { state: m.state, detail: m.detail } : {}),
  };

function finding(rule: RuleId, c: ModuleChange | undefined, message: string, extra: Record<string, unknown> = {}, variant?: string): Finding {
  return {
    rule,
    severity: ruleSeverity(rule, variant),
    path: c?.path,
    message,
    evidence: { ...(c ? { change: c.kind, fields: c.fields, before: evidenceOf(c.before), after: evidenceOf(c.after) } : {}), ...extra },
    explained: false,
  };
}

/** A path that held a module and now holds something else, or a new path that cannot be verified at all. */
function entryRules(c: ModuleChange): Finding[] | undefined {
  const a = c.after;
  const b = c.before;
  if (!a) return undefined;
  const held = b?.isCode === true;
  if (held && !a.isCode) {
    const now = a.state === 'file' ? `data (${a.format})` : STATE_WORDS[a.state];
    const detail = a.detail ? ` (${a.detail})` : '';
    return [finding('MODULE_DISPLACED', c, `${c.path}: held a module, now holds ${now}${detail}`)];
  }
  if (a.state === 'link-out-of-root' || a.state === 'special' || a.state === 'unreadable') {
    const variant = a.state === 'link-out-of-root' ? 'link-out-of-root' : undefined;
    return [finding('UNVERIFIED_PATH', c, `${c.path}: ${STATE_WORDS[a.state]}${a.detail ? ` (${a.detail})` : ''} — not verified`, {}, variant)];
  }
  return a.isCode ? undefined : [];
}

/**
 * A directory that held modules and is now a link out of the root, a mount point or something unreadable: its
 * modules did not go away in an update, they were put out of sight. One MODULE_DISPLACED finding for the directory
 * for the directory; the modules under it map to that same finding and raise nothing of their own.
 */
function directoriesDisplaced(changes: readonly ModuleChange[]): Map<string, Finding> {
  const out = new Map<string, Finding>();
  const removedCode = changes.filter((c) => c.kind === 'removed' && c.before?.isCode).map((c) => c.path);
  for (const c of changes) {
    const state = c.after?.state;
    if (c.kind !== 'added' || !(state === 'link-out-of-root' || state === 'special' || state === 'unreadable')) continue;
    const under = removedCode.filter((p) => p.startsWith(`${c.path}/`));
    if (under.length === 0) continue;
    const detail = c.after?.detail ? ` (${c.after.detail})` : '';
    const f = finding('MODULE_DISPLACED', c, `${c.path}/: a directory that held ${under.length} module(s) now is ${STATE_WORDS[state]}${detail}`, { modules: under });
    out.set(c.path, f);
    for (const p of under) out.set(p, f);
  }
  return out;
}

/** Facts about the module as it is now: hidden data, a broken signature, code behind a data name. */
function factRules(c: ModuleChange, a: ModuleSummary): Finding[] {
  const out: Finding[] = [];
  if (a.format === 'bundle') {
    // A bundle's own record speaks for its seal; its executable and files have records (and rules) of their own.
    if (a.status === 'invalid') out.push(finding('SIGNATURE_INVALID', c, `${c.path}: bundle seal or signature broken — ${a.integrityProblems.slice(0, 3).join('; ')}`));
    return out;
  }
  const hiddenBefore = new Set(c.before?.isCode ? c.before.hiddenData.map((h) => h.code) : []);
  const newHidden = a.hiddenData.filter((h) => !hiddenBefore.has(h.code) || c.kind === 'added' || c.fields.includes('content'));
  if (newHidden.length > 0) {
    out.push(finding('UNAUTHENTICATED_DATA', c, `${c.path}: data hidden in or after its signature — ${newHidden.map((h) => h.message).join('; ')}`, { hidden: newHidden }));
  }
  if (a.status === 'invalid') out.push(finding('SIGNATURE_INVALID', c, `${c.path}: signature does not verify — ${a.integrityProblems.slice(0, 3).join('; ')}`));
  const extension = (/\.([^./]+)$/.exec(c.path)?.[1] ?? '').toLowerCase();
  if (DATA_EXTENSIONS.has(extension)) out.push(finding('TYPE_MISMATCH', c, `${c.path}: ${a.format.toUpperCase()} code behind a .${extension} name`));
  return out;
}

/** What changed about a module since the previous snapshot. `appeared`: no module was at this path before. */
function changeRules(c: ModuleChange, a: ModuleSummary, input: DetectInput, appVersionChanged: boolean): Finding[] {
  if (a.format === 'bundle') return [];
  const out: Finding[] = [];
  const b = c.before?.isCode ? c.before : undefined;
  if (b && b.signed && a.signed && a.signer !== b.signer) {
    out.push(finding('SIGNER_CHANGED', c, `${c.path}: signer changed from ${b.signer} to ${a.signer}`));
  } else if (b && c.fields.includes('signer-certificate')) {
    const what = b.issuer !== a.issuer ? `issuing CA ${b.issuer ?? '?'} → ${a.issuer ?? '?'}` : `new leaf certificate from ${a.issuer ?? '?'}`;
    out.push(finding('SIGNER_CHANGED', c, `${c.path}: same signer (${a.signer}), ${what}`, {}, 'certificate-rotation'));
  }
  if (!a.signed && ((!b && input.appWasSigned) || b?.signed)) {
    out.push(finding('NEW_UNSIGNED_MODULE', c, !b ? `${c.path}: new unsigned module in a signed app` : `${c.path}: lost its signature`));
  }
  if (b && a.ownVersion !== undefined && a.ownVersion === b.ownVersion) {
    out.push(finding('MODULE_CHANGED_SAME_VERSION', c, `${c.path}: content changed but its own version is still ${a.ownVersion}`));
  }
  if (b && !appVersionChanged && input.toVersion !== undefined && !input.baseline) {
    out.push(finding('OUT_OF_BAND_CHANGE', c, `${c.path}: changed while the app's version stayed ${input.toVersion}`));
  }
  if (!b) {
    const foreign = a.signed && a.signer !== '' && !input.knownSigners.has(a.signer) && input.knownSigners.size > 0;
    const why = !a.signed ? 'unsigned' : foreign ? `signed by ${a.signer}, a publisher this app has not used` : `signed by the app's own signer (${a.signer})`;
    const where = c.before ? ` where ${c.path} held data before` : '';
    out.push(finding('NEW_MODULE', c, `${c.path}: new module${where}, ${why}`, {}, a.signed && !foreign ? 'own-signer' : undefined));
  }
  if (b) {
    const gained = c.importsAdded.filter((i) => CAPABILITY_IMPORTS.has(symbolName(i)));
    const moreConstructors = a.constructors > b.constructors;
    if (gained.length || moreConstructors) {
      const parts = [...(moreConstructors ? [`constructors ${b.constructors} → ${a.constructors}`] : []), ...(gained.length ? [`new imports ${gained.map(symbolName).join(', ')}`] : [])];
      out.push(finding('NEW_CAPABILITIES', c, `${c.path}: ${parts.join('; ')}`, { imports_added: gained, constructors: [b.constructors, a.constructors] }));
    }
  }
  if (b && a.signedAt && b.signedAt && a.signedAt < b.signedAt) {
    out.push(finding('TIMESTAMP_ANOMALY', c, `${c.path}: the new version was signed (${a.signedAt}) before the old one (${b.signedAt})`));
  } else if (a.signedAt && a.compiledAt && Date.parse(a.signedAt) - Date.parse(a.compiledAt) > 400 * 86_400_000) {
    out.push(finding('TIMESTAMP_ANOMALY', c, `${c.path}: signed ${a.signedAt.slice(0, 10)}, more than 400 days after it was built (${a.compiledAt.slice(0, 10)})`));
  }
  return out;
}

/** On a baseline there is nothing to compare: change rules are capped at info, facts keep their severity. */
function asBaseline(f: Finding): Finding | undefined {
  const kind = RULES[f.rule].kind;
  if (kind === 'fact') return f;
  if (f.rule === 'NEW_MODULE') return undefined;
  return { ...f, severity: 'info', message: `baseline: ${f.message}` };
}

export function detect(input: DetectInput): Finding[] {
  const appVersionChanged = input.fromVersion !== input.toVersion;
  const versionsKnown = input.fromVersion !== undefined && input.toVersion !== undefined;
  const findings: Finding[] = [];
  if (!input.baseline && compareVersions(input.toVersion, input.fromVersion) === -1) {
    findings.push(finding('DOWNGRADE', undefined, `app version went backwards: ${input.fromVersion} → ${input.toVersion}`, { from: input.fromVersion, to: input.toVersion }));
  }
  const explained: string[] = [];
  const removed: string[] = [];
  const displacedBy = directoriesDisplaced(input.changes);
  for (const c of input.changes) {
    const dir = displacedBy.get(c.path);
    if (dir) {
      if (dir.path === c.path) findings.push(dir);
      continue;
    }
    if (c.kind === 'removed') {
      if (!c.before?.isCode) continue;
      if (!input.baseline && versionsKnown && !appVersionChanged) {
        findings.push(finding('OUT_OF_BAND_CHANGE', c, `${c.path}: module removed while the app's version stayed ${input.toVersion}`));
      } else removed.push(c.path);
      continue;
    }
    const a = c.after as ModuleSummary;
    const fired = entryRules(c) ?? [...factRules(c, a), ...changeRules(c, a, input, appVersionChanged)];
    if (fired.length === 0 && c.kind === 'changed' && a.isCode) explained.push(c.path);
    findings.push(...fired);
  }
  if (input.baseline) {
    const modules = input.changes.filter((c) => c.after?.isCode).length;
    return [
      ...findings.map(asBaseline).filter((f): f is Finding => f !== undefined),
      {
        rule: 'BASELINE',
        severity: ruleSeverity('BASELINE'),
        path: undefined,
        message: `baseline of ${modules} modules at version ${input.toVersion ?? '(unknown)'}`,
        evidence: { version: input.toVersion, modules },
        explained: true,
      },
    ];
  }
  if (explained.length || removed.length) {
    findings.push({
      rule: 'UPDATE_EXPLAINED',
      severity: ruleSeverity('UPDATE_EXPLAINED'),
      path: undefined,
      message: `${explained.length} module(s) changed and ${removed.length} removed, explained by the update ${input.fromVersion ?? '?'} → ${input.toVersion ?? '?'} (same signers, versions moved or none of their own)`,
      evidence: { changed: explained, removed },
      explained: true,
    });
  }
  return findings;
}
