// Running the reference tools a benchmark times (osslsigncode, sha256sum, aide, the sealwatch CLI): a tool that
// could not start, died of a signal or exited with a status that means failure makes the benchmark fail loudly —
// a failing tool is fast, and its time would make any ratio meaningless.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

export interface ToolRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args`; throws unless it ran to completion with one of `okStatuses` (default: 0 only). */
export function runTool(cmd: string, args: string[], okStatuses: readonly number[] = [0], options: SpawnSyncOptions = {}): ToolRun {
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 30, ...options, encoding: 'utf8' });
  const stderr = typeof r.stderr === 'string' ? r.stderr : '';
  const stdout = typeof r.stdout === 'string' ? r.stdout : '';
  const what = `${cmd} ${args.slice(0, 4).join(' ')}${args.length > 4 ? ` … (${args.length} arguments)` : ''}`;
  if (r.error) throw new Error(`benchmark reference tool failed to run: ${what}: ${r.error.message}`);
  if (r.signal) throw new Error(`benchmark reference tool killed by ${r.signal}: ${what}`);
  if (r.status === null || !okStatuses.includes(r.status)) {
    throw new Error(`benchmark reference tool failed: ${what} exited ${r.status} (expected ${okStatuses.join(' or ')}): ${stderr.trim().slice(-1500)}`);
  }
  return { status: r.status, stdout, stderr };
}
