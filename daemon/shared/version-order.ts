// Ordering version strings as vendors write them (the scan orders Squirrel folders with it, detect app versions).
// Up to three numeric parts with a pre-release tag (`1.1.0-beta9`, `1.2.0-beta.1`, `2.0`) are ordered by SemVer rules (the `semver` package: a pre-release comes before its release);
// four-part Windows versions (`18.12.416.0`) are ordered part by part, a pre-release tag after them still ranking
// below the same parts without one.
// Two functions of semver, not its index (which loads ranges, classes and all ~50 modules: start-up).
import semverCompare from 'semver/functions/compare.js';
import semverValid from 'semver/functions/valid.js';

interface Parsed {
  readonly parts: number[];
  readonly pre: string | undefined;
}

function parse(v: string | undefined): Parsed | undefined {
  if (!v) return undefined;
  const m = /^\s*v?(\d+(?:\.\d+)*)(?:[-+._ ]?([0-9A-Za-z][0-9A-Za-z.-]*))?/.exec(v);
  if (!m) {
    const digits = v.match(/\d+/g);
    return digits ? { parts: digits.map(Number), pre: undefined } : undefined;
  }
  const parts = (m[1] as string).split('.').map(Number);
  const tail = m[2];
  // `1.0.0+build` or a trailing `.0`-style part is not a pre-release; only a tag with a letter is.
  const pre = tail && /[A-Za-z]/.test(tail) && !v.includes(`+${tail}`) ? tail : undefined;
  return { parts, pre };
}

/** The SemVer form of a version with at most three parts, or undefined. */
function asSemver(p: Parsed): string | undefined {
  if (p.parts.length > 3) return undefined;
  const core = [...p.parts, 0, 0].slice(0, 3).join('.');
  const pre = p.pre?.replace(/[^0-9A-Za-z.-]/g, '');
  // `beta9` → `beta.9`, so that beta10 sorts after beta9 as vendors mean it.
  const tag = pre?.replace(/([A-Za-z])(\d)/g, '$1.$2').replace(/(\d)([A-Za-z])/g, '$1.$2');
  return semverValid(tag ? `${core}-${tag}` : core) ?? undefined;
}

function comparePre(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  const x = semverValid(`0.0.0-${a.replace(/[^0-9A-Za-z.-]/g, '')}`);
  const y = semverValid(`0.0.0-${b.replace(/[^0-9A-Za-z.-]/g, '')}`);
  return x && y ? semverCompare(x, y) : Math.sign(a.localeCompare(b));
}

/** -1, 0, 1, or undefined when either side has no numeric version. */
export function compareVersions(a: string | undefined, b: string | undefined): number | undefined {
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return undefined;
  const sx = asSemver(x);
  const sy = asSemver(y);
  if (sx && sy) return semverCompare(sx, sy);
  for (let i = 0; i < Math.max(x.parts.length, y.parts.length); i++) {
    const d = (x.parts[i] ?? 0) - (y.parts[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return comparePre(x.pre, y.pre);
}

/** Two version strings that name the same version (`22.23.3` and `22.23.3.0`). */
export const sameVersion = (a: string | undefined, b: string | undefined): boolean => compareVersions(a, b) === 0;

/**
 * Whether an unsigned version (`package.json`'s `1.2.3`) says the same as a signed one (the version resource's
 * `1.2.3.0` or `1.2.3.456`): the same version, or its leading numeric parts.
 */
export function versionAgrees(unsigned: string, signed: string): boolean {
  if (compareVersions(unsigned, signed) === 0) return true;
  const u = parse(unsigned);
  const s = parse(signed);
  return !!u && !!s && u.pre === undefined && u.parts.length < s.parts.length && u.parts.every((n, i) => n === s.parts[i]);
}
