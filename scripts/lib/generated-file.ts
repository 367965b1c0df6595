// A file generated from sources and kept in the repository: written, or with `--check` compared (exit 1 when stale).
import { readFileSync, writeFileSync } from 'node:fs';

export function writeOrCheck(file: string, text: string, regenerate: string): void {
  if (process.argv.includes('--check')) {
    if (readFileSync(file, 'utf8') !== text) {
      process.stderr.write(`${file} is out of date: run ${regenerate}\n`);
      process.exit(1);
    }
    return;
  }
  writeFileSync(file, text);
  process.stdout.write(`wrote ${file}\n`);
}
