// Module summaries for the detection-rule tests: one trusted, signed PE by Contoso, which each test bends with the
// fields its case is about — so a case shows only what makes it a case.
import { diffModules } from '../../daemon/diff/diff.ts';
import { type ModuleSummary } from '../../daemon/diff/summary.ts';

export function moduleSummary(path: string, over: Partial<ModuleSummary> = {}): ModuleSummary {
  return {
    path,
    sha256: 'a'.repeat(64),
    format: 'pe',
    isCode: true,
    state: 'file',
    detail: undefined,
    status: 'trusted',
    signed: true,
    signer: 'org:Contoso',
    signerSubject: 'Contoso',
    issuer: 'Contoso CA',
    leafThumbprint: 'l1',
    ownVersion: undefined,
    hiddenData: [],
    integrityProblems: [],
    constructors: 0,
    imports: new Set(),
    signedAt: undefined,
    compiledAt: undefined,
    certificateTableSize: 4096,
    ...over,
  };
}

/** The changes the detector sees between two scans' modules (each list keyed by path). */
export function changesBetween(before: readonly ModuleSummary[], after: readonly ModuleSummary[]): ReturnType<typeof diffModules> {
  return diffModules(new Map(before.map((m) => [m.path, m])), new Map(after.map((m) => [m.path, m])));
}
