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

// One pass per region: a NUL-delimited C string that is exactly one of the names.
const escape = (s: string): string => s.replace(/[$_]/g, (c) => (c === '$' ? '\\$' : c));
const C_STRING = new RegExp(`(?<=^|\\0)(${[...CAPABILITY_APIS].map(escape).join('|')})(?=\\0)`, 'g');

/** Capability API names that occur as whole C strings in `region` (read as Latin-1: names are ASCII). */
export function capabilityStrings(region: Uint8Array): string[] {
  if (region.length === 0) return [];
  const text = Buffer.from(region.buffer, region.byteOffset, region.length).toString('latin1');
  return [...new Set([...text.matchAll(C_STRING)].map((m) => m[1] ?? ''))];
}
