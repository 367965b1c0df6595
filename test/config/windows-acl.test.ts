// The Windows admin-only check: `icacls PATH /save FILE` output parsed, DACLs read by SID, and the decision over a
// path and every directory up to its volume root. None of this runs on a real Windows here (wine's icacls.exe is a
// stub that writes nothing), so the inputs are written down in the formats Microsoft documents:
// - Security descriptor strings: https://learn.microsoft.com/windows/win32/secauthz/security-descriptor-string-format
// - ACE strings (ace_type;ace_flags;rights;object_guid;inherit_object_guid;account_sid):
//   https://learn.microsoft.com/windows/win32/secauthz/ace-strings
// - SID strings and their two-letter aliases: https://learn.microsoft.com/windows/win32/secauthz/sid-strings
// - icacls /save ("Stores DACLs for all matching files into an ACL file"):
//   https://learn.microsoft.com/windows-server/administration/windows-commands/icacls
// The DACLs are the stock ones of C:\, C:\ProgramData and what inherits from them (the ProgramData entry for Users,
// icacls' "(CI)(WD,AD,WEA,WA)", is mask 0x116, which SDDL writes as DCLCRPCR).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { treeWritableByNonAdmin, writableByNonAdmin } from '../../daemon/shared/permissions.ts';
import { nonAdminWriters, parseDacl, parseIcaclsSave, readSaveFile } from '../../daemon/shared/windows-acl.ts';
import { tempDir } from '../helpers/temp.ts';

const TRUSTED_INSTALLER = 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464';
const DRIVE = `O:${TRUSTED_INSTALLER}G:${TRUSTED_INSTALLER}D:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;BU)(A;OICIIO;SDGXGWGR;;;AU)(A;;LC;;;AU)`;
const PROGRAM_DATA = 'O:SYG:SYD:PAI(A;OICIIO;GA;;;CO)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)(A;CI;DCLCRPCR;;;BU)';
/** A folder made under ProgramData by an installer that left inheritance on: Users may add files to it. */
const INHERITED_DIR = 'D:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIIOID;GA;;;CO)(A;OICIID;0x1200a9;;;BU)(A;CIID;DCLCRPCR;;;BU)';
/** The same folder after `icacls DIR /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F`. */
const LOCKED_DIR = 'D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)';
const LOCKED_FILE = 'D:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)';

/** UTF-16LE bytes as icacls /save writes them: name and SDDL lines, CRLF, no BOM. */
const saved = (pairs: Array<[string, string]>, bom = false): Buffer => Buffer.from(`${bom ? '\uFEFF' : ''}${pairs.map(([n, s]) => `${n}\r\n${s}\r\n`).join('')}`, 'utf16le');

test('icacls /save output is decoded as UTF-16LE, names in any language, with or without a BOM', (t) => {
  // A German and a Chinese folder name: the OEM code page would have mangled both; UTF-16 keeps them.
  const pairs: Array<[string, string]> = [['Überwachung', LOCKED_DIR], ['Überwachung\\证书 für sealwatch.pem', LOCKED_FILE]];
  t.deepEqual(parseIcaclsSave(saved(pairs)), pairs.map(([name, sddl]) => ({ name, sddl })));
  t.deepEqual(parseIcaclsSave(saved(pairs, true)), parseIcaclsSave(saved(pairs)));
  t.throws(() => parseIcaclsSave(Buffer.from('sealwatch.yaml\r\n', 'utf16le')), { message: /not name and SDDL pairs/ });
});

test('icacls /save output is sized before it is read: up to the bound it is read whole, one byte over is LIMIT_EXCEEDED naming the path', (t) => {
  const file = join(tempDir('sealwatch-acl-test-'), 'acl.txt');
  const bytes = saved([['sealwatch.yaml', LOCKED_FILE]]);
  writeFileSync(file, bytes);
  t.deepEqual(parseIcaclsSave(readSaveFile(file, 'C:\\ProgramData\\sealwatch', bytes.length)), [{ name: 'sealwatch.yaml', sddl: LOCKED_FILE }]);
  t.throws(() => readSaveFile(file, 'C:\\ProgramData\\sealwatch', bytes.length - 1), { code: 'LIMIT_EXCEEDED', message: `icacls /save of C:\\ProgramData\\sealwatch: ${bytes.length} bytes, over ${bytes.length - 1}` });
  t.deepEqual(readSaveFile(file, 'x'), bytes, 'the default bound (64 MiB)');
});

test('SDDL DACLs: aliases become SIDs, rights codes and hex masks become bits, flags kept', (t) => {
  const dacl = parseDacl(PROGRAM_DATA);
  t.deepEqual(dacl?.map((a) => a.sid), ['S-1-3-0', 'S-1-5-18', 'S-1-5-32-544', 'S-1-5-32-545', 'S-1-5-32-545']);
  t.deepEqual(dacl?.[4], { type: 'A', flags: ['CI'], mask: 0x116, sid: 'S-1-5-32-545' });
  t.is(dacl?.[3]?.mask, 0x1200a9);
  t.deepEqual(dacl?.[0]?.flags, ['OI', 'CI', 'IO']);
  t.is(parseDacl('D:(A;;FA;;;SY)')?.[0]?.mask, 0x1f01ff);
  // Owner, group and a SACL around the DACL; an empty protected DACL; no DACL at all.
  t.is(parseDacl(`O:BAG:SYD:PAI(A;;FA;;;BA)S:AI(AU;SAFA;FA;;;WD)`)?.length, 1);
  t.deepEqual(parseDacl('O:BAG:SYD:PS:AI(AU;SAFA;FA;;;WD)'), []);
  t.is(parseDacl('O:BAD:NO_ACCESS_CONTROL'), null);
  // A conditional ACE: its condition nests parentheses.
  const cond = parseDacl('D:(XA;;FW;;;WD;(Member_of {SID(BA)}))(A;;FA;;;SY)');
  t.deepEqual(cond?.map((a) => [a.type, a.sid]), [['XA', 'S-1-1-0'], ['A', 'S-1-5-18']]);
  t.throws(() => parseDacl('O:BAG:SY'), { message: /no DACL/ });
  t.throws(() => parseDacl('D:(A;;QQ;;;WD)'), { message: /unknown right QQ/ });
  t.throws(() => parseDacl('D:(A;;FA;;;WD'), { message: /unbalanced/ });
  t.throws(() => parseDacl('D:(A;FA;WD)'), { message: /not an ACE string/ });
});

test('who counts as an admin, and which rights count as writing', (t) => {
  const judge = (ace: string, scope: 'object' | 'ancestor' = 'object'): string | undefined => nonAdminWriters(parseDacl(`D:${ace}`), scope);
  for (const admin of ['SY', 'BA', 'S-1-5-18', 'S-1-5-32-544', TRUSTED_INSTALLER]) t.is(judge(`(A;;FA;;;${admin})`), undefined, admin);
  // Everyone, Authenticated Users, Users, a local user (a user SID whatever its name in any language).
  for (const [sid, full] of [['WD', 'S-1-1-0'], ['AU', 'S-1-5-11'], ['BU', 'S-1-5-32-545'], ['S-1-5-21-1004336348-1177238915-682003330-1001', 'S-1-5-21-1004336348-1177238915-682003330-1001']]) {
    t.regex(judge(`(A;;FA;;;${sid})`) ?? '', new RegExp(`^${full} has 0x1f01ff$`), `full control for ${sid}`);
  }
  t.truthy(judge('(A;;0x1301bf;;;AU)'), 'modify');
  t.truthy(judge('(A;;FW;;;BU)'), 'write');
  t.truthy(judge('(A;;0x4;;;BU)'), 'append data / add subdirectory');
  t.truthy(judge('(A;;SD;;;BU)'), 'delete');
  t.truthy(judge('(A;;DT;;;BU)'), 'delete child (0x40)');
  t.truthy(judge('(A;;WD;;;BU)'), 'write DAC');
  t.truthy(judge('(A;;WO;;;BU)'), 'write owner');
  t.truthy(judge('(A;;GA;;;BU)'), 'generic all');
  t.truthy(judge('(XA;;FW;;;WD;(Member_of {SID(BA)}))'), 'a conditional allow may apply: counted');
  t.truthy(judge('(A;;FA;;;OW)'), 'OWNER RIGHTS: the owner is not known from /save, so counted');
  t.is(judge('(A;;0x1200a9;;;BU)'), undefined, 'read and execute');
  t.is(judge('(A;;RPCR;;;BU)'), undefined, 'write EA and attributes alone change no content');
  t.is(judge('(D;;FA;;;WD)'), undefined, 'a deny entry grants nothing');
  t.is(judge('(A;OICIIO;FA;;;BU)'), undefined, 'inherit-only: not on this object');
  t.is(judge('(A;OICI;GA;;;CO)(A;;FA;;;CG)'), undefined, 'CREATOR OWNER / GROUP are templates for children');
  t.regex(nonAdminWriters(null, 'ancestor') ?? '', /no DACL/);
  // Further up, adding entries replaces nothing; deleting, renaming or re-permissioning does.
  t.is(judge('(A;CI;DCLCRPCR;;;BU)', 'ancestor'), undefined);
  t.truthy(judge('(A;CI;DCLCRPCR;;;BU)', 'object'));
  for (const r of ['DT', 'SD', 'WD', 'WO', 'GA', 'FA', '0x1301bf']) t.truthy(judge(`(A;;${r};;;BU)`, 'ancestor'), r);
});

/** A reader over a fixed map of paths to SDDL (undefined: nothing there). */
const reader = (acls: Record<string, string>) => (p: string): string | undefined => acls[p];
const win = (path: string, acls: Record<string, string>): string | undefined => writableByNonAdmin(path, 'win32', reader(acls));

test('Windows: the file, its folder and every folder up to the volume root are judged', (t) => {
  const file = 'C:\\ProgramData\\sealwatch\\sealwatch.yaml';
  const base = { 'C:\\': DRIVE, 'C:\\ProgramData': PROGRAM_DATA, 'C:\\ProgramData\\sealwatch': LOCKED_DIR, [file]: LOCKED_FILE };
  t.is(win(file, base), undefined, 'the installer\'s layout: locked folder under the stock ProgramData and C:\\');
  t.regex(win(file, { ...base, 'C:\\ProgramData\\sealwatch': INHERITED_DIR }) ?? '', /the ACL of its directory C:\\ProgramData\\sealwatch lets non-admins write: S-1-5-32-545 has 0x116/);
  t.regex(win(file, { ...base, [file]: 'D:AI(A;;0x1301bf;;;AU)(A;ID;FA;;;SY)' }) ?? '', /its ACL C:\\ProgramData\\sealwatch\\sealwatch\.yaml lets non-admins write: S-1-5-11 has 0x1301bf/);
  // Two levels up: a grant that lets Users rename ProgramData's folders (delete child) refuses the file.
  t.regex(win(file, { ...base, 'C:\\ProgramData': `${PROGRAM_DATA}(A;;DT;;;BU)` }) ?? '', /C:\\ProgramData lets non-admins write: S-1-5-32-545 has 0x40/);
  t.regex(win(file, { ...base, 'C:\\': `${DRIVE}(A;;FA;;;WD)` }) ?? '', /C:\\ lets non-admins write: S-1-1-0/, 'the volume root too');
  t.regex(win(file, { ...base, 'C:\\': 'D:NO_ACCESS_CONTROL' }) ?? '', /C:\\ lets non-admins write: it has no DACL/);
  t.regex(win(file, { ...base, 'C:\\ProgramData': 'D:(A;;QQ;;;BU)' }) ?? '', /C:\\ProgramData: its ACL cannot be read: unknown right QQ/);
  // A localised Windows prints other names; the SDDL is the same, so the verdict is too (nothing here is a name).
  const folder = 'C:\\ProgramData\\Überwachung\\证书';
  t.is(win(`${folder}\\root.pem`, { ...base, 'C:\\ProgramData\\Überwachung': LOCKED_DIR, [folder]: LOCKED_DIR, [`${folder}\\root.pem`]: LOCKED_FILE }), undefined);
});

test('Windows: a path still to be made is judged by the nearest folder that exists, as strictly as its own', (t) => {
  const base = { 'C:\\': DRIVE, 'C:\\ProgramData': PROGRAM_DATA };
  // C:\ProgramData lets Users create folders: whoever makes C:\ProgramData\sealwatch\logs first owns it.
  t.regex(win('C:\\ProgramData\\sealwatch\\logs', base) ?? '', /C:\\ProgramData lets non-admins write: S-1-5-32-545 has 0x116/);
  t.is(win('C:\\ProgramData\\sealwatch\\logs', { ...base, 'C:\\ProgramData\\sealwatch': LOCKED_DIR }), undefined);
  // Authenticated Users may add folders to C:\ itself.
  t.regex(win('C:\\sealwatch-logs', base) ?? '', /C:\\ lets non-admins write: S-1-5-11 has 0x4/);
});

test('Windows: a directory an ACL cannot be read for is refused; the path itself is left to the loader', (t) => {
  const acls = { 'C:\\': DRIVE, 'C:\\ProgramData': PROGRAM_DATA, 'C:\\ProgramData\\sealwatch': LOCKED_DIR };
  const failing = (bad: string) => (p: string): string | undefined => {
    if (p === bad) throw new Error('Access is denied.');
    return (acls as Record<string, string>)[p] ?? LOCKED_FILE;
  };
  const file = 'C:\\ProgramData\\sealwatch\\sealwatch.yaml';
  t.regex(writableByNonAdmin(file, 'win32', failing('C:\\ProgramData')) ?? '', /C:\\ProgramData: its ACL cannot be read: Access is denied/);
  t.is(writableByNonAdmin(file, 'win32', failing(file)), undefined);
});

test('Windows: a trust directory is judged with everything icacls /save /t lists below it', (t) => {
  const trust = 'C:\\ProgramData\\sealwatch\\trust';
  const acls = { 'C:\\': DRIVE, 'C:\\ProgramData': PROGRAM_DATA, 'C:\\ProgramData\\sealwatch': LOCKED_DIR, [trust]: LOCKED_DIR };
  const tree = (entries: Array<[string, string]>) => (dir: string) => (dir === trust ? entries.map(([name, sddl]) => ({ name, sddl })) : []);
  const judge = (entries: Array<[string, string]>): string | undefined => treeWritableByNonAdmin(trust, 'win32', reader(acls), tree(entries));
  const good: Array<[string, string]> = [['trust', LOCKED_DIR], ['trust\\apple', 'D:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)'], ['trust\\apple\\Apple Root CA.cer', LOCKED_FILE]];
  t.is(judge(good), undefined);
  // A subfolder someone gave Users write to, two levels down: planting a root there is as good as in trust\.
  t.regex(judge([...good, ['trust\\apple\\sub', 'D:AI(A;OICI;0x1301bf;;;BU)(A;OICIID;FA;;;SY)']]) ?? '', /the ACL of trust\\apple\\sub \(under C:\\ProgramData\\sealwatch\\trust\) lets non-admins write: S-1-5-32-545 has 0x1301bf/);
  t.regex(judge([...good, ['trust\\x.pem', 'D:(A;;QQ;;;BU)']]) ?? '', /trust\\x\.pem \(under .*\): its ACL cannot be read/);
  // The directory itself and its ancestors are still judged first.
  t.regex(treeWritableByNonAdmin(trust, 'win32', reader({ ...acls, [trust]: INHERITED_DIR }), tree(good)) ?? '', /its ACL C:\\ProgramData\\sealwatch\\trust lets non-admins write/);
});
