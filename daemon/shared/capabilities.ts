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
// Alternatives grouped by first letter. Measured on the 87 MB node.exe (54 MB of .rdata), under load: the regular
// expression ~115 ms plus ~110 ms for the Latin-1 view, about 2.5 times a SHA-256 of the same bytes; a byte loop in
// JavaScript took 700+ ms. Only modules that import a run-time resolver pay it, and only once per distinct content.
const escape = (s: string): string => s.replace(/\$/g, '\\$');
const patterns = new Map<ReadonlySet<string>, { inside: RegExp; first: RegExp }>();
function patternsFor(names: ReadonlySet<string>): { inside: RegExp; first: RegExp } {
  let re = patterns.get(names);
  if (!re) {
    const byFirst = new Map<string, string[]>();
    for (const n of names) byFirst.set(n.charAt(0), [...(byFirst.get(n.charAt(0)) ?? []), escape(n.slice(1))]);
    const alternatives = [...byFirst].map(([first, rest]) => `${escape(first)}(?:${rest.join('|')})`).join('|');
    // The first string of a section has no NUL before it: checked on its own (an `^` alternative halves the speed).
    re = { inside: new RegExp(`\\0(${alternatives})(?=\\0)`, 'g'), first: new RegExp(`^(${alternatives})(?=\\0)`) };
    patterns.set(names, re);
  }
  return re;
}

/** Names of `names` that occur as whole C strings in `region` (read as Latin-1: the names are ASCII). */
export function capabilityStrings(region: Uint8Array, names: ReadonlySet<string>): string[] {
  if (region.length === 0 || names.size === 0) return [];
  const text = Buffer.from(region.buffer, region.byteOffset, region.length).toString('latin1');
  const { inside, first } = patternsFor(names);
  const found = new Set([...text.matchAll(inside)].map((m) => m[1] ?? ''));
  const head = first.exec(text.slice(0, 128))?.[1];
  if (head) found.add(head);
  return [...found];
}
