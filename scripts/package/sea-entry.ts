// The single executable's entry (bundled by scripts/package/build.ts): the CLI, as daemon/main.ts runs it, or — when
// the daemon starts the executable again with a role argument (shared/assets.ts childModule) — a helper process.
// daemon/main.ts itself is not the entry because it awaits at top level, which a CommonJS bundle cannot.
import { processOutput, runCli } from '../../daemon/cli/program.ts';
import { ROLE_ARGUMENT } from '../../daemon/shared/assets.ts';

// A SEA's process.argv is [executable, the name it was started by, ...arguments].
const first = process.argv[2];
if (first?.startsWith(ROLE_ARGUMENT)) {
  const role = first.slice(ROLE_ARGUMENT.length);
  if (role === 'scan-child') void import('../../daemon/run/scan-child.ts');
  else {
    process.stderr.write(`sealwatch: unknown helper role "${role}"\n`);
    process.exitCode = 2;
  }
} else {
  void runCli(process.argv.slice(2), processOutput()).then((code) => {
    process.exitCode = code;
  });
}
