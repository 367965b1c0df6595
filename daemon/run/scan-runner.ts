// Runs one scan in a thread of its own (scan-thread.ts) and returns its summary. `abandon()` ends the thread: a scan
// commits in one transaction, so a thread ended before its commit leaves nothing behind (its staging table is
// private to its connection, its scan lock names a thread whose process the next start finds alive — this daemon —
// and releases when the heartbeat stops).
import { Worker } from 'node:worker_threads';
import { SealwatchError, type SealwatchErrorCode } from '../shared/errors.ts';
import { type ScanSummary, type ScanThreadInput, type ScanThreadReply } from './scan-thread-protocol.ts';

const SCRIPT = new URL(import.meta.url.endsWith('.ts') ? './scan-thread.ts' : './scan-thread.js', import.meta.url);

export interface RunningScan {
  readonly result: Promise<ScanSummary>;
  abandon(): Promise<void>;
}

export function scanInThread(input: ScanThreadInput): RunningScan {
  const worker = new Worker(SCRIPT, { workerData: input });
  const result = new Promise<ScanSummary>((resolve, reject) => {
    let replied = false;
    worker.once('message', (reply: ScanThreadReply) => {
      replied = true;
      if (reply.ok) resolve(reply.summary);
      else reject(new SealwatchError((reply.code as SealwatchErrorCode | undefined) ?? 'INTERNAL', reply.error));
    });
    worker.once('error', (err) => {
      replied = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!replied) reject(new SealwatchError('INTERNAL', `the scan thread ended (code ${code}) before it answered`));
    });
  });
  return { result, abandon: async () => void (await worker.terminate()) };
}
