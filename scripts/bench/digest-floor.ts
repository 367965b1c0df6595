#!/usr/bin/env node
// The floor of a baseline scan (issue 8 §3): the work no implementation can skip — read every file, its SHA-256,
// every PE's image digest (with the header parse it needs), every Mach-O's verification (page hashes of each
// CodeDirectory) — measured alone, in one thread, as CPU time, on the tree speed-bench.ts scans. On 2 cores a scan
// needs at least half of this in wall time, plus start-up. Prints; writes nothing. Passes: BENCH_RUNS (default 3).
import { closeSync, cpSync, fstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authentihashPlan } from '../../daemon/formats/pe/digest.ts';
import { parsePe } from '../../daemon/formats/pe/index.ts';
import { sniffFormat } from '../../daemon/formats/sniff/index.ts';
import { appleAnchors, TrustStore } from '../../daemon/verify/chain/trust-store.ts';
import { verifyMachoFile } from '../../daemon/verify/codesign/macho.ts';
import { corpusCacheDir, realAppEntries, realAppPath } from '../lib/real-corpus.ts';

const work = mkdtempSync(join(tmpdir(), 'sealwatch-floor-'));
const tree = join(work, 'app');
mkdirSync(tree);
for (const a of realAppEntries()) cpSync(realAppPath(a.id), join(tree, a.id), { recursive: true });
for (const d of readdirSync(corpusCacheDir())) if (d !== 'apps') cpSync(join(corpusCacheDir(), d), join(tree, 'bin', d), { recursive: true });
const files = readdirSync(tree, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));

const cpu = (): number => {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1000;
};
let buf = Buffer.allocUnsafeSlow(1 << 20);
// An empty store: the chain is not what is measured (it is the same small work for every signature).
const ctx = { store: new TrustStore(), now: new Date(), signatureCache: new Map<string, boolean>(), acceptAnchor: appleAnchors };
for (let pass = 1; pass <= Number(process.env.BENCH_RUNS ?? 3); pass++) {
  const t = { read: 0, sha256: 0, pe: 0, macho: 0 };
  const size = { all: 0, pe: 0, macho: 0 };
  for (const f of files) {
    let c = cpu();
    const fd = openSync(f, 'r');
    const n = fstatSync(fd).size;
    if (buf.length < n) buf = Buffer.allocUnsafeSlow(n);
    for (let at = 0; at < n; ) {
      const got = readSync(fd, buf, at, n - at, at);
      if (got === 0) break;
      at += got;
    }
    closeSync(fd);
    t.read += cpu() - c;
    const b = buf.subarray(0, n);
    size.all += n;
    c = cpu();
    createHash('sha256').update(b).digest();
    t.sha256 += cpu() - c;
    const format = sniffFormat(b.subarray(0, 16));
    c = cpu();
    try {
      if (format === 'pe') {
        const pe = parsePe(b);
        const h = createHash('sha256');
        for (const r of authentihashPlan(pe.headers, pe.certificateTable, n).ranges) h.update(b.subarray(r.start, r.end));
        h.digest();
        size.pe += n;
      } else if (format === 'macho') {
        verifyMachoFile(b, ctx);
        size.macho += n;
      }
    } catch {
      // malformed: nothing more to digest
    }
    if (format === 'pe') t.pe += cpu() - c;
    if (format === 'macho') t.macho += cpu() - c;
  }
  const mib = (x: number): string => (x / 2 ** 20).toFixed(0);
  const total = t.read + t.sha256 + t.pe + t.macho;
  console.log(
    `pass ${pass}: ${files.length} files, ${mib(size.all)} MiB (PE ${mib(size.pe)}, Mach-O ${mib(size.macho)}): read ${t.read.toFixed(0)} ms, ` +
      `SHA-256 ${t.sha256.toFixed(0)} ms, PE parse + image digest ${t.pe.toFixed(0)} ms, Mach-O verification ${t.macho.toFixed(0)} ms: ` +
      `${total.toFixed(0)} ms of CPU, so at least ${(total / 2).toFixed(0)} ms on 2 cores`,
  );
}
rmSync(work, { recursive: true, force: true });
