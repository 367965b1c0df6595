// Keeping chat payloads inside their services' limits: texts clipped to a length, and the largest number of findings
// whose rendering still fits (rendering with fewer findings is never larger, so a binary search finds it).

/** `s` cut to at most `max` UTF-16 units with an ellipsis, never splitting a surrogate pair. */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = Math.max(0, max - 1);
  const last = s.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return `${s.slice(0, cut)}…`;
}

/** Like `clip`, for text with `&amp;`-style entities: never cuts one in half. */
export function clipEscaped(s: string, max: number): string {
  const clipped = clip(s, max);
  return clipped === s ? s : clipped.replace(/&[a-z]*…$/, '…');
}

/** The largest k in [0, n] with fits(k), given fits(0) holds and fits is monotone (true up to some k, then false). */
export function largestFitting(n: number, fits: (k: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** UTF-8 size of a JSON body. */
export const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');
