// Runs one scan in a thread of its own (scan-thread.ts) and returns its summary. The thread can be started ahead of
// the scan (`startScanThread` when an app's first file event arrives) so that it has loaded by the time the update
// settles. `abandon()` ends the thread: a scan commits in one transaction, so a thread ended before its commit leaves
// nothing behind (its staging table is private to its connection; the daemon ends with it, and the next start finds
// the scan lock's process gone).
import { Worker } from 'node:worker_threads';
import { SealwatchError, type SealwatchErrorCode } from '../shared/errors.ts';
import { type ScanSummary, type ScanThreadReply, type ScanThreadRequest, type ScanThreadSetup } from './scan-thread-protocol.ts';

const SCRIPT = new URL(import.meta.url.endsWith('.ts') ? './scan-thread.ts' : './scan-thread.js', import.meta.url);

export interface RunningScan {
  readonly result: Promise<ScanSummary>;
  abandon(): Promise<void>;
}

/** A started scan thread, waiting for its one scan. */
export interface ScanThread {
  run(request: ScanThreadRequest): RunningScan;
  /** Ends a thread that will not be used. */
  dispose(): Promise<void>;
}

export function startScanThread(setup: ScanThreadSetup): ScanThread {
  const worker = new Worker(SCRIPT, { workerData: setup });
  worker.unref();
  // Until the scan is sent, a failing thread has nobody to tell: its error is kept for run().
  let early: Error | undefined;
  const onEarly = (err: Error): void => void (early ??= err);
  worker.on('error', onEarly);
  const abandon = async (): Promise<void> => void (await worker.terminate());
  return {
    dispose: abandon,
    run(request) {
      worker.off('error', onEarly);
      worker.ref();
      const result = new Promise<ScanSummary>((resolve, reject) => {
        if (early) return reject(early);
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
        worker.postMessage(request);
      });
      return { result, abandon };
    },
  };
}
