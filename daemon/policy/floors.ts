// What no policy can lower: hidden data in a signature and a signature that does not verify are facts about the
// bytes (the 3CX DLL was "validly signed" with a payload in its certificate table). A policy may raise them; it can
// neither lower them below high nor except or explain them.
import { type RuleId, type Severity } from '../shared/findings.ts';

export const FLOOR: Severity = 'high';
export const FLOOR_RULES: ReadonlySet<RuleId> = new Set<RuleId>(['UNAUTHENTICATED_DATA', 'SIGNATURE_INVALID']);
