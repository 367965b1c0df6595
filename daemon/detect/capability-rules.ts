// What a changed module can now do that it could not before, and signing times that do not fit its history.
import { type ModuleChange } from '../diff/diff.ts';
import { type ModuleSummary } from '../diff/summary.ts';
import { type Finding } from '../shared/findings.ts';
import { finding } from './finding.ts';

/** Imports that give code new reach: processes, network, file permissions, other processes' memory. */
const CAPABILITY_IMPORTS = new Set([
  'popen', 'system', 'execve', 'execv', 'execvp', 'fork', 'vfork', 'posix_spawn', 'posix_spawnp', 'dlopen',
  'socket', 'connect', 'getaddrinfo', 'gethostbyname', 'gethostname', 'curl_easy_perform',
  'chmod', 'fchmod', 'chown', 'fchown', 'flock', 'setuid', 'ptrace', 'task_for_pid',
  'CreateProcessA', 'CreateProcessW', 'CreateProcessAsUserW', 'WinExec', 'ShellExecuteA', 'ShellExecuteW', 'ShellExecuteExW',
  'WSAStartup', 'InternetOpenA', 'InternetOpenW', 'InternetOpenUrlA', 'InternetOpenUrlW', 'WinHttpOpen', 'URLDownloadToFileA', 'URLDownloadToFileW',
  'VirtualAllocEx', 'WriteProcessMemory', 'CreateRemoteThread', 'SetFileSecurityW', 'SetNamedSecurityInfoW',
]);

const symbolName = (i: string): string => i.replace(/^.*!/, '').replace(/^_/, '');

/** New constructors or capability imports in a module that was here before (`b`). */
export function capabilityRules(c: ModuleChange, a: ModuleSummary, b: ModuleSummary): Finding[] {
  const gained = c.importsAdded.filter((i) => CAPABILITY_IMPORTS.has(symbolName(i)));
  const moreConstructors = a.constructors > b.constructors;
  if (!gained.length && !moreConstructors) return [];
  const parts = [...(moreConstructors ? [`constructors ${b.constructors} → ${a.constructors}`] : []), ...(gained.length ? [`new imports ${gained.map(symbolName).join(', ')}`] : [])];
  return [finding('NEW_CAPABILITIES', c, `${c.path}: ${parts.join('; ')}`, { imports_added: gained, constructors: [b.constructors, a.constructors] })];
}

export function timestampRules(c: ModuleChange, a: ModuleSummary, b: ModuleSummary | undefined): Finding[] {
  if (b && a.signedAt && b.signedAt && a.signedAt < b.signedAt) {
    return [finding('TIMESTAMP_ANOMALY', c, `${c.path}: the new version was signed (${a.signedAt}) before the old one (${b.signedAt})`)];
  }
  if (a.signedAt && a.compiledAt && Date.parse(a.signedAt) - Date.parse(a.compiledAt) > 400 * 86_400_000) {
    return [finding('TIMESTAMP_ANOMALY', c, `${c.path}: signed ${a.signedAt.slice(0, 10)}, more than 400 days after it was built (${a.compiledAt.slice(0, 10)})`)];
  }
  return [];
}
