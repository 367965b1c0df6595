// What recognises an app (match.ts AppFacts), from what a scan or a stored snapshot holds. Pure.
import { type ModuleChange } from '../diff/diff.ts';
import { type ModuleRecord } from '../shared/model.ts';
import { type AppFacts } from './match.ts';

/** Trusted identities only (`org:…`, `team:…`), without their prefix. */
export function publishersOf(signers: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const s of signers) if (s.startsWith('org:')) out.add(s.slice(4));
  else if (s.startsWith('team:')) out.add(s.slice(5));
  return out;
}

/**
 * The app's name and root, its root bundle's identifier, and who signs its modules. Publishers come from the
 * previous snapshot (`signersBefore`); only a baseline (undefined: nothing before) takes them from this scan. A
 * module an update brings cannot make a publisher's policy apply to the app: planting any genuine file of P
 * would otherwise bring P's policy, whose signer list then explains the plant.
 */
export function appFacts(name: string, root: string, rootBundle: ModuleRecord | undefined, signersBefore: Iterable<string> | undefined, changes: readonly ModuleChange[]): AppFacts {
  const publishers = publishersOf(signersBefore ?? changes.flatMap((c) => (c.after?.isCode ? [c.after.signer] : [])));
  return { name, root: root.replace(/\\/g, '/'), bundleId: rootBundle?.bundle?.identifier, publishers };
}
