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

/** The app's name and root, its root bundle's identifier, and who signs its modules now (before and in this scan). */
export function appFacts(name: string, root: string, rootBundle: ModuleRecord | undefined, signersBefore: Iterable<string>, changes: readonly ModuleChange[]): AppFacts {
  const publishers = publishersOf([...signersBefore, ...changes.flatMap((c) => (c.after?.isCode ? [c.after.signer] : []))]);
  return { name, root: root.replace(/\\/g, '/'), bundleId: rootBundle?.bundle?.identifier, publishers };
}
