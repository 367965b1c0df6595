// What a path holds, before its content is judged: a module displaced by data, a link or a device, and new paths
// that cannot be verified at all.
import { type ModuleChange } from '../diff/diff.ts';
import { type Finding } from '../shared/findings.ts';
import { isSteering } from '../inventory/file-class.ts';
import { CODE_FORMATS } from '../shared/model.ts';
import { finding, STATE_WORDS } from './finding.ts';

/**
 * File names loaders take as code: Windows modules, Python extensions, Node addons, shared libraries (versioned
 * `.so.1.2` too), and a framework's binary (`Foo.framework/Versions/A/Foo`, `Foo.framework/Foo`), which has none.
 */
const MODULE_NAME = /\.(dll|exe|sys|ocx|cpl|drv|pyd|node|so|dylib)$|\.so(\.\d+)+$|(?:^|\/)(?<framework>[^/]+)\.framework\/(?:Versions\/[^/]+\/)?\k<framework>$/i;

/** How loud a new path that cannot be verified is (rule-table UNVERIFIED_PATH variants; undefined: medium). */
function unverifiedVariant(path: string, a: NonNullable<ModuleChange['after']>, released: boolean): string | undefined {
  // A link out of the root is never followed, so what it points at is never read: under a module's name (a DLL the
  // app loads by name, a .so/.dylib) or a steering file's (sitecustomize.py, app.asar, a launch script) it may be
  // what the app runs, and counts as an unreadable path, not a low one.
  if (a.state === 'link-out-of-root') return MODULE_NAME.test(path) || isSteering(a.fileClass) ? undefined : 'link-out-of-root';
  // A module too large to verify is read and hashed; only its signature is not checked, so it counts as unsigned.
  return a.state === 'unreadable' && CODE_FORMATS.has(a.format) && !released ? 'module-too-large' : undefined;
}

/**
 * A path that held a module and now holds something else, or a new path that cannot be verified at all. `released`:
 * a baseline or an update explains the path's arrival — a genuine module over the in-memory bound (CUDA and ML
 * libraries pass 1 GiB) is then medium; one that came with no release is high.
 */
export function entryRules(c: ModuleChange, released = false): Finding[] | undefined {
  const a = c.after;
  const b = c.before;
  if (!a) return undefined;
  const held = b?.isCode === true;
  if (held && !a.isCode) {
    const now = a.state === 'file' ? `data (${a.format})` : STATE_WORDS[a.state];
    const detail = a.detail ? ` (${a.detail})` : '';
    return [finding('MODULE_DISPLACED', c, `${c.path}: held a module, now holds ${now}${detail}`)];
  }
  if (a.state === 'link-out-of-root' || a.state === 'special' || a.state === 'unreadable') {
    const variant = unverifiedVariant(c.path, a, released);
    return [finding('UNVERIFIED_PATH', c, `${c.path}: ${STATE_WORDS[a.state]}${a.detail ? ` (${a.detail})` : ''} — not verified`, {}, variant)];
  }
  return a.isCode ? undefined : [];
}

/**
 * A directory that held modules and is now a link out of the root, a mount point or something unreadable: its
 * modules did not go away in an update, they were put out of sight. One MODULE_DISPLACED finding for the directory;
 * the modules under it map to that same finding and raise nothing of their own.
 */
export function directoriesDisplaced(changes: readonly ModuleChange[]): Map<string, Finding> {
  const out = new Map<string, Finding>();
  const removedCode = changes.filter((c) => c.kind === 'removed' && c.before?.isCode).map((c) => c.path);
  for (const c of changes) {
    const state = c.after?.state;
    if (c.kind !== 'added' || !(state === 'link-out-of-root' || state === 'special' || state === 'unreadable')) continue;
    const under = removedCode.filter((p) => p.startsWith(`${c.path}/`));
    if (under.length === 0) continue;
    const detail = c.after?.detail ? ` (${c.after.detail})` : '';
    const f = finding('MODULE_DISPLACED', c, `${c.path}/: a directory that held ${under.length} module(s) now is ${STATE_WORDS[state]}${detail}`, { modules: under });
    out.set(c.path, f);
    for (const p of under) out.set(p, f);
  }
  return out;
}
