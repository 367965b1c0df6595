// API names that give code new reach — processes, network, file permissions, other processes' memory — on Windows,
// macOS and Linux. Detection compares them between versions of a module (detect/capability-rules.ts); the format
// parsers look for them as C strings in modules that resolve functions at run time (GetProcAddress, dlsym), where
// no import table names them.
export const CAPABILITY_APIS: ReadonlySet<string> = new Set([
  // processes
  'popen', 'system', 'execve', 'execv', 'execvp', 'fork', 'vfork', 'posix_spawn', 'posix_spawnp', 'dlopen',
  'CreateProcessA', 'CreateProcessW', 'CreateProcessAsUserA', 'CreateProcessAsUserW', 'CreateProcessWithLogonW', 'WinExec',
  'ShellExecuteA', 'ShellExecuteW', 'ShellExecuteExA', 'ShellExecuteExW', 'AuthorizationExecuteWithPrivileges', 'SMJobBless',
  'OBJC_CLASS_$_NSTask',
  // network: BSD sockets, Winsock, WinINet, WinHTTP, URLMon, DNS; CFNetwork, Network.framework, Foundation
  'socket', 'connect', 'getaddrinfo', 'gethostbyname', 'gethostname', 'curl_easy_perform',
  'WSAStartup', 'WSAConnect', 'WSASocketA', 'WSASocketW', 'GetAddrInfoW', 'GetAddrInfoExW', 'DnsQuery_A', 'DnsQuery_W',
  'InternetOpenA', 'InternetOpenW', 'InternetOpenUrlA', 'InternetOpenUrlW', 'InternetConnectA', 'InternetConnectW',
  'HttpOpenRequestA', 'HttpOpenRequestW', 'HttpSendRequestA', 'HttpSendRequestW',
  'WinHttpOpen', 'WinHttpConnect', 'WinHttpOpenRequest', 'WinHttpSendRequest',
  'URLDownloadToFileA', 'URLDownloadToFileW', 'URLOpenBlockingStreamA', 'URLOpenBlockingStreamW',
  'CFSocketCreate', 'CFStreamCreatePairWithSocketToHost', 'CFHTTPMessageCreateRequest', 'CFReadStreamCreateForHTTPRequest',
  'nw_connection_create', 'nw_endpoint_create_host', 'OBJC_CLASS_$_NSURLSession', 'OBJC_CLASS_$_NSURLConnection',
  // file permissions and identity
  'chmod', 'fchmod', 'chown', 'fchown', 'flock', 'setuid', 'SetFileSecurityW', 'SetNamedSecurityInfoW',
  // other processes' memory
  'ptrace', 'task_for_pid', 'mach_vm_write', 'VirtualAllocEx', 'WriteProcessMemory', 'CreateRemoteThread', 'NtWriteVirtualMemory',
]);

/** Imports that resolve functions by name at run time: with them, strings are imports too. */
export const RUNTIME_RESOLVERS: ReadonlySet<string> = new Set(['GetProcAddress', 'LdrGetProcedureAddress', 'dlsym', '_dlsym']);

/** Names worth looking for as strings. Not words that occur as text anyway ("system", "fork", "chmod"). */
const GENERIC_WORDS = new Set(['system', 'fork', 'vfork', 'chmod', 'fchmod', 'chown', 'fchown', 'flock', 'setuid', 'dlopen']);
const WINDOWS_ONLY = /^(?:[A-Z]|WSA|__WSA)/; // Win32 names start upper-case; POSIX and CF/NS names are checked below
const APPLE_OR_POSIX = /^(?:[a-z_]|CF|SM|Authorization|OBJC_)/;

/** For GetProcAddress: Win32 names and the Winsock exports (connect, socket, getaddrinfo, gethostbyname …). */
export const PE_RUNTIME_NAMES: ReadonlySet<string> = new Set(
  [...CAPABILITY_APIS].filter((n) => !GENERIC_WORDS.has(n) && (WINDOWS_ONLY.test(n) || ['socket', 'connect', 'getaddrinfo', 'gethostbyname', 'gethostname'].includes(n)) && !/^(CF|SM|Authorization|OBJC_)/.test(n)),
);
/** For dlsym: POSIX, Mach and Apple framework names (no Win32). */
export const MACHO_RUNTIME_NAMES: ReadonlySet<string> = new Set([...CAPABILITY_APIS].filter((n) => !GENERIC_WORDS.has(n) && APPLE_OR_POSIX.test(n)));

// One regular expression per name set: a NUL, one of the names, a NUL (as lookahead, so adjacent strings match).
// Alternatives grouped by first letter. The region is read as Latin-1 a window at a time: one string of a whole data
// section (54 MB of .rdata in node.exe) went to V8's large-object space and cost full collections in the workers.
// Measured on node.exe's 56 MB of data sections, CPU: this search ~90–120 ms; searching the bytes instead —
// Buffer.indexOf of each name's bytes 660–710 ms, one pass over NUL-terminated runs matched in a Set 570–790 ms.
// Only modules that import a run-time resolver pay it, and only once per distinct content.
const WINDOW = 64 * 1024;
const escape = (s: string): string => s.replace(/\$/g, '\\$');
interface Patterns {
  readonly inside: RegExp;
  readonly first: RegExp;
  readonly longest: number;
}
const patterns = new Map<ReadonlySet<string>, Patterns>();
function patternsFor(names: ReadonlySet<string>): Patterns {
  let re = patterns.get(names);
  if (!re) {
    const byFirst = new Map<string, string[]>();
    for (const n of names) byFirst.set(n.charAt(0), [...(byFirst.get(n.charAt(0)) ?? []), escape(n.slice(1))]);
    const alternatives = [...byFirst].map(([first, rest]) => `${escape(first)}(?:${rest.join('|')})`).join('|');
    // The first string of a section has no NUL before it: checked on its own (an `^` alternative halves the speed).
    re = { inside: new RegExp(`\\0(${alternatives})(?=\\0)`, 'g'), first: new RegExp(`^(${alternatives})(?=\\0)`), longest: Math.max(...[...names].map((n) => n.length)) };
    patterns.set(names, re);
  }
  return re;
}

/** Names of `names` that occur as whole C strings in `region` (read as Latin-1: the names are ASCII). */
export function capabilityStrings(region: Uint8Array, names: ReadonlySet<string>): string[] {
  if (region.length === 0 || names.size === 0) return [];
  const bytes = Buffer.from(region.buffer, region.byteOffset, region.length);
  const { inside, first, longest } = patternsFor(names);
  const found = new Set<string>();
  // Each window runs past its end by a NUL, the longest name and a NUL: a string that starts in it is whole in it.
  for (let at = 0; at < bytes.length; at += WINDOW) {
    const text = bytes.toString('latin1', at, Math.min(bytes.length, at + WINDOW + longest + 2));
    for (const m of text.matchAll(inside)) found.add(m[1] ?? '');
  }
  const head = first.exec(bytes.toString('latin1', 0, Math.min(bytes.length, 128)))?.[1];
  if (head) found.add(head);
  return [...found];
}
