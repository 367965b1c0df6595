// Windows managed settings: HKLM\SOFTWARE\Policies\sealwatch (written by GPO / Intune ADMX ingestion; only
// administrators can write under Policies), read with `reg export KEY FILE`, whose .reg file is UTF-16LE whatever the
// system's language (`reg query` prints in the OEM code page, which Node cannot decode without guessing it). `reg
// query /s` text is still parsed (tests, and what `ManagedSources.registry` was given before). Layout: a value per
// setting, a subkey per section — `...\sealwatch\watch` value `settle` (REG_SZ 30s) is watch.settle. REG_DWORD and
// REG_QWORD are numbers (0 / 1 for booleans), REG_MULTI_SZ a list of strings, and REG_SZ is read as the schema's type
// at that path (apps and alerts as JSON text).
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { system32 } from '../shared/system-tool.ts';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { coerce, schemaAt } from './schema-walk.ts';
import { type Layer, setIn } from './layers.ts';

export const POLICY_KEY = 'HKLM\\SOFTWARE\\Policies\\sealwatch';
const LONG_ROOT = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\sealwatch';

export interface RegValue {
  readonly key: string;
  readonly name: string;
  readonly type: string;
  readonly data: string;
  /** REG_MULTI_SZ from a .reg file: its strings (reg query's text joins them with a literal \0). */
  readonly items?: readonly string[];
}

export const REG_EXPORT_HEADER = 'Windows Registry Editor Version 5.00';

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

/**
 * A .reg file (`reg export`, regedit) → values. Format: a header line, `[KEY]` lines, then `"name"=value` or
 * `@=value` (the default value) with value `"text"` (REG_SZ, \\ and \" escaped), `dword:0000001e`, or
 * `hex(T):b1,b2,…` (T: 2 REG_EXPAND_SZ and 7 REG_MULTI_SZ as UTF-16LE, b REG_QWORD little-endian; `hex:` is
 * REG_BINARY), long hex lists continued on the next line after a trailing backslash.
 */
export function parseRegExport(text: string): RegValue[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[0]?.trim() !== REG_EXPORT_HEADER) throw new Error(`not a .reg file (first line ${JSON.stringify(lines[0]?.slice(0, 60) ?? '')})`);
  const values: RegValue[] = [];
  let key: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    let line = lines[i] as string;
    while (line.endsWith('\\') && /^(?:"(?:[^"\\]|\\.)*"|@)=hex/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + (lines[++i] as string).trim();
    const header = /^\[(.*)\]$/.exec(line);
    if (header) {
      key = header[1] as string;
      continue;
    }
    const m = /^(?:"((?:[^"\\]|\\.)*)"|(@))=(.*)$/.exec(line);
    if (!m || !key) continue;
    values.push({ key, name: m[2] ? '(Default)' : unescapeReg(m[1] as string), ...regData(m[3] as string, line) });
  }
  return values;
}

const unescapeReg = (s: string): string => s.replace(/\\(.)/g, '$1');

function regData(v: string, line: string): Pick<RegValue, 'type' | 'data' | 'items'> {
  const str = /^"((?:[^"\\]|\\.)*)"$/.exec(v);
  if (str) return { type: 'REG_SZ', data: unescapeReg(str[1] as string) };
  const dword = /^dword:([0-9a-f]{8})$/i.exec(v);
  if (dword) return { type: 'REG_DWORD', data: `0x${dword[1] as string}` };
  const hex = /^hex(?:\(([0-9a-f]+)\))?:((?:[0-9a-f]{2}(?:,[0-9a-f]{2})*)?)$/i.exec(v.replace(/\s+/g, ''));
  if (!hex) throw new Error(`unreadable value: ${line.slice(0, 80)}`);
  const bytes = Buffer.from((hex[2] as string).split(',').filter(Boolean).map((b) => Number.parseInt(b, 16)));
  const utf16 = (): string => bytes.toString('utf16le').replace(/\0+$/, '');
  switch ((hex[1] ?? '3').toLowerCase()) {
    case '1':
      return { type: 'REG_SZ', data: utf16() };
    case '2':
      return { type: 'REG_EXPAND_SZ', data: utf16() };
    case '7': {
      const items = utf16() === '' ? [] : utf16().split('\0');
      return { type: 'REG_MULTI_SZ', data: items.join('\\0'), items };
    }
    case 'b':
      if (bytes.length !== 8) throw new Error(`a QWORD of ${bytes.length} bytes: ${line.slice(0, 80)}`);
      return { type: 'REG_QWORD', data: `0x${bytes.readBigUInt64LE().toString(16)}` };
    case '4':
      if (bytes.length !== 4) throw new Error(`a DWORD of ${bytes.length} bytes: ${line.slice(0, 80)}`);
      return { type: 'REG_DWORD', data: `0x${bytes.readUInt32LE().toString(16)}` };
    default:
      return { type: 'REG_BINARY', data: bytes.toString('hex') };
  }
}

/** The values under the policy key as a config layer (keys below the root are sections). `text`: a .reg file's
 * (decoded) or `reg query /s` output. */
export function registryLayer(text: string, root: string = LONG_ROOT): Layer {
  const data: Record<string, unknown> = {};
  const rootLower = root.toLowerCase();
  let parsed: RegValue[];
  try {
    parsed = text.replace(/^\uFEFF/, '').startsWith(REG_EXPORT_HEADER) ? parseRegExport(text) : parseRegQuery(text);
  } catch (err) {
    throw new SealwatchError('CONFIG', `managed settings ${POLICY_KEY}: ${errorMessage(err)}`, { cause: err });
  }
  for (const v of parsed) {
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
      return v.items ?? (v.data === '' ? [] : v.data.split('\\0'));
    default:
      return coerce(path, v.data);
  }
}

/** A .reg file far larger than any policy key is not one. */
const MAX_EXPORT_BYTES = 4 << 20;

/** Runs reg.exe with these arguments (from System32: never one found in the current directory). */
export type RegRunner = (args: readonly string[]) => void;
const runReg: RegRunner = (args) => void execFileSync(system32('reg.exe'), [...args], { windowsHide: true, timeout: 30_000, stdio: ['ignore', 'ignore', 'pipe'] });

/**
 * `reg export KEY FILE /y`, decoded: the .reg text, or '' when the key does not exist. reg exits 1 without writing
 * the file when it cannot open the key; its message is in the system's language, so the untouched file says it. The
 * file is made first, exclusively, in a new directory of its own, so that nobody else's file is read.
 */
export function queryRegistry(key: string = POLICY_KEY, run: RegRunner = runReg): string {
  const dir = mkdtempSync(join(tmpdir(), 'sealwatch-reg-'));
  try {
    const file = join(dir, 'policy.reg');
    closeSync(openSync(file, 'wx', 0o600));
    try {
      run(['export', key, file, '/y']);
    } catch (err) {
      if ((err as { status?: number }).status === 1 && statSync(file).size === 0) return '';
      const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
      throw new SealwatchError('CONFIG', `managed settings ${key}: reg export failed: ${stderr || errorMessage(err)}`, { cause: err });
    }
    const size = statSync(file).size;
    if (size > MAX_EXPORT_BYTES) throw new SealwatchError('CONFIG', `managed settings ${key}: the exported key is ${size} bytes, over the ${MAX_EXPORT_BYTES}-byte bound`);
    const bytes = readFileSync(file);
    // reg export writes UTF-16LE with a byte-order mark.
    if (bytes[0] !== 0xff || bytes[1] !== 0xfe) throw new SealwatchError('CONFIG', `managed settings ${key}: reg export did not write UTF-16LE`);
    return bytes.subarray(2).toString('utf16le');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
