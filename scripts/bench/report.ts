// docs/benchmarks.md holds each benchmark's latest measurement once: every bench script owns one section, marked by
// `<!-- bench:NAME -->` … `<!-- /bench:NAME -->`, and replaces it whole (earlier runs used to be appended, which left
// duplicated and contradictory tables). Text outside the markers (the introduction, the history of before/after
// work) is written by people and never touched. A section not in the file yet is added at the end.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const BENCHMARKS_MD = join(resolve(import.meta.dirname, '..', '..'), 'docs', 'benchmarks.md');

/** `text` with the section `name` set to `body` (trimmed), in place when it exists, else appended. */
export function withSection(text: string, name: string, body: string): string {
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const block = `${open}\n${body.trim()}\n${close}`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start >= 0 && end > start) return text.slice(0, start) + block + text.slice(end + close.length);
  if (start >= 0 || end >= 0) throw new Error(`${BENCHMARKS_MD}: the markers of section "${name}" are broken; fix them by hand`);
  return `${text.trimEnd()}\n\n${block}\n`;
}

/** Replaces section `name` of docs/benchmarks.md with `body`. */
export function writeSection(name: string, body: string, file = BENCHMARKS_MD): void {
  writeFileSync(file, withSection(readFileSync(file, 'utf8'), name, body));
}
