// host.* of every exported event. host.id must tell machines apart across a fleet whose names repeat (DESKTOP-1234)
// and survive a reinstall: the OS machine id — /etc/machine-id on Linux, IOPlatformUUID on macOS (ioreg), the
// MachineGuid on Windows (reg query; both fixed system paths, nothing from a watched tree) — else this history
// database's id (one per install, kept across restarts). Read once, when the daemon starts.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname, platform, release } from 'node:os';
import { type HostFacts } from './ecs.ts';
import { system32 } from '../shared/system-tool.ts';

const OS_TYPE: Record<string, string> = { linux: 'linux', darwin: 'macos', win32: 'windows' };

/** `ioreg -rd1 -c IOPlatformExpertDevice` output → its IOPlatformUUID. */
export function ioregUuid(text: string): string | undefined {
  return /"IOPlatformUUID"\s*=\s*"([0-9A-Fa-f-]{36})"/.exec(text)?.[1]?.toLowerCase();
}

/** `reg query HKLM\SOFTWARE\Microsoft\Cryptography /v MachineGuid` output → the GUID. */
export function regMachineGuid(text: string): string | undefined {
  return /MachineGuid\s+REG_SZ\s+([0-9A-Fa-f-]{36})/.exec(text)?.[1]?.toLowerCase();
}

function run(file: string, args: readonly string[]): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', timeout: 5_000, windowsHide: true, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

function machineId(p: string): string | undefined {
  if (p === 'darwin') return ioregUuid(run('/usr/sbin/ioreg', ['-rd1', '-c', 'IOPlatformExpertDevice']));
  if (p === 'win32') return regMachineGuid(run(system32('reg.exe'), ['query', 'HKLM\\SOFTWARE\\Microsoft\\Cryptography', '/v', 'MachineGuid']));
  for (const f of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      const id = readFileSync(f, 'utf8').trim();
      if (/^[0-9a-f]{32}$/i.test(id)) return id.toLowerCase();
    } catch {
      // not this one
    }
  }
  return undefined;
}

export function localHost(databaseId: string): HostFacts {
  const p = platform();
  return { hostname: hostname(), id: machineId(p) ?? databaseId, os: { type: OS_TYPE[p] ?? p, platform: p, version: release() } };
}
