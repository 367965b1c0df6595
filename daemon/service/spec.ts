// What a service definition is made of, on every OS: the command line the service manager starts, the config file
// it names, and the directories the daemon writes besides its own state and log directories (a `database:` or
// `log.dir` placed elsewhere by the config), so that a hardened unit can allow exactly those.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isSea } from 'node:sea';
import { parse } from 'yaml';
import { configPath } from '../config/paths.ts';
import { packageRoot } from '../shared/assets.ts';
import { SealwatchError, errorMessage } from '../shared/errors.ts';

export type ServicePlatform = 'linux' | 'darwin' | 'win32';

export interface ServiceSpec {
  readonly platform: ServicePlatform;
  /** The executable, then its leading arguments (node and the launcher, or the single executable alone). */
  readonly program: readonly string[];
  readonly config: string;
  /** Directories outside the per-OS defaults that the daemon must write (database, logs). */
  readonly writable: readonly string[];
  readonly version: string;
}

export interface SpecOptions {
  readonly platform?: string;
  readonly config?: string;
  /** The sealwatch executable on the target (default: this one). */
  readonly exec?: string;
  /** Installing under this directory: the config is read from under it too. */
  readonly root?: string;
}

export function servicePlatform(name: string | undefined): ServicePlatform {
  const p = name ?? process.platform;
  if (p === 'linux' || p === 'darwin' || p === 'win32') return p;
  throw new SealwatchError('CONFIG', `service: unsupported platform "${p}" (linux, darwin or win32)`);
}

/** This program's own command line: a single executable runs itself; otherwise Node runs the shipped launcher. */
export function ownProgram(exec: string | undefined): string[] {
  if (exec) return [exec];
  if (isSea()) return [process.execPath];
  return [process.execPath, resolve(packageRoot(), 'bin', 'sealwatch.cjs')];
}

/** `database:` and `log.dir` of an existing config file, as absolute directories (the file is only peeked at). */
export function configuredDirs(file: string, nameOnTarget = file): string[] {
  if (!existsSync(file)) return [];
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SealwatchError('CONFIG', `${file}: not readable YAML: ${errorMessage(err)}`, { cause: err, file });
  }
  if (typeof doc !== 'object' || doc === null) return [];
  const d = doc as { database?: unknown; log?: { dir?: unknown }; export?: unknown; bundle?: { dir?: unknown } };
  const base = dirname(nameOnTarget);
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  const out: string[] = [];
  if (typeof d.database === 'string') out.push(dirname(abs(d.database)));
  if (typeof d.log?.dir === 'string') out.push(abs(d.log.dir));
  // Where the daemon writes too: NDJSON export files, and the accepted policy bundle.
  for (const e of Array.isArray(d.export) ? (d.export as unknown[]) : []) {
    const path = (e as { path?: unknown } | null)?.path;
    if (typeof path === 'string') out.push(dirname(abs(path)));
  }
  if (typeof d.bundle?.dir === 'string') out.push(abs(d.bundle.dir));
  return [...new Set(out)];
}

export function serviceSpec(o: SpecOptions, version: string): ServiceSpec {
  const platform = servicePlatform(o.platform);
  // A path for another OS is taken as written (resolving it here would make it a path of this one).
  const given = o.config ? (platform === process.platform ? resolve(o.config) : o.config) : configPath(undefined, process.env, platform);
  // configPath joins with this OS's separator; a Windows path printed from elsewhere keeps Windows's.
  const config = platform === 'win32' ? given.replaceAll('/', '\\') : given;
  // The directories the config names are paths on the target; they are read from the config the target will have.
  const onTarget = o.root ? join(o.root, config.replace(/^[A-Za-z]:/, '')) : config;
  return { platform, program: ownProgram(o.exec), config, writable: platform === process.platform || o.root ? configuredDirs(onTarget, config) : [], version };
}
