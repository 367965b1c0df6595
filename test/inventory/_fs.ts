// Shared by the inventory fault tests: temp trees, a real worker pool, and the Linux mechanisms the faults use
// (rename-exchange from Python's ctypes, mounts as root).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TRUST_DIR } from '../../daemon/config/trust.ts';
import { InspectPool } from '../../daemon/inventory/pool.ts';
import { DEFAULT_MAX_FILE_BYTES } from '../../daemon/inventory/confined.ts';
import { tempDir } from '../helpers/temp.ts';

export const tmp = (prefix = 'sealwatch-inv-'): string => tempDir(prefix);

export function pool(maxFileBytes = DEFAULT_MAX_FILE_BYTES, size = 2, iocDigests = false): InspectPool {
  return new InspectPool({ trustDirs: [DEFAULT_TRUST_DIR], catalogDirs: [], systemTrust: false, now: '2026-11-01T00:00:00Z', maxFileBytes, ...(iocDigests ? { iocDigests } : {}) }, size);
}

export function tree(root: string, files: Record<string, string | Uint8Array>): void {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, rel);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
  }
}

export const isRoot = process.getuid?.() === 0;
export const linux = process.platform === 'linux';

/** Swaps two paths with renameat2(RENAME_EXCHANGE) in a tight loop until killed (Linux, via Python ctypes). */
export function exchangeLoop(a: string, b: string): ChildProcess {
  const script = `
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
a, b = sys.argv[1].encode(), sys.argv[2].encode()
print("ready", flush=True)
while True:
    if libc.renameat2(-100, a, -100, b, 2) != 0:
        raise OSError(ctypes.get_errno(), "renameat2")
`;
  return spawn('python3', ['-c', script, a, b], { stdio: ['ignore', 'pipe', 'inherit'] });
}

export async function started(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
  });
}

/** Mounts as root; the reason when not permitted (so a skip says why). */
export function tryMount(args: readonly string[]): string | undefined {
  try {
    execFileSync('mount', args, { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? err).trim();
  }
}

export function umount(path: string): void {
  try {
    execFileSync('umount', ['-l', path], { stdio: 'pipe' });
  } catch {
    // already gone
  }
}

/** Peak of process memory (rss and ArrayBuffers) while `fn` runs, sampled every 20 ms. */
export async function peakMemory<T>(fn: () => Promise<T>): Promise<{ result: T; rssGrowth: number; arrayBuffersGrowth: number }> {
  const base = process.memoryUsage();
  let rss = base.rss;
  let ab = base.arrayBuffers;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    ab = Math.max(ab, m.arrayBuffers);
  }, 20);
  try {
    const result = await fn();
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    ab = Math.max(ab, m.arrayBuffers);
    return { result, rssGrowth: rss - base.rss, arrayBuffersGrowth: ab - base.arrayBuffers };
  } finally {
    clearInterval(timer);
  }
}

export function infoPlist(entries: Record<string, string>): string {
  const body = Object.entries(entries)
    .map(([k, v]) => `  <key>${k}</key>\n  <string>${v}</string>`)
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n<dict>\n${body}\n</dict>\n</plist>\n`;
}
