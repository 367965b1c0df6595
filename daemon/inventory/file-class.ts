// What a file is to the app it belongs to, decided once when it is read (pure: its path relative to the app root, its
// module format, and at most its first two bytes). Executables are modules; besides them, content that steers what
// the app does: JavaScript and Electron archives (app.asar and what sits in app.asar.unpacked), launch scripts,
// updater configuration (where updates come from and which key signs them) and launchd plists inside bundles.
// Everything else is data. Rules judge a steering file like code: a change outside a version change is a finding.
import { CODE_FORMATS } from '../shared/model.ts';

export type FileClass = 'module' | 'steering-code' | 'launch-script' | 'updater-config' | 'launch-plist' | 'data';

export const FILE_CLASSES: readonly FileClass[] = ['module', 'steering-code', 'launch-script', 'updater-config', 'launch-plist', 'data'];

/**
 * Code an app's runtime loads and runs: Electron/Node JavaScript, its archives and V8 snapshots of it, and the HTML
 * pages it opens (inline scripts); and the code of runtimes vendors bundle (Python sources, bytecode, `.pth` start-up
 * hooks and the embeddable distribution's `pythonXY._pth` path file; Java classes, archives and class-data-sharing
 * archives; Lua).
 */
const STEERING_EXTENSIONS = new Set(['js', 'mjs', 'cjs', 'jsc', 'asar', 'node-snapshot', 'html', 'htm', 'xhtml', 'py', 'pyc', 'pyo', 'pyw', 'pth', '_pth', 'class', 'jar', 'jsa', 'lua']);

/**
 * Electron's V8 heap snapshots hold the JavaScript that runs before the app's own (a rewritten snapshot backdoors the
 * app while app.asar stays intact: CVE-2025-55305, Trail of Bits 2025): `v8_context_snapshot.bin`,
 * `v8_context_snapshot.arm64.bin`, `browser_v8_context_snapshot.bin` (Electron 30 on), `snapshot_blob.bin`.
 */
const V8_SNAPSHOT = /^([a-z0-9_]*v8_context_snapshot(\.[a-z0-9_]+)?|snapshot_blob(\.[a-z0-9_]+)?)\.bin$/;

/**
 * Code under names no extension gives away: the embeddable Python's standard library (`python312.zip`, imported
 * from as a directory), a Java runtime's module image (`jre/lib/modules`, every class of the JDK) and a launcher's
 * JVM options (`idea64.exe.vmoptions`: `-javaagent:` loads a jar first), and .NET configuration (`*.exe.config`,
 * `*.deps.json`, `*.runtimeconfig.json`), which can redirect assembly loading or name code to run first.
 */
const RUNTIME_CODE = /(^|\/)(python\d+\.zip|lib\/modules|[^/]+\.(exe|dll)\.config|[^/]+\.(deps|runtimeconfig)\.json|[^/]+\.vmoptions)$/i;

/** Scripts a shell, Windows Script Host, PowerShell or launchd runs as they are. */
const SCRIPT_EXTENSIONS = new Set(['ps1', 'psm1', 'psd1', 'bat', 'cmd', 'vbs', 'vbe', 'wsf', 'wsh', 'hta', 'sh', 'bash', 'zsh', 'command', 'tool', 'applescript', 'scpt', 'desktop']);

/** Files an updater reads: the feed, the channel, the key updates must be signed with. */
const UPDATER_NAMES = new Set(['app-update.yml', 'dev-app-update.yml', 'update.json', 'updates.json', 'update.xml', 'update.ini', 'squirrel.json', 'releases']);

const extensionOf = (name: string): string => (/\.([^./]+)$/.exec(name)?.[1] ?? '').toLowerCase();

/**
 * The class of the file at `path` (relative to the app root, `/`-separated; an absolute path works the same since
 * only its last components are looked at). `interpreter`: what a `#!` first line names (the record's
 * `file.interpreter`), which makes a file a script whatever its name.
 */
export function classifyFile(path: string, format: string, interpreter?: string): FileClass {
  if (CODE_FORMATS.has(format)) return 'module';
  const name = path.slice(path.lastIndexOf('/') + 1);
  const lower = name.toLowerCase();
  const ext = extensionOf(lower);
  if (/(^|\/)Contents\/Library\/Launch(Agents|Daemons)\/[^/]+\.plist$/i.test(path)) return 'launch-plist';
  // A bundle's Info.plist holds its Sparkle feed and key (SUFeedURL, SUPublicEDKey); a sealed one is covered by the seal.
  if (/(^|\/)Contents\/Info\.plist$/.test(path) || UPDATER_NAMES.has(lower)) return 'updater-config';
  if (SCRIPT_EXTENSIONS.has(ext)) return 'launch-script';
  // package.json names the entry point (`main`) Node and Electron load: pointing it elsewhere changes the app's code.
  if (lower === 'package.json' || STEERING_EXTENSIONS.has(ext) || V8_SNAPSHOT.test(lower) || RUNTIME_CODE.test(path) || /(^|\/)app\.asar\.unpacked\//.test(path) && !isInertAsset(ext)) return 'steering-code';
  if (interpreter !== undefined) return 'launch-script';
  if (ext === '' && /(^|\/)(node_modules|resources\/app)\//.test(path) && !NOT_CODE_NAMES.test(lower)) return 'steering-code';
  return 'data';
}

/**
 * Node resolves `require('./helper')` to a file named exactly `helper` before `helper.js`, and loads it as JavaScript:
 * in a Node package (`node_modules/`) or an Electron app shipped unpacked (`resources/app/`) a file without an
 * extension is code, unless it is one of the texts every package carries.
 */
const NOT_CODE_NAMES = /^(licen[cs]e|readme|changelog|changes|history|authors|contributors|notice|copying|patents|makefile|dockerfile|\.[^/]*)$/;

/** What app.asar.unpacked also holds that no runtime executes (images, maps, type declarations, text). */
function isInertAsset(ext: string): boolean {
  return ['png', 'jpg', 'jpeg', 'gif', 'svg', 'ico', 'icns', 'map', 'ts', 'md', 'txt', 'css', 'woff', 'woff2', 'ttf', 'license'].includes(ext);
}

/** Classes whose content steers the app (everything but modules, which have their own rules, and data). */
export const isSteering = (c: FileClass | undefined): c is Exclude<FileClass, 'module' | 'data'> => c !== undefined && c !== 'module' && c !== 'data';
