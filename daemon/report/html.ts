// The report's tiny template layer. Every interpolated value goes through `escapeHtml` unless it is already `Html`
// (built by this same tag), so a file name, signer, version or Info.plist value can never become markup: the only
// way to emit raw text is `trusted()`, kept for the page's own constant CSS.
import { UNSAFE_TEXT_CLASS } from '../shared/unsafe-text.ts';

const UNSAFE = new RegExp(`[${UNSAFE_TEXT_CLASS}]`, 'gu');
const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/**
 * Text → HTML text safe in element content and in quoted attribute values. Control characters (newline and tab too:
 * `conpty.dll\n` would read as the genuine conpty.dll), the bidi overrides/isolates and invisible characters (zero
 * width space, soft hyphen, word joiner) are shown as visible escapes, as on the terminal: a name cannot hide or
 * reorder what the reader sees. Text that is several lines on purpose goes through `lines`.
 */
export function escapeHtml(value: string): string {
  return value
    .replace(/[&<>"'`]/g, (c) => ENTITIES[c] as string)
    .replace(UNSAFE, (c) => {
      const code = c.codePointAt(0) ?? 0;
      return code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
    });
}

/** Several lines (in a <pre>): each escaped on its own, so a newline inside one is shown, not taken as a line break. */
export function lines(texts: readonly string[]): Html {
  return new Html(texts.map(escapeHtml).join('\n'));
}

/** Markup this layer produced (or the page's own constants): never escaped again. */
export class Html {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

export type Value = Html | string | number | boolean | null | undefined | readonly Value[];

function render(v: Value): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return (v as readonly Value[]).map(render).join('');
  return escapeHtml(String(v));
}

/** `html\`<td>${name}</td>\``: literal parts as written, every value escaped (arrays joined, absent values empty). */
export function html(strings: TemplateStringsArray, ...values: readonly Value[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i] as Value) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** The page's own constants (CSS): never pass data here. */
export const trusted = (text: string): Html => new Html(text);
