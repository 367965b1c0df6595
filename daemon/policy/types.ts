// What a policy says, as read from its YAML file (policies/policy.schema.json) and checked by load.ts.
import { type RuleId, type Severity } from '../shared/findings.ts';

export interface SignerSpec {
  readonly organization?: string;
  readonly subject?: string;
  readonly team_id?: string;
  readonly issuer?: string;
  readonly thumbprints?: readonly string[];
  readonly observed?: string;
}

export interface CoSigners {
  readonly modules: readonly string[];
  readonly signers: readonly SignerSpec[];
  readonly reason?: string;
}

export interface PolicyException {
  readonly rule?: RuleId;
  readonly path?: string;
  readonly sha256?: string;
  readonly reason: string;
  readonly owner: string;
  /** As written in the file. */
  readonly expires: string;
}

export interface Policy {
  /** The file it came from (absolute). */
  readonly file: string;
  readonly name: string;
  readonly description?: string;
  readonly match: { readonly apps?: readonly string[]; readonly paths?: readonly string[]; readonly bundle_ids?: readonly string[]; readonly publishers?: readonly string[] };
  readonly signers?: readonly SignerSpec[];
  readonly co_signers?: readonly CoSigners[];
  readonly unsigned?: readonly string[];
  readonly severity?: Readonly<Partial<Record<RuleId, Severity>>>;
  readonly exceptions?: readonly PolicyException[];
}

/** One lint finding: the file, the line (when the field exists), the field path and the reason. */
export interface PolicyProblem {
  readonly level: 'error' | 'warning';
  readonly file: string;
  readonly line: number | undefined;
  readonly field: string;
  readonly reason: string;
}

export const formatProblem = (p: PolicyProblem): string => `${p.file}:${p.line ?? '?'}: ${p.level}: ${p.field}: ${p.reason}`;
