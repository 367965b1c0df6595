// The daemon's configuration: one YAML (or JSON) file, validated against config/sealwatch.schema.json, then turned
// into settings with durations in milliseconds, paths made absolute (relative to the file) and url_env / secret_env
// read from the environment. Every error names the file, the field path (apps[0].path) and, for YAML, the line.
import { type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import cron from 'node-cron';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { type AlertDestination, type AlertType } from '../alert/destination.ts';
import { type RawExportSink, resolveExports } from '../export/config.ts';
import { type ExportSink } from '../export/sink.ts';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { type Severity } from '../shared/findings.ts';
import { loadPolicies, SHIPPED_POLICIES } from '../policy/load.ts';
import { formatProblem, type Policy } from '../policy/types.ts';
import { DURATION_PATTERN, parseDuration } from './duration.ts';
import { feedHostEntry } from '../manifest/feed-host-entry.ts';
import { loadPublicKeys } from '../manifest/keys.ts';
import { configPath, defaultBundleDir, defaultLogDir } from './paths.ts';
import { bundlePoliciesDir } from '../bundle/install.ts';
import { cliLayer } from './cli-layer.ts';
import { envLayer } from './env-layer.ts';
import { isPlainObject, type Layer, type Merged, mergeLayers, originOf } from './layers.ts';
import { MANAGED_PLIST, plistLayer } from './managed-plist.ts';
import { queryRegistry, registryLayer } from './managed-registry.ts';
import { requireAdminOnly, requireAdminOnlyTree } from '../shared/permissions.ts';
import { SCHEMA_FILE } from './schema-walk.ts';

export { SCHEMA_FILE };

export interface AppConfig {
  readonly name: string;
  /** Absolute. */
  readonly path: string;
  readonly version?: string;
  readonly vendor?: string;
  /** Signed release manifest: an absolute path or an https:// URL (daemon/manifest). */
  readonly manifest?: string;
  /** Pinned manifest public keys (absolute paths to SPKI PEM files), checked readable and Ed25519 at load. */
  readonly manifestKeys?: readonly string[];
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface SealwatchConfig {
  /** The file this came from. */
  readonly source: string;
  /** Absolute; undefined: the per-OS default of `sealwatch scan`. */
  readonly database?: string;
  readonly apps: readonly AppConfig[];
  readonly watch: { readonly settleMs: number; readonly maxWaitMs: number; readonly discover: boolean; readonly pollMs: number; readonly rootCheckMs: number };
  /** rescan: the full rescan (every file re-read); manifests: refresh of the apps' URL manifests. */
  readonly schedules: { readonly rescan: string; readonly maintenance: string; readonly manifests: string; readonly timezone?: string };
  /** url_env / secret_env already resolved. */
  readonly alerts: readonly AlertDestination[];
  /** Export sinks (`export:`, daemon/export), url_env / token_env already resolved. */
  readonly exports: readonly ExportSink[];
  readonly delivery: { readonly timeoutMs: number; readonly maxAttempts: number; readonly maxAgeMs: number };
  readonly log: { readonly level: LogLevel; readonly dir: string; readonly maxSizeBytes: number; readonly maxFiles: number; readonly console: boolean };
  readonly http?: { readonly host: string; readonly port: number };
  readonly verification: { readonly trust: readonly string[]; readonly catalogs: readonly string[]; readonly systemTrust: boolean; readonly iocDigests: boolean };
  /** Scan worker threads: at most one per core. */
  readonly workers: number;
  /** Signed policy bundle (daemon/bundle): its URL, pinned keys (loaded), schedule and directory. */
  readonly bundle?: { readonly url: string; readonly keys: readonly KeyObject[]; readonly keyFiles: readonly string[]; readonly schedule: string; readonly dir: string };
  /** The shipped policies and those of `policies:`, loaded and checked (daemon/policy). */
  readonly policies?: readonly Policy[];
  /** The files and directories `policies:` names (absolute), as given: followed for hot reload even when empty. */
  readonly policyPaths?: readonly string[];
  /** feedHosts: where a feed URL an app names itself may point (manifest/feed-hosts.ts), lower case. */
  readonly manifest: { readonly feedHosts: readonly string[] };
}

/** The file as written (after schema validation): snake_case keys, durations as text. */
interface RawConfig {
  database?: string;
  apps: Array<{ name: string; path: string; version?: string; vendor?: string; manifest?: string; manifest_keys?: string[] }>;
  watch?: { settle?: string; max_wait?: string; discover?: boolean; poll?: string; root_check?: string };
  schedules?: { rescan?: string; maintenance?: string; manifests?: string; timezone?: string };
  alerts?: Array<{ name?: string; type: AlertType; url?: string; url_env?: string; secret?: string; secret_env?: string; min_severity?: Severity }>;
  export?: RawExportSink[];
  delivery?: { timeout?: string; max_attempts?: number; max_age?: string };
  log?: { level?: LogLevel; dir?: string; max_size_mb?: number; max_files?: number; console?: boolean };
  http?: { host?: string; port: number };
  verification?: { trust?: string[]; catalogs?: string[]; system_trust?: boolean; ioc_digests?: boolean };
  workers?: number;
  policies?: string[];
  bundle?: { url: string; public_keys: string[]; schedule?: string; dir?: string };
  manifest?: { feed_hosts?: string[] };
}

type Segment = string | number;

/** A configuration error naming the file, the field and (YAML) the line; exit 2 through cli/scan.ts reportError. */
class ConfigFault {
  readonly file: string;
  readonly where: (path: readonly Segment[]) => string;
  constructor(file: string, where: (path: readonly Segment[]) => string) {
    this.file = file;
    this.where = where;
  }
  /** `details`: one problem per line after the reason (policy errors, each naming its file and line). */
  error(path: readonly Segment[], reason: string, details: readonly string[] = []): SealwatchError {
    return SealwatchError.listing('CONFIG', [`config ${this.file}: ${this.where(path)}${fieldPath(path)}: ${reason}`, ...details], { file: this.file });
  }
}

/** apps[0].path */
export function fieldPath(path: readonly Segment[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

let compiled: ReturnType<Ajv['compile']> | undefined;
function validator(): ReturnType<Ajv['compile']> {
  compiled ??= new Ajv({ allErrors: true, strict: true, strictRequired: false, verbose: true }).compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
  return compiled;
}

/** Managed settings sources (docs/fleet.md). Default: the platform's — the macOS plist, the Windows policy key. */
export interface ManagedSources {
  /** The managed preferences plist (absent file: no managed settings). */
  readonly plist?: string;
  /** The policy key as `reg export` writes it (decoded), or `reg query /s` output; '' when the key does not exist. */
  readonly registry?: () => string;
}

export interface LoadOptions {
  readonly managed?: ManagedSources;
  /** --set FIELD=VALUE, the highest layer. */
  readonly set?: readonly string[];
}

export function platformManagedSources(platform: NodeJS.Platform = process.platform): ManagedSources {
  if (platform === 'darwin') return { plist: MANAGED_PLIST };
  if (platform === 'win32') return { registry: () => queryRegistry() };
  return {};
}

/** A loaded config and how it was made: every layer, and which layer set each value. */
export interface LayeredConfig {
  readonly config: SealwatchConfig;
  readonly layers: readonly Layer[];
  readonly merged: Merged;
}

/** A config far larger than any real one is a mistake or an attack, not a config. */
const MAX_CONFIG_BYTES = 4 << 20;

function readConfigText(source: string): string {
  const st = statSync(source);
  if (!st.isFile()) throw new Error('not a regular file');
  if (st.size > MAX_CONFIG_BYTES) throw new Error(`${st.size} bytes, over the ${MAX_CONFIG_BYTES}-byte bound`);
  return readFileSync(source, 'utf8');
}

/**
 * Reads, validates and resolves the config: built-in defaults < `file` (--config, else $SEALWATCH_CONFIG, else the
 * per-OS default) < managed settings < SEALWATCH_* environment < --set. A file others can write is refused.
 */
export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): SealwatchConfig {
  return loadLayered(file, env, options).config;
}

export function loadLayered(file: string | undefined, env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): LayeredConfig {
  const source = resolve(configPath(file, env));
  // Who may write it is checked before it is read, and the read is bounded: a FIFO would hang start-up.
  requireAdminOnly(source, 'config');
  let text: string;
  try {
    text = readConfigText(source);
  } catch (err) {
    throw new SealwatchError('CONFIG', `config ${source}: cannot be read: ${errorMessage(err)}${file || env.SEALWATCH_CONFIG ? '' : ' (the default location; give --config FILE or set SEALWATCH_CONFIG)'}`, { file: source, cause: err });
  }
  const { data, doc, counter } = parse(source, text);
  const validate = validator();
  if (!isPlainObject(data)) throw schemaError(new ConfigFault(source, (path) => lineOf(doc, counter, path)), validate(data) ? [] : (validate.errors ?? []));
  const layers: Layer[] = [DEFAULT_LAYER, { source: `file ${source}`, kind: 'file', data }, ...managedLayers(options.managed ?? platformManagedSources()), envLayer(env), cliLayer(options.set ?? [])];
  const merged = mergeLayers(layers);
  // An error names the line when the value came from the file, else the layer that set it.
  const fault = new ConfigFault(source, (path) => {
    const o = originOf(merged, path);
    return !o || o.kind === 'file' || o.kind === 'default' ? lineOf(doc, counter, path) : `from ${o.source}: `;
  });
  if (!validate(merged.data)) throw schemaError(fault, validate.errors ?? []);
  return { config: resolveConfig(merged.data as unknown as RawConfig, fault, env), layers, merged };
}

function managedLayers(m: ManagedSources): Layer[] {
  const out: Layer[] = [];
  if (m.plist !== undefined) {
    // Who may write it is checked before it is read, as for the config file.
    const layer = plistLayer(m.plist, (f) => requireAdminOnly(f, 'managed settings'));
    if (layer) out.push(layer);
  }
  if (m.registry) {
    const text = m.registry();
    if (text.trim()) out.push(registryLayer(text));
  }
  return out;
}

/** YAML (JSON is YAML): the value, and what names the line of any field. */
function parse(source: string, text: string): { data: unknown; doc: Document; counter: LineCounter } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const pos = lineCounter.linePos(first.pos[0]);
    throw new SealwatchError('CONFIG', `config ${source}: line ${pos.line}, column ${pos.col}: not valid YAML: ${first.message.split('\n')[0]}`, { file: source });
  }
  const data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  return { data: data ?? {}, doc, counter: lineCounter };
}

function lineOf(doc: Document, counter: LineCounter, path: readonly Segment[]): string {
  // The deepest node that exists on the path (a missing field is reported at its parent).
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) return `line ${counter.linePos(range[0]).line}: `;
  }
  return '';
}

/** Every schema violation at its field, one per line: "config FILE: line 4: apps[0].path: must be string". */
function schemaError(fault: ConfigFault, errors: readonly ErrorObject[]): SealwatchError {
  // oneOf reports a summary beside its branches' errors: the summary says it better ("exactly one of url or url_env").
  const messages: string[] = [];
  for (const e of errors) {
    if (e.keyword === 'required' && errors.some((x) => x.keyword === 'oneOf' && x.instancePath === e.instancePath)) continue;
    const line = describe(fault, e, errors).message;
    if (!messages.includes(line)) messages.push(line);
  }
  const shown = messages.slice(0, 10);
  const more = messages.length > shown.length ? [`(and ${messages.length - shown.length} more)`] : [];
  return SealwatchError.listing('CONFIG', [...shown, ...more], { file: fault.file });
}

function describe(fault: ConfigFault, e: ErrorObject, all: readonly ErrorObject[]): SealwatchError {
  const path: Segment[] = e.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  const p = e.params as Record<string, unknown>;
  const pattern = (e.parentSchema as { pattern?: string } | undefined)?.pattern;
  let reason = e.message ?? 'invalid';
  if (e.keyword === 'additionalProperties') (path.push(String(p.additionalProperty)), (reason = `unknown field (${allowedKeys(e)})`));
  else if (e.keyword === 'required') (path.push(String(p.missingProperty)), (reason = 'is required'));
  else if (e.keyword === 'enum') reason = `must be one of ${(p.allowedValues as unknown[]).join(', ')}`;
  else if (e.keyword === 'pattern' && pattern === DURATION_PATTERN) reason = 'must be a duration such as 500ms, 2s, 5m or 1h';
  else if (e.keyword === 'pattern' && path.at(-1) === 'url') reason = 'must be an http:// or https:// URL';
  else if (e.keyword === 'pattern' && path.at(-1) === 'manifest') reason = 'must be a file or an https:// URL (manifests are not fetched over plain http)';
  else if (e.keyword === 'pattern' && /_env$/.test(String(path.at(-1)))) reason = 'must be an environment variable name';
  else if (e.keyword === 'pattern' && path.at(-2) === 'feed_hosts') reason = 'must be a host name, an IP address, or *.example.com';
  else if (e.keyword === 'not' && path.at(-2) === 'alerts') reason = 'give secret or secret_env, not both';
  else if (e.keyword === 'not' && path.at(-2) === 'export') reason = 'give url or url_env and token or token_env, not both of a pair';
  else if (e.keyword === 'oneOf' && path.at(-2) === 'alerts') reason = all.some((x) => x.keyword === 'required' && x.instancePath === e.instancePath) ? 'give url or url_env' : 'give exactly one of url or url_env';
  return fault.error(path, reason);
}

function allowedKeys(e: ErrorObject): string {
  const props = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? `known: ${Object.keys(props).join(', ')}` : 'not allowed here';
}

/** Per app `manifest:` (a path made absolute, or an https URL) and `manifest_keys:` (each loaded once, so a bad key is a config error). */
function manifestOf(a: RawConfig['apps'][number], i: number, abs: (p: string) => string, fault: ConfigFault): Pick<AppConfig, 'manifest' | 'manifestKeys'> {
  if (!a.manifest) return {};
  const keys = (a.manifest_keys ?? []).map(abs);
  keys.forEach((k, j) => {
    try {
      // Whoever can replace a pinned key can sign a manifest that explains away their own change.
      requireAdminOnly(k, 'manifest public key');
      loadPublicKeys(k);
    } catch (err) {
      throw fault.error(['apps', i, 'manifest_keys', j], errorMessage(err));
    }
  });
  return { manifest: /^https:\/\//i.test(a.manifest) ? a.manifest : abs(a.manifest), manifestKeys: keys };
}

const DEFAULTS = { settle: '30s', maxWait: '15m', poll: '5m', rootCheck: '10s', rescan: '0 3 * * *', maintenance: '30 3 * * *', manifests: '*/30 * * * *', timeout: '10s', maxAttempts: 1000, maxAge: '72h' };

/** The built-in defaults as the lowest layer (what `config show --effective` calls "default"). */
const DEFAULT_LAYER: Layer = {
  source: 'default',
  kind: 'default',
  data: {
    watch: { settle: DEFAULTS.settle, max_wait: DEFAULTS.maxWait, discover: false, poll: DEFAULTS.poll, root_check: DEFAULTS.rootCheck },
    schedules: { rescan: DEFAULTS.rescan, maintenance: DEFAULTS.maintenance },
    delivery: { timeout: DEFAULTS.timeout, max_attempts: DEFAULTS.maxAttempts, max_age: DEFAULTS.maxAge },
    log: { level: 'info', max_size_mb: 10, max_files: 5, console: true },
    verification: { system_trust: false, ioc_digests: false },
  },
};

function resolveConfig(raw: RawConfig, fault: ConfigFault, env: NodeJS.ProcessEnv): SealwatchConfig {
  const base = dirname(fault.file);
  const abs = (p: string): string => resolve(base, p);
  const ms = (path: Segment[], text: string): number => {
    const v = parseDuration(text);
    if (v === undefined) throw fault.error(path, 'must be a duration such as 500ms, 2s, 5m or 1h');
    return v;
  };
  const names = new Set<string>();
  for (const [i, a] of raw.apps.entries()) {
    if (names.has(a.name)) throw fault.error(['apps', i, 'name'], `app ${JSON.stringify(a.name)} is configured twice`);
    names.add(a.name);
  }
  const watch = raw.watch ?? {};
  const settleMs = ms(['watch', 'settle'], watch.settle ?? DEFAULTS.settle);
  const maxWaitMs = ms(['watch', 'max_wait'], watch.max_wait ?? DEFAULTS.maxWait);
  if (maxWaitMs < settleMs) throw fault.error(['watch', 'max_wait'], `must not be shorter than watch.settle (${watch.settle ?? DEFAULTS.settle})`);
  if (raw.apps.length === 0 && watch.discover !== true) throw fault.error(['apps'], 'lists no app (and watch.discover is off): nothing to watch');
  const schedules = raw.schedules ?? {};
  for (const key of ['rescan', 'maintenance', 'manifests'] as const) {
    const expr = schedules[key];
    if (expr !== undefined && !cron.validate(expr)) throw fault.error(['schedules', key], `not a valid node-cron expression: ${JSON.stringify(expr)}`);
  }
  if (schedules.timezone !== undefined && !validTimezone(schedules.timezone)) throw fault.error(['schedules', 'timezone'], `unknown time zone ${JSON.stringify(schedules.timezone)}`);
  const log = raw.log ?? {};
  const delivery = raw.delivery ?? {};
  const verification = raw.verification ?? {};
  const cores = availableParallelism();
  if (raw.workers !== undefined && raw.workers > cores) throw fault.error(['workers'], `at most one worker per core (${cores} here)`);
  return {
    source: fault.file,
    ...(raw.database !== undefined ? { database: abs(raw.database) } : {}),
    apps: raw.apps.map((a, i) => ({ name: a.name, path: abs(a.path), ...(a.version ? { version: a.version } : {}), ...(a.vendor ? { vendor: a.vendor } : {}), ...manifestOf(a, i, abs, fault) })),
    watch: { settleMs, maxWaitMs, discover: watch.discover ?? false, pollMs: ms(['watch', 'poll'], watch.poll ?? DEFAULTS.poll), rootCheckMs: ms(['watch', 'root_check'], watch.root_check ?? DEFAULTS.rootCheck) },
    schedules: { rescan: schedules.rescan ?? DEFAULTS.rescan, maintenance: schedules.maintenance ?? DEFAULTS.maintenance, manifests: schedules.manifests ?? DEFAULTS.manifests, ...(schedules.timezone ? { timezone: schedules.timezone } : {}) },
    alerts: destinations(raw.alerts ?? [], fault, env),
    exports: resolveExports(raw.export ?? [], (path, reason) => fault.error(path, reason), env, abs),
    delivery: { timeoutMs: ms(['delivery', 'timeout'], delivery.timeout ?? DEFAULTS.timeout), maxAttempts: delivery.max_attempts ?? DEFAULTS.maxAttempts, maxAgeMs: ms(['delivery', 'max_age'], delivery.max_age ?? DEFAULTS.maxAge) },
    log: { level: log.level ?? 'info', dir: log.dir !== undefined ? abs(log.dir) : defaultLogDir(env), maxSizeBytes: (log.max_size_mb ?? 10) * 1024 * 1024, maxFiles: log.max_files ?? 5, console: log.console ?? true },
    ...(raw.http ? { http: { host: raw.http.host ?? '127.0.0.1', port: raw.http.port } } : {}),
    verification: { trust: adminOnlyDirs((verification.trust ?? []).map(abs), ['verification', 'trust'], 'trust directory', fault), catalogs: adminOnlyDirs((verification.catalogs ?? []).map(abs), ['verification', 'catalogs'], 'catalog directory', fault), systemTrust: verification.system_trust ?? false, iocDigests: verification.ioc_digests ?? false },
    workers: raw.workers ?? cores,
    manifest: { feedHosts: feedHosts(raw.manifest?.feed_hosts ?? [], fault) },
    ...bundleOf(raw, abs, fault, env),
    policies: configuredPolicies([...(raw.policies ?? []).map(abs), ...bundlePolicies(raw, abs, env)], fault),
    policyPaths: (raw.policies ?? []).map(abs),
  };
}

/** `manifest.feed_hosts` as feed-hosts.ts compares them (feed-host-entry.ts): an IP the pattern lets through but that is none is refused. */
function feedHosts(entries: readonly string[], fault: ConfigFault): string[] {
  return entries.map((h, i) => {
    const entry = feedHostEntry(h);
    if (entry === undefined) throw fault.error(['manifest', 'feed_hosts', i], 'must be a host name, an IP address, or *.example.com');
    return entry;
  });
}

/** One alert destination, its URL and secret read from the environment when named there. Values never in errors. */
function destination(a: NonNullable<RawConfig['alerts']>[number], i: number, fault: ConfigFault, env: NodeJS.ProcessEnv): AlertDestination {
  const fromEnv = (field: string, name: string): string => {
    const v = env[name];
    if (v === undefined || v === '') throw fault.error(['alerts', i, field], `environment variable ${name} is not set`);
    return v;
  };
  const url = a.url ?? fromEnv('url_env', a.url_env as string);
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw fault.error(['alerts', i, a.url !== undefined ? 'url' : 'url_env'], 'not an http:// or https:// URL (value not shown: webhook URLs are secrets)');
  }
  const secret = a.secret ?? (a.secret_env !== undefined ? fromEnv('secret_env', a.secret_env) : undefined);
  if (secret !== undefined && a.type !== 'generic') throw fault.error(['alerts', i, a.secret !== undefined ? 'secret' : 'secret_env'], `only the generic type signs its requests (this one is ${a.type})`);
  return { name: a.name ?? `alerts[${i}]`, type: a.type, url, ...(secret !== undefined ? { secret } : {}), minSeverity: a.min_severity ?? 'medium' };
}

/** Destination names are ids (stored with each outbox row, given to `alerts test`): unique. Every destination's
 * problem is reported, one per line, not only the first. */
function destinations(raw: NonNullable<RawConfig['alerts']>, fault: ConfigFault, env: NodeJS.ProcessEnv): AlertDestination[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  const out: AlertDestination[] = [];
  raw.forEach((a, i) => {
    try {
      const d = destination(a, i, fault, env);
      if (seen.has(d.name)) throw fault.error(['alerts', i, 'name'], `destination name ${JSON.stringify(d.name)} is used twice`);
      seen.add(d.name);
      out.push(d);
    } catch (err) {
      if (!(err instanceof SealwatchError) || err.code !== 'CONFIG') throw err;
      problems.push(...err.lines);
    }
  });
  if (problems.length > 0) throw SealwatchError.listing('CONFIG', problems, { file: fault.file });
  return out;
}

/**
 * Paths that decide what sealwatch trusts — policies, trust anchors, catalogs — and every subfolder and file in
 * them, refused when non-admins can change them (a planted root CA or policy silences sealwatch like an edited config).
 */
function adminOnlyDirs(paths: readonly string[], field: Segment[], what: string, fault: ConfigFault): string[] {
  paths.forEach((p, i) => {
    try {
      requireAdminOnlyTree(p, what);
    } catch (err) {
      throw fault.error([...field, i], errorMessage(err));
    }
  });
  return [...paths];
}

/** Policy files are checked like the config: any error stops the daemon (exit 2), naming the policy file and line. */
function configuredPolicies(paths: readonly string[], fault: ConfigFault): readonly Policy[] {
  adminOnlyDirs(paths, ['policies'], 'policy path', fault);
  const { policies, problems } = loadPolicies([SHIPPED_POLICIES, ...paths]);
  const errors = problems.filter((p) => p.level === 'error');
  if (errors.length) throw fault.error(['policies'], 'policy errors:', errors.map(formatProblem));
  return policies;
}

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** `bundle:` resolved: keys loaded now (a bad key is a config error), the directory made absolute. */
function bundleOf(raw: RawConfig, abs: (p: string) => string, fault: ConfigFault, env: NodeJS.ProcessEnv): Pick<SealwatchConfig, 'bundle'> {
  const b = raw.bundle;
  if (!b) return {};
  const keyFiles = b.public_keys.map(abs);
  const keys = keyFiles.flatMap((k, j) => {
    try {
      // Whoever can replace a pinned key can sign a bundle of their own policies.
      requireAdminOnly(k, 'bundle public key');
      return loadPublicKeys(k);
    } catch (err) {
      throw fault.error(['bundle', 'public_keys', j], errorMessage(err));
    }
  });
  const schedule = b.schedule ?? '*/15 * * * *';
  if (!cron.validate(schedule)) throw fault.error(['bundle', 'schedule'], `not a valid node-cron expression: ${JSON.stringify(schedule)}`);
  return { bundle: { url: b.url, keys, keyFiles, schedule, dir: b.dir !== undefined ? abs(b.dir) : defaultBundleDir(env) } };
}

/** The accepted bundle's policies directory, once there is one. */
function bundlePolicies(raw: RawConfig, abs: (p: string) => string, env: NodeJS.ProcessEnv): string[] {
  if (!raw.bundle) return [];
  const dir = bundlePoliciesDir(raw.bundle.dir !== undefined ? abs(raw.bundle.dir) : defaultBundleDir(env));
  return existsSync(dir) ? [dir] : [];
}
