// Snapshot against snapshot: which modules were added, removed or changed, and for changed ones what changed.
// Pure: summaries in, changes out.
import { type ModuleSummary } from './summary.ts';

export type ChangeKind = 'added' | 'removed' | 'changed';
export type ChangedField = 'content' | 'state' | 'version' | 'signer' | 'signer-certificate' | 'status' | 'imports' | 'constructors' | 'certificate-table' | 'hidden-data';

export interface ModuleChange {
  readonly kind: ChangeKind;
  readonly path: string;
  readonly before: ModuleSummary | undefined;
  readonly after: ModuleSummary | undefined;
  readonly fields: readonly ChangedField[];
  readonly importsAdded: readonly string[];
  readonly importsRemoved: readonly string[];
}

export function diffModules(before: ReadonlyMap<string, ModuleSummary>, after: ReadonlyMap<string, ModuleSummary>): ModuleChange[] {
  const changes: ModuleChange[] = [];
  for (const [path, a] of after) {
    const b = before.get(path);
    if (!b) {
      changes.push({ kind: 'added', path, before: undefined, after: a, fields: [], importsAdded: [...a.imports], importsRemoved: [] });
      continue;
    }
    if (b.sha256 === a.sha256 && b.state === a.state && b.detail === a.detail) continue;
    const fields: ChangedField[] = b.sha256 === a.sha256 ? [] : ['content'];
    if (b.state !== a.state || b.detail !== a.detail) fields.push('state');
    if (b.ownVersion !== a.ownVersion) fields.push('version');
    if (b.signer !== a.signer) fields.push('signer');
    else if (b.leafThumbprint !== a.leafThumbprint || b.issuer !== a.issuer) fields.push('signer-certificate');
    if (b.status !== a.status) fields.push('status');
    const importsAdded = [...a.imports].filter((i) => !b.imports.has(i));
    const importsRemoved = [...b.imports].filter((i) => !a.imports.has(i));
    if (importsAdded.length || importsRemoved.length) fields.push('imports');
    if (b.constructors !== a.constructors) fields.push('constructors');
    if (b.certificateTableSize !== a.certificateTableSize) fields.push('certificate-table');
    if (JSON.stringify(b.hiddenData.map((h) => h.code)) !== JSON.stringify(a.hiddenData.map((h) => h.code))) fields.push('hidden-data');
    changes.push({ kind: 'changed', path, before: b, after: a, fields, importsAdded, importsRemoved });
  }
  for (const [path, b] of before) {
    if (!after.has(path)) changes.push({ kind: 'removed', path, before: b, after: undefined, fields: [], importsAdded: [], importsRemoved: [...b.imports] });
  }
  return changes.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}
