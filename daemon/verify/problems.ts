// Every problem a verifier can report, as a closed union of codes (documented in README "Problem codes").
// Verifiers collect all problems; the boundary turns them into a verdict (valid / trusted / status).
import { errorMessage, SealwatchError } from '../shared/errors.ts';

export type ProblemSeverity =
  /** Breaks cryptographic integrity: the file is not what was signed. */
  | 'integrity'
  /** The signature is intact but does not chain to a trusted root under policy, or the platform's policy refuses it. */
  | 'trust'
  /** Worth recording; does not change the verdict (weak algorithm, hidden data, anomalies). */
  | 'warning';

export const PROBLEMS = {
  // structure
  SIGNATURE_MALFORMED: 'integrity',
  SIGNATURE_STRUCTURE: 'integrity',
  UNEXPECTED_INDIRECT_DATA_TYPE: 'warning',
  DIGEST_ALGORITHM_INCONSISTENT: 'warning',
  CERT_TABLE_INSIDE_HEADERS: 'integrity',
  CERT_TABLE_PAST_EOF: 'warning',
  CERT_ENTRY_MALFORMED: 'integrity',
  CERT_ENTRY_UNSUPPORTED: 'warning',
  // digest and signature math
  DIGEST_MISMATCH: 'integrity',
  MESSAGE_DIGEST_MISMATCH: 'integrity',
  CONTENT_TYPE_MISMATCH: 'integrity',
  SIGNER_SIGNATURE_INVALID: 'integrity',
  SIGNER_CERT_MISSING: 'integrity',
  UNSUPPORTED_ALGORITHM: 'integrity',
  EXPLICIT_CURVE: 'integrity',
  EXPLICIT_CURVE_IN_CHAIN: 'trust',
  PAGE_HASH_MISMATCH: 'integrity',
  // a bug: an exception that is not a typed input error, kept distinct so that tests (fuzzing) can fail on it
  INTERNAL: 'integrity',
  // chain and policy
  UNTRUSTED_ROOT: 'trust',
  CHAIN_INCOMPLETE: 'trust',
  CERT_SIGNATURE_INVALID: 'trust',
  CERT_EXPIRED: 'trust',
  CERT_NOT_YET_VALID: 'trust',
  WRONG_EKU: 'trust',
  NOT_A_CA: 'trust',
  ROOT_NOT_TRUSTED_FOR_PURPOSE: 'trust',
  ROOT_DISALLOWED: 'trust',
  LIFETIME_SIGNING_EXPIRED: 'trust',
  // timestamps
  TIMESTAMP_INVALID: 'warning',
  TIMESTAMP_UNTRUSTED: 'warning',
  // unauthenticated data and anomalies (CVE-2013-3900 and kin): recorded, never silently valid
  UNAUTHENTICATED_DATA_IN_CERT_ENTRY: 'warning',
  SECTION_GAP_DATA: 'warning',
  CERT_ENTRY_PADDING_NONZERO: 'warning',
  CERT_TABLE_NOT_AT_END: 'trust',
  CERT_TABLE_SIZE_MISMATCH: 'warning',
  CERT_TABLE_EXTRA_ENTRY: 'warning',
  UNKNOWN_UNSIGNED_ATTRIBUTE: 'warning',
  OVERSIZED_UNSIGNED_ATTRIBUTE: 'warning',
  NESTED_SIGNATURE_UNVOUCHED: 'warning',
  SIGNATURE_UNVOUCHED_DATA: 'warning',
  EXTRA_CERTIFICATES: 'warning',
  TAG_CERTIFICATE: 'warning',
  WEAK_DIGEST: 'warning',
  CHECKSUM_MISMATCH: 'warning',
  // a file over the in-memory bound: hashed (whole file and image digest) by streaming, signature not verified
  NOT_VERIFIED_TOO_LARGE: 'warning',
  // catalogs
  CATALOG_UNSIGNED: 'trust',
  // Apple code signing
  CODESIGN_MALFORMED: 'integrity',
  CODE_PAGE_MISMATCH: 'integrity',
  SPECIAL_SLOT_MISMATCH: 'integrity',
  CDHASH_ATTRIBUTE_MISMATCH: 'integrity',
  TEAM_ID_MISMATCH: 'integrity',
  CODE_LIMIT_MISMATCH: 'warning',
  SIGNED_METADATA_UNREADABLE: 'warning',
  LOAD_COMMAND_ANOMALY: 'warning',
  SEAL_NOT_CHECKED: 'warning',
  CERT_EXPIRED_NO_TIMESTAMP: 'warning',
  MIXED_SLICE_SIGNATURES: 'warning',
  LINKEDIT_NOT_AT_END: 'warning',
  FAT_GAP_NONZERO: 'warning',
  DATA_AFTER_LAST_SLICE: 'warning',
  // bytes in the code-signature area outside every blob, and blobs nothing binds (verify/codesign/signature-area.ts)
  CODESIGN_SLACK_DATA: 'warning',
  CODESIGN_UNKNOWN_BLOB: 'warning',
  SLICE_OVERLAP: 'integrity',
  // bundles
  BUNDLE_UNSEALED: 'integrity',
  BUNDLE_FILE_ADDED: 'integrity',
  BUNDLE_FILE_MODIFIED: 'integrity',
  BUNDLE_FILE_MISSING: 'integrity',
  BUNDLE_TYPE_CHANGED: 'integrity',
  NESTED_CODE_INVALID: 'integrity',
} as const satisfies Record<string, ProblemSeverity>;

export type ProblemCode = keyof typeof PROBLEMS;

export interface Problem {
  readonly code: ProblemCode;
  readonly message: string;
  readonly severity: ProblemSeverity;
  /** Which signature it is about ("0", "0.1" for the first nested one, "catalog"); absent for file-level problems. */
  readonly signature?: string;
}

export function problem(code: ProblemCode, message: string, signature?: string): Problem {
  return signature === undefined
    ? { code, message, severity: PROBLEMS[code] }
    : { code, message, severity: PROBLEMS[code], signature };
}

/**
 * The problem for an exception caught while verifying. A typed input error (SealwatchError: the bytes are malformed)
 * becomes `code`; anything else (TypeError, RangeError, …) is a bug in sealwatch and becomes INTERNAL, which travels
 * to the record as such instead of passing for a malformed signature.
 */
export function caughtProblem(err: unknown, code: ProblemCode, context: string, signature?: string): Problem {
  if (isInputError(err)) return problem(code, `${context}: ${errorMessage(err)}`, signature);
  const kind = err instanceof Error ? err.name : typeof err;
  return problem('INTERNAL', `${context}: unexpected ${kind}: ${errorMessage(err)} (a bug in sealwatch, not a verdict on the file)`, signature);
}

/** A typed error about the input, as opposed to a bug. */
export function isInputError(err: unknown): boolean {
  return err instanceof SealwatchError && err.code !== 'INTERNAL';
}

/** For catch blocks that deliberately ignore bad input: anything that is not a typed input error is rethrown. */
export function rethrowUnexpected(err: unknown): void {
  if (!isInputError(err)) throw err;
}

/** Codes that mean bytes are hidden in or after a signature: the UNAUTHENTICATED_DATA detection rule keys on these. */
export const UNAUTHENTICATED_DATA_CODES: ReadonlySet<ProblemCode> = new Set([
  'UNAUTHENTICATED_DATA_IN_CERT_ENTRY',
  'SECTION_GAP_DATA',
  'CERT_ENTRY_PADDING_NONZERO',
  'CERT_TABLE_NOT_AT_END',
  'CERT_TABLE_SIZE_MISMATCH',
  'CERT_TABLE_EXTRA_ENTRY',
  'CERT_ENTRY_UNSUPPORTED',
  'UNKNOWN_UNSIGNED_ATTRIBUTE',
  'OVERSIZED_UNSIGNED_ATTRIBUTE',
  'NESTED_SIGNATURE_UNVOUCHED',
  'SIGNATURE_UNVOUCHED_DATA',
  'EXTRA_CERTIFICATES',
  'TAG_CERTIFICATE',
  'LINKEDIT_NOT_AT_END',
  'FAT_GAP_NONZERO',
  'DATA_AFTER_LAST_SLICE',
  'SLICE_OVERLAP',
  'CODE_LIMIT_MISMATCH',
  'CODESIGN_SLACK_DATA',
  'CODESIGN_UNKNOWN_BLOB',
]);
