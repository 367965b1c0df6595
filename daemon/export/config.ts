// Config `export:`: a list of sinks. The schema (config/sealwatch.schema.json) checks each field; here: what only the
// combination says (a URL for the HTTP sinks, a file for ndjson, a token for Splunk), url_env / token_env read from the
// environment, paths made absolute. Values are never put in an error: URLs and tokens are credentials.
import { type Severity } from '../shared/findings.ts';
import { EXPORT_DEFAULTS, EXPORT_KINDS, type ExportKind, type ExportSink, type ExportType } from './sink.ts';

/** One `export:` item as written (after schema validation). */
export interface RawExportSink {
  name?: string;
  type: ExportType;
  url?: string;
  url_env?: string;
  path?: string;
  token?: string;
  token_env?: string;
  user?: string;
  table?: string;
  index?: string;
  min_severity?: Severity;
  send?: ExportKind[];
  batch?: number;
  max_size_mb?: number;
  max_files?: number;
}

/** `fail(['export', i, field], reason)` makes the config's error (file, line, field). */
export type ExportFault = (path: ReadonlyArray<string | number>, reason: string) => Error;

export function resolveExports(raw: readonly RawExportSink[], fail: ExportFault, env: NodeJS.ProcessEnv, abs: (p: string) => string): ExportSink[] {
  const seen = new Set<string>();
  return raw.map((s, i) => {
    const sink = resolveSink(s, i, fail, env, abs);
    if (seen.has(sink.name)) throw fail(['export', i, 'name'], `sink name ${JSON.stringify(sink.name)} is used twice`);
    seen.add(sink.name);
    return sink;
  });
}

function resolveSink(s: RawExportSink, i: number, fail: ExportFault, env: NodeJS.ProcessEnv, abs: (p: string) => string): ExportSink {
  const fromEnv = (field: string, name: string): string => {
    const v = env[name];
    if (v === undefined || v === '') throw fail(['export', i, field], `environment variable ${name} is not set`);
    return v;
  };
  const http = s.type !== 'ndjson';
  if (http && s.url === undefined && s.url_env === undefined) throw fail(['export', i], `the ${s.type} sink needs url or url_env`);
  if (!http && (s.url !== undefined || s.url_env !== undefined)) throw fail(['export', i, s.url !== undefined ? 'url' : 'url_env'], 'an ndjson sink writes a file: give path, not a URL');
  if (!http && s.path === undefined) throw fail(['export', i], 'an ndjson sink needs path (the file a shipper tails)');
  if (http && s.path !== undefined) throw fail(['export', i, 'path'], `only the ndjson sink writes a file (this one is ${s.type})`);
  const url = s.url ?? (s.url_env !== undefined ? fromEnv('url_env', s.url_env) : undefined);
  if (url !== undefined && !/^https?:\/\/[^/]/i.test(url)) throw fail(['export', i, s.url !== undefined ? 'url' : 'url_env'], 'not an http:// or https:// URL (value not shown: it may carry credentials)');
  const token = s.token ?? (s.token_env !== undefined ? fromEnv('token_env', s.token_env) : undefined);
  if (s.type === 'splunk' && token === undefined) throw fail(['export', i], 'a splunk sink needs token or token_env (the HEC token)');
  if (s.table !== undefined && s.type !== 'clickhouse') throw fail(['export', i, 'table'], `only the clickhouse sink has a table (this one is ${s.type})`);
  if (s.index !== undefined && s.type !== 'elasticsearch' && s.type !== 'splunk') throw fail(['export', i, 'index'], `only the elasticsearch and splunk sinks have an index (this one is ${s.type})`);
  return {
    name: s.name ?? `export[${i}]`,
    type: s.type,
    ...(url !== undefined ? { url } : {}),
    ...(s.path !== undefined ? { path: abs(s.path) } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(s.user !== undefined ? { user: s.user } : {}),
    ...(s.table !== undefined ? { table: s.table } : {}),
    ...(s.index !== undefined ? { index: s.index } : {}),
    minSeverity: s.min_severity ?? 'info',
    send: s.send ?? EXPORT_KINDS,
    batch: s.batch ?? EXPORT_DEFAULTS.batch,
    maxBytes: s.max_size_mb !== undefined ? s.max_size_mb * 1024 * 1024 : EXPORT_DEFAULTS.maxBytes,
    maxFiles: s.max_files ?? EXPORT_DEFAULTS.maxFiles,
  };
}
