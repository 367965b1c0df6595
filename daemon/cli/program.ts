// argv → command. Each command is a function of its options and an output sink, so tests run it in-process.
import { Command, CommanderError } from 'commander';
import { ExitCode } from './exit-codes.ts';
import { runInspect, type Output } from './inspect.ts';
import { reportError, runDiff, runFindings, runHistory, runIoc, runReview, runScan, runScope } from './scan.ts';
import { discoverApps } from '../inventory/discover.ts';

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
  const guard = (fn: () => Promise<number>) => async (): Promise<void> => {
    try {
      exit = await fn();
    } catch (err) {
      exit = reportError(err, io);
    }
  };
  program
    .command('scan')
    .description('record a snapshot of an app directory and print the findings of this change')
    .argument('<dir>', 'the app root')
    .requiredOption('--app <name>', 'the app this directory is')
    .option('--app-version <version>', 'override the version read from the app')
    .option('--vendor <name>', 'vendor name, for reports')
    .option('--db <file>', 'history database (default per OS, or $SEALWATCH_DB)')
    .option('--json', 'one JSON object', false)
    .option('--trust <dir>', 'trust-anchor directory (repeatable)', collect, [])
    .option('--catalog <dir>', 'Windows catalog directory (repeatable)', collect, [])
    .option('--system-trust', "also trust the operating system's root store (host-dependent verdicts)", false)
    .option('--workers <n>', 'worker threads (default: one per core)', (v) => Number.parseInt(v, 10))
    .option('--reinit', 'start a new history where one existed and is gone, emptied or replaced (recorded as HISTORY_RESET)', false)
    .action((dir: string, o: { app: string; appVersion?: string; vendor?: string; db?: string; json: boolean; trust: string[]; catalog: string[]; systemTrust: boolean; workers?: number; reinit: boolean }) =>
      guard(() => runScan(dir, o, io))(),
    );
  program
    .command('discover')
    .description('list candidate vendor apps on this machine (Uninstall keys, Programs, /Applications, /opt)')
    .option('--json', 'one JSON line per app', false)
    .action((o: { json: boolean }) =>
      guard(async () => {
        for (const c of await discoverApps()) io.out(o.json ? JSON.stringify(c) : `${c.name}\t${c.version ?? '-'}\t${c.vendor ?? '-'}\t${c.root}\t(${c.source})`);
        return 0;
      })(),
    );
  program
    .command('history')
    .description('snapshots of an app')
    .argument('<app>')
    .option('--db <file>')
    .option('--json', 'JSON', false)
    .action((app: string, o: { db?: string; json: boolean }) => guard(() => runHistory(app, o.db, o.json, io))());
  program
    .command('diff')
    .description('what changed between two snapshots of an app (default: the last two); versions or snapshot ids')
    .argument('<app>')
    .argument('[v1]')
    .argument('[v2]')
    .option('--db <file>')
    .action((app: string, v1: string | undefined, v2: string | undefined, o: { db?: string }) => guard(() => runDiff(app, v1, v2, o.db, io))());
  program
    .command('findings')
    .description('findings, one JSON line each')
    .option('--app <name>')
    .option('--unexplained', 'only findings above info that no update explains', false)
    .option('--db <file>')
    .action((o: { app?: string; unexplained: boolean; db?: string }) => guard(() => runFindings(o, o.db, io))());
  program
    .command('review')
    .description('record a decision on a finding: accepted / dismissed take it off --unexplained')
    .argument('<id>', 'finding id (from `findings`)')
    .requiredOption('--state <state>', 'open | accepted | dismissed | escalated')
    .option('--note <text>')
    .option('--db <file>')
    .action((id: string, o: { state: string; note?: string; db?: string }) => guard(() => runReview(Number(id), o.state, o.note, o.db, io))());
  program
    .command('ioc')
    .description('every sighting of these SHA-256 hashes in all history: app, path, versions, first/last seen, still present')
    .argument('[hashes...]')
    .option('--file <list>', 'file of SHA-256 hashes')
    .option('--db <file>')
    .action((hashes: string[], o: { file?: string; db?: string }) => guard(() => runIoc(hashes, o.file, o.db, io))());
  program
    .command('scope')
    .description('everything that changed in a time window, to bound an incident')
    .requiredOption('--since <date>')
    .option('--until <date>')
    .option('--db <file>')
    .action((o: { since: string; until?: string; db?: string }) => guard(() => runScope(o.since, o.until, o.db, io))());
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    throw err;
  }
  return exit;
}
