// Where the daemon's files live by default on each OS: its config and its log directory (the history database's
// default is the scan command's, cli/scan.ts defaultDatabase).
import { homedir } from 'node:os';
import { join } from 'node:path';

const isRoot = (): boolean => process.getuid?.() === 0;

/** --config, else $SEALWATCH_CONFIG, else the per-OS location. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (flag) return flag;
  if (env.SEALWATCH_CONFIG) return env.SEALWATCH_CONFIG;
  if (platform === 'win32') return join(env.ProgramData ?? 'C:\\ProgramData', 'sealwatch', 'sealwatch.yaml');
  if (platform === 'darwin') return '/Library/Application Support/sealwatch/sealwatch.yaml';
  return '/etc/sealwatch/sealwatch.yaml';
}

/** The per-OS log directory (a user's state directory when not run as root on Linux). */
export function defaultLogDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.ProgramData ?? 'C:\\ProgramData', 'sealwatch', 'logs');
  if (platform === 'darwin') return '/Library/Logs/sealwatch';
  if (isRoot()) return '/var/log/sealwatch';
  return join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'sealwatch', 'log');
}

/** Where an accepted policy bundle is kept (daemon/bundle): beside the history database's default place. */
export function defaultBundleDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.ProgramData ?? 'C:\\ProgramData', 'sealwatch', 'bundle');
  if (platform === 'darwin') return '/Library/Application Support/sealwatch/bundle';
  if (isRoot()) return '/var/lib/sealwatch/bundle';
  return join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'sealwatch', 'bundle');
}
