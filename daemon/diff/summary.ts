// What the detector compares about a module, extracted from its record once: identity, version, signer, hidden
// data, capabilities. Pure.
import { classifyFile, type FileClass } from '../inventory/file-class.ts';
import { CODE_FORMATS, type ModuleRecord } from '../shared/model.ts';
import { resolveOrdinal } from '../formats/pe/ordinals.ts';
import { coSigners, signerIdentity, sliceStandings, type Standing, untrustedClaims, untrustedOnlyByTime } from '../shared/signer.ts';
import { tooLargeToVerify } from '../shared/verified.ts';
import { UNAUTHENTICATED_DATA_CODES, type ProblemCode } from '../verify/problems.ts';

export interface ModuleSummary {
  readonly path: string;
  readonly sha256: string;
  readonly format: ModuleRecord['module']['format'];
  /** PE, Mach-O, ELF or bundle: code rather than data. */
  readonly isCode: boolean;
  /** What the path holds: a regular file that was read, or something that could not be verified. */
  readonly state: EntryKind;
  /** For links: the target; for unreadable paths: the reason. */
  readonly detail: string | undefined;
  readonly status: string;
  readonly signed: boolean;
  readonly signer: string;
  /** Other trusted signers of the file (nested signatures of another organisation): shared/signer.ts coSigners. */
  readonly coSigners?: readonly string[];
  readonly signerSubject: string | undefined;
  readonly issuer: string | undefined;
  readonly leafThumbprint: string | undefined;
  /** The module's own version: PE version resource, or Mach-O LC_ID_DYLIB current version. */
  readonly ownVersion: string | undefined;
  readonly hiddenData: readonly { readonly code: ProblemCode; readonly message: string }[];
  readonly integrityProblems: readonly string[];
  readonly constructors: number;
  readonly imports: ReadonlySet<string>;
  readonly signedAt: string | undefined;
  readonly compiledAt: string | undefined;
  readonly certificateTableSize: number | undefined;
  /** The signature's standing (weakest slice of a universal binary), and per slice by architecture. */
  readonly standing?: Standing;
  readonly sliceStandings?: Readonly<Record<string, Standing>>;
  /** Identities named by signatures that are not trusted (`org:…`, `team:…`): how an impostor is recognised. */
  readonly untrustedClaims?: readonly string[];
  /** Untrusted only because of time or purpose (an expired certificate of a trusted CA): the name is still proven. */
  readonly untrustedByTime?: boolean;
  /** The signing certificate's whole subject ("CN=…, O=…, L=…, C=…"). */
  readonly signerDn?: string | undefined;
  /** PE version resource OriginalFilename and InternalName: what the build says the file is. */
  readonly originalName?: string | undefined;
  readonly internalName?: string | undefined;
  /** What the file is to the app (inventory/file-class.ts): a module, content that steers the app, or data. */
  readonly fileClass?: FileClass;
}

export type EntryKind = 'file' | 'symlink' | 'link-out-of-root' | 'special' | 'unreadable';

function entryKind(r: ModuleRecord): EntryKind {
  const e = r.entry;
  if (!e) return tooLargeToVerify(r) ? 'unreadable' : 'file';
  if (e.type === 'symlink') return e.inside ? 'symlink' : 'link-out-of-root';
  return e.type === 'unreadable' ? 'unreadable' : 'special';
}

/** A path whose content was not verified in that snapshot: compare the next state with the last verified one. */
export const isUnverified = (s: ModuleSummary): boolean => s.state !== 'file';

export function summarise(path: string, r: ModuleRecord): ModuleSummary {
  const cs = r.code_signature;
  const primary = cs.signatures.find((s) => s.trusted) ?? cs.signatures.find((s) => s.valid) ?? cs.signatures[0];
  const imports = new Set<string>();
  // Ordinal imports under the name the DLL exports them by (ws2_32 #4 is connect): a module that switches from names
  // to ordinals gains nothing, and one that gains network access by ordinal is seen.
  for (const i of r.pe?.imports ?? []) for (const f of i.functions) imports.add(`${i.dll.toLowerCase()}!${resolveOrdinal(i.dll, f)}`);
  // Names found as strings in a module that resolves functions at run time (GetProcAddress, dlsym).
  for (const n of r.pe?.dynamic_imports ?? r.macho?.dynamic_imports ?? []) imports.add(`dynamic!${n}`);
  let constructors = 0;
  for (const s of r.macho?.slices ?? []) {
    constructors += s.constructors;
    for (const sym of s.imports) imports.add(sym);
    for (const d of s.dylibs) imports.add(`dylib:${d.name}`);
  }
  for (const n of r.elf?.needed ?? []) imports.add(`needed:${n}`);
  // A version of all zeros is a placeholder (0.0.0.0 resources, LC_ID_DYLIB 0.0.0), not a version of its own.
  const real = (v: string | undefined): string | undefined => (v && /[1-9]/.test(v) ? v : undefined);
  const peVersion = real(r.pe?.file_version_number) ?? real(r.pe?.file_version);
  // 1.0.0 is Xcode's default DYLIB_CURRENT_VERSION, which most vendors never set (steamworks.js' libsteam_api.dylib
  // keeps it through every Steamworks SDK): a default, not a version of the module's own.
  const dylibVersion = (v: string | undefined): string | undefined => (v === '1.0.0' ? undefined : real(v));
  const dylibVersions = [...new Set((r.macho?.slices ?? []).map((s) => dylibVersion(s.id_dylib?.current_version)).filter((v): v is string => !!v))];
  return {
    path,
    sha256: r.file.hash.sha256,
    format: r.module.format,
    isCode: !r.entry && !tooLargeToVerify(r) && CODE_FORMATS.has(r.module.format),
    state: entryKind(r),
    detail: r.entry?.target ?? r.entry?.reason ?? (tooLargeToVerify(r) ? `${r.file.size} bytes, hashed but not verified (over the in-memory bound)` : undefined),
    status: r.error ? 'error' : cs.status,
    signed: cs.exists && cs.status !== 'unsigned',
    signer: signerIdentity(r),
    ...withCoSigners(coSigners(r)),
    signerSubject: primary?.subject_name,
    issuer: primary?.issuer_name,
    leafThumbprint: primary?.thumbprint_sha256,
    ownVersion: peVersion ?? (dylibVersions.length ? dylibVersions.join(',') : undefined),
    hiddenData: cs.problems.filter((p) => UNAUTHENTICATED_DATA_CODES.has(p.code)).map((p) => ({ code: p.code, message: p.message })),
    integrityProblems: cs.problems.filter((p) => p.severity === 'integrity').map((p) => `${p.code}: ${p.message}`),
    constructors,
    imports,
    signedAt: cs.timestamp,
    compiledAt: r.pe?.compiled_at,
    certificateTableSize: r.pe?.certificate_table_size,
    standing: cs.status,
    sliceStandings: sliceStandings(r),
    untrustedClaims: untrustedClaims(r),
    untrustedByTime: cs.status === 'untrusted' && untrustedOnlyByTime(r),
    signerDn: primary?.chain[0]?.subject_name,
    originalName: r.pe?.original_file_name,
    internalName: r.pe?.internal_name,
    fileClass: classifyFile(path, r.module.format, r.file.interpreter),
  };
}

/** `{ coSigners }` when there are any (absent, never empty: most modules have one signer). */
function withCoSigners(list: readonly string[]): { coSigners?: readonly string[] } {
  return list.length ? { coSigners: list } : {};
}
