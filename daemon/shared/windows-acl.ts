// Windows: who may write a file or directory, from its DACL as SDDL. Read with `icacls PATH /save FILE` rather than
// icacls' printed listing or PowerShell's Get-Acl: the listing names principals in the system's language and is written
// in the OEM code page; Get-Acl needs a PowerShell start (about a second) per path. /save writes SDDL (well-known SIDs
// as two-letter aliases, every other principal as its S-1-… SID: no names, no language) into a UTF-16LE file, and with
// /t one run covers a whole tree. It saves the DACL only (no owner): an owner's implicit right to re-permission is not
// judged here. SDDL: https://learn.microsoft.com/windows/win32/secauthz/security-descriptor-string-format,
// ACE strings: https://learn.microsoft.com/windows/win32/secauthz/ace-strings, SID aliases:
// https://learn.microsoft.com/windows/win32/secauthz/sid-strings, file rights: https://learn.microsoft.com/windows/win32/fileio/file-access-rights-constants.
import { execFileSync } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SealwatchError } from './errors.ts';
import { system32 } from './system-tool.ts';

export interface Ace {
  /** A, D, OA, XA, … (the SDDL ace_type). */
  readonly type: string;
  readonly flags: readonly string[];
  readonly mask: number;
  /** The SID, aliases expanded (BA → S-1-5-32-544). */
  readonly sid: string;
}

/** A DACL; `null` when the descriptor has none ("D:NO_ACCESS_CONTROL"): everyone may do everything. */
export type Dacl = readonly Ace[] | null;

/** The two-letter SID aliases of SID strings (sddl.h) that a file's DACL can hold. */
const ALIASES: Record<string, string> = {
  SY: 'S-1-5-18', BA: 'S-1-5-32-544', WD: 'S-1-1-0', AU: 'S-1-5-11', BU: 'S-1-5-32-545', BG: 'S-1-5-32-546', PU: 'S-1-5-32-547',
  CO: 'S-1-3-0', CG: 'S-1-3-1', OW: 'S-1-3-4', AN: 'S-1-5-7', IU: 'S-1-5-4', NU: 'S-1-5-2', SU: 'S-1-5-6', LS: 'S-1-5-19', NS: 'S-1-5-20',
  PS: 'S-1-5-10', RC: 'S-1-5-12', WR: 'S-1-5-33', AC: 'S-1-15-2-1', RD: 'S-1-5-32-555', RM: 'S-1-5-32-580', BO: 'S-1-5-32-551',
  SO: 'S-1-5-32-549', AO: 'S-1-5-32-548', PO: 'S-1-5-32-550', RU: 'S-1-5-32-554', NO: 'S-1-5-32-556', ER: 'S-1-5-32-573', MU: 'S-1-5-32-558',
  LU: 'S-1-5-32-559', IS: 'S-1-5-32-568', CY: 'S-1-5-32-569', ED: 'S-1-5-9', UD: 'S-1-5-84-0-0-0-0-0', HA: 'S-1-5-32-578',
};

/** Rights codes of ACE strings, as access-mask bits (sddl.h; the DS codes are the low bits that file rights share). */
const RIGHTS: Record<string, number> = {
  GA: 0x1000_0000, GR: 0x8000_0000, GW: 0x4000_0000, GX: 0x2000_0000,
  RC: 0x2_0000, SD: 0x1_0000, WD: 0x4_0000, WO: 0x8_0000,
  CC: 0x1, DC: 0x2, LC: 0x4, SW: 0x8, RP: 0x10, WP: 0x20, DT: 0x40, LO: 0x80, CR: 0x100,
  FA: 0x1f_01ff, FR: 0x12_0089, FW: 0x12_0116, FX: 0x12_00a0,
  KA: 0xf_003f, KR: 0x2_0019, KW: 0x2_0006, KX: 0x2_0019,
  NR: 0x1, NW: 0x2, NX: 0x4,
};

/** The admins: SYSTEM, Administrators, TrustedInstaller. */
const ADMINS = new Set(['S-1-5-18', 'S-1-5-32-544', 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464']);
/**
 * CREATOR OWNER and CREATOR GROUP grant nothing on the object itself: they are templates that inheritance replaces
 * with the creator's SID on a new child (which is then judged on that child).
 */
const TEMPLATES = new Set(['S-1-3-0', 'S-1-3-1']);

/** File and directory rights that change content, entries, the ACL or the owner, or delete. */
const WRITES = {
  /** The object itself (and the directory a file is in): write data / add file (0x2), append / add subdirectory (0x4),
   * delete child (0x40), delete, write DAC, write owner, generic all, generic write. */
  object: 0x2 | 0x4 | 0x40 | 0x1_0000 | 0x4_0000 | 0x8_0000 | 0x1000_0000 | 0x4000_0000,
  /** A directory further up: only what removes or renames what is already there, or re-permissions it. Creating new
   * entries (Authenticated Users may add folders to C:\, Users files to C:\ProgramData) replaces nothing. */
  ancestor: 0x40 | 0x1_0000 | 0x4_0000 | 0x8_0000 | 0x1000_0000,
};

export type Scope = keyof typeof WRITES;

/** The DACL of an SDDL string ("O:…G:…D:PAI(A;OICI;FA;;;SY)…S:…"). Throws on anything it cannot read. */
export function parseDacl(sddl: string): Dacl {
  const text = sddl.trim();
  const m = /(?:^|[A-Z0-9-])D:((?:P|AI|AR|NO_ACCESS_CONTROL)*)/.exec(text);
  if (!m) throw new Error(`no DACL in ${JSON.stringify(text.slice(0, 80))}`);
  if ((m[1] as string).includes('NO_ACCESS_CONTROL')) return null;
  const aces: Ace[] = [];
  let i = m.index + m[0].length;
  // Each ACE in parentheses; a conditional ACE's condition nests more of them.
  while (text[i] === '(') {
    let depth = 0;
    let j = i;
    for (; j < text.length; j++) {
      if (text[j] === '(') depth++;
      else if (text[j] === ')' && --depth === 0) break;
    }
    if (depth !== 0) throw new Error(`unbalanced parentheses in ${JSON.stringify(text.slice(i, i + 80))}`);
    aces.push(parseAce(text.slice(i + 1, j)));
    i = j + 1;
  }
  return aces;
}

function parseAce(text: string): Ace {
  const fields = text.split(';');
  if (fields.length < 6) throw new Error(`not an ACE string: (${text})`);
  const [type, flags, rights, , , sid] = fields as [string, string, string, string, string, string];
  return { type, flags: flags.match(/../g) ?? [], mask: rightsMask(rights, text), sid: ALIASES[sid] ?? sid.toUpperCase() };
}

function rightsMask(rights: string, ace: string): number {
  if (/^0x[0-9a-f]+$/i.test(rights)) return Number.parseInt(rights, 16) >>> 0;
  let mask = 0;
  for (const code of rights.match(/../g) ?? []) {
    const bits = RIGHTS[code];
    if (bits === undefined) throw new Error(`unknown right ${code} in (${ace})`);
    mask = (mask | bits) >>> 0;
  }
  return mask;
}

/** Why non-admins can change the object through this DACL, or undefined. Deny entries are not subtracted (the
 * check may refuse what Windows would deny, never the reverse). */
export function nonAdminWriters(dacl: Dacl, scope: Scope): string | undefined {
  if (dacl === null) return 'it has no DACL (everyone has full control)';
  const writers = dacl.filter((a) => /^(A|OA|XA|ZA)$/.test(a.type) && !a.flags.includes('IO') && !ADMINS.has(a.sid) && !TEMPLATES.has(a.sid) && (a.mask & WRITES[scope]) !== 0);
  if (!writers.length) return undefined;
  return writers.map((a) => `${a.sid} has 0x${a.mask.toString(16)}`).join('; ');
}

/** `icacls /save` output: UTF-16LE (a BOM is allowed), a line naming each object, then a line with its SDDL. */
export function parseIcaclsSave(bytes: Uint8Array): Array<{ readonly name: string; readonly sddl: string }> {
  let text = Buffer.from(bytes).toString('utf16le');
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const lines = text.split(/\r?\n/).filter((l) => l !== '');
  if (lines.length % 2 !== 0) throw new Error(`${lines.length} lines: not name and SDDL pairs`);
  const out: Array<{ name: string; sddl: string }> = [];
  for (let i = 0; i < lines.length; i += 2) out.push({ name: lines[i] as string, sddl: lines[i + 1] as string });
  return out;
}

/** At most this much SDDL text per run (a tree of ~100,000 objects). */
const MAX_SAVE_BYTES = 64 << 20;

/**
 * Runs `icacls PATH /save FILE /q` (with /t: the whole tree below PATH): each object's name (as icacls gives it: the
 * last component of PATH, then the names below it) and SDDL. The file is made first, exclusively, in a new
 * directory of its own, so nobody else can have put one there for icacls to fill or for us to read.
 */
/**
 * The /save output for `path`, sized before it is read and read no further than `max` bytes (a huge tree's output is
 * refused, LIMIT_EXCEEDED, without being loaded; one that grew after the size was taken is refused the same way).
 */
export function readSaveFile(file: string, path: string, max: number = MAX_SAVE_BYTES): Buffer {
  const over = (n: number | string): SealwatchError => new SealwatchError('LIMIT_EXCEEDED', `icacls /save of ${path}: ${n} bytes, over ${max}`, { file: path });
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > max) throw over(size);
    const buf = Buffer.alloc(size + 1);
    let n = 0;
    for (let r = 1; r > 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, null);
    if (n > max) throw over(`more than ${max}`);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

export function icaclsSave(path: string, tree = false): Array<{ readonly name: string; readonly sddl: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sealwatch-acl-'));
  try {
    const file = join(dir, 'acl.txt');
    closeSync(openSync(file, 'wx', 0o600));
    execFileSync(system32('icacls.exe'), [path, '/save', file, '/q', ...(tree ? ['/t'] : [])], { windowsHide: true, timeout: 120_000, stdio: ['ignore', 'ignore', 'pipe'] });
    return parseIcaclsSave(readSaveFile(file, path));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The SDDL of one object (`icacls /save` without /t holds just it). */
export function readSddl(path: string): string {
  const [first] = icaclsSave(path);
  if (!first) throw new Error('icacls /save wrote no entry');
  return first.sddl;
}
