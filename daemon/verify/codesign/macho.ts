// A whole Mach-O file: every slice of a universal binary parsed and verified on its own, plus the container's
// own strictness findings. The file's verdict is its weakest slice: macOS checks every architecture.
import { parseLoadCommands, type MachoLoadInfo } from '../../formats/macho/load-commands.ts';
import { parseContainer, type SliceLocation } from '../../formats/macho/universal.ts';
import { caughtProblem, problem, type Problem } from '../problems.ts';
import { unsignedReport, verifySlice, type SliceContext, type SliceSignatureReport, type SliceStatus } from './slice.ts';

export interface MachoSliceResult {
  readonly location: SliceLocation;
  readonly load: MachoLoadInfo | undefined;
  readonly signature: SliceSignatureReport;
}

export interface MachoFileReport {
  readonly universal: boolean;
  readonly slices: readonly MachoSliceResult[];
  /** Container and layout problems (file level). */
  readonly problems: readonly Problem[];
}

/** Worst first: the file is as good as its weakest slice. */
export const SLICE_STATUS_ORDER: readonly SliceStatus[] = ['invalid', 'unsigned', 'adhoc', 'linker-signed', 'signed'];

export function verifyMachoFile(bytes: Uint8Array, ctx: SliceContext): MachoFileReport {
  const container = parseContainer(bytes);
  const problems: Problem[] = container.anomalies.map((a) => problem(a.code, a.message));
  const slices: MachoSliceResult[] = [];
  for (const location of container.slices) {
    const sliceBytes = bytes.subarray(location.offset, location.offset + location.size);
    const label = container.universal ? `slice ${location.index}` : 'slice 0';
    let load: MachoLoadInfo;
    try {
      load = parseLoadCommands(sliceBytes);
    } catch (err) {
      const p = caughtProblem(err, 'CODESIGN_MALFORMED', `${label}: load commands do not parse`, label);
      slices.push({
        location,
        load: undefined,
        signature: { ...unsignedReport(label, location.arch), status: 'invalid', problems: [p] },
      });
      continue;
    }
    for (const a of load.anomalies) {
      problems.push(problem(a.startsWith('__LINKEDIT') ? 'LINKEDIT_NOT_AT_END' : 'LOAD_COMMAND_ANOMALY', `${label} (${load.arch}): ${a}`, label));
    }
    slices.push({ location, load, signature: verifySlice(sliceBytes, load, label, ctx) });
  }
  const statuses = new Set(slices.map((s) => s.signature.status));
  const teams = new Set(slices.map((s) => s.signature.teamId ?? '-'));
  if (slices.length > 1 && (statuses.size > 1 || teams.size > 1)) {
    problems.push(
      problem(
        'MIXED_SLICE_SIGNATURES',
        `slices are signed differently: ${slices.map((s) => `${s.load?.arch ?? s.location.arch} ${s.signature.status}${s.signature.teamId ? ` (${s.signature.teamId})` : ''}`).join(', ')}`,
      ),
    );
  }
  return { universal: container.universal, slices, problems };
}
