#!/usr/bin/env node
// The floor of a baseline scan (issue 8 §3): what any program that records what sealwatch's default baseline records
// must at least do, and nothing else — walk the tree (readdir + lstat, as the scan's walk does), read every file
// once into a reused buffer, and compute the digests that cannot be skipped: the SHA-256 of every file (IoC lookups),
// plus one more SHA-256 pass over each PE (its Authenticode image digest, recorded for every PE) and over each
// signed Mach-O (its code-page hashes: a slice with an LC_CODE_SIGNATURE load command). Each second pass
// hashes the whole file, a little more than the image digest or the code pages cover. No parsing, no verification,
// no records, no database. Same worker count as `scan` by default, largest files first.
//
//   node scripts/bench/floor-scan.ts DIR [WORKERS]     prints "files bytes" when done
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';

const LC_CODE_SIGNATURE = 0x1d;

function walk(dir: string, into: Array<[string, number]>): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    const st = lstatSync(path);
    if (st.isDirectory()) walk(path, into);
    else if (st.isFile()) into.push([path, st.size]);
  }
}

/** A thin little-endian Mach-O at `at` (what Apple ships) with a code signature load command. */
function signedSlice(bytes: Buffer, at: number): boolean {
  if (at + 32 > bytes.length) return false;
  const magic = bytes.readUInt32LE(at);
  if (magic !== 0xfeedface && magic !== 0xfeedfacf) return false;
  const ncmds = bytes.readUInt32LE(at + 16);
  let cmd = at + (magic === 0xfeedfacf ? 32 : 28);
  for (let i = 0; i < ncmds && cmd + 8 <= bytes.length; i++) {
    if (bytes.readUInt32LE(cmd) === LC_CODE_SIGNATURE) return true;
    cmd += Math.max(8, bytes.readUInt32LE(cmd + 4));
  }
  return false;
}

/** True when the file needs a second full pass: a PE (image digest) or a signed Mach-O (code-page hashes). */
function needsSecondPass(bytes: Buffer): boolean {
  if (bytes.length >= 2 && bytes[0] === 0x4d && bytes[1] === 0x5a) return true;
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0xcafebabe) {
    const slices = Math.min(bytes.readUInt32BE(4), 32);
    for (let i = 0; i < slices && 8 + 20 * (i + 1) <= bytes.length; i++) if (signedSlice(bytes, bytes.readUInt32BE(8 + 20 * i + 8))) return true;
    return false;
  }
  return signedSlice(bytes, 0);
}

function main(): void {
  const [dir, workersArg] = process.argv.slice(2);
  if (!dir) throw new Error('usage: floor-scan.ts DIR [WORKERS]');
  const files: Array<[string, number]> = [];
  walk(dir, files);
  files.sort((a, b) => b[1] - a[1]);
  const workers = Number(workersArg ?? Math.max(1, Math.min(availableParallelism(), 8)));
  let next = 0;
  let bytes = 0;
  for (let i = 0; i < workers; i++) {
    const w = new Worker(new URL(import.meta.url));
    let inFlight = 0;
    const feed = (): void => {
      const f = files[next++];
      if (f) {
        inFlight++;
        w.postMessage(f[0]);
      } else if (inFlight === 0) void w.terminate();
    };
    w.on('message', (n: number) => {
      bytes += n;
      inFlight--;
      feed();
    });
    feed();
    feed(); // one job queued ahead, as the scan's pool does
  }
  process.on('exit', () => console.log(`${files.length} ${bytes}`));
}

function worker(): void {
  let buffer = Buffer.allocUnsafeSlow(1 << 20);
  parentPort?.on('message', (path: string) => {
    const fd = openSync(path, 'r');
    let read = 0;
    try {
      const size = fstatSync(fd).size;
      if (buffer.length < size) buffer = Buffer.allocUnsafeSlow(size);
      while (read < size) {
        const n = readSync(fd, buffer, read, size - read, read);
        if (n === 0) break;
        read += n;
      }
    } finally {
      closeSync(fd);
    }
    const bytes = buffer.subarray(0, read);
    createHash('sha256').update(bytes).digest('hex');
    if (needsSecondPass(bytes)) createHash('sha256').update(bytes).digest();
    parentPort?.postMessage(read);
  });
}

if (isMainThread) main();
else worker();
