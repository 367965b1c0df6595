// argv → command. Each command is a function of its options and an output sink, so tests run it in-process.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Help, InvalidArgumentError, type Option } from 'commander';
import { ExitCode } from './exit-codes.ts';
import type { Output } from './inspect.ts';
import { errorMessage } from '../shared/errors.ts';
import { assetPath } from '../shared/assets.ts';
import { colourWanted, escapeTerminal, parseWorkers, safe, table } from './terminal.ts';

// Each command loads its own code when it runs (start-up is module loading): `--version` and the history queries
// load the history store only (scan.ts loads the scanner itself when `scan` runs), and only `inspect` and `scan`
// load parsing and verification.
const inspectCommand = (): Promise<typeof import('./inspect.ts')> => import('./inspect.ts');
const scanCommands = (): Promise<typeof import('./scan.ts')> => import('./scan.ts');

/** --workers checked as it is parsed: commander reports a bad value as a usage error (exit 2). */
const workersOption = (v: string): number => {
  try {
    return parseWorkers(v);
  } catch (err) {
    throw new InvalidArgumentError(errorMessage(err));
  }
};

/** package.json's version, wherever the code runs (sources, dist/, a single executable: shared/assets.ts). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(assetPath('package.json'), 'utf8')) as { version: string }).version;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const DB_HELP = 'history database (default per OS, or $SEALWATCH_DB)';

/** Help for an option: a repeatable one starts as [], which help would print as "(default: [])". */
function describeOption(o: Option): string {
  if (!(Array.isArray(o.defaultValue) && o.defaultValue.length === 0)) return new Help().optionDescription(o);
  return o.long === '--trust' ? `${o.description} (default: the shipped config/trust)` : o.description;
}

export async function runCli(argv: readonly string[], io: Output): Promise<number> {
  let exit: number = ExitCode.ok;
  const program = new Command('sealwatch')
    .description('Supply-chain update integrity monitor')
    .version(packageVersion(), '-V, --version', 'print the version of sealwatch')
    .exitOverride()
    .configureHelp({ optionDescription: describeOption })
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd().split('\n').map(escapeTerminal).join('\n')) });
  program
    .command('inspect')
    .description('verify and describe executable modules (PE, Mach-O, ELF, catalogs); directories recurse')
    .argument('<paths...>', 'files or directories')
    .option('--json', 'one JSON record per file (ECS field names)', false)
    .option('--all', 'also show files found in directories that are not modules (format unknown)', false)
    .option('--trust <dir>', 'trust-anchor directory (repeatable)', collect, [])
    .option('--catalog <dir>', 'directory of Windows .cat catalogs (repeatable; default on Windows: CatRoot)', collect, [])
    .option('--system-trust', "also trust the operating system's root store (host-dependent verdicts)", false)
    .option('--at <iso-date>', 'judge certificate validity as of this time instead of now (ISO 8601; UTC unless an offset is given)')
    .option('--ioc-digests', 'also compute SHA-1 and MD5 of every file (for matching IoC lists; SHA-256 is always computed)', false)
    .action(async (paths: string[], opts: { json: boolean; all: boolean; trust: string[]; catalog: string[]; at?: string; systemTrust: boolean; iocDigests: boolean }) => {
      exit = await (await inspectCommand()).runInspect(paths, opts, io);
    });
  const guard = (fn: () => Promise<number>) => async (): Promise<void> => {
    try {
      exit = await fn();
    } catch (err) {
      exit = (await scanCommands()).reportError(err, io);
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
    .option('--workers <n>', 'worker threads, 1 to twice the cores (default: one per core)', workersOption)
    .option('--reinit', 'start a new history where one existed and is gone, emptied or replaced (recorded as HISTORY_RESET)', false)
    .option('--ioc-digests', 'also record SHA-1 and MD5 of every file read, so `ioc` can search them (SHA-256 is always recorded)', false)
    .option('--policy <path>', 'policy file or directory (repeatable), besides the shipped policies/', collect, [])
    .option('--manifest <file>', "signed release manifest (file or https URL; repeatable) to check this version against", collect, [])
    .option('--manifest-key <pub>', 'pinned manifest public key (SPKI PEM; repeatable)', collect, [])
    .option('--vendor-feed <kind=location>', 'vendor feed (electron-builder, sparkle, winget, squirrel) = file, https URL, or auto (where the app names it; repeatable)', collect, [])
    .option('--feed-host <host>', 'a host a feed the app names itself (--vendor-feed KIND=auto) may point at: a name, an IP, or *.example.com (repeatable; added to manifest.feed_hosts of the config)', collect, [])
    .action((dir: string, o: { app: string; appVersion?: string; vendor?: string; db?: string; json: boolean; trust: string[]; catalog: string[]; systemTrust: boolean; workers?: number; reinit: boolean; iocDigests: boolean; policy: string[]; manifest: string[]; manifestKey: string[]; vendorFeed: string[]; feedHost: string[] }) =>
      guard(async () => (await scanCommands()).runScan(dir, o, io))(),
    );
  program
    .command('discover')
    .description('list candidate vendor apps on this machine (Uninstall keys, Programs, /Applications, /opt)')
    .option('--json', 'one JSON line per app', false)
    .action((o: { json: boolean }) =>
      guard(async () => {
        const apps = await (await import('../inventory/discover.ts')).discoverApps();
        if (o.json) for (const c of apps) io.out(JSON.stringify(c));
        else for (const l of table(['NAME', 'VERSION', 'VENDOR', 'SOURCE', 'ROOT'], apps.map((c) => [safe(c.name), safe(c.version), safe(c.vendor), safe(c.source), safe(c.root)]), false)) io.out(l);
        return 0;
      })(),
    );
  program
    .command('history')
    .description('snapshots of an app')
    .argument('<app>')
    .option('--db <file>', DB_HELP)
    .option('--json', 'one JSON object', false)
    .action((app: string, o: { db?: string; json: boolean }) => guard(async () => (await scanCommands()).runHistory(app, o.db, o.json, io))());
  program
    .command('diff')
    .description('what changed between two snapshots of an app (default: the last two; one given: it and the latest); versions or snapshot ids')
    .argument('<app>')
    .argument('[v1]')
    .argument('[v2]')
    .option('--db <file>', DB_HELP)
    .option('--json', 'one JSON object', false)
    .action((app: string, v1: string | undefined, v2: string | undefined, o: { db?: string; json: boolean }) => guard(async () => (await scanCommands()).runDiff(app, v1, v2, o.db, o.json, io))());
  program
    .command('findings')
    .description('findings, most severe first (--json: one JSON line each, in the order they were raised)')
    .option('--app <name>')
    .option('--unexplained', 'only findings above info that no update explains', false)
    .option('--db <file>', DB_HELP)
    .option('--json', 'one JSON line per finding', false)
    .action((o: { app?: string; unexplained: boolean; db?: string; json: boolean }) => guard(async () => (await scanCommands()).runFindings(o, o.db, io))());
  program
    .command('review')
    .description('record a decision on a finding: accepted / dismissed take it off --unexplained')
    .argument('<id>', 'finding id (from `findings`)')
    .requiredOption('--state <state>', 'open | accepted | dismissed | escalated')
    .option('--note <text>')
    .option('--db <file>', DB_HELP)
    .action((id: string, o: { state: string; note?: string; db?: string }) => guard(async () => (await scanCommands()).runReview(/^\d+$/.test(id) ? Number(id) : Number.NaN, o.state, o.note, o.db, io))());
  program
    .command('ioc')
    .description('every sighting of these hashes in all history: app, path, versions, first/last seen, still present')
    .argument('[hashes...]', 'SHA-256 (64 hex digits); SHA-1 (40) or MD5 (32) where the records have them')
    .option('--file <list>', 'file of hashes (every hash-shaped word; # comments)')
    .option('--db <file>', DB_HELP)
    .option('--json', 'one JSON line per sighting', false)
    .option('--html <file>', 'also write the hunt view: each sighting on a time axis with the app\'s versions, and what else changed around it')
    .action((hashes: string[], o: { file?: string; db?: string; json: boolean; html?: string }) => guard(async () => (await scanCommands()).runIoc(hashes, o.file, o.db, o.json, io, o.html))());
  program
    .command('report')
    .description('one self-contained HTML page: unexplained findings first, then per app its version timeline and every update\'s changes and findings')
    .option('--app <name>', 'only this app (repeatable; default: every app)', collect, [])
    .option('--since <date>', 'only snapshots and findings from this ISO 8601 date or date-time on')
    .option('--out <file>', 'write the page here (default: stdout)')
    .option('--db <file>', DB_HELP)
    .action((o: { app: string[]; since?: string; out?: string; db?: string }) => guard(async () => (await import('./report.ts')).runReport(o, io))());
  program
    .command('scope')
    .description('everything that changed in a time window, to bound an incident')
    .requiredOption('--since <date>', 'ISO 8601 date or date-time (UTC unless an offset is given)')
    .option('--until <date>', 'ISO 8601 (default: now)')
    .option('--db <file>', DB_HELP)
    .option('--json', 'one JSON line per snapshot', false)
    .action((o: { since: string; until?: string; db?: string; json: boolean }) => guard(async () => (await scanCommands()).runScope(o.since, o.until, o.db, o.json, io))());
  program
    .command('run')
    .description('the daemon, in the foreground: watch every configured app, scan each update once it settles, deliver its alerts')
    .option('--config <file>', 'config file (default per OS, or $SEALWATCH_CONFIG)')
    .option('--set <field=value>', 'override one config field, the highest layer (repeatable): --set log.level=debug', collect, [])
    .option('--stop-on-stdin-eof', 'also stop gracefully (as on SIGTERM) when stdin reaches end of file: the Windows service host closes it', false)
    .action((o: { config?: string; set: string[]; stopOnStdinEof: boolean }) => guard(async () => (await import('./run.ts')).runDaemon(o, io))());
  program
    .command('status')
    .description("per app: last scan, version, pending findings; the outbox's depth and last delivery error")
    .option('--config <file>', 'config file (for its database; default per OS, or $SEALWATCH_CONFIG)')
    .option('--db <file>', 'history database (default: the config\'s, else per OS)')
    .option('--json', 'one JSON object', false)
    .action((o: { config?: string; db?: string; json: boolean }) => guard(async () => (await import('./status.ts')).runStatus(o, io))());
  const config = program.command('config').description('the layered configuration: defaults < file < managed settings < SEALWATCH_* < --set');
  const configCommands = (): Promise<typeof import('./config.ts')> => import('./config.ts');
  config
    .command('validate')
    .description('check the config the daemon would run with (errors: file, line or layer, field, reason; exit 2)')
    .argument('[file]', 'config file (default per OS, or $SEALWATCH_CONFIG)')
    .option('--set <field=value>', 'override one field, as `run --set` (repeatable)', collect, [])
    .action((file: string | undefined, o: { set: string[] }) => guard(async () => (await configCommands()).runConfigValidate(file, o, io))());
  config
    .command('show')
    .description('every value in force and the layer it came from (URLs and secrets redacted)')
    .option('--effective', 'the merged result of every layer (the only view there is; accepted for clarity)', false)
    .option('--config <file>', 'config file (default per OS, or $SEALWATCH_CONFIG)')
    .option('--set <field=value>', 'override one field (repeatable)', collect, [])
    .option('--json', 'one JSON object', false)
    .action((o: { effective: boolean; config?: string; set: string[]; json: boolean }) => guard(async () => (await configCommands()).runConfigShow(o.config, o, io))());
  const bundle = program.command('bundle').description('signed policy bundles: policies and manifests pulled by the daemon from bundle.url');
  const bundleCommands = (): Promise<typeof import('./bundle.ts')> => import('./bundle.ts');
  bundle
    .command('keygen')
    .description('an Ed25519 key pair: DIR/bundle.key (PKCS#8 PEM, mode 0600), DIR/bundle.pub (SPKI PEM, pinned in bundle.public_keys)')
    .requiredOption('--out <dir>')
    .action((o: { out: string }) => guard(async () => (await bundleCommands()).runBundleKeygen(o, io))());
  bundle
    .command('sign')
    .description('a signed bundle of the .yaml/.yml/.json files directly in --policies and --manifests')
    .requiredOption('--key <key>', 'bundle.key (PKCS#8 PEM)')
    .requiredOption('--bundle-version <n>', 'bundle version: higher than every bundle before it')
    .option('--expires <duration>', 'valid for (e.g. 30d, 12h)', '30d')
    .option('--policies <dir>', 'policy files to ship')
    .option('--manifests <dir>', 'signed release manifests to ship')
    .requiredOption('--out <file>')
    .action((o: { key: string; bundleVersion: string; expires: string; policies?: string; manifests?: string; out: string }) => guard(async () => (await bundleCommands()).runBundleSign(o, io))());
  bundle
    .command('verify')
    .description('check a bundle as the daemon would (exit 0 valid, 1 refused, with the reason)')
    .argument('<file>')
    .requiredOption('--pub <key>', 'bundle.pub (SPKI PEM; repeatable)', collect, [])
    .option('--at <iso-date>', 'judge expiry as of this time')
    .option('--last-version <n>', 'the last accepted version (a bundle not above it is a rollback)')
    .action((file: string, o: { pub: string[]; at?: string; lastVersion?: string }) => guard(async () => (await bundleCommands()).runBundleVerify(file, o, io))());
  const manifest = program.command('manifest').description("signed release manifests: what a version of an app should contain, from a clean install");
  const manifestCommands = (): Promise<typeof import('./manifest.ts')> => import('./manifest.ts');
  manifest
    .command('keygen')
    .description('an Ed25519 key pair: DIR/manifest.key (PKCS#8 PEM, mode 0600), DIR/manifest.pub (SPKI PEM)')
    .requiredOption('--out <dir>')
    .action((o: { out: string }) => guard(async () => (await manifestCommands()).runKeygen(o, io))());
  manifest
    .command('generate')
    .description('a golden (unsigned) manifest of a clean install: every file with size, SHA-256, kind, version, authentihash / cdhash, signer')
    .argument('<dir>')
    .requiredOption('--app <name>')
    .requiredOption('--app-version <version>')
    .option('--out <file>', 'write here (default stdout)')
    .option('--trust <dir>', 'trust-anchor directory (repeatable)', collect, [])
    .option('--catalog <dir>', 'Windows catalog directory (repeatable)', collect, [])
    .option('--workers <n>', 'worker threads', workersOption)
    .action((dir: string, o: { app: string; appVersion: string; out?: string; trust: string[]; catalog: string[]; workers?: number }) => guard(async () => (await manifestCommands()).runGenerate(dir, o, io))());
  manifest
    .command('sign')
    .description('sign a manifest: sequence (default: now in Unix seconds), issued and expiry times, Ed25519 signature')
    .argument('<file>')
    .requiredOption('--key <key>', 'manifest.key (PKCS#8 PEM)')
    .option('--expires <duration>', 'valid for (e.g. 90d, 12h)', '90d')
    .option('--sequence <n>', 'sequence number (must grow with every manifest of the app)')
    .option('--out <file>', 'write here (default: in place)')
    .action((file: string, o: { key: string; expires: string; sequence?: string; out?: string }) => guard(async () => (await manifestCommands()).runSign(file, o, io))());
  manifest
    .command('verify')
    .description('check a signed manifest against pinned public keys (exit 0 valid, 1 not, with the reason)')
    .argument('<file>')
    .requiredOption('--pub <key>', 'manifest.pub (SPKI PEM; repeatable)', collect, [])
    .option('--app <name>', 'the app it must describe')
    .option('--at <iso-date>', 'judge expiry as of this time')
    .action((file: string, o: { pub: string[]; app?: string; at?: string }) => guard(async () => (await manifestCommands()).runVerify(file, o, io))());
  const policy = program.command('policy').description('vendor policies: lint them, test them on a recorded history, suggest one from it');
  const policyCommands = (): Promise<typeof import('./policy.ts')> => import('./policy.ts');
  policy
    .command('lint')
    .description('check policy files against policies/policy.schema.json (errors: file, line, field, reason; exit 2)')
    .argument('[paths...]', 'policy files or directories (default: the shipped policies/)')
    .option('--json', 'one JSON line per problem', false)
    .action((paths: string[], o: { json: boolean }) => guard(async () => (await policyCommands()).runPolicyLint(paths, o.json, io))());
  policy
    .command('test')
    .description("judge the stored history of an app again under the policies and show which findings would change (writes nothing)")
    .argument('<app>')
    .option('--policy <path>', 'policy file or directory (repeatable), besides the shipped policies/', collect, [])
    .option('--at <iso-date>', 'judge exception expiry as of this time (default: each snapshot at its own time)')
    .option('--db <file>', DB_HELP)
    .option('--json', 'one JSON object', false)
    .action((app: string, o: { policy: string[]; at?: string; db?: string; json: boolean }) => guard(async () => (await policyCommands()).runPolicyTest(app, o, io))());
  policy
    .command('suggest')
    .description('a starting policy from the history of an app: its signers, co-signers by module, unsigned modules')
    .argument('<app>')
    .option('--out <file>', 'write it here (never over an existing file) instead of printing it')
    .option('--db <file>', DB_HELP)
    .action((app: string, o: { out?: string; db?: string }) => guard(async () => (await policyCommands()).runPolicySuggest(app, o, io))());
  const alerts = program.command('alerts').description('the alert outbox: what was queued, sent or dead-lettered, and why');
  const alertsCommands = (): Promise<typeof import('./alerts.ts')> => import('./alerts.ts');
  alerts
    .command('list')
    .description('alerts with their state (pending, sent, dead), attempts and last error (--json: one JSON line each)')
    .option('--state <state>', 'only pending, sent or dead')
    .option('--db <file>', "history database (default: the config's, else per OS or $SEALWATCH_DB)")
    .option('--config <file>', 'config file whose database to use (default: $SEALWATCH_CONFIG or the per-OS place)')
    .option('--json', 'one JSON line per alert', false)
    .action((o: { state?: string; db?: string; config?: string; json: boolean }) => guard(async () => (await alertsCommands()).runAlertsList(o, io))());
  alerts
    .command('retry')
    .description('queue a pending or dead alert for delivery now (by id or delivery id), or every dead one with --dead')
    .argument('[id]')
    .option('--dead', 'every dead alert', false)
    .option('--db <file>', DB_HELP)
    .option('--config <file>')
    .action((id: string | undefined, o: { dead: boolean; db?: string; config?: string }) => guard(async () => (await alertsCommands()).runAlertsRetry(id, o, io))());
  alerts
    .command('test')
    .description('send a sample alert to a configured destination now (exit 0 when it was accepted, 1 when not)')
    .argument('<destination>', "the destination's name, or its index in `alerts:`")
    .option('--config <file>', 'config file (default: $SEALWATCH_CONFIG or the per-OS place)')
    .action((destination: string, o: { config?: string }) => guard(async () => (await alertsCommands()).runAlertsTest(destination, o, io))());
  const exportGroup = program.command('export').description('the export outbox: what was queued, sent or dead-lettered for each sink, and why');
  const exportCommands = (): Promise<typeof import('./export.ts')> => import('./export.ts');
  exportGroup
    .command('list')
    .description('export rows (one per scan and sink) with their state, events sent, attempts and last error (--json: one JSON line each)')
    .option('--state <state>', 'only pending, sent or dead')
    .option('--db <file>', "history database (default: the config's, else per OS or $SEALWATCH_DB)")
    .option('--config <file>', 'config file whose database to use (default: $SEALWATCH_CONFIG or the per-OS place)')
    .option('--json', 'one JSON line per row', false)
    .action((o: { state?: string; db?: string; config?: string; json: boolean }) => guard(async () => (await exportCommands()).runExportList(o, io))());
  exportGroup
    .command('retry')
    .description('queue a pending or dead export row for sending now (--id N), or every dead one (--dead); it resumes from its cursor')
    .option('--id <n>', 'the row id from `export list`')
    .option('--dead', 'every dead row', false)
    .option('--db <file>', "history database (default: the config's, else per OS or $SEALWATCH_DB)")
    .option('--config <file>', 'config file whose database to use (default: $SEALWATCH_CONFIG or the per-OS place)')
    .action((o: { id?: string; dead: boolean; db?: string; config?: string }) => guard(async () => (await exportCommands()).runExportRetry(o, io))());
  const service = program.command('service').description('the daemon as a system service: systemd unit, macOS LaunchDaemon, or Windows service (sc.exe)');
  const serviceAction = (action: 'install' | 'uninstall' | 'status') => (o: { dryRun: boolean; root?: string; platform?: string; config?: string; exec?: string; json: boolean }) =>
    guard(async () => (await import('../service/cli.ts')).runService(action, o, packageVersion(), io))();
  for (const [action, what] of [['install', 'install and start the service'], ['uninstall', 'stop and remove the service'], ['status', 'is it installed, current and running (exit 0), or not (exit 1)']] as const) {
    service
      .command(action)
      .description(what)
      .option('--dry-run', 'print the unit / plist / commands; change nothing', false)
      .option('--root <dir>', 'write the files under this directory instead of / and run no command (packaging, tests)')
      .option('--config <file>', 'the config file the service runs with (default per OS)')
      .option('--exec <path>', 'the sealwatch executable on the target (default: this one)')
      .option('--platform <os>', 'linux, darwin or win32 (default: this OS; another only with --dry-run or --root)')
      .option('--json', 'status as one JSON object', false)
      .action(serviceAction(action));
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    throw err;
  }
  return exit;
}

/**
 * The process's own output: lines to stdout and stderr; colour when stdout is a terminal (NO_COLOR honoured); a
 * progress bar only when stderr is a terminal. A reader that goes away (`sealwatch findings | head -1`) ends the
 * process quietly with status 0: nothing more is wanted.
 */
export function processOutput(): Output {
  const quiet = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE') process.exit(ExitCode.ok);
    throw err;
  };
  process.stdout.on('error', quiet);
  process.stderr.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') return;
    throw err;
  });
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    colour: colourWanted(process.stdout.isTTY),
    stdoutTTY: process.stdout.isTTY === true,
    ...(process.stderr.isTTY ? { progress: process.stderr } : {}),
  };
}
