// `sealwatch report [--app APP]… [--since DATE] [--out FILE.html]`: the review page as one self-contained HTML file
// (stdout without --out). Read-only: the history is never written.
import { writeFileSync } from 'node:fs';
import { buildReport } from '../report/model.ts';
import { renderReport } from '../report/report-page.ts';
import { SealwatchError, errorMessage } from '../shared/errors.ts';
import { ExitCode } from './exit-codes.ts';
import type { Output } from './inspect.ts';
import { openHistory } from './scan.ts';
import { parseIsoDate, safe } from './terminal.ts';

export interface ReportOptions {
  readonly app: readonly string[];
  readonly since?: string;
  readonly out?: string;
  readonly db?: string;
}

/** Writes `text` to `file`, or a clear error naming the file and why not. */
export function writeHtml(file: string, text: string): void {
  try {
    writeFileSync(file, text, { mode: 0o644 });
  } catch (err) {
    throw new SealwatchError('IO', `cannot write ${file}: ${errorMessage(err)}`, { file, cause: err });
  }
}

export async function runReport(o: ReportOptions, io: Output): Promise<number> {
  const since = o.since !== undefined ? parseIsoDate(o.since, '--since') : undefined;
  return openHistory(o.db, (store) => {
    const model = buildReport(store, { apps: o.app, ...(since ? { since } : {}), now: new Date() });
    const text = renderReport(model);
    if (!o.out) {
      io.out(text);
      return ExitCode.ok;
    }
    writeHtml(o.out, text);
    const findings = model.apps.reduce((n, a) => n + a.updates.reduce((m, u) => m + u.findings.length, 0), 0);
    io.err(`report: ${safe(o.out)}: ${model.apps.length} app${model.apps.length === 1 ? '' : 's'}, ${findings} finding${findings === 1 ? '' : 's'}, ${model.unexplained.length} unexplained (${Buffer.byteLength(text)} bytes)`);
    return ExitCode.ok;
  });
}
