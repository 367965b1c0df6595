// The detection rules as data: id, default severity (with named variants), and whether the rule states a fact about
// the files as they are ('fact': judged at its own severity even on a baseline, because a machine that already holds
// a trojanized update must hear about it on day one) or about a change since the previous snapshot ('change': there
// is nothing to compare on a baseline, so it is capped at info there). README "Detection rules" is this table; a test
// keeps them in sync. Policies (later) override severities by rule id.
import { type RuleId, type Severity } from '../shared/findings.ts';

export type RuleKind = 'fact' | 'change' | 'record';

export interface RuleSpec {
  readonly severity: Severity;
  /** Other severities the rule can take, by the name of the case. */
  readonly variants?: Readonly<Record<string, Severity>>;
  readonly kind: RuleKind;
  readonly firesWhen: string;
  /** A change rule that a baseline does not raise at all (there is nothing new on a first scan), instead of at info. */
  readonly notOnBaseline?: true;
}

export const RULES: Readonly<Record<RuleId, RuleSpec>> = {
  UNAUTHENTICATED_DATA: {
    severity: 'critical',
    kind: 'fact',
    firesWhen: 'a module has bytes hidden in or after its signature (the hidden-data problem codes above; CVE-2013-3900 and kin), on a new or changed module or on a baseline',
  },
  SIGNATURE_INVALID: {
    severity: 'critical',
    kind: 'fact',
    firesWhen: "a module's signature does not verify, or a bundle seal is broken (new, changed, or found on a baseline)",
  },
  TYPE_MISMATCH: {
    severity: 'high',
    kind: 'fact',
    firesWhen: 'PE / Mach-O / ELF code behind a data name (`.rtf`, `.png`, `.json`, …)',
  },
  MODULE_DISPLACED: {
    severity: 'high',
    kind: 'change',
    firesWhen: 'a path that held a module now holds data, a symbolic link, a FIFO/device, or something that cannot be read',
  },
  UNVERIFIED_PATH: {
    severity: 'medium',
    variants: { 'link-out-of-root': 'low', 'module-too-large': 'high' },
    kind: 'fact',
    firesWhen: 'a new path cannot be verified: unreadable, a FIFO/device/socket (low: a symbolic link out of the root, recorded with its target, unless it is named like a module — .dll, .so, .dylib, .node, .pyd, a framework binary — or a steering file; high: a PE, Mach-O or ELF module over the in-memory bound, hashed but its signature not verified, that came with no update — no better than an unsigned module, and padding one past the bound costs nothing on disk; medium on a baseline or in an update); the next scan compares it with the last state that was verified',
  },
  SIGNER_CHANGED: {
    severity: 'critical',
    variants: { 'vendor-rename': 'high', 'co-signer-added': 'high', 'certificate-rotation': 'info' },
    kind: 'change',
    firesWhen: "a changed module's signer (organisation, or Apple Team ID — identities only from trusted chains) differs from before (high when both are trusted, the issuing CA is the same and the subject's locality and country too, as in Node.js Foundation → OpenJS Foundation; high when the signer stays and a trusted signature of another organisation is added beside it — a nested signature, which anyone can add: evidence `co_signers_added`, explained by a policy only when it allows that co-signer for the module; info when only the leaf certificate or issuing CA changed, e.g. short-lived Trusted Signing certificates)",
  },
  SIGNER_IMPOSTOR: {
    severity: 'critical',
    kind: 'change',
    firesWhen: 'a new or changed module has a signature that is not trusted — a self-made or untrusted certificate, an ad-hoc or linker-signed CodeDirectory, one slice of a universal binary — naming a signer the app trusts (its organisation, or its Team ID)',
  },
  SIGNATURE_DOWNGRADED: {
    severity: 'critical',
    variants: { 'was-untrusted': 'high', expired: 'high' },
    kind: 'change',
    firesWhen: "a changed module's signature standing dropped: trusted → untrusted, signed → ad-hoc / linker-signed / unsigned, for the file or any slice of a universal binary (high when it had not been trusted before, or when the same signer's certificate is only no longer valid at this time: expired, timestamp not trusted)",
  },
  MODULE_SWAPPED: {
    severity: 'high',
    kind: 'change',
    firesWhen: "a changed PE's OriginalFilename or InternalName (version resource) differs from before: another program was put in its place",
  },
  MODULE_ROLLBACK: {
    severity: 'high',
    kind: 'change',
    firesWhen: "a changed module's own version went backwards, or it was signed earlier (unsigned: built earlier) than the module it replaces, while the app's version did not go backwards (dates only within one release line of the app: a maintenance release is built after the next major's first)",
  },
  SIDELOAD_NAME: {
    severity: 'high',
    kind: 'change',
    notOnBaseline: true,
    firesWhen: 'a new PE module has the name of a Windows system DLL that programs load from their own folder first (`version.dll`, `winmm.dll`, `dbghelp.dll`, …: DLL side-loading targets), whoever signed it (Microsoft too)',
  },
  NEW_UNSIGNED_MODULE: {
    severity: 'high',
    kind: 'change',
    firesWhen: 'an unsigned module appears in an app that had signed modules (a signed module that loses its signature: `SIGNATURE_DOWNGRADED`)',
  },
  MODULE_CHANGED_SAME_VERSION: {
    severity: 'high',
    kind: 'change',
    firesWhen: 'a module with a version of its own (version resource, LC_ID_DYLIB; all-zero versions do not count) changed content but not that version',
  },
  OUT_OF_BAND_CHANGE: {
    severity: 'high',
    variants: { 'unknown-version': 'medium' },
    kind: 'change',
    firesWhen: "a module changed or was removed while the app's version did not, or while no version was known to explain it (medium when the app never had a version; high when its version vanished, came from a signed source before and only from an unsigned one now, or moved only because another executable gives it now); or changed inside an older Squirrel app-x.y.z folder while the version moved (an update writes a new folder, never rewrites an old one)",
  },
  NEW_MODULE: {
    severity: 'high',
    variants: { 'own-signer': 'medium' },
    kind: 'change',
    notOnBaseline: true,
    firesWhen: 'a module appears: unsigned, or signed by a publisher the app has not used (medium: signed by the app\'s own signer, still unexpected)',
  },
  DOWNGRADE: {
    severity: 'high',
    kind: 'change',
    firesWhen: "the app's version went backwards",
  },
  NEW_CAPABILITIES: {
    severity: 'medium',
    kind: 'change',
    firesWhen: 'a changed module gained constructors where it had none, or imports of process / network / file-permission APIs (`popen`, `CreateProcessW`, `socket`, `chmod`, `flock`, `gethostname`, …)',
  },
  TIMESTAMP_ANOMALY: {
    severity: 'medium',
    kind: 'change',
    firesWhen: 'a module was signed more than 400 days after its build time (signed earlier than the module it replaces: `MODULE_ROLLBACK`)',
  },
  HISTORY_RESET: {
    severity: 'high',
    kind: 'fact',
    firesWhen: 'the history database was started again (`--reinit`) where one had existed: what changed in between is unknown',
  },
  STEERING_CHANGED: {
    severity: 'high',
    variants: { 'unknown-version': 'medium' },
    kind: 'change',
    notOnBaseline: true,
    firesWhen: "a file that steers the app (`app.asar`, `app.asar.unpacked`, JavaScript, launch scripts, updater settings: `app-update.yml`, `update.json`, a bundle's `Info.plist` with its Sparkle keys; launchd plists in a bundle) changed, appeared or went away while the app's version did not move (medium when no version was known); inside a version change it is listed in `UPDATE_EXPLAINED`",
  },
  NEW_SCRIPT: {
    severity: 'high',
    variants: { 'in-update': 'low' },
    kind: 'change',
    notOnBaseline: true,
    firesWhen: 'a launch script (`.ps1`, `.bat`, `.cmd`, `.vbs`, `.sh`, `.command`, any `#!` file) or a launchd plist in a bundle appears: high each outside a version change; low, one finding listing them, inside one',
  },
  UNSIGNED_VERSION_MOVED: {
    severity: 'high',
    kind: 'change',
    notOnBaseline: true,
    firesWhen: "an unsigned version source (`package.json`, `app-update.yml`, a Squirrel folder name) changed to a version that the signed one (a signed main executable's version resource) does not have: the app's version is taken from the signed source, so the edit explains nothing",
  },
  NEW_MODULE_GROUP: {
    severity: 'medium',
    variants: { 'new-architecture': 'low' },
    kind: 'change',
    notOnBaseline: true,
    firesWhen: 'one finding for a set of new modules that came with a version change: a package that ships binaries for the first time, or new folders of modules the app already ships for other architectures (low when every member is signed by a signer the app already has; medium when some are unsigned, ad-hoc or linker-signed like the modules they mirror); a member mirroring nothing (another program under that name: its OriginalFilename says so), or signed by a publisher the app has not used, is judged on its own, and facts (hidden data, broken signatures) still stand',
  },
  UNEXPECTED_SIGNER: {
    severity: 'high',
    kind: 'fact',
    firesWhen: 'a new or changed module (every module on a baseline) of an app a policy recognises is signed by someone the policy does not allow for it — not an expected signer, not an allowed co-signer for that module, not allowed unsigned; identities count only from trusted chains (`policies/`)',
  },
  EXCEPTION_EXPIRED: {
    severity: 'info',
    kind: 'record',
    firesWhen: "a policy exception's expiry date has passed (judged at the scan's time or `--at`): it no longer applies, and says so on every scan until it is renewed or removed",
  },
  MANIFEST_MISMATCH: {
    severity: 'critical',
    kind: 'fact',
    firesWhen: "a file's hash (SHA-256, else authentihash or cdhash; an MSIX file's 64 KiB blocks) differs from what a signed manifest that lists it says — sealwatch's own manifest under a pinned key, or a vendor-signed list (MSIX block map)",
  },
  NOT_IN_MANIFEST: {
    severity: 'high',
    kind: 'fact',
    firesWhen: 'a module is in the app but not in the signed manifest of its version (`--manifest`, config `manifest:`)',
  },
  MISSING_FROM_MANIFEST: {
    severity: 'medium',
    kind: 'fact',
    firesWhen: 'a file the signed manifest of the version lists is not in the app',
  },
  VERSION_UNKNOWN_TO_VENDOR: {
    severity: 'high',
    kind: 'fact',
    firesWhen: "the installed version is absent from the vendor's feed (electron-builder latest*.yml: newer than the latest it names; Sparkle appcast, WinGet, Squirrel RELEASES: not among the versions listed, and not older than all of them)",
  },
  MANIFEST_INVALID: {
    severity: 'high',
    kind: 'fact',
    firesWhen: 'a manifest given for the app cannot be used: malformed, unsigned, signed by a key that is not pinned, a signature that does not verify, expired (frozen), issued in the future, replayed (sequence not newer than the last accepted), for another app, or its source unavailable with no good copy',
  },
  UPDATE_EXPLAINED: {
    severity: 'info',
    kind: 'record',
    firesWhen: 'changed, renamed or removed modules that fit the update (same signers, versions moved or none of their own), and the files that steer the app which changed with it, listed',
  },
  BASELINE: {
    severity: 'info',
    kind: 'record',
    firesWhen: 'the first snapshot of an app',
  },
};

/** The severity a rule gives by default, or for one of its named cases. */
export function ruleSeverity(rule: RuleId, variant?: string): Severity {
  const spec = RULES[rule];
  return (variant && spec.variants?.[variant]) || spec.severity;
}
