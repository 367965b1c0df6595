// The systemd unit. The daemon runs as root because it must read every installed file; the hardening takes away
// everything else root could do. Each directive below says why it is there.
import { type Plan, type Step } from './plan.ts';
import { type ServiceSpec } from './spec.ts';

export const UNIT_NAME = 'sealwatch.service';
export const UNIT_PATH = `/etc/systemd/system/${UNIT_NAME}`;
/** Where the daemon's scans remember which databases existed (scan.ts defaultWitness), kept in a state dir of its own. */
export const WITNESS = '/var/lib/sealwatch-witness/databases.json';
/** Where the service's environment comes from (url_env / secret_env values). */
export const ENV_FILE = '/etc/sealwatch/sealwatch.env';

/** systemd's quoting of one ExecStart word: double quotes when it has a space, quote, backslash or specifier. */
function execWord(w: string): string {
  const escaped = w.replaceAll('%', '%%').replaceAll('$', '$$$$');
  return /[\s"'\\]/.test(escaped) ? `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"` : escaped;
}

export function systemdUnit(spec: ServiceSpec): string {
  const exec = [...spec.program, 'run', '--config', spec.config].map(execWord).join(' ');
  // The state and log directories below are writable already; anything else the config names (a sibling such as
  // /var/lib/sealwatch-history is not inside /var/lib/sealwatch) needs ReadWritePaths under ProtectSystem=strict.
  const inside = (d: string, dir: string): boolean => d === dir || d.startsWith(`${dir}/`);
  const extra = spec.writable.filter((d) => !['/var/lib/sealwatch', '/var/log/sealwatch', '/var/cache/sealwatch'].some((dir) => inside(d, dir)));
  return `# Written by \`sealwatch service install\` (sealwatch ${spec.version}). Settings belong in ${spec.config};
# reinstall to change this unit (\`sealwatch service install\` replaces it).
[Unit]
Description=sealwatch supply-chain update integrity monitor
After=network-online.target local-fs.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=${exec}
# A crash or an unexpected exit is restarted; exit 2 is a configuration error that a restart cannot fix.
Restart=on-failure
RestartSec=10s
RestartPreventExitStatus=2
TimeoutStopSec=30s
UMask=0077
Environment=SEALWATCH_WITNESS=${WITNESS}
# Secrets the config names by url_env / secret_env (webhook URLs, HMAC keys): KEY=value lines, root-only (0600).
# Optional ("-"), and kept outside this unit so that a reinstall, which rewrites the unit, keeps them.
EnvironmentFile=-${ENV_FILE}
# systemd creates these owned by the service's user (root), mode 0700: the database, the witness of databases, the
# logs and a single executable's unpacked assets. Owning them is why no capability is needed to write there.
StateDirectory=sealwatch sealwatch-witness
StateDirectoryMode=0700
LogsDirectory=sealwatch
LogsDirectoryMode=0700
CacheDirectory=sealwatch
CacheDirectoryMode=0700

# Hardening. The whole file system is read-only except the directories above${extra.length ? ' and the ones the config names' : ''}.
ProtectSystem=strict
${extra.length ? `ReadWritePaths=${extra.map(execWord).join(' ')}\n` : ''}# Apps installed in home directories are still read (and watched), never written.
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
NoNewPrivileges=yes
# The one capability kept: CAP_DAC_READ_SEARCH reads and lists every file and directory whatever its mode (an app's
# files may be 0600 or owned by another user). Nothing else: writing the state directories needs no capability
# because root owns them (no CAP_DAC_OVERRIDE, CAP_CHOWN or CAP_FOWNER), and the daemon never changes users.
CapabilityBoundingSet=CAP_DAC_READ_SEARCH
AmbientCapabilities=
# Loopback HTTP, alert webhooks and exports (IPv4/IPv6), local sockets, and netlink for the host's addresses.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
# Not MemoryDenyWriteExecute: V8's JIT compiler needs writable executable memory.

[Install]
WantedBy=multi-user.target
`;
}

export function systemdInstall(spec: ServiceSpec): Plan {
  return [
    ...spec.writable.map((path): Step => ({ kind: 'mkdir', path })),
    { kind: 'write', path: UNIT_PATH, content: systemdUnit(spec), mode: 0o644 },
    { kind: 'run', argv: ['systemctl', 'daemon-reload'], why: 'load the new unit' },
    { kind: 'run', argv: ['systemctl', 'enable', '--now', UNIT_NAME], why: 'start it now and at every boot' },
  ];
}

export function systemdUninstall(): Plan {
  return [
    { kind: 'run', argv: ['systemctl', 'disable', '--now', UNIT_NAME], mayFail: true, why: 'stop it and take it out of boot (fails harmlessly when not installed)' },
    { kind: 'remove', path: UNIT_PATH },
    { kind: 'run', argv: ['systemctl', 'daemon-reload'], why: 'forget the removed unit' },
  ];
}

export const systemdStatusCommand = ['systemctl', 'show', UNIT_NAME, '--property=LoadState,ActiveState,SubState,UnitFileState,ExecMainPID,NRestarts'];
