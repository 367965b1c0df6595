// Carries out a plan. With a root directory (`--root DIR`) every path is placed under it and no command runs: the
// files can be checked without a service manager (a container, CI). Without one, the commands run for real.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { SealwatchError, errorMessage } from '../shared/errors.ts';
import { showCommand, type Plan, type Step } from './plan.ts';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs argv (no shell) and returns its exit code and output; a missing program is exit 127. */
export async function runCommand(argv: readonly string[]): Promise<CommandResult> {
  const [file, ...args] = argv;
  try {
    const { stdout, stderr } = await promisify(execFile)(file ?? '', args, { timeout: 120_000, windowsHide: true });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 127, stdout: e.stdout ?? '', stderr: e.stderr ?? errorMessage(err) };
  }
}

/** `path` under `root` (a Windows drive letter is dropped): /etc/x → ROOT/etc/x. */
export function underRoot(root: string | undefined, path: string): string {
  return root ? join(root, path.replace(/^[A-Za-z]:/, '')) : path;
}

export function describeStep(step: Step, windows: boolean): string {
  switch (step.kind) {
    case 'mkdir':
      return `mkdir -m 0700 -p ${showCommand([step.path])}`;
    case 'write':
      return `write ${step.path} (mode ${step.mode.toString(8).padStart(4, '0')})`;
    case 'remove':
      return `remove ${step.path}`;
    case 'run':
      return `${showCommand(step.argv, windows)}    # ${step.why}`;
  }
}

export async function applyPlan(plan: Plan, opts: { root?: string; log: (line: string) => void }): Promise<void> {
  for (const step of plan) {
    const path = 'path' in step ? underRoot(opts.root, step.path) : '';
    try {
      if (step.kind === 'mkdir') mkdirSync(path, { recursive: true, mode: 0o700 });
      else if (step.kind === 'write') {
        mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
        writeFileSync(path, step.content, { mode: step.mode });
        chmodSync(path, step.mode);
      } else if (step.kind === 'remove') {
        if (existsSync(path)) rmSync(path);
      }
    } catch (err) {
      throw new SealwatchError('IO', `service: ${path}: ${errorMessage(err)}`, { cause: err, file: path });
    }
    if (step.kind !== 'run') {
      opts.log(`${describeStep(step, false).replace(step.path, path)}`);
      continue;
    }
    if (opts.root) {
      opts.log(`not run (--root): ${showCommand(step.argv)}`);
      continue;
    }
    const r = await runCommand(step.argv);
    if (r.code !== 0 && !step.mayFail) {
      throw new SealwatchError('CONFIG', `service: \`${showCommand(step.argv)}\` failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
    }
    opts.log(`${showCommand(step.argv)}: ${r.code === 0 ? 'ok' : `exit ${r.code}, ignored`}`);
  }
}
