// Who signed a module, compared with who signed it before: a new signer, a rotated certificate, a lost signature.
import { type ModuleChange } from '../diff/diff.ts';
import { type ModuleSummary } from '../diff/summary.ts';
import { type Finding } from '../shared/findings.ts';
import { finding } from './finding.ts';
import { type DetectInput } from './input.ts';

/** `b`: the module that was at this path before, if any. */
export function signerRules(c: ModuleChange, a: ModuleSummary, b: ModuleSummary | undefined, input: DetectInput): Finding[] {
  const out: Finding[] = [];
  if (b && b.signed && a.signed && a.signer !== b.signer) {
    out.push(finding('SIGNER_CHANGED', c, `${c.path}: signer changed from ${b.signer} to ${a.signer}`));
  } else if (b && c.fields.includes('signer-certificate')) {
    const what = b.issuer !== a.issuer ? `issuing CA ${b.issuer ?? '?'} → ${a.issuer ?? '?'}` : `new leaf certificate from ${a.issuer ?? '?'}`;
    out.push(finding('SIGNER_CHANGED', c, `${c.path}: same signer (${a.signer}), ${what}`, {}, 'certificate-rotation'));
  }
  if (!a.signed && ((!b && input.appWasSigned) || b?.signed)) {
    out.push(finding('NEW_UNSIGNED_MODULE', c, !b ? `${c.path}: new unsigned module in a signed app` : `${c.path}: lost its signature`));
  }
  return out;
}
