// Who signed a module, in the one form every stage compares: an Apple Team ID, else the signer's organisation, else
// its name; "adhoc"/"linker-signed" for Apple code without identity; "" when unsigned.
import { type ModuleRecord } from './model.ts';

export function signerIdentity(r: ModuleRecord): string {
  const cs = r.code_signature;
  if (!cs.exists || cs.status === 'unsigned') return '';
  if (cs.team_id) return `team:${cs.team_id}`;
  const primary = cs.signatures.find((s) => s.trusted) ?? cs.signatures.find((s) => s.valid) ?? cs.signatures[0];
  const name = primary?.organization ?? primary?.subject_name;
  if (name) return `org:${name}`;
  return cs.status === 'adhoc' || cs.status === 'linker-signed' ? cs.status : '';
}
