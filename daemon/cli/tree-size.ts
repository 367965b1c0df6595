// Whether a directory tree holds at least `limit` entries, counted from directory listings alone (the file type comes
// with each name: no stat per file) and stopping at the limit. Only a hint for choosing V8's heap settings before a
// scan (young-generation.ts): links are never followed, unreadable directories count as empty, nothing is opened but
// directories under the given one.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export function hasAtLeastEntries(dir: string, limit: number): boolean {
  const pending = [dir];
  let count = 0;
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    let entries;
    try {
      entries = readdirSync(next, { withFileTypes: true });
    } catch {
      continue;
    }
    count += entries.length;
    if (count >= limit) return true;
    for (const e of entries) if (e.isDirectory()) pending.push(join(next, e.name));
  }
  return false;
}
