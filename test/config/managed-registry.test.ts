// Windows managed settings read with `reg export` (a UTF-16LE .reg file, the same in every system language) instead of
// `reg query` (printed in the OEM code page). The .reg format as Microsoft documents it for regedit and reg export
// ("How to add, modify, or delete registry subkeys and values by using a .reg file":
// https://learn.microsoft.com/troubleshoot/windows-server/performance/add-modify-delete-registry-subkeys-values-by-reg-file;
// `reg export`: https://learn.microsoft.com/windows-server/administration/windows-commands/reg-export), and the real
// reg.exe of wine (which writes that format, wrapping long hex lists as Windows does) on a wine prefix of its own.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { accessSync, constants, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parseRegExport, queryRegistry, registryLayer } from '../../daemon/config/managed-registry.ts';
import { SealwatchError } from '../../daemon/shared/errors.ts';
import { tempDir } from '../helpers/temp.ts';

// The policy key as reg export writes it: a header, keys in brackets, "name"=value lines, long hex lists continued.
const REG_FILE = [
  'Windows Registry Editor Version 5.00',
  '',
  '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\sealwatch]',
  '"database"="C:\\\\ProgramData\\\\Überwachung\\\\sealwatch.db"',
  '"workers"=dword:00000002',
  // REG_MULTI_SZ "C:\p\a.yaml", "C:\p\ü" as UTF-16LE, wrapped.
  `"policies"=hex(7):${hex16('C:\\p\\a.yaml\0C:\\p\\ü\0\0').slice(0, 20).join(',')},\\`,
  `  ${hex16('C:\\p\\a.yaml\0C:\\p\\ü\0\0').slice(20).join(',')}`,
  '"apps"="[{\\"name\\":\\"Contoso Chat\\",\\"path\\":\\"C:\\\\\\\\Program Files\\\\\\\\Contoso\\"}]"',
  '@="ignored default"',
  '',
  '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\sealwatch\\log]',
  '"max_files"=hex(b):0a,00,00,00,00,00,00,00',
  '"console"=dword:00000000',
  `"dir"=hex(2):${hex16('D:\\Protokolle\0').join(',')}`,
  '',
].join('\r\n');

function hex16(s: string): string[] {
  return [...Buffer.from(s, 'utf16le')].map((b) => b.toString(16).padStart(2, '0'));
}

test('a .reg file: strings with escapes, DWORD, QWORD, expandable and multi-strings, continued hex lists', (t) => {
  const values = parseRegExport(`\uFEFF${REG_FILE}`);
  t.deepEqual(values.find((v) => v.name === 'policies')?.items, ['C:\\p\\a.yaml', 'C:\\p\\ü']);
  t.deepEqual(values.find((v) => v.name === '(Default)')?.data, 'ignored default');
  t.deepEqual(registryLayer(REG_FILE).data, {
    database: 'C:\\ProgramData\\Überwachung\\sealwatch.db',
    workers: 2,
    policies: ['C:\\p\\a.yaml', 'C:\\p\\ü'],
    apps: [{ name: 'Contoso Chat', path: 'C:\\Program Files\\Contoso' }],
    log: { max_files: 10, console: false, dir: 'D:\\Protokolle' },
  });
  t.throws(() => parseRegExport('REGEDIT4\r\n'), { message: /not a \.reg file/ });
  const bad = t.throws(() => registryLayer(REG_FILE.replace('dword:00000002', 'dword:2')), { instanceOf: SealwatchError });
  t.regex(bad?.message ?? '', /managed settings HKLM\\SOFTWARE\\Policies\\sealwatch: unreadable value: "workers"=dword:2/);
});

/** A reg.exe stand-in for what wine cannot be made to do: write this into the file it is given. */
const writing = (bytes: Buffer) => (args: readonly string[]): void => writeFileSync(args[2] as string, bytes);

test('reg export output is bounded and must be UTF-16LE; a failure other than a missing key is a CONFIG error', (t) => {
  t.is(queryRegistry('HKLM\\SOFTWARE\\Policies\\sealwatch', writing(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(REG_FILE, 'utf16le')]))), REG_FILE);
  t.regex(t.throws(() => queryRegistry(undefined, writing(Buffer.alloc((4 << 20) + 1))))?.message ?? '', /over the 4194304-byte bound/);
  t.regex(t.throws(() => queryRegistry(undefined, writing(Buffer.from(REG_FILE, 'latin1'))))?.message ?? '', /did not write UTF-16LE/);
  const denied = Object.assign(new Error('Command failed'), { status: 1, stderr: Buffer.from('ERROR: Access is denied.') });
  t.regex(t.throws(() => queryRegistry(undefined, (args) => {
    writeFileSync(args[2] as string, 'partial');
    throw denied;
  }))?.message ?? '', /reg export failed: ERROR: Access is denied\./);
});

function findWine(): string | undefined {
  for (const c of [...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'wine64')), '/usr/lib/wine/wine64']) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

const wine = findWine();
const wineTest = wine ? test : test.skip;
if (!wine) console.log('wine64 not found (Debian: apt-get install wine64): the reg.exe test is skipped');

wineTest('wine\'s reg.exe: values added with reg add come back through reg export, non-ASCII intact; a missing key is empty', (t) => {
  const prefix = tempDir('sealwatch-wine-reg-');
  const env = { ...process.env, TMPDIR: prefix, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', DISPLAY: '' };
  const reg = (args: readonly string[]): void => void execFileSync(wine as string, ['reg', ...args.map((a) => (a.startsWith('/tmp') || a.startsWith(tmpdir()) ? `Z:${a.replaceAll('/', '\\')}` : a))], { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
  try {
    const key = 'HKLM\\SOFTWARE\\Policies\\sealwatch';
    reg(['add', key, '/v', 'database', '/t', 'REG_SZ', '/d', 'C:\\ProgramData\\Überwachung\\证书.db', '/f']);
    reg(['add', key, '/v', 'policies', '/t', 'REG_MULTI_SZ', '/d', 'C:\\Program Files\\Contoso Überwachung\\policies\\a.yaml\\0D:\\b.yaml', '/f']);
    reg(['add', `${key}\\watch`, '/v', 'settle', '/t', 'REG_SZ', '/d', '45s', '/f']);
    reg(['add', `${key}\\log`, '/v', 'max_files', '/t', 'REG_QWORD', '/d', '7', '/f']);
    reg(['add', `${key}\\log`, '/v', 'console', '/t', 'REG_DWORD', '/d', '1', '/f']);
    const text = queryRegistry(key, reg);
    t.deepEqual(registryLayer(text).data, {
      database: 'C:\\ProgramData\\Überwachung\\证书.db',
      policies: ['C:\\Program Files\\Contoso Überwachung\\policies\\a.yaml', 'D:\\b.yaml'],
      watch: { settle: '45s' },
      log: { max_files: 7, console: true },
    });
    t.is(queryRegistry('HKLM\\SOFTWARE\\Policies\\sealwatch-absent', reg), '', 'reg exits 1 and writes nothing');
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});
