// What changed about one module since the previous snapshot: each family of rules has a file of its own; this one
// holds the version rules and the new-module rule and puts them in order.
import { type ModuleChange } from '../diff/diff.ts';
import { type ModuleSummary } from '../diff/summary.ts';
import { type Finding } from '../shared/findings.ts';
import { capabilityRules, timestampRules } from './capability-rules.ts';
import { rollbackRules, swapRules } from './rollback-rules.ts';
import { sideloadRules } from './sideload-rules.ts';
import { finding } from './finding.ts';
import { type DetectInput } from './input.ts';
import { signerRules } from './signer-rules.ts';
import { notAnUpdate, type VersionState } from './version-state.ts';

function versionRules(c: ModuleChange, a: ModuleSummary, b: ModuleSummary, input: DetectInput, state: VersionState): Finding[] {
  const out: Finding[] = [];
  if (c.fields.includes('content') && a.ownVersion !== undefined && a.ownVersion === b.ownVersion) {
    out.push(finding('MODULE_CHANGED_SAME_VERSION', c, `${c.path}: content changed but its own version is still ${a.ownVersion}`));
  }
  if (state !== 'moved' && !input.baseline) {
    const { why, variant } = notAnUpdate(input, state);
    const what = c.renamedFrom ? `renamed from ${c.renamedFrom}` : 'changed';
    out.push(finding('OUT_OF_BAND_CHANGE', c, `${c.path}: ${what} ${why}`, c.renamedFrom ? { renamed_from: c.renamedFrom } : {}, variant));
  }
  return out;
}

const hasIdentity = (s: string): boolean => s.startsWith('org:') || s.startsWith('team:');
const baseName = (p: string): string => (p.split('/').pop() ?? p).toLowerCase();

/** Why a new module is unexpected, in words, and whether it is signed by the app's own signer (medium). */
function newModuleWhy(a: ModuleSummary, input: DetectInput): { why: string; own: boolean } {
  if (!a.signed) return { why: 'unsigned', own: false };
  // Ad-hoc and linker-signed code names no one: it is not "a publisher", known or not.
  if (a.signer.startsWith('untrusted:')) return { why: `signed by ${a.signer.slice('untrusted:'.length) || 'a certificate'} through a chain that is not trusted`, own: false };
  if (!hasIdentity(a.signer)) return { why: `${a.status === 'linker-signed' || a.signer === 'linker-signed' ? 'linker-signed' : 'ad-hoc signed'}, with no publisher identity`, own: false };
  if (input.knownSigners.has(a.signer)) return { why: `signed by the app's own signer (${a.signer})`, own: true };
  if (input.knownSigners.size === 0) return { why: `signed by ${a.signer}; the app had no signed code to compare with`, own: false };
  return { why: `signed by ${a.signer}, a publisher this app has not used`, own: false };
}

function newModuleRule(c: ModuleChange, a: ModuleSummary, input: DetectInput): Finding {
  const { why, own } = newModuleWhy(a, input);
  const where = c.before ? ` where ${c.path} held data before` : '';
  return finding('NEW_MODULE', c, `${c.path}: new module${where}, ${why}`, {}, own ? 'own-signer' : undefined);
}

/**
 * A module new while no update explains it (the version stayed, vanished, moved only because another file gives it,
 * or the module sits in an older Squirrel folder) came with no release: the evidence says so (`out_of_band`), and a
 * policy's allowance of unsigned modules, which describes what the vendor's releases ship, does not explain it
 * (policy/apply.ts).
 */
function outOfBand(f: Finding, input: DetectInput, state: VersionState): Finding {
  // An app that never had a version has no update to tell apart: nothing is out of band there.
  if (input.baseline || state === 'moved' || state === 'unknown') return f;
  return { ...f, message: `${f.message} — ${notAnUpdate(input, state).why}`, evidence: { ...f.evidence, out_of_band: true } };
}

/** The change rules for a module (not a bundle: its seal is a fact rule, its contents have records of their own). */
export function changeRules(c: ModuleChange, a: ModuleSummary, input: DetectInput, state: VersionState): Finding[] {
  if (a.format === 'bundle') return [];
  const b = c.before?.isCode ? c.before : undefined;
  const signer = signerRules(c, a, b, input);
  // An unsigned module new in a signed app is reported once, as NEW_UNSIGNED_MODULE, not also as NEW_MODULE.
  const reportedUnsigned = !b && signer.some((f) => f.rule === 'NEW_UNSIGNED_MODULE');
  return [
    ...signer.map((f) => (f.rule === 'NEW_UNSIGNED_MODULE' ? outOfBand(f, input, state) : f)),
    ...(b ? versionRules(c, a, b, input, state) : reportedUnsigned ? [] : [outOfBand(newModuleRule(c, a, input), input, state)]),
    ...(b ? capabilityRules(c, a, b) : []),
    // A module renamed into a side-loading name is as new at that name as one that just appeared.
    ...(b ? [...rollbackRules(c, a, b, input), ...swapRules(c, a, b), ...(c.renamedFrom && baseName(c.renamedFrom) !== baseName(c.path) ? sideloadRules(c, a) : [])] : sideloadRules(c, a)),
    ...timestampRules(c, a, b),
  ];
}
