// Whether this snapshot is an update: both versions known and different. An unknown version explains nothing — not
// even when it appears (an attacker can add a package.json as easily as edit one).
import { type DetectInput } from './input.ts';
import { sameVersion } from './versions.ts';

export type VersionState = 'moved' | 'same' | 'unknown' | 'vanished' | 'unsigned-now' | 'switched' | 'old-folder';

export function versionState(input: Pick<DetectInput, 'fromVersion' | 'toVersion' | 'version'>): VersionState {
  const { fromVersion: from, toVersion: to } = input;
  // A version that was signed and now comes from a file anyone can write explains nothing that changed with it.
  if (from !== undefined && input.version?.lostSignature && !(to !== undefined && sameVersion(from, to))) return 'unsigned-now';
  if (from !== undefined && to !== undefined) {
    if (sameVersion(from, to) || from === to) return 'same';
    // The version moved only because another file now gives it: nothing an update did.
    return input.version?.switchedFrom ? 'switched' : 'moved';
  }
  return from !== undefined ? 'vanished' : 'unknown';
}

/**
 * The state for one changed or added path. Squirrel writes each release into a new app-x.y.z folder and never rewrites
 * an older one (it may delete it): a file that changed inside an older folder is not explained by the version moving —
 * which a folder made to look newest (`app-99.0.0`, even empty) would otherwise do for everything.
 */
export function pathState(path: string, input: Pick<DetectInput, 'squirrelFolders'>, state: VersionState): VersionState {
  const [newest, ...older] = input.squirrelFolders ?? [];
  if (state !== 'moved' || !newest) return state;
  return older.some((f) => path.startsWith(`${f}/`)) ? 'old-folder' : state;
}

/** Why a change is not explained by an update, in words, and the rule variant that goes with it. */
export function notAnUpdate(input: Pick<DetectInput, 'fromVersion' | 'toVersion' | 'version' | 'squirrelFolders'>, state: Exclude<VersionState, 'moved'>): { why: string; variant: string | undefined } {
  if (state === 'unsigned-now') {
    return { why: `while the app's version went from ${input.fromVersion ?? '?'} (${input.version?.lostSignature ?? 'signed'}) to ${input.toVersion ?? 'unknown'} from an unsigned source (${input.version?.source ?? '?'})`, variant: undefined };
  }
  if (state === 'switched') {
    return { why: `while the app's version went from ${input.fromVersion ?? '?'} (${input.version?.switchedFrom ?? '?'}) to ${input.toVersion ?? '?'} only because another file gives it now (${input.version?.source ?? '?'})`, variant: undefined };
  }
  if (state === 'old-folder') {
    return { why: `inside an older Squirrel version folder while the app's version went ${input.fromVersion ?? '?'} → ${input.toVersion ?? '?'} (${input.squirrelFolders?.[0] ?? '?'}): an update writes a new folder, it never rewrites an old one`, variant: undefined };
  }
  if (state === 'same') return { why: `while the app's version stayed ${input.toVersion ?? '?'}`, variant: undefined };
  if (state === 'vanished') return { why: `while the app's version went from ${input.fromVersion ?? '?'} to unknown`, variant: undefined };
  return { why: 'and the app has no version that could explain it', variant: 'unknown-version' };
}
