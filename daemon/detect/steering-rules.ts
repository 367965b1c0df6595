// Files that are not modules but decide what the app does (inventory/file-class.ts): Electron archives and
// JavaScript, launch scripts, updater settings, launchd plists in bundles. Inside a version change they are explained
// and listed; outside one, every change is a finding, and a new launch script always is.
import { type ModuleChange } from '../diff/diff.ts';
import { type ModuleSummary } from '../diff/summary.ts';
import { isSteering, type FileClass } from '../inventory/file-class.ts';
import { type Finding } from '../shared/findings.ts';
import { finding, STATE_WORDS } from './finding.ts';
import { type DetectInput } from './input.ts';
import { notAnUpdate, type VersionState } from './version-state.ts';

const CLASS_WORDS: Readonly<Record<Exclude<FileClass, 'module' | 'data'>, string>> = {
  'steering-code': 'app code',
  'launch-script': 'launch script',
  'updater-config': 'updater settings',
  'launch-plist': 'launchd plist',
};

/** The steering class of a change that is not about a module, or undefined. */
export function steeringClass(c: ModuleChange): Exclude<FileClass, 'module' | 'data'> | undefined {
  if (c.after?.isCode || (c.kind === 'removed' && c.before?.isCode)) return undefined;
  const cls = (c.after ?? c.before)?.fileClass;
  return isSteering(cls) ? cls : undefined;
}

export interface SteeringOutcome {
  readonly findings: Finding[];
  /** Steering files that changed with the update: explained, and listed in UPDATE_EXPLAINED. */
  readonly listed: string[];
  /** New launch scripts that came with the update: one NEW_SCRIPT (low) lists them. */
  readonly newScripts: string[];
}

const isLaunchItem = (cls: FileClass): boolean => cls === 'launch-script' || cls === 'launch-plist';

/** Judges one steering change into `out`. */
export function steeringRule(c: ModuleChange, cls: Exclude<FileClass, 'module' | 'data'>, state: VersionState, input: DetectInput, out: SteeringOutcome): void {
  const fresh = c.kind === 'added' || (c.before !== undefined && !isSteering(c.before.fileClass) && (c.before as ModuleSummary).sha256 !== c.after?.sha256);
  if (state === 'moved') {
    if (fresh && isLaunchItem(cls)) out.newScripts.push(c.path);
    else out.listed.push(c.path);
    return;
  }
  const { why, variant } = notAnUpdate(input, state);
  const words = CLASS_WORDS[cls];
  if (fresh && isLaunchItem(cls)) {
    out.findings.push(finding('NEW_SCRIPT', c, `${c.path}: new ${words} ${why}`, { class: cls }));
    return;
  }
  const what = c.kind === 'added' ? 'appeared' : c.kind === 'removed' ? 'was removed' : 'changed';
  out.findings.push(finding('STEERING_CHANGED', c, `${c.path}: ${words} ${what} ${why}`, { class: cls }, variant));
}

/**
 * A steering file that is now a link out of the root, a FIFO/device or unreadable: the app would load whatever is
 * there, and no update ships that. High whatever the version did (the counterpart of MODULE_DISPLACED).
 */
export function steeringDisplaced(c: ModuleChange, cls: Exclude<FileClass, 'module' | 'data'>): Finding | undefined {
  const a = c.after;
  // A module displaced so is MODULE_DISPLACED (entry-rules.ts); this is for paths that held steering content.
  if (!a || c.before?.state !== 'file' || c.before.isCode || a.state === 'file' || a.state === 'symlink') return undefined;
  return finding('STEERING_CHANGED', c, `${c.path}: held ${CLASS_WORDS[cls]}, now holds ${STATE_WORDS[a.state]}${a.detail ? ` (${a.detail})` : ''}`, { class: cls });
}

/** The one NEW_SCRIPT (low) finding for launch scripts an update brought. */
export function newScriptsInUpdate(paths: readonly string[], input: DetectInput): Finding | undefined {
  if (paths.length === 0) return undefined;
  const span = `${input.fromVersion ?? '?'} → ${input.toVersion ?? '?'}`;
  const shown = paths.slice(0, 5).join(', ');
  return finding('NEW_SCRIPT', undefined, `${paths.length} new launch script(s) came with the update ${span}: ${shown}${paths.length > 5 ? ', …' : ''}`, { scripts: paths.slice(0, 200), count: paths.length }, 'in-update');
}
