// Where the pinned vendor binaries of test/corpus/REAL.md live once scripts/fetch-real-corpus.ts has run.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';

export interface RealCorpusEntry {
  readonly id: string;
  readonly source: 'npm' | 'deb';
  readonly package: string;
  readonly member: string;
  readonly sha256: string;
  /** Debian only: the .deb's own SHA-256 and SHA-1, to fetch the pinned build by content once mirrors drop it. */
  readonly deb_sha256?: string;
  readonly deb_sha1?: string;
}

const projectRoot = resolve(import.meta.dirname, '..', '..');

/** The corpus of public test-suite binaries carried by the project (test/corpus: pe/, catalog/, macho/; see its README). */
export const sharedCorpus = resolve(projectRoot, 'test', 'corpus');
/** The roots of trust the tests use are the shipped ones (config/trust; origins in its README). */
export const sharedTrust = resolve(projectRoot, 'config', 'trust');

export function corpusCacheDir(): string {
  return process.env.SEALWATCH_CORPUS_CACHE ?? join(homedir(), '.cache', 'sealwatch', 'real-corpus');
}

export interface RealAppEntry {
  readonly id: string;
  readonly package: string;
  /** npm's dist.integrity of the tarball (SHA-512, base64). */
  readonly integrity: string;
}

let manifest: { files: RealCorpusEntry[]; apps: RealAppEntry[] } | undefined;
function load(): { files: RealCorpusEntry[]; apps: RealAppEntry[] } {
  manifest ??= JSON.parse(readFileSync(join(projectRoot, 'test', 'corpus', 'real-corpus.json'), 'utf8')) as { files: RealCorpusEntry[]; apps: RealAppEntry[] };
  return manifest;
}
export function realCorpusEntries(): readonly RealCorpusEntry[] {
  return load().files;
}
export function realAppEntries(): readonly RealAppEntry[] {
  return load().apps;
}

/** Directory of an extracted vendor package (an "app version"); throws when it has not been fetched. */
export function realAppPath(id: string, options: { mustExist?: boolean } = {}): string {
  const entry = realAppEntries().find((e) => e.id === id);
  if (!entry) throw new Error(`no real-corpus app named ${id}`);
  const path = join(corpusCacheDir(), 'apps', entry.id);
  if ((options.mustExist ?? true) && !existsSync(join(path, 'package.json'))) {
    throw new Error(`${path} is missing: run \`npm run corpus:fetch\` first`);
  }
  return path;
}

/** Where a Debian member of the current version is kept when the pinned version is gone (see fetch-real-corpus.ts). */
export function currentBuildDir(entry: RealCorpusEntry): string {
  return join(corpusCacheDir(), `${entry.id}-current`);
}

/** What was fetched in place of a pinned Debian build that no mirror or snapshot served any more. */
export interface CurrentBuild {
  readonly package: string;
  readonly version: string;
  readonly sha256: string;
}

/**
 * The build of a fetched vendor binary: `undefined` for the pinned bytes; for a Debian package whose pinned version
 * could not be fetched any more, the current version used instead (expectations that depend on the exact build cannot
 * hold for it).
 */
export function realCorpusBuild(id: string): CurrentBuild | undefined {
  const entry = realCorpusEntries().find((e) => e.id === id);
  if (!entry) throw new Error(`no real-corpus entry named ${id}`);
  if (existsSync(pinnedPath(entry))) return undefined;
  const record = join(currentBuildDir(entry), 'source.json');
  return entry.source === 'deb' && existsSync(record) ? (JSON.parse(readFileSync(record, 'utf8')) as CurrentBuild) : undefined;
}

function pinnedPath(entry: RealCorpusEntry): string {
  return join(corpusCacheDir(), `${entry.id}-${entry.sha256.slice(0, 12)}`, basename(entry.member));
}

/**
 * Path of a fetched vendor binary: the pinned bytes, else (Debian only) the current build fetched in their place;
 * throws (never skips) when `npm run corpus:fetch` has fetched neither. `pinned: true` gives the pinned path only.
 */
export function realCorpusPath(id: string, options: { mustExist?: boolean; pinned?: boolean } = {}): string {
  const entry = realCorpusEntries().find((e) => e.id === id);
  if (!entry) throw new Error(`no real-corpus entry named ${id}`);
  const path = pinnedPath(entry);
  if (!options.pinned && !existsSync(path) && realCorpusBuild(id)) return join(currentBuildDir(entry), basename(entry.member));
  if ((options.mustExist ?? true) && !existsSync(path)) {
    throw new Error(`${path} is missing: run \`npm run corpus:fetch\` first`);
  }
  return path;
}
