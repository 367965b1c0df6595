// Ordering version strings as vendors write them.

function versionParts(v: string | undefined): number[] | undefined {
  if (!v) return undefined;
  const m = v.match(/\d+/g);
  return m ? m.map(Number) : undefined;
}

/** -1, 0, 1, or undefined when either side has no numeric version. */
export function compareVersions(a: string | undefined, b: string | undefined): number | undefined {
  const x = versionParts(a);
  const y = versionParts(b);
  if (!x || !y) return undefined;
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
