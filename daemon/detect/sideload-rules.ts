// A new module named like a Windows system DLL that programs look for in their own folder first: the DLL search
// order makes the app load it instead of the system's copy (DLL side-loading: PlugX, ShadowPad and many more). A
// Microsoft signature proves nothing here — a genuine but old or debug Microsoft DLL can be the vehicle, and its
// exports are forwarded to the real one. Names: Windows DLLs listed as side-loading targets by the HijackLibs project
// (github.com/wietze/HijackLibs, yml/microsoft/built-in: each entry names the system executables that load it from
// their own folder); a selection of the most abused, not the whole list.
import { type ModuleChange } from '../diff/diff.ts';
import { type ModuleSummary } from '../diff/summary.ts';
import { type Finding } from '../shared/findings.ts';
import { finding } from './finding.ts';

const SIDELOAD_NAMES: ReadonlySet<string> = new Set([
  'version.dll', 'winmm.dll', 'dbghelp.dll', 'dbgcore.dll', 'uxtheme.dll', 'dwmapi.dll', 'cryptbase.dll', 'cryptsp.dll',
  'cryptnet.dll', 'bcrypt.dll', 'ncrypt.dll', 'dpapi.dll', 'userenv.dll', 'wtsapi32.dll', 'iphlpapi.dll', 'dnsapi.dll',
  'netapi32.dll', 'secur32.dll', 'sspicli.dll', 'wininet.dll', 'winhttp.dll', 'msimg32.dll', 'propsys.dll', 'profapi.dll',
  'mpr.dll', 'oleacc.dll', 'wldp.dll', 'xmllite.dll', 'apphelp.dll', 'edputil.dll', 'duser.dll', 'dui70.dll',
  'd2d1.dll', 'd3d9.dll', 'd3d11.dll', 'dxgi.dll', 'dwrite.dll', 'd3dcompiler_47.dll',
]);

const baseName = (path: string): string => (path.split('/').pop() ?? path).toLowerCase();

/** A new PE (or code where data was) carrying a side-loading name. */
export function sideloadRules(c: ModuleChange, a: ModuleSummary): Finding[] {
  if (a.format !== 'pe' || !SIDELOAD_NAMES.has(baseName(c.path))) return [];
  const signer = a.signed ? `signed by ${a.signer.replace(/^(org|team):/, '')} (${a.standing ?? a.status})` : 'unsigned';
  return [finding('SIDELOAD_NAME', c, `${c.path}: new module with the name of a Windows system DLL the app would load from its own folder instead (side-loading), ${signer}`, { original_name: a.originalName })];
}
