// `sealwatch config validate [FILE] [--set F=V]`: the config the daemon would run with — every layer (defaults, the
// file, managed settings, SEALWATCH_*, --set) merged and checked; errors name the file, the line or the layer, the
// field and the reason (exit 2). `sealwatch config show --effective [--json]`: every value in force and where it
// came from; URLs, secrets, tokens and the names of the variables holding them are redacted.
import { loadLayered, type LayeredConfig } from '../config/config.ts';
import { dotted, isPlainObject, originOf, type Segment } from '../config/layers.ts';
import { ExitCode } from './exit-codes.ts';
import type { Output } from './inspect.ts';
import { escapeTerminal } from './terminal.ts';

export const REDACTED = '[redacted]';
// token: an export sink's ClickHouse password, Elasticsearch API key or Splunk HEC token (config `export:`).
const SECRET_KEY = /^(url|secret|token)$|_env$/;

export function runConfigValidate(file: string | undefined, o: { set: string[] }, io: Output): number {
  const r = loadLayered(file, process.env, { set: o.set });
  const managed = r.layers.filter((l) => l.kind === 'managed').map((l) => l.source);
  io.out(escapeTerminal(`config ${r.config.source}: valid: ${r.config.apps.length} app${r.config.apps.length === 1 ? '' : 's'}, ${r.config.alerts.length} alert destination${r.config.alerts.length === 1 ? '' : 's'}${managed.length ? `; with ${managed.join(', ')}` : ''}`));
  return ExitCode.ok;
}

export interface EffectiveValue {
  readonly field: string;
  readonly value: unknown;
  readonly source: string;
}

/** Every leaf value (list items one by one) with its source, secrets redacted. */
export function effectiveValues(r: LayeredConfig): EffectiveValue[] {
  const out: EffectiveValue[] = [];
  const walk = (v: unknown, path: Segment[]): void => {
    const key = path.at(-1);
    if (typeof key === 'string' && SECRET_KEY.test(key) && v !== undefined) {
      out.push({ field: dotted(path), value: REDACTED, source: originOf(r.merged, path)?.source ?? 'default' });
      return;
    }
    if (isPlainObject(v)) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    else if (Array.isArray(v) && v.some((x) => isPlainObject(x))) v.forEach((x, i) => walk(x, [...path, i]));
    else out.push({ field: dotted(path), value: v, source: originOf(r.merged, path)?.source ?? 'default' });
  };
  walk(r.merged.data, []);
  return out;
}

export function runConfigShow(file: string | undefined, o: { effective: boolean; json: boolean; set: string[] }, io: Output): number {
  const r = loadLayered(file, process.env, { set: o.set });
  const values = effectiveValues(r);
  if (o.json) {
    io.out(JSON.stringify({ config: r.config.source, layers: r.layers.map((l) => l.source), values }));
    return ExitCode.ok;
  }
  io.out(escapeTerminal(`# layers, lowest first: ${r.layers.filter((l) => l.kind !== 'cli' || Object.keys(l.data).length).map((l) => l.source).join(' < ')}`));
  const width = Math.max(...values.map((v) => v.field.length));
  for (const v of values) io.out(escapeTerminal(`${v.field.padEnd(width)}  ${JSON.stringify(v.value)}  # ${v.source}`));
  return ExitCode.ok;
}
