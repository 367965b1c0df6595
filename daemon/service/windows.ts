// The Windows service, created with the Service Control Manager's own tool: LocalSystem (to read every installed
// file), delayed automatic start (after the boot rush), restarted on failure (also on a non-zero exit: failureflag).
// Node cannot answer the SCM (`sc start` on it fails with error 1053), so the service's program is the small host
// shipped beside the executable (scripts/package/service-host/sealwatch-service.c): it answers the SCM, runs
// `sealwatch run --config FILE --stop-on-stdin-eof` in a job object and stops it by closing its stdin.
import { win32 } from 'node:path';
import { type Plan } from './plan.ts';
import { type ServiceSpec } from './spec.ts';

export const SERVICE_NAME = 'sealwatch';
const DISPLAY_NAME = 'sealwatch update integrity monitor';
const DESCRIPTION = 'Records and verifies every executable module of vendor apps and raises what an update did not explain.';

/** One argument of the service's command line, quoted as CommandLineToArgvW reads it. */
function winArg(a: string): string {
  if (a !== '' && !/[\s"]/.test(a)) return a;
  return `"${a.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`;
}

/** The service host's file name; `npm run package` builds it beside sealwatch-win-x64.exe. */
export const SERVICE_HOST_EXE = 'sealwatch-service.exe';

/** The service host: in the directory of the sealwatch executable (or of the launcher, run by node.exe). */
export function serviceHost(spec: ServiceSpec): string {
  return win32.join(win32.dirname(spec.program.at(-1) ?? ''), SERVICE_HOST_EXE);
}

/** The binPath= value: the whole command line the SCM starts — the host, `--`, then the daemon's command line. */
export function binPath(spec: ServiceSpec): string {
  return [serviceHost(spec), '--', ...spec.program, 'run', '--config', spec.config, '--stop-on-stdin-eof'].map(winArg).join(' ');
}

export function windowsInstall(spec: ServiceSpec): Plan {
  return [
    { kind: 'run', argv: ['sc.exe', 'create', SERVICE_NAME, 'binPath=', binPath(spec), 'start=', 'delayed-auto', 'obj=', 'LocalSystem', 'DisplayName=', DISPLAY_NAME], why: 'register the service (LocalSystem, delayed automatic start)' },
    { kind: 'run', argv: ['sc.exe', 'description', SERVICE_NAME, DESCRIPTION], why: 'say what it is in services.msc' },
    // Restart after 10 s, 60 s, then every 5 min; the count of failures resets after a day without one.
    { kind: 'run', argv: ['sc.exe', 'failure', SERVICE_NAME, 'reset=', '86400', 'actions=', 'restart/10000/restart/60000/restart/300000'], why: 'restart on failure' },
    { kind: 'run', argv: ['sc.exe', 'failureflag', SERVICE_NAME, '1'], why: 'a non-zero exit counts as a failure too, not only a crash' },
    { kind: 'run', argv: ['sc.exe', 'start', SERVICE_NAME], why: 'start it now' },
  ];
}

export function windowsUninstall(): Plan {
  return [
    { kind: 'run', argv: ['sc.exe', 'stop', SERVICE_NAME], mayFail: true, why: 'stop it (fails harmlessly when it is not running)' },
    { kind: 'run', argv: ['sc.exe', 'delete', SERVICE_NAME], why: 'unregister it' },
  ];
}

export const windowsStatusCommand = ['sc.exe', 'queryex', SERVICE_NAME];
export const windowsConfigCommand = ['sc.exe', 'qc', SERVICE_NAME];
