// The Windows service host (scripts/package/service-host/sealwatch-service.c) under wine's own Service Control
// Manager: the host is built with MinGW-w64, registered with the plan `sealwatch service install` makes
// (daemon/service/windows.ts, through wine's sc.exe), started, stopped and crashed. The daemon it runs is a small
// MinGW-built stand-in (test/service/wine/stand-in-daemon.c; Node 24's node.exe does not start under wine 8.0: it
// refuses wine's default Windows 7 and, set to Windows 10, dies on an unhandled breakpoint exception) that records its argv and exits gracefully at EOF on stdin, as `sealwatch run --stop-on-stdin-eof` does
// (that flag is tested on the real daemon in stop-on-stdin-eof.test.ts). Wine is not Windows: docs/fleet.md says
// what has not run on a real Windows.
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { binPath, windowsInstall, windowsUninstall } from '../../daemon/service/windows.ts';
import { buildServiceHost, compileWindows } from '../../scripts/package/service-host.ts';
import { tempDir } from '../helpers/temp.ts';

/** wine64 from Debian's wine64 package: on PATH, or where the package puts it. */
function findWine(): string {
  const candidates = [...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'wine64')), '/usr/lib/wine/wine64'];
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  throw new Error('wine64 not found (Debian: apt-get install wine64; scripts/install-test-deps.sh): the Windows service host cannot be tested');
}

const tmp = tempDir('sealwatch-wine-');
const installDir = join(tmp, 'Program Files', 'sealwatch');
const configFile = join(tmp, 'ProgramData', 'sealwatch', 'my config.yaml');
/** A Linux path as wine's Z: drive names it. */
const z = (p: string): string => `Z:${p.replaceAll('/', '\\')}`;
const spec = { platform: 'win32' as const, program: [z(join(installDir, 'sealwatch.exe'))], config: z(configFile), writable: [], version: 'test' };

let wine = '';
const env = { ...process.env, TMPDIR: tmp, WINEPREFIX: join(tmp, 'prefix'), WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', DISPLAY: '' };

interface Run {
  readonly code: number;
  readonly out: string;
}

async function run(file: string, args: readonly string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, [...args], { env, timeout: 120_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? e.message}` };
  }
}

/** Runs a wine program whose children stay (wineserver -p, wineboot's services.exe): its exit, not its pipes' end. */
function detached(file: string, args: readonly string[]): Promise<number | null> {
  return new Promise((r, reject) => spawn(file, [...args], { env, stdio: 'ignore' }).on('exit', r).on('error', reject));
}

/** A plan step's `sc.exe …` argv, run by wine's sc. */
const sc = (argv: readonly string[]): Promise<Run> => run(wine, ['sc', ...argv.slice(1)]);

interface Query {
  readonly state: string;
  readonly win32Exit: number;
  readonly serviceExit: number;
}

async function query(): Promise<Query> {
  const r = await sc(['sc.exe', 'query', 'sealwatch']);
  const field = (name: string): string => new RegExp(`${name}\\s+:\\s+(\\S+)\\s*(\\S*)`).exec(r.out)?.slice(1).join(' ') ?? '';
  return { state: field('STATE').split(' ')[1] ?? `none (sc query: exit ${r.code} ${r.out.trim()})`, win32Exit: Number.parseInt(field('WIN32_EXIT_CODE')), serviceExit: Number.parseInt(field('SERVICE_EXIT_CODE')) };
}

/** Polls `sc query` until the service is in `state`; the time limit only stops a stuck test. */
async function until(state: string, limitMs = 60_000): Promise<Query> {
  const end = Date.now() + limitMs;
  for (;;) {
    const q = await query();
    if (q.state === state) return q;
    if (Date.now() > end) throw new Error(`service not ${state} within ${limitMs} ms: ${JSON.stringify(q)}`);
    await sleep(200);
  }
}

const marker = (suffix: string): string => `${configFile}${suffix}`;
const clearMarkers = (): void => {
  for (const s of ['.argv', '.started', '.graceful', '.crash-now']) rmSync(marker(s), { force: true });
};

/**
 * A new prefix, then one persistent wineserver and one SCM for the whole file. Without -p the server exits 3 s after
 * the last wine program and wine's SCM (services.exe) forgets every status; -p while wineboot -i is still setting
 * the prefix up left two services.exe answering sc.exe, a service created in one missing in the other.
 */
async function startWine(): Promise<number | null> {
  const server = join(dirname(wine), 'wineserver');
  const boot = await detached(wine, ['wineboot', '-i']);
  await detached(server, ['-k']);
  await detached(server, ['-p']);
  // Started here with no pipes: the SCM outlives the first sc.exe, whose output pipes it would otherwise hold open.
  await detached(wine, ['sc', 'query', 'sealwatch']);
  return boot;
}

test.before(async () => {
  wine = findWine();
  mkdirSync(installDir, { recursive: true });
  mkdirSync(dirname(configFile), { recursive: true });
  const [, boot] = await Promise.all([
    Promise.all([buildServiceHost(installDir), compileWindows(resolve(import.meta.dirname, 'wine', 'stand-in-daemon.c'), join(installDir, 'sealwatch.exe'))]),
    startWine(),
  ]);
  if (boot !== 0) throw new Error(`wineboot -i failed (exit ${boot}) in ${env.WINEPREFIX}`);
});

test.after.always(async () => {
  if (wine) await run(join(dirname(wine), 'wineserver'), ['-k']);
  rmSync(tmp, { recursive: true, force: true });
});

test.serial('installed with the plan of `service install`: RUNNING; the daemon gets its argv intact; `sc stop` closes its stdin and it exits gracefully', async (t) => {
  writeFileSync(configFile, 'graceful\n');
  for (const step of windowsInstall(spec)) {
    if (step.kind !== 'run') continue;
    const r = await sc(step.argv);
    // Wine's sc.exe has no `failureflag` (Windows's has had it since Vista); everything else must succeed.
    if (step.argv[1] === 'failureflag') t.not(r.code, 0);
    else t.is(r.code, 0, `${step.argv.join(' ')}: ${r.out}`);
  }
  await until('RUNNING');
  // The host only reports RUNNING after the daemon is created; it writes its markers right after it starts.
  for (let i = 0; i < 100 && !existsSync(marker('.started')); i++) await sleep(100);
  t.deepEqual(readFileSync(marker('.argv'), 'utf8').split('\n'), ['run', '--config', spec.config, '--stop-on-stdin-eof', '']);
  t.false(existsSync(marker('.graceful')), 'stdin still open while the service runs');
  const stop = await sc(['sc.exe', 'stop', 'sealwatch']);
  t.is(stop.code, 0, stop.out);
  const stopped = await until('STOPPED');
  t.true(existsSync(marker('.graceful')), 'the daemon saw EOF on stdin and stopped on its own');
  // A stop that was asked for ends with no error: the failure actions restart nothing.
  t.deepEqual([stopped.win32Exit, stopped.serviceExit], [0, 0]);
});

test.serial('the daemon dying stops the service with ERROR_SERVICE_SPECIFIC_ERROR and its exit code: what the failure actions restart on', async (t) => {
  clearMarkers();
  writeFileSync(configFile, 'crash\n');
  t.is((await sc(['sc.exe', 'start', 'sealwatch'])).code, 0);
  await until('RUNNING');
  writeFileSync(marker('.crash-now'), '');
  const stopped = await until('STOPPED');
  t.deepEqual([stopped.win32Exit, stopped.serviceExit], [1066, 3]);
  t.false(existsSync(marker('.graceful')));
});

test.serial('uninstalled with the plan of `service uninstall`: the service is gone', async (t) => {
  for (const step of windowsUninstall()) {
    if (step.kind !== 'run') continue;
    const r = await sc(step.argv);
    if (!step.mayFail) t.is(r.code, 0, `${step.argv.join(' ')}: ${r.out}`);
  }
  t.regex((await query()).state, /^none/);
});

/** The Linux pid of the wine process whose command line matches (pgrep -f), or undefined. */
async function pidOf(pattern: string): Promise<number | undefined> {
  const r = await run('pgrep', ['-f', pattern]);
  return r.code === 0 ? Number(r.out.trim().split('\n')[0]) : undefined;
}

/** Gone, or a zombie waiting to be reaped: it runs no more. */
function ended(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

test.serial('the host killed outright: the daemon does not outlive it (its job object is closed with the host)', async (t) => {
  clearMarkers();
  // Crash mode ignores stdin: the daemon's end can only come from the job, not from the EOF of its closed pipe.
  writeFileSync(configFile, 'crash\n');
  t.is((await sc(['sc.exe', 'create', 'sealwatch-kill', 'binPath=', binPath(spec)])).code, 0);
  t.is((await sc(['sc.exe', 'start', 'sealwatch-kill'])).code, 0);
  for (let i = 0; i < 100 && !existsSync(marker('.started')); i++) await sleep(100);
  const dir = `${basename(tmp)}.Program Files.sealwatch.`;
  const host = await pidOf(`${dir}sealwatch-service\\.exe -- `);
  const daemon = await pidOf(`${dir}sealwatch\\.exe run `);
  if (host === undefined || daemon === undefined) return t.fail(`host ${host}, daemon ${daemon}: not both found running`);
  process.kill(host, 'SIGKILL');
  for (let i = 0; i < 100 && !ended(daemon); i++) await sleep(100);
  t.true(ended(daemon), 'the daemon still runs after its host was killed');
  // Wine's SCM does not notice a killed service process (Windows's reports it stopped, error 1067, and restarts it).
});
