// Running the sealwatch CLI as users do: a child process on this Node, its exit code and output.
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './temp.ts';

const main = join(resolve(import.meta.dirname, '..', '..'), 'daemon', 'main.ts');
/** Tests keep the database witness in a temp dir of their own, never the machine's. */
const witness = join(tempDir('sealwatch-witness-'), 'databases.json');

export async function sealwatch(args: readonly string[], env: Readonly<Record<string, string>> = {}, cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [main, ...args], { maxBuffer: 64 << 20, env: { ...process.env, SEALWATCH_WITNESS: witness, ...env }, ...(cwd ? { cwd } : {}) });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** JSON-lines output → objects. */
export const jsonLines = (s: string): Array<Record<string, unknown>> =>
  s.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
