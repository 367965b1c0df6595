// Finding candidate apps: the `reg query` output format, /opt-style directories and .app bundles on disk.
import test from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build as buildPlist } from 'plist';
import { directoryCandidates, macAppCandidates, uninstallCandidates } from '../../daemon/inventory/discover.ts';
import { tempDir } from '../helpers/temp.ts';

test('Uninstall keys from `reg query … /s`: name, publisher, version, install location; entries without a location are skipped', (t) => {
  // The layout reg.exe prints: the key on its own line, then four-space-indented "name    TYPE    value" rows.
  const out = [
    'HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{A1B2}',
    '    DisplayName    REG_SZ    3CX Desktop App',
    '    Publisher    REG_SZ    3CX Ltd',
    '    DisplayVersion    REG_SZ    18.12.416',
    '    InstallLocation    REG_SZ    "C:\\Program Files\\3CXDesktopApp"',
    '    EstimatedSize    REG_DWORD    0x2f00',
    '',
    'HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\KB123',
    '    DisplayName    REG_SZ    Security Update',
    '',
  ].join('\r\n');
  t.deepEqual(uninstallCandidates(out, 'HKLM'), [
    { name: '3CX Desktop App', root: 'C:\\Program Files\\3CXDesktopApp', vendor: '3CX Ltd', version: '18.12.416', source: 'HKLM' },
  ]);
});

test('directories and .app bundles on disk become candidates with Info.plist identity and version', async (t) => {
  const root = tempDir('sealwatch-discover-');
  mkdirSync(join(root, 'vendor-tool'));
  mkdirSync(join(root, 'Contoso.app', 'Contents'), { recursive: true });
  writeFileSync(join(root, 'Contoso.app', 'Contents', 'Info.plist'), buildPlist({ CFBundleIdentifier: 'com.contoso.desktop', CFBundleShortVersionString: '18.12.416' }));
  t.deepEqual((await directoryCandidates(root, '/opt')).map((c) => c.name), ['Contoso.app', 'vendor-tool']);
  t.deepEqual(await macAppCandidates(root, '/Applications'), [
    { name: 'Contoso', root: join(root, 'Contoso.app'), vendor: 'com.contoso', version: '18.12.416', source: '/Applications' },
  ]);
});
