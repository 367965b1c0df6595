// The single executable's entry (bundled by scripts/package/build.ts): the CLI, as daemon/main.ts runs it, or — when
// the daemon starts the executable again with a role argument (shared/assets.ts childModule) — a helper process.
// daemon/main.ts itself is not the entry because it awaits at top level, which a CommonJS bundle cannot.
//
// Only assets.ts is imported up front: the embedded files are unpacked (or refused) first, with a clear message and
// exit 2, before any module that names a shipped file is evaluated.
import { packageRoot, ROLE_ARGUMENT } from '../../daemon/shared/assets.ts';
import { errorMessage, SealwatchError } from '../../daemon/shared/errors.ts';

function fail(err: unknown): void {
  process.stderr.write(`sealwatch: ${errorMessage(err)}\n`);
  process.exitCode = err instanceof SealwatchError && err.code === 'CONFIG' ? 2 : 3;
}

async function main(): Promise<void> {
  packageRoot();
  // A SEA's process.argv is [executable, the name it was started by, ...arguments].
  const first = process.argv[2];
  if (first?.startsWith(ROLE_ARGUMENT)) {
    const role = first.slice(ROLE_ARGUMENT.length);
    if (role !== 'scan-child') throw new SealwatchError('CONFIG', `unknown helper role "${role}"`);
    await import('../../daemon/run/scan-child.ts');
    return;
  }
  const { processOutput, runCli } = await import('../../daemon/cli/program.ts');
  process.exitCode = await runCli(process.argv.slice(2), processOutput());
}

main().catch(fail);
