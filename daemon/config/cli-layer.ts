// The --set layer: `--set log.level=debug --set apps='[{name: a, path: /opt/a}]'`, the highest layer. A value is read
// as the schema's type at that path (lists and objects as YAML flow text).
import { SealwatchError } from '../shared/errors.ts';
import { coerce, schemaAt } from './schema-walk.ts';
import { type Layer, setIn } from './layers.ts';

export function cliLayer(sets: readonly string[]): Layer {
  const data: Record<string, unknown> = {};
  const seen = new Set<string>();
  // Every bad --set is reported, one per line, not only the first.
  const problems: string[] = [];
  for (const s of sets) {
    const eq = s.indexOf('=');
    const key = eq > 0 ? s.slice(0, eq).trim() : '';
    if (!/^[a-z_]+(\.[a-z_]+)*$/.test(key)) {
      problems.push(`--set ${JSON.stringify(s)}: give FIELD=VALUE, FIELD a dotted config field such as log.level`);
      continue;
    }
    const path = key.split('.');
    if (!schemaAt(path)) {
      problems.push(`--set ${key}: no such config field`);
      continue;
    }
    try {
      setIn(data, path, coerce(path, s.slice(eq + 1)));
    } catch (err) {
      if (!(err instanceof SealwatchError)) throw err;
      problems.push(...err.lines);
      continue;
    }
    seen.add(key);
  }
  if (problems.length > 0) throw SealwatchError.listing('CONFIG', problems);
  return { source: 'command line', kind: 'cli', data, sourceOf: (p) => (seen.has(p.join('.')) ? `--set ${p.join('.')}` : undefined) };
}
