// Windows tools sealwatch runs (reg.exe, icacls.exe) by their full System32 path. A bare name is looked up in the
// current directory before PATH (libuv's search order on Windows), so an admin running `sealwatch` from a folder
// holding a planted reg.exe would run it elevated.
import { win32 } from 'node:path';

/** `C:\Windows\System32\<exe>` (from %SystemRoot%). */
export function system32(exe: string, env: NodeJS.ProcessEnv = process.env): string {
  return win32.join(env.SystemRoot ?? 'C:\\Windows', 'System32', exe);
}
