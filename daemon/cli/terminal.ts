// Human output on a terminal: untrusted text made inert, aligned tables, severity colour (TTY only, NO_COLOR honoured),
// strict argument parsing. JSON output never goes through here: it stays exact.
import { availableParallelism } from 'node:os';
import { type Severity, SEVERITY_ORDER } from '../shared/findings.ts';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { UNSAFE_TEXT_CLASS } from '../shared/unsafe-text.ts';

/**
 * Characters that can move the cursor, erase, recolour or reorder what a terminal shows: C0 controls (ESC, CR, LF,
 * BS, …), DEL, C1 controls (CSI U+009B among them), the bidi embeddings, overrides and isolates (U+202A–U+202E,
 * U+2066–U+2069), the bidi marks (U+200E, U+200F, U+061C) and the line and paragraph separators (U+2028, U+2029).
 * The backslash is escaped too, so that an escape in the output always means an escape and never a literal name.
 */
// Unsafe text (shared/unsafe-text.ts) and the backslash, so that an escape in the output always means an escape.
const UNSAFE = new RegExp(`[${UNSAFE_TEXT_CLASS}\\\\]`, 'gu');
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

/** `s` as text that cannot act on a terminal: every unsafe character written as a visible escape (`\x1b`, `\r`, `\u202e`). */
export function escapeTerminal(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.codePointAt(0) ?? 0;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/**
 * An error as terminal text: one line per problem the error lists (a config error lists each on its own), each
 * escaped, so a newline inside a problem (a file name's) is shown as `\n` and cannot forge a line of its own.
 */
export function errorText(err: unknown): string {
  const lines = err instanceof SealwatchError ? err.lines : [errorMessage(err)];
  return lines.map(escapeTerminal).join('\n');
}

/** Untrusted value → safe text; absent → '-'. */
export const safe = (v: string | number | null | undefined): string => (v === null || v === undefined || v === '' ? '-' : escapeTerminal(String(v)));

/** Colour only on a terminal, and never when NO_COLOR is set to anything (https://no-color.org). */
export function colourWanted(isTTY: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return isTTY === true && !env.NO_COLOR;
}

const SEVERITY_SGR: Readonly<Record<Severity, string>> = { critical: '1;97;41', high: '1;31', medium: '33', low: '36', info: '2' };

/** A severity label, coloured when `colour`. */
export function severityLabel(s: Severity, colour: boolean, text: string = s): string {
  return colour ? `\x1b[${SEVERITY_SGR[s] ?? '0'}m${text}\x1b[0m` : text;
}

/** Critical first; then the order given (stable). */
export function bySeverity<T extends { severity: Severity }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => SEVERITY_ORDER.indexOf(b.severity) - SEVERITY_ORDER.indexOf(a.severity));
}

/** "3 findings: 1 critical, 2 high" (severities with none are left out; "no findings" when empty). */
export function severitySummary(items: readonly { severity: Severity }[], noun = 'finding'): string {
  if (items.length === 0) return `no ${noun}s`;
  const parts = [...SEVERITY_ORDER].reverse().map((s) => [s, items.filter((i) => i.severity === s).length] as const).filter(([, n]) => n > 0);
  return `${items.length} ${noun}${items.length === 1 ? '' : 's'}: ${parts.map(([s, n]) => `${n} ${s}`).join(', ')}`;
}

/** A cell: its text (already safe) and, optionally, how to colour it; width counts the text, never the colour. */
export type Cell = string | { readonly text: string; readonly severity: Severity };

/**
 * Aligned columns: a header row, then the rows; two spaces between columns; the last column is not padded. Every
 * cell must already be safe text (see `safe`): tables do no escaping of their own.
 */
export function table(header: readonly string[], rows: readonly (readonly Cell[])[], colour: boolean): string[] {
  const text = (c: Cell | undefined): string => (c === undefined ? '' : typeof c === 'string' ? c : c.text);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => [...text(r[i])].length)));
  const line = (cells: readonly Cell[]): string =>
    cells
      .map((c, i) => {
        const t = text(c);
        const pad = i === cells.length - 1 ? '' : ' '.repeat(Math.max(0, (widths[i] ?? 0) - [...t].length));
        return (typeof c === 'object' ? severityLabel(c.severity, colour, t) : t) + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** --workers: an integer from 1 to twice the cores. */
export function parseWorkers(value: string): number {
  const max = availableParallelism() * 2;
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new SealwatchError('CONFIG', `--workers: give a whole number from 1 to ${max} (twice the ${max / 2} cores), not ${JSON.stringify(value)}`);
  return n;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * A real ISO 8601 date or date-time: `2026-03-01`, `2026-03-01T12:00`, `2026-03-01T12:00:00.5+02:00`. Every field
 * must exist on the calendar (no 2026-13-45, no 24:00, no 30 February); without an offset the time is UTC.
 */
export function parseIsoDate(value: string, option: string): Date {
  const m = ISO.exec(value.trim());
  const bad = (): SealwatchError => new SealwatchError('CONFIG', `${option}: not an ISO date (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]): ${JSON.stringify(value)}`);
  if (!m) throw bad();
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const ms = m[7] ? Math.trunc(Number(`0.${m[7]}`) * 1000) : 0;
  const utc = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
  utc.setUTCFullYear(year); // years 0–99 are not 1900–1999
  if (utc.getUTCFullYear() !== year || utc.getUTCMonth() !== month - 1 || utc.getUTCDate() !== day || utc.getUTCHours() !== hour || utc.getUTCMinutes() !== minute || utc.getUTCSeconds() !== second) throw bad();
  const zone = m[8];
  if (!zone || zone.toUpperCase() === 'Z') return utc;
  const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  const zh = Number(z?.[2]);
  const zm = Number(z?.[3]);
  if (!z || zh > 23 || zm > 59) throw bad();
  const offset = (z[1] === '-' ? -1 : 1) * (zh * 60 + zm) * 60_000;
  return new Date(utc.getTime() - offset);
}
