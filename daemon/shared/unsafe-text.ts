// Characters that must never reach a reader as they are, in a terminal or a report: C0/C1 controls and DEL, the bidi
// marks, embeddings, overrides and isolates, the line/paragraph separators, and invisible characters (zero width
// space and joiners, soft hyphen, word joiner, BOM, Hangul fillers, braille blank, variation selectors, tag
// characters) — `OpenConsole\u200b.exe` must not read as OpenConsole.exe. A character class body, for /[…]/gu.
export const UNSAFE_TEXT_CLASS =
  '\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u061c\\u115f\\u1160\\u17b4\\u17b5\\u180b-\\u180f\\u200b-\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\u2800\\u3164\\ufe00-\\ufe0f\\ufeff\\uffa0\\u{e0000}-\\u{e007f}\\u{e0100}-\\u{e01ef}';
