// The macOS LaunchDaemon: started at boot as root, restarted when it exits with a failure, at most every 30 s.
import { build, type PlistValue } from 'plist';
import { type Plan } from './plan.ts';
import { type ServiceSpec } from './spec.ts';

export const LABEL = 'com.sealwatch.agent';
export const PLIST_PATH = `/Library/LaunchDaemons/${LABEL}.plist`;
export const LOG_DIR = '/Library/Logs/sealwatch';

export function launchdDefinition(spec: ServiceSpec): { [key: string]: PlistValue } {
  return {
    Label: LABEL,
    ProgramArguments: [...spec.program, 'run', '--config', spec.config],
    RunAtLoad: true,
    // Restarted after a crash or a failing exit; a clean stop (launchctl bootout, SIGTERM) stays stopped.
    KeepAlive: { SuccessfulExit: false },
    // launchd's floor between two starts: a config error (exit 2) is retried twice a minute, not in a tight loop.
    ThrottleInterval: 30,
    // stdout/stderr: what the daemon prints before its own JSON log (in the config's log.dir) is open.
    StandardOutPath: `${LOG_DIR}/sealwatch.out.log`,
    StandardErrorPath: `${LOG_DIR}/sealwatch.err.log`,
    ProcessType: 'Background',
    Umask: 0o077,
  };
}

export function launchdPlist(spec: ServiceSpec): string {
  return build(launchdDefinition(spec));
}

export function launchdInstall(spec: ServiceSpec): Plan {
  return [
    { kind: 'mkdir', path: LOG_DIR },
    ...spec.writable.map((path) => ({ kind: 'mkdir' as const, path })),
    { kind: 'run', argv: ['launchctl', 'bootout', `system/${LABEL}`], mayFail: true, why: 'unload an older definition (fails harmlessly when none is loaded)' },
    { kind: 'write', path: PLIST_PATH, content: launchdPlist(spec), mode: 0o644 },
    { kind: 'run', argv: ['launchctl', 'enable', `system/${LABEL}`], why: 'allow it to load at boot' },
    { kind: 'run', argv: ['launchctl', 'bootstrap', 'system', PLIST_PATH], why: 'load it now (RunAtLoad starts it)' },
  ];
}

export function launchdUninstall(): Plan {
  return [
    { kind: 'run', argv: ['launchctl', 'bootout', `system/${LABEL}`], mayFail: true, why: 'stop and unload it (fails harmlessly when not loaded)' },
    { kind: 'remove', path: PLIST_PATH },
  ];
}

export const launchdStatusCommand = ['launchctl', 'print', `system/${LABEL}`];
