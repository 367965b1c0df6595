// Fetching a pinned Debian package (`name:arch=version`) with the ordinary clients, and what to do once the mirrors
// drop that version (a security update or point release replaces it):
//   1. `apt-get download name:arch=version` from the configured mirror;
//   2. when apt no longer lists that version: the same .deb by content from snapshot.debian.org (`/file/<SHA-1>`,
//      which keeps every file Debian ever published), checked against its pinned SHA-256 — the pinned build, unchanged;
//   3. when the snapshot cannot be reached either: the version the mirror has now (`via: 'current'`). Its bytes differ
//      from the pin, so the caller keeps it apart and tests check only what does not depend on the exact build.
// A network or apt failure while the pinned version is still listed is an error, never a fallback.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DebSpec {
  readonly name: string;
  readonly arch: string | undefined;
  readonly version: string | undefined;
}

export function parseDebSpec(pkg: string): DebSpec {
  const m = /^([a-z0-9][a-z0-9+.-]*)(?::([a-z0-9]+))?(?:=(.+))?$/.exec(pkg);
  if (!m?.[1]) throw new Error(`not a Debian package spec (name[:arch][=version]): ${pkg}`);
  return { name: m[1], arch: m[2], version: m[3] };
}

const updatedForArch = new Set<string>();

/**
 * Debian signs EFI images of every architecture (fwupdaa64.efi.signed is arm64-only). For a package of an
 * architecture dpkg is not configured for, apt is told about that architecture for this process only, and its
 * package index is fetched once (`apt-get update` with the same option).
 */
export function aptArchOptions(arch: string | undefined): string[] {
  if (!arch) return [];
  const native = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
  const foreign = execFileSync('dpkg', ['--print-foreign-architectures'], { encoding: 'utf8' }).split('\n').map((a) => a.trim());
  if (arch === native || foreign.includes(arch)) return [];
  const options = ['-o', `APT::Architectures::=${native}`, '-o', `APT::Architectures::=${arch}`];
  if (!updatedForArch.has(arch)) {
    execFileSync('apt-get', [...options, 'update', '-qq'], { stdio: ['ignore', 'inherit', 'inherit'] });
    updatedForArch.add(arch);
  }
  return options;
}

/** The versions of a package the configured mirrors list now (`apt-cache madison`), newest first. */
export function listedVersions(spec: DebSpec): string[] {
  const target = spec.arch ? `${spec.name}:${spec.arch}` : spec.name;
  const out = execFileSync('apt-cache', [...aptArchOptions(spec.arch), 'madison', target], { encoding: 'utf8' });
  return [...new Set(out.split('\n').map((l) => l.split('|')[1]?.trim()).filter((v): v is string => !!v))];
}

/** The version apt would install now (the candidate), or undefined when the package is gone altogether. */
export function candidateVersion(spec: DebSpec): string | undefined {
  const target = spec.arch ? `${spec.name}:${spec.arch}` : spec.name;
  const out = execFileSync('apt-cache', [...aptArchOptions(spec.arch), 'policy', target], { encoding: 'utf8' });
  const v = /^\s*Candidate:\s*(\S+)/m.exec(out)?.[1];
  return v && v !== '(none)' ? v : undefined;
}

export interface FetchedDeb {
  readonly path: string;
  readonly version: string;
  /** mirror and snapshot give the pinned build; current gives another build of the package. */
  readonly via: 'mirror' | 'snapshot' | 'current';
}

export interface DebPin {
  readonly package: string;
  readonly deb_sha256?: string | undefined;
  readonly deb_sha1?: string | undefined;
}

const sha = (alg: string, bytes: Uint8Array): string => createHash(alg).update(bytes).digest('hex');

function aptDownload(spec: DebSpec, version: string, workDir: string): string {
  const target = `${spec.arch ? `${spec.name}:${spec.arch}` : spec.name}=${version}`;
  const r = spawnSync('apt-get', [...aptArchOptions(spec.arch), 'download', '-qq', target], { cwd: workDir, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`apt-get download ${target} failed (${r.status}): ${r.stderr.trim()}`);
  const deb = readdirSync(workDir).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${target} produced no .deb`);
  return join(workDir, deb);
}

/** snapshot.debian.org serves every file Debian published by its SHA-1; the pinned SHA-256 proves it is the same. */
async function snapshotDownload(pin: DebPin, workDir: string, log: (s: string) => void): Promise<string | undefined> {
  if (!pin.deb_sha1 || !pin.deb_sha256) return undefined;
  const url = `https://snapshot.debian.org/file/${pin.deb_sha1}`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
    if (!res.ok) {
      log(`${url}: HTTP ${res.status}`);
      return undefined;
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (sha('sha256', bytes) !== pin.deb_sha256) throw new Error(`${url}: SHA-256 ${sha('sha256', bytes)} is not the pinned ${pin.deb_sha256}`);
    const path = join(workDir, `${pin.deb_sha1}.deb`);
    writeFileSync(path, bytes);
    return path;
  } catch (err) {
    if (err instanceof Error && /is not the pinned/.test(err.message)) throw err;
    log(`${url}: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`);
    return undefined;
  }
}

export async function fetchDeb(pin: DebPin, workDir: string, log: (s: string) => void = (s) => console.warn(s)): Promise<FetchedDeb> {
  const spec = parseDebSpec(pin.package);
  if (!spec.version) throw new Error(`${pin.package}: a pinned Debian package names its version (name:arch=version)`);
  if (listedVersions(spec).includes(spec.version)) {
    const path = aptDownload(spec, spec.version, workDir);
    if (pin.deb_sha256 && sha('sha256', readFileSync(path)) !== pin.deb_sha256) {
      throw new Error(`${pin.package}: the mirror's .deb does not have the pinned SHA-256 ${pin.deb_sha256}`);
    }
    return { path, version: spec.version, via: 'mirror' };
  }
  log(`${pin.package}: version ${spec.version} is no longer on the configured mirrors; trying snapshot.debian.org`);
  const fromSnapshot = await snapshotDownload(pin, workDir, log);
  if (fromSnapshot) return { path: fromSnapshot, version: spec.version, via: 'snapshot' };
  const current = candidateVersion(spec);
  if (!current) throw new Error(`${pin.package}: neither the pinned version nor any other is available`);
  log(`${pin.package}: falling back to the current version ${current} (tests check only what does not depend on the exact build)`);
  return { path: aptDownload(spec, current, workDir), version: current, via: 'current' };
}
