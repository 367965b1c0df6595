// `sealwatch service install|uninstall|status [--dry-run]`: the daemon as a systemd unit, a launchd LaunchDaemon or
// a Windows service. The definitions are built by systemd.ts, launchd.ts and windows.ts; this file chooses and runs.
import { existsSync, readFileSync } from 'node:fs';
import { type Output } from '../cli/inspect.ts';
import { ExitCode } from '../cli/exit-codes.ts';
import { SealwatchError } from '../shared/errors.ts';
import { applyPlan, describeStep, runCommand, underRoot } from './apply.ts';
import { LABEL, launchdInstall, launchdPlist, launchdStatusCommand, launchdUninstall, PLIST_PATH } from './launchd.ts';
import { type Plan } from './plan.ts';
import { serviceSpec, type ServiceSpec, type SpecOptions } from './spec.ts';
import { systemdInstall, systemdStatusCommand, systemdUninstall, systemdUnit, UNIT_NAME, UNIT_PATH } from './systemd.ts';
import { binPath, SERVICE_NAME, serviceHost, windowsInstall, windowsStatusCommand, windowsUninstall } from './windows.ts';

export interface ServiceOptions extends SpecOptions {
  readonly dryRun: boolean;
  readonly root?: string;
  readonly json?: boolean;
}

export type ServiceAction = 'install' | 'uninstall' | 'status';

/** The definition a person reviews before installing: the unit file, the plist, or the SCM command line. */
export function definition(spec: ServiceSpec): { path: string; text: string } {
  if (spec.platform === 'linux') return { path: UNIT_PATH, text: systemdUnit(spec) };
  if (spec.platform === 'darwin') return { path: PLIST_PATH, text: launchdPlist(spec) };
  return { path: `service ${SERVICE_NAME}`, text: `binPath= ${binPath(spec)}\n` };
}

export function plan(action: 'install' | 'uninstall', spec: ServiceSpec): Plan {
  if (spec.platform === 'linux') return action === 'install' ? systemdInstall(spec) : systemdUninstall();
  if (spec.platform === 'darwin') return action === 'install' ? launchdInstall(spec) : launchdUninstall();
  return action === 'install' ? windowsInstall(spec) : windowsUninstall();
}

/** Installing on this machine needs this OS and an administrator; a --root install needs neither. */
function checkCanApply(spec: ServiceSpec, o: ServiceOptions): void {
  if (o.root) return;
  if (spec.platform !== process.platform) throw new SealwatchError('CONFIG', `service: cannot install a ${spec.platform} service on ${process.platform} (use --dry-run to print it, or --root DIR)`);
  if (process.getuid && process.getuid() !== 0) throw new SealwatchError('CONFIG', 'service: installing a system service needs root (run with sudo), or use --dry-run / --root DIR');
}

export async function runService(action: ServiceAction, o: ServiceOptions, version: string, io: Output): Promise<number> {
  const spec = serviceSpec(o, version);
  if (action === 'status') return status(spec, o, io);
  const steps = plan(action, spec);
  // Not an error (the MDM may deliver the config after the program), but the service cannot start without it.
  const configOnTarget = underRoot(o.root, spec.config);
  if (action === 'install' && (spec.platform === process.platform || o.root) && !existsSync(configOnTarget)) {
    io.err(`sealwatch service: warning: ${configOnTarget} does not exist yet; the service will not start until it does (exit 2 is not restarted)`);
  }
  // The SCM starts the host, not sealwatch itself: without it the start fails (error 2, file not found).
  if (action === 'install' && spec.platform === 'win32' && process.platform === 'win32' && !existsSync(serviceHost(spec))) {
    io.err(`sealwatch service: warning: ${serviceHost(spec)} does not exist; the service cannot start without it (npm run package builds it beside sealwatch-win-x64.exe)`);
  }
  if (o.dryRun) {
    if (action === 'install') {
      const d = definition(spec);
      io.out(`# ${d.path}`);
      for (const line of d.text.trimEnd().split('\n')) io.out(line);
      io.out('');
    }
    io.out(`# ${action} would:`);
    for (const step of steps) io.out(describeStep(step, spec.platform === 'win32'));
    return ExitCode.ok;
  }
  checkCanApply(spec, o);
  await applyPlan(steps, { ...(o.root ? { root: o.root } : {}), log: (l) => io.out(l) });
  return ExitCode.ok;
}

interface Status {
  readonly platform: string;
  readonly name: string;
  readonly definition: string;
  readonly installed: boolean;
  /** The installed definition is the one `install` would write now (linux, darwin). */
  readonly current: boolean | null;
  /** What the service manager says (null with --root or when it cannot be asked). */
  readonly state: string | null;
  readonly detail: string;
}

async function status(spec: ServiceSpec, o: ServiceOptions, io: Output): Promise<number> {
  const s = spec.platform === 'win32' ? await windowsStatus(o) : await fileStatus(spec, o);
  if (o.json) io.out(JSON.stringify(s));
  else {
    io.out(`${s.name}: ${s.installed ? 'installed' : 'not installed'} (${s.definition})${s.current === false ? ', differs from what `service install` would write now' : ''}`);
    if (s.state !== null) io.out(`state: ${s.state}`);
    if (s.detail) io.out(s.detail.trimEnd());
  }
  return s.installed && (s.state === null || s.state === 'running') ? ExitCode.ok : ExitCode.findings;
}

async function fileStatus(spec: ServiceSpec, o: ServiceOptions): Promise<Status> {
  const d = definition(spec);
  const file = underRoot(o.root, d.path);
  const installed = existsSync(file);
  const current = installed ? readFileSync(file, 'utf8') === d.text : null;
  const base = { platform: spec.platform, name: spec.platform === 'linux' ? UNIT_NAME : LABEL, definition: file, installed, current };
  if (o.root || spec.platform !== process.platform) return { ...base, state: null, detail: '' };
  if (spec.platform === 'linux') {
    const r = await runCommand(systemdStatusCommand);
    const props = Object.fromEntries(r.stdout.split('\n').filter(Boolean).map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));
    const state = r.code !== 0 ? `unknown (systemctl: ${r.stderr.trim()})` : props.ActiveState === 'active' ? 'running' : `${props.ActiveState ?? '?'} (${props.SubState ?? '?'})`;
    return { ...base, state, detail: r.stdout };
  }
  const r = await runCommand(launchdStatusCommand);
  const m = /^\s*state = (\S+)/m.exec(r.stdout);
  return { ...base, state: r.code !== 0 ? 'not loaded' : m?.[1] ?? 'loaded', detail: r.code === 0 ? '' : r.stderr };
}

async function windowsStatus(o: ServiceOptions): Promise<Status> {
  const base = { platform: 'win32', name: SERVICE_NAME, definition: `service ${SERVICE_NAME}`, current: null };
  if (o.root || process.platform !== 'win32') return { ...base, installed: false, state: null, detail: 'the Service Control Manager is only asked on Windows' };
  const r = await runCommand(windowsStatusCommand);
  // sc.exe exits 1060 when the service does not exist.
  const m = /STATE\s+:\s+\d+\s+(\S+)/.exec(r.stdout);
  return { ...base, installed: r.code === 0, state: m?.[1]?.toLowerCase() ?? null, detail: r.stdout };
}
