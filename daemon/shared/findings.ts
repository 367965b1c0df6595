// The one Finding/Severity vocabulary shared by detect (which makes findings), the store (which keeps them) and the
// commands and alerts that show them. The rule table itself is data (detect/rule-table.ts).

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export const SEVERITY_ORDER: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

export const severityRank = (s: Severity): number => SEVERITY_ORDER.indexOf(s);

export type RuleId =
  | 'UNAUTHENTICATED_DATA'
  | 'SIGNATURE_INVALID'
  | 'MODULE_DISPLACED'
  | 'UNVERIFIED_PATH'
  | 'SIGNER_CHANGED'
  | 'SIGNER_IMPOSTOR'
  | 'SIGNATURE_DOWNGRADED'
  | 'MODULE_SWAPPED'
  | 'MODULE_ROLLBACK'
  | 'SIDELOAD_NAME'
  | 'NEW_UNSIGNED_MODULE'
  | 'MODULE_CHANGED_SAME_VERSION'
  | 'OUT_OF_BAND_CHANGE'
  | 'NEW_MODULE'
  | 'TYPE_MISMATCH'
  | 'DOWNGRADE'
  | 'NEW_CAPABILITIES'
  | 'TIMESTAMP_ANOMALY'
  | 'HISTORY_RESET'
  | 'STEERING_CHANGED'
  | 'NEW_SCRIPT'
  | 'UNSIGNED_VERSION_MOVED'
  | 'NEW_MODULE_GROUP'
  | 'UNEXPECTED_SIGNER'
  | 'EXCEPTION_EXPIRED'
  | 'MANIFEST_MISMATCH'
  | 'NOT_IN_MANIFEST'
  | 'MISSING_FROM_MANIFEST'
  | 'VERSION_UNKNOWN_TO_VENDOR'
  | 'MANIFEST_INVALID'
  | 'UPDATE_EXPLAINED'
  | 'BASELINE';

export interface Finding {
  readonly rule: RuleId;
  readonly severity: Severity;
  readonly path: string | undefined;
  readonly message: string;
  readonly evidence: Readonly<Record<string, unknown>>;
  /** True when the update accounts for it (UPDATE_EXPLAINED, BASELINE): informational by construction. */
  readonly explained: boolean;
  /** The manifest that explained it (daemon/manifest), with its strength of evidence: set only with explained. */
  readonly explained_by?: string;
  /** What a policy did to it (daemon/policy): the policy file, the entry that acted, the action and its reason. */
  readonly policy?: { readonly file: string; readonly rule?: string; readonly action: string; readonly reason?: string };
}
