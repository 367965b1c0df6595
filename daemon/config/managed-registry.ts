// Windows managed settings: HKLM\SOFTWARE\Policies\sealwatch (written by GPO / Intune ADMX ingestion; only
// administrators can write under Policies), read with `reg query KEY /s` and its text parsed. Layout: a value per
// setting, a subkey per section — `...\sealwatch\watch` value `settle` (REG_SZ 30s) is watch.settle. REG_DWORD and
// REG_QWORD are numbers (0 / 1 for booleans), REG_MULTI_SZ a list of strings, and REG_SZ is read as the schema's type
// at that path (apps and alerts as JSON text).
import { execFileSync } from 'node:child_process';
import { system32 } from '../shared/system-tool.ts';
import { SealwatchError } from '../shared/errors.ts';
import { coerce, schemaAt } from './schema-walk.ts';
import { type Layer, setIn } from './layers.ts';

export const POLICY_KEY = 'HKLM\\SOFTWARE\\Policies\\sealwatch';
const LONG_ROOT = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\sealwatch';

export interface RegValue {
  readonly key: string;
  readonly name: string;
  readonly type: string;
  readonly data: string;
}

/** `reg query /s` output → values, each with the key it is under (headers are full HKEY_… paths). */
export function parseRegQuery(text: string): RegValue[] {
  const values: RegValue[] = [];
  let key: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (/^HKEY_[A-Z_]+(\\|$)/.test(line)) {
      key = line.trim();
      continue;
    }
    // Four spaces, the name, four spaces, the type, four spaces, the data (absent or empty for an empty value).
    const m = /^ {4}(.*?) {4}(REG_[A-Z_]+)(?: {4}(.*))?$/.exec(line);
    if (m && key) values.push({ key, name: m[1] as string, type: m[2] as string, data: m[3] ?? '' });
  }
  return values;
}

/** The values under the policy key as a config layer (keys below the root are sections). */
export function registryLayer(text: string, root: string = LONG_ROOT): Layer {
  const data: Record<string, unknown> = {};
  const rootLower = root.toLowerCase();
  for (const v of parseRegQuery(text)) {
    const keyLower = v.key.toLowerCase();
    if (keyLower !== rootLower && !keyLower.startsWith(`${rootLower}\\`)) continue;
    if (v.name === '(Default)') continue;
    const sections = v.key.slice(root.length).split('\\').filter(Boolean);
    const path = [...sections, v.name];
    setIn(data, path, regValue(path, v));
  }
  return { source: `managed ${POLICY_KEY}`, kind: 'managed', data };
}

function regValue(path: readonly string[], v: RegValue): unknown {
  switch (v.type) {
    case 'REG_DWORD':
    case 'REG_QWORD': {
      const n = Number.parseInt(v.data, 16);
      return schemaAt(path)?.type === 'boolean' ? n !== 0 : n;
    }
    case 'REG_MULTI_SZ':
      return v.data === '' ? [] : v.data.split('\\0');
    default:
      return coerce(path, v.data);
  }
}

/** Runs `reg query KEY /s`: its output, or '' when the key does not exist (reg exits 1 and says so). */
export function queryRegistry(key: string = POLICY_KEY): string {
  try {
    return execFileSync(system32('reg.exe'), ['query', key, '/s'], { windowsHide: true, timeout: 30_000, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { status?: number; stderr?: string; message: string };
    if (e.status === 1 && /unable to find/i.test(e.stderr ?? '')) return '';
    throw new SealwatchError('CONFIG', `managed settings ${key}: reg query failed: ${(e.stderr ?? '').trim() || e.message}`);
  }
}
