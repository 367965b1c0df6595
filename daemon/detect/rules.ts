// Changes + context → findings. Pure; no I/O, no clock. Each rule below is documented in README "Detection rules"
// with its default severity. Every change is either explained by the update or becomes a finding.
import { type ModuleChange } from '../diff/diff.ts';
import { type ModuleSummary } from '../diff/summary.ts';

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export const SEVERITY_ORDER: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

export type RuleName =
  | 'UNAUTHENTICATED_DATA'
  | 'SIGNATURE_INVALID'
  | 'SIGNER_CHANGED'
  | 'NEW_UNSIGNED_MODULE'
  | 'MODULE_CHANGED_SAME_VERSION'
  | 'OUT_OF_BAND_CHANGE'
  | 'NEW_MODULE'
  | 'TYPE_MISMATCH'
  | 'DOWNGRADE'
  | 'NEW_CAPABILITIES'
  | 'TIMESTAMP_ANOMALY'
  | 'UPDATE_EXPLAINED'
  | 'BASELINE';

export interface Finding {
  readonly rule: RuleName;
  readonly severity: Severity;
  readonly path: string | undefined;
  readonly message: string;
  readonly evidence: Readonly<Record<string, unknown>>;
  readonly explained: boolean;
}

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

const evidenceOf = (m: ModuleSummary | undefined): Record<string, unknown> | undefined =>
  m && { sha256: m.sha256, signer: m.signer || '(unsigned)', subject: m.signerSubject, issuer: m.issuer, status: m.status, version: m.ownVersion, signed_at: m.signedAt };

function finding(rule: RuleName, severity: Severity, c: ModuleChange | undefined, message: string, extra: Record<string, unknown> = {}): Finding {
  return {
    rule,
    severity,
    path: c?.path,
    message,
    evidence: { ...(c ? { change: c.kind, fields: c.fields, before: evidenceOf(c.before), after: evidenceOf(c.after) } : {}), ...extra },
    explained: false,
  };
}

/** The rules that look at one added or changed module. Order = precedence in reports. */
function moduleRules(c: ModuleChange, input: DetectInput, appVersionChanged: boolean): Finding[] {
  const out: Finding[] = [];
  const a = c.after;
  const b = c.before;
  if (!a) return out;
  if (a.format === 'bundle') {
    // A bundle's own record speaks for its seal; its executable and files have records (and rules) of their own.
    if (a.status === 'invalid') {
      out.push(finding('SIGNATURE_INVALID', 'critical', c, `${c.path}: bundle seal or signature broken — ${a.integrityProblems.slice(0, 3).join('; ')}`));
    }
    return out;
  }
  const extension = (/\.([^./]+)$/.exec(c.path)?.[1] ?? '').toLowerCase();
  const hiddenBefore = new Set(b?.hiddenData.map((h) => h.code) ?? []);
  const newHidden = a.hiddenData.filter((h) => !hiddenBefore.has(h.code) || c.kind === 'added' || c.fields.includes('content'));
  if (a.isCode && newHidden.length > 0) {
    out.push(finding('UNAUTHENTICATED_DATA', 'critical', c, `${c.path}: data hidden in or after its signature — ${newHidden.map((h) => h.message).join('; ')}`, { hidden: newHidden }));
  }
  if (a.isCode && a.status === 'invalid') {
    out.push(finding('SIGNATURE_INVALID', 'critical', c, `${c.path}: signature does not verify — ${a.integrityProblems.slice(0, 3).join('; ')}`));
  }
  if (c.kind === 'changed' && b && b.signed && a.signed && a.signer !== b.signer) {
    out.push(finding('SIGNER_CHANGED', 'critical', c, `${c.path}: signer changed from ${b.signer} to ${a.signer}`));
  } else if (c.kind === 'changed' && c.fields.includes('signer-certificate')) {
    const what = b?.issuer !== a.issuer ? `issuing CA ${b?.issuer ?? '?'} → ${a.issuer ?? '?'}` : `new leaf certificate from ${a.issuer ?? '?'}`;
    out.push(finding('SIGNER_CHANGED', 'info', c, `${c.path}: same signer (${a.signer}), ${what}`));
  }
  if (a.isCode && !a.signed && ((c.kind === 'added' && input.appWasSigned) || (c.kind === 'changed' && b?.signed))) {
    out.push(finding('NEW_UNSIGNED_MODULE', 'high', c, c.kind === 'added' ? `${c.path}: new unsigned module in a signed app` : `${c.path}: lost its signature`));
  }
  if (c.kind === 'changed' && a.isCode && a.ownVersion !== undefined && a.ownVersion === b?.ownVersion) {
    out.push(finding('MODULE_CHANGED_SAME_VERSION', 'high', c, `${c.path}: content changed but its own version is still ${a.ownVersion}`));
  }
  if (c.kind === 'changed' && a.isCode && !appVersionChanged && input.toVersion !== undefined && !input.baseline) {
    out.push(finding('OUT_OF_BAND_CHANGE', 'high', c, `${c.path}: changed while the app's version stayed ${input.toVersion ?? '(unknown)'}`));
  }
  if (c.kind === 'added' && a.isCode) {
    const foreign = a.signed && a.signer !== '' && !input.knownSigners.has(a.signer) && input.knownSigners.size > 0;
    const severity: Severity = !a.signed || foreign ? 'high' : 'medium';
    const why = !a.signed ? 'unsigned' : foreign ? `signed by ${a.signer}, a publisher this app has not used` : `signed by the app's own signer (${a.signer})`;
    out.push(finding('NEW_MODULE', severity, c, `${c.path}: new module, ${why}`));
  }
  if (a.isCode && DATA_EXTENSIONS.has(extension)) {
    out.push(finding('TYPE_MISMATCH', 'high', c, `${c.path}: ${a.format.toUpperCase()} code behind a .${extension} name`));
  }
  if (c.kind === 'changed' && a.isCode) {
    const gained = c.importsAdded.filter((i) => CAPABILITY_IMPORTS.has(symbolName(i)));
    const moreConstructors = a.constructors > (b?.constructors ?? 0);
    if (gained.length || moreConstructors) {
      const parts = [
        ...(moreConstructors ? [`constructors ${b?.constructors ?? 0} → ${a.constructors}`] : []),
        ...(gained.length ? [`new imports ${gained.map(symbolName).join(', ')}`] : []),
      ];
      out.push(finding('NEW_CAPABILITIES', 'medium', c, `${c.path}: ${parts.join('; ')}`, { imports_added: gained, constructors: [b?.constructors ?? 0, a.constructors] }));
    }
  }
  if (c.kind === 'changed' && a.signedAt && b?.signedAt && a.signedAt < b.signedAt) {
    out.push(finding('TIMESTAMP_ANOMALY', 'medium', c, `${c.path}: the new version was signed (${a.signedAt}) before the old one (${b.signedAt})`));
  } else if (a.isCode && a.signedAt && a.compiledAt && Date.parse(a.signedAt) - Date.parse(a.compiledAt) > 400 * 86_400_000) {
    out.push(finding('TIMESTAMP_ANOMALY', 'medium', c, `${c.path}: signed ${a.signedAt.slice(0, 10)}, more than 400 days after it was built (${a.compiledAt.slice(0, 10)})`));
  }
  return out;
}

export function detect(input: DetectInput): Finding[] {
  const appVersionChanged = input.fromVersion !== input.toVersion;
  const findings: Finding[] = [];
  if (!input.baseline && compareVersions(input.toVersion, input.fromVersion) === -1) {
    findings.push(finding('DOWNGRADE', 'high', undefined, `app version went backwards: ${input.fromVersion} → ${input.toVersion}`, { from: input.fromVersion, to: input.toVersion }));
  }
  const explained: string[] = [];
  const removed: string[] = [];
  for (const c of input.changes) {
    if (c.kind === 'removed') {
      if (c.before?.isCode) removed.push(c.path);
      continue;
    }
    const fired = moduleRules(c, input, appVersionChanged);
    if (fired.length === 0 && c.kind === 'changed' && c.after?.isCode) explained.push(c.path);
    findings.push(...fired);
  }
  if (input.baseline) {
    // The first scan of an app is its baseline: everything is recorded, nothing above info (there is nothing to
    // compare with yet). Hidden data and broken signatures still show, as information.
    return [
      ...findings.filter((f) => f.rule !== 'NEW_MODULE').map((f) => ({ ...f, severity: 'info' as const, message: `baseline: ${f.message}` })),
      {
        rule: 'BASELINE',
        severity: 'info',
        path: undefined,
        message: `baseline of ${input.changes.filter((c) => c.after?.isCode).length} modules at version ${input.toVersion ?? '(unknown)'}`,
        evidence: { version: input.toVersion, modules: input.changes.filter((c) => c.after?.isCode).length },
        explained: true,
      },
    ];
  }
  if (explained.length || removed.length) {
    findings.push({
      rule: 'UPDATE_EXPLAINED',
      severity: 'info',
      path: undefined,
      message: `${explained.length} module(s) changed and ${removed.length} removed, explained by the update ${input.fromVersion ?? '?'} → ${input.toVersion ?? '?'} (same signers, versions moved or none of their own)`,
      evidence: { changed: explained, removed },
      explained: true,
    });
  }
  return findings;
}
