// What changed about one module since the previous snapshot: each family of rules has a file of its own; this one
// holds the version rules and the new-module rule and puts them in order.
import { type ModuleChange } from '../diff/diff.ts';
import { type ModuleSummary } from '../diff/summary.ts';
import { type Finding } from '../shared/findings.ts';
import { capabilityRules, timestampRules } from './capability-rules.ts';
import { finding } from './finding.ts';
import { type DetectInput } from './input.ts';
import { signerRules } from './signer-rules.ts';

function versionRules(c: ModuleChange, a: ModuleSummary, b: ModuleSummary, input: DetectInput, appVersionChanged: boolean): Finding[] {
  const out: Finding[] = [];
  if (a.ownVersion !== undefined && a.ownVersion === b.ownVersion) {
    out.push(finding('MODULE_CHANGED_SAME_VERSION', c, `${c.path}: content changed but its own version is still ${a.ownVersion}`));
  }
  if (!appVersionChanged && input.toVersion !== undefined && !input.baseline) {
    out.push(finding('OUT_OF_BAND_CHANGE', c, `${c.path}: changed while the app's version stayed ${input.toVersion}`));
  }
  return out;
}

function newModuleRule(c: ModuleChange, a: ModuleSummary, input: DetectInput): Finding {
  const foreign = a.signed && a.signer !== '' && !input.knownSigners.has(a.signer) && input.knownSigners.size > 0;
  const why = !a.signed ? 'unsigned' : foreign ? `signed by ${a.signer}, a publisher this app has not used` : `signed by the app's own signer (${a.signer})`;
  const where = c.before ? ` where ${c.path} held data before` : '';
  return finding('NEW_MODULE', c, `${c.path}: new module${where}, ${why}`, {}, a.signed && !foreign ? 'own-signer' : undefined);
}

/** The change rules for a module (not a bundle: its seal is a fact rule, its contents have records of their own). */
export function changeRules(c: ModuleChange, a: ModuleSummary, input: DetectInput, appVersionChanged: boolean): Finding[] {
  if (a.format === 'bundle') return [];
  const b = c.before?.isCode ? c.before : undefined;
  return [
    ...signerRules(c, a, b, input),
    ...(b ? versionRules(c, a, b, input, appVersionChanged) : [newModuleRule(c, a, input)]),
    ...(b ? capabilityRules(c, a, b) : []),
    ...timestampRules(c, a, b),
  ];
}
