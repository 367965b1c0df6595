// Where a single executable unpacks its assets on Windows: when sealwatch runs elevated the directory must be
// admin-only (it holds the trust roots and policies SYSTEM reads). Nothing here runs on a real Windows, so the inputs
// are written down in documented formats: `whoami /groups /fo csv /nh`
// (https://learn.microsoft.com/windows-server/administration/windows-commands/whoami; columns Group Name, Type, SID,
// Attributes) with the mandatory-label SIDs of https://learn.microsoft.com/windows/win32/secauthz/well-known-sids
// (Medium S-1-16-8192, High S-1-16-12288, System S-1-16-16384), and DACLs as SDDL (see test/config/windows-acl.test.ts).
import test from 'ava';
import { assetDirRefusal, elevatedFromWhoami, lockDownArgs } from '../../daemon/shared/asset-guard.ts';

const row = (...cells: string[]): string => cells.map((c) => `"${c}"`).join(',');
const ADMIN_GROUPS = [
  row('Everyone', 'Well-known group', 'S-1-1-0', 'Mandatory group, Enabled by default, Enabled group'),
  row('NT AUTHORITY\\Local account and member of Administrators group', 'Well-known group', 'S-1-5-114', 'Mandatory group, Enabled by default, Enabled group'),
];
const ELEVATED = [...ADMIN_GROUPS, row('BUILTIN\\Administrators', 'Alias', 'S-1-5-32-544', 'Mandatory group, Enabled by default, Enabled group, Group owner'), row('Mandatory Label\\High Mandatory Level', 'Label', 'S-1-16-12288', '')].join('\r\n');
const FILTERED = [...ADMIN_GROUPS, row('BUILTIN\\Administrators', 'Alias', 'S-1-5-32-544', 'Group used for deny only'), row('Mandatory Label\\Medium Mandatory Level', 'Label', 'S-1-16-8192', '')].join('\r\n');
const SYSTEM = [row('BUILTIN\\Administrators', 'Alias', 'S-1-5-32-544', 'Enabled by default, Enabled group, Group owner'), row('Mandatory Label\\System Mandatory Level', 'Label', 'S-1-16-16384', '')].join('\r\n');

test('elevation is read from the mandatory label SID, never from a group name', (t) => {
  t.true(elevatedFromWhoami(ELEVATED));
  t.true(elevatedFromWhoami(SYSTEM), 'SYSTEM (the service)');
  t.false(elevatedFromWhoami(FILTERED), 'an admin without elevation: Administrators for deny only, Medium label');
  // A German Windows: names in its language, written in the OEM code page (cp850 bytes, read here as latin1): the SID
  // column is ASCII whatever the code page.
  const german = Buffer.from(row('Verbindliche Beschriftung\\Hohe Verbindlichkeitsstufe', 'Bezeichnung', 'S-1-16-12288', ''), 'latin1');
  german[german.indexOf('Hohe')] = 0x8e; // cp850 "Ä": a byte UTF-8 could not decode
  t.true(elevatedFromWhoami(german.toString('latin1')));
  t.false(elevatedFromWhoami(row('x', 'Well-known group', 'S-1-16-122880', '')), 'a SID only matches whole');
});

test('a folder sealwatch makes is locked to SYSTEM and Administrators by SID, inheritance cut', (t) => {
  t.deepEqual(lockDownArgs('C:\\ProgramData\\sealwatch'), ['C:\\ProgramData\\sealwatch', '/inheritance:r', '/grant:r', '*S-1-5-18:(OI)(CI)F', '*S-1-5-32-544:(OI)(CI)F', '/q']);
});

// The stock ACLs of C:\ and C:\ProgramData, and what a folder made in ProgramData inherits (Users may add files).
const DRIVE = 'D:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;BU)(A;OICIIO;SDGXGWGR;;;AU)(A;;LC;;;AU)';
const PROGRAM_DATA = 'D:PAI(A;OICIIO;GA;;;CO)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)(A;CI;DCLCRPCR;;;BU)';
const INHERITED = 'D:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIIOID;GA;;;CO)(A;OICIID;0x1200a9;;;BU)(A;CIID;DCLCRPCR;;;BU)';
const LOCKED = 'D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)';
const LOCKED_CHILD = 'D:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)';

const BASE = 'C:\\ProgramData\\sealwatch\\assets';
const DIR = `${BASE}\\0123456789abcdef`;

test('elevated on Windows: the unpack directory must be admin-only, itself, up to C:\\ and all below it', (t) => {
  const acls = (over: Record<string, string> = {}): Record<string, string> => ({ 'C:\\': DRIVE, 'C:\\ProgramData': PROGRAM_DATA, 'C:\\ProgramData\\sealwatch': LOCKED, [BASE]: LOCKED_CHILD, [DIR]: LOCKED_CHILD, ...over });
  const files = [{ name: '0123456789abcdef', sddl: LOCKED_CHILD }, { name: '0123456789abcdef\\config\\trust\\apple\\root.cer', sddl: 'D:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)' }];
  const judge = (a: Record<string, string>, tree = files, elevated = true, platform: NodeJS.Platform = 'win32'): string | undefined =>
    assetDirRefusal(DIR, true, { platform, elevated: () => elevated, readAcl: (p) => a[p], readTree: () => tree });
  t.is(judge(acls()), undefined, 'a locked sealwatch folder under the stock ProgramData');
  // LOCALAPPDATA unset and no installer: ProgramData\sealwatch made with inherited entries lets Users add files.
  t.regex(judge(acls({ 'C:\\ProgramData\\sealwatch': INHERITED, [BASE]: INHERITED, [DIR]: INHERITED })) ?? '', /C:\\ProgramData\\sealwatch\\assets\\0123456789abcdef lets non-admins write: S-1-5-32-545 has 0x116/);
  t.regex(judge(acls({ [BASE]: INHERITED })) ?? '', /the ACL of its directory C:\\ProgramData\\sealwatch\\assets lets non-admins write/);
  // A file inside someone else may write: a planted trust root could replace the shipped one between check and read.
  const planted = [...files, { name: '0123456789abcdef\\policies\\x.yaml', sddl: 'D:AI(A;;FA;;;S-1-5-21-1004336348-1177238915-682003330-1001)(A;ID;FA;;;SY)' }];
  t.regex(judge(acls(), planted) ?? '', /the ACL of 0123456789abcdef\\policies\\x\.yaml \(under .*\) lets non-admins write: S-1-5-21-1004336348-1177238915-682003330-1001 has 0x1f01ff/);
  t.is(assetDirRefusal(BASE, false, { platform: 'win32', elevated: () => true, readAcl: (p) => acls()[p], readTree: () => planted }), undefined, 'without tree, only the folder and the way up');
  // Not elevated (a user's own LOCALAPPDATA), or not Windows (assets.ts checks owner and mode): not judged here.
  t.is(judge(acls({ [DIR]: INHERITED }), files, false), undefined);
  t.is(judge(acls({ [DIR]: INHERITED }), files, true, 'linux'), undefined);
});
