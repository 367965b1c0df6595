// Facts about a module as it is now — hidden data, a broken signature, code behind a data name — judged at their
// own severity even on a baseline.
import { type ModuleChange } from '../diff/diff.ts';
import { type ModuleSummary } from '../diff/summary.ts';
import { type Finding } from '../shared/findings.ts';
import { finding } from './finding.ts';

/** Names that promise data, not code. Executable content behind them is hiding. */
const DATA_EXTENSIONS = new Set([
  'txt', 'rtf', 'md', 'json', 'xml', 'plist', 'yml', 'yaml', 'ini', 'cfg', 'conf', 'log', 'csv', 'html', 'htm', 'css',
  'png', 'jpg', 'jpeg', 'gif', 'bmp', 'ico', 'icns', 'svg', 'webp', 'tif', 'tiff', 'pdf', 'mp3', 'wav', 'mp4', 'ttf', 'otf',
  'woff', 'woff2', 'pak', 'dat', 'db', 'sqlite', 'strings', 'nib', 'car', 'asar', 'zip', 'gz', 'license', 'mui',
]);

export function factRules(c: ModuleChange, a: ModuleSummary): Finding[] {
  const out: Finding[] = [];
  if (a.format === 'bundle') {
    // A bundle's own record speaks for its seal; its executable and files have records (and rules) of their own.
    if (a.status === 'invalid') out.push(finding('SIGNATURE_INVALID', c, `${c.path}: bundle seal or signature broken — ${a.integrityProblems.slice(0, 3).join('; ')}`));
    return out;
  }
  const hiddenBefore = new Set(c.before?.isCode ? c.before.hiddenData.map((h) => h.code) : []);
  const newHidden = a.hiddenData.filter((h) => !hiddenBefore.has(h.code) || c.kind === 'added' || c.fields.includes('content'));
  if (newHidden.length > 0) {
    out.push(finding('UNAUTHENTICATED_DATA', c, `${c.path}: data hidden in or after its signature — ${newHidden.map((h) => h.message).join('; ')}`, { hidden: newHidden }));
  }
  if (a.status === 'invalid') out.push(finding('SIGNATURE_INVALID', c, `${c.path}: signature does not verify — ${a.integrityProblems.slice(0, 3).join('; ')}`));
  const extension = (/\.([^./]+)$/.exec(c.path)?.[1] ?? '').toLowerCase();
  if (DATA_EXTENSIONS.has(extension)) out.push(finding('TYPE_MISMATCH', c, `${c.path}: ${a.format.toUpperCase()} code behind a .${extension} name`));
  return out;
}
