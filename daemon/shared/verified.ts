// Whether a record's content was verified, as every stage must agree on it.
import { type ModuleRecord } from './model.ts';

/** Hashed but not verified (over the in-memory bound): as unverified as a file that could not be read. */
export const tooLargeToVerify = (r: ModuleRecord): boolean => r.code_signature.problems.some((p) => p.code === 'NOT_VERIFIED_TOO_LARGE');
