// Builds the Windows service host (service-host/sealwatch-service.c) with Debian's MinGW-w64 cross compiler:
// a static, Unicode console program that needs no DLL beyond Windows's own. Used by `npm run package` (beside
// sealwatch-win-x64.exe) and by the wine test of the service.
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const SERVICE_HOST_SOURCE = resolve(import.meta.dirname, 'service-host', 'sealwatch-service.c');
export const SERVICE_HOST_EXE = 'sealwatch-service.exe'; // = daemon/service/windows.ts SERVICE_HOST_EXE
const CC = 'x86_64-w64-mingw32-gcc';

/** Compiles one C file into a static x64 Windows executable; the compiler's own message when it fails. */
export async function compileWindows(source: string, exe: string): Promise<string> {
  try {
    await promisify(execFile)(CC, ['-municode', '-static', '-O2', '-s', '-Wall', '-Wextra', '-Werror', '-o', exe, source]);
  } catch (err) {
    const e = err as { code?: string | number; stderr?: string; message: string };
    const why = e.code === 'ENOENT' ? `${CC} not found (Debian: apt-get install gcc-mingw-w64-x86-64; scripts/install-test-deps.sh)` : (e.stderr ?? e.message).trim();
    throw new Error(`building ${exe} from ${source}: ${why}`);
  }
  return exe;
}

/** The service host, built into `dir`. */
export function buildServiceHost(dir: string): Promise<string> {
  return compileWindows(SERVICE_HOST_SOURCE, join(dir, SERVICE_HOST_EXE));
}
