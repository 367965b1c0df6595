// argv → command. Each command is a function of its options and an output sink, so tests run it in-process.
import { Command, CommanderError } from 'commander';
import { ExitCode } from './exit-codes.ts';
import { runInspect, type Output } from './inspect.ts';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export async function runCli(argv: readonly string[], io: Output): Promise<number> {
  let exit: number = ExitCode.ok;
  const program = new Command('sealwatch')
    .description('Supply-chain update integrity monitor')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  program
    .command('inspect')
    .description('verify and describe executable modules (PE, Mach-O, ELF, catalogs); directories recurse')
    .argument('<paths...>', 'files or directories')
    .option('--json', 'one JSON record per file (ECS field names)', false)
    .option('--trust <dir>', 'trust-anchor directory (repeatable; default: the shipped config/trust)', collect, [])
    .option('--catalog <dir>', 'directory of Windows .cat catalogs (repeatable; default on Windows: CatRoot)', collect, [])
    .option('--system-trust', "also trust the operating system's root store (host-dependent verdicts)", false)
    .option('--at <iso-date>', 'judge certificate validity as of this time instead of now')
    .action(async (paths: string[], opts: { json: boolean; trust: string[]; catalog: string[]; at?: string; systemTrust: boolean }) => {
      exit = await runInspect(paths, opts, io);
    });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    throw err;
  }
  return exit;
}
