// Snapshot against snapshot: which modules were added, removed, renamed or changed, and for changed ones what
// changed. Pure: summaries in, changes out.
import { type ModuleSummary } from './summary.ts';

export type ChangeKind = 'added' | 'removed' | 'changed';
export type ChangedField = 'content' | 'state' | 'version' | 'signer' | 'signer-certificate' | 'status' | 'imports' | 'constructors' | 'certificate-table' | 'hidden-data' | 'path';

export interface ModuleChange {
  readonly kind: ChangeKind;
  readonly path: string;
  readonly before: ModuleSummary | undefined;
  readonly after: ModuleSummary | undefined;
  readonly fields: readonly ChangedField[];
  readonly importsAdded: readonly string[];
  readonly importsRemoved: readonly string[];
  /** A module removed from this path and added at `path` in the same snapshot, paired as one rename (`changed`). */
  readonly renamedFrom?: string;
}

/** Architecture words vendors put in module names (`libmsalruntime_arm64.dylib`, `clipboard_x86_64.exe`). */
const ARCH = '(?:x86_64|x86-64|x64|x86|amd64|arm64|aarch64|arm64ec|armv7l?|arm|ia32|i386|i686|universal|win32|win64)';

/**
 * A module's name without what varies between builds of the same module: directory, extension(s), a `lib` prefix,
 * architecture words and version numbers (`libmsalruntime_arm64.dylib`, `msalruntime_x86.dll` → `msalruntime`).
 */
export function moduleStem(path: string): string {
  let n = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  n = n.replace(/(\.(so|dylib|dll|exe|node|sys|ocx|bundle|framework|app))+(\.\d+)*$/, '').replace(/\.\d+(\.\d+)*$/, '');
  n = n.replace(new RegExp(`[-_.]${ARCH}(?=$|[-_.])`, 'g'), '').replace(/[-_.]v?\d+(\.\d+)*$/, '');
  return n.replace(/^lib(?=.)/, '');
}

const dirOf = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const hasIdentity = (s: ModuleSummary): boolean => s.signer.startsWith('org:') || s.signer.startsWith('team:');

function fieldsOf(b: ModuleSummary, a: ModuleSummary): { fields: ChangedField[]; importsAdded: string[]; importsRemoved: string[] } {
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
  return { fields, importsAdded, importsRemoved };
}

/** Removed modules indexed the two ways a rename can be recognised. */
interface RemovedIndex {
  readonly bySha: Map<string, ModuleSummary[]>;
  readonly byName: Map<string, ModuleSummary[]>;
  readonly taken: Set<ModuleSummary>;
}

const nameKey = (s: ModuleSummary): string => `${s.format}\0${s.signer}\0${dirOf(s.path)}\0${moduleStem(s.path)}`;

function push(map: Map<string, ModuleSummary[]>, key: string, s: ModuleSummary): void {
  const list = map.get(key);
  if (list) list.push(s);
  else map.set(key, [s]);
}

/** Code that names no one (unsigned, ad-hoc, linker-signed): judged the same whether replaced in place or renamed. */
const NAMELESS = new Set(['unsigned', 'adhoc', 'linker-signed']);

/**
 * The removed module an added one renames, if exactly one fits: the same content anywhere, else — in the same
 * directory — the same format, the same name apart from architecture words and version numbers, and the same signer:
 * the same trusted identity, or both naming no one with the same standing (`libvips-cpp-8.18.6.dll` →
 * `libvips-cpp-8.18.7.dll`, unsigned). Pairing nameless code gives an attacker nothing: overwriting the old file in
 * place is judged exactly as the pair is (explained inside an update, OUT_OF_BAND_CHANGE outside one). Code whose
 * signature is untrusted or invalid never pairs by name.
 */
function renameOf(a: ModuleSummary, index: RemovedIndex): ModuleSummary | undefined {
  if (!a.isCode || a.state !== 'file') return undefined;
  const same = (index.bySha.get(a.sha256) ?? []).filter((b) => !index.taken.has(b));
  if (same.length === 1) return same[0];
  if (same.length > 1) return undefined;
  const named = (index.byName.get(nameKey(a)) ?? []).filter((b) => !index.taken.has(b) && sameSignerKind(a, b));
  return named.length === 1 ? named[0] : undefined;
}

/** Whether `b` may be paired with `a` by name: the same trusted identity, or both naming no one with the same standing. */
export function sameSignerKind(a: ModuleSummary, b: ModuleSummary): boolean {
  if (a.format !== b.format || a.signer !== b.signer) return false;
  if (a.status === 'trusted' && hasIdentity(a)) return b.status === 'trusted';
  return NAMELESS.has(a.status) && !hasIdentity(a) && b.status === a.status && JSON.stringify(b.sliceStandings ?? {}) === JSON.stringify(a.sliceStandings ?? {});
}

function pairRenames(changes: ModuleChange[]): ModuleChange[] {
  const index: RemovedIndex = { bySha: new Map(), byName: new Map(), taken: new Set() };
  for (const c of changes) {
    const b = c.before;
    if (c.kind !== 'removed' || !b?.isCode || b.state !== 'file') continue;
    if (b.sha256 !== '') push(index.bySha, b.sha256, b);
    push(index.byName, nameKey(b), b);
  }
  if (index.bySha.size === 0 && index.byName.size === 0) return changes;
  const paired = new Map<string, ModuleSummary>();
  for (const c of changes) {
    if (c.kind !== 'added' || !c.after) continue;
    const b = renameOf(c.after, index);
    if (b) {
      paired.set(c.path, b);
      index.taken.add(b);
    }
  }
  if (paired.size === 0) return changes;
  const gone = new Set([...paired.values()].map((b) => b.path));
  return changes
    .filter((c) => !(c.kind === 'removed' && gone.has(c.path)))
    .map((c) => {
      const b = paired.get(c.path);
      if (!b || !c.after) return c;
      const f = fieldsOf(b, c.after);
      return { kind: 'changed', path: c.path, before: b, after: c.after, fields: ['path', ...f.fields], importsAdded: f.importsAdded, importsRemoved: f.importsRemoved, renamedFrom: b.path };
    });
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
    changes.push({ kind: 'changed', path, before: b, after: a, ...fieldsOf(b, a) });
  }
  for (const [path, b] of before) {
    if (!after.has(path)) changes.push({ kind: 'removed', path, before: b, after: undefined, fields: [], importsAdded: [], importsRemoved: [...b.imports] });
  }
  return pairRenames(changes).sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}
