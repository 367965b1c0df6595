// Running the sealwatch CLI as users do: a child process on this Node, its exit code and output.
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const main = join(resolve(import.meta.dirname, '..', '..'), 'daemon', 'main.ts');

export async function sealwatch(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [main, ...args], { maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** JSON-lines output → objects. */
export const jsonLines = (s: string): Array<Record<string, unknown>> =>
  s.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
