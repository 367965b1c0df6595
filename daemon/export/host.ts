// host.* of every exported event. host.id must tell machines apart across a fleet whose names repeat (DESKTOP-1234):
// the OS machine id where one can be read without running anything, else this history database's id (one per
// install, kept across restarts).
import { readFileSync } from 'node:fs';
import { hostname, platform, release } from 'node:os';
import { type HostFacts } from './ecs.ts';

const OS_TYPE: Record<string, string> = { linux: 'linux', darwin: 'macos', win32: 'windows' };

function machineId(): string | undefined {
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
  return { hostname: hostname(), id: machineId() ?? databaseId, os: { type: OS_TYPE[p] ?? p, platform: p, version: release() } };
}
