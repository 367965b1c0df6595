// A module put back to an older build while the app moves on: its own version goes backwards, or it was signed
// (unsigned: built) earlier than the module it replaces. The old build is genuine and validly signed — and carries
// the holes its successor fixed. Also: a changed OriginalFilename / InternalName says another program took its place.
import { type ModuleChange } from '../diff/diff.ts';
import { type ModuleSummary } from '../diff/summary.ts';
import { type Finding } from '../shared/findings.ts';
import { finding } from './finding.ts';
import { type DetectInput } from './input.ts';
import { compareVersions } from './versions.ts';

/** The release line of an app version: its major number, or major.minor for 0.x (SemVer: 0.34 → 0.35 is a new line). */
function releaseLine(v: string | undefined): string | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?/.exec(v ?? '');
  if (!m) return undefined;
  return m[1] === '0' ? `0.${m[2] ?? ''}` : m[1];
}

function rollbackReason(a: ModuleSummary, b: ModuleSummary, input: DetectInput): string | undefined {
  if (compareVersions(a.ownVersion, b.ownVersion) === -1) return `its own version went back from ${b.ownVersion ?? '?'} to ${a.ownVersion ?? '?'}`;
  // Across the app's release lines, dates are not ordered: a maintenance release of the old line is built after the
  // new line's first release (@sentry/cli-win32-x64 2.58.6, built 2026-05-21, → 3.0.0, built 2025-12-15).
  if (releaseLine(input.fromVersion) !== releaseLine(input.toVersion)) return undefined;
  if (a.signedAt && b.signedAt && a.signedAt < b.signedAt) return `it was signed ${a.signedAt}, before the module it replaces (${b.signedAt})`;
  if (!a.signed && !b.signed && a.compiledAt && b.compiledAt && a.compiledAt < b.compiledAt) {
    return `it was built ${a.compiledAt}, before the module it replaces (${b.compiledAt})`;
  }
  return undefined;
}

export function rollbackRules(c: ModuleChange, a: ModuleSummary, b: ModuleSummary, input: DetectInput): Finding[] {
  if (!c.fields.includes('content')) return [];
  // When the app itself went backwards, DOWNGRADE says so and older modules are expected.
  if (compareVersions(input.toVersion, input.fromVersion) === -1) return [];
  const why = rollbackReason(a, b, input);
  if (!why) return [];
  const app = input.fromVersion !== input.toVersion ? ` while the app went ${input.fromVersion ?? '?'} → ${input.toVersion ?? '?'}` : '';
  return [finding('MODULE_ROLLBACK', c, `${c.path}: rolled back — ${why}${app}`)];
}

const stem = (n: string | undefined): string | undefined => n?.trim().toLowerCase().replace(/\.(dll|exe|sys|ocx|node|cpl|drv|efi|mui)$/, '') || undefined;

/** OriginalFilename / InternalName changed: the build says it is another program. */
export function swapRules(c: ModuleChange, a: ModuleSummary, b: ModuleSummary): Finding[] {
  const changed: string[] = [];
  for (const [label, x, y] of [['OriginalFilename', b.originalName, a.originalName], ['InternalName', b.internalName, a.internalName]] as const) {
    if (stem(x) && stem(y) && stem(x) !== stem(y)) changed.push(`${label} ${x ?? ''} → ${y ?? ''}`);
  }
  if (changed.length === 0) return [];
  return [finding('MODULE_SWAPPED', c, `${c.path}: another program in its place — ${changed.join(', ')}`, { original_name: [b.originalName, a.originalName], internal_name: [b.internalName, a.internalName] })];
}
