// Runs one scan in a short-lived process of its own (scan-child.ts, child_process.fork) and returns its summary. The
// process can be started ahead of the scan (`startScanProcess` when an app's first file event arrives) so that it
// has loaded by the time the update settles. `abandon()` sends it SIGTERM (SIGKILL if it has not gone after a grace
// period): a scan commits in one transaction, so a process ended before its commit leaves nothing behind.
import { type ChildProcess, fork } from 'node:child_process';
import { SealwatchError, type SealwatchErrorCode } from '../shared/errors.ts';
import { LITE_MODE } from '../cli/young-generation.ts';
import { childModule } from '../shared/assets.ts';
import { type ScanChildMessage, type ScanSummary, type ScanThreadReply, type ScanThreadRequest, type ScanThreadSetup } from './scan-thread-protocol.ts';

const SCRIPT = new URL(import.meta.url.endsWith('.ts') ? './scan-child.ts' : './scan-child.js', import.meta.url);
/** How long an abandoned scan process gets to exit on SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 3_000;

/** The scan process ended without answering (killed, crashed, out of memory): nothing of its scan is committed. */
export class ScanProcessDied extends SealwatchError {
  constructor(pid: number | undefined, code: number | null, signal: NodeJS.Signals | null) {
    super('INTERNAL', `the scan process (pid ${pid ?? '?'}) ended before it answered (${signal ? `signal ${signal}` : `exit code ${code}`})`);
  }
}

export interface RunningScan {
  readonly result: Promise<ScanSummary>;
  abandon(): Promise<void>;
}

/** A started scan process, waiting for its one scan. */
export interface ScanProcess {
  readonly pid: number | undefined;
  run(request: ScanThreadRequest): RunningScan;
  /** Ends a process that will not be used. */
  dispose(): Promise<void>;
}

export function startScanProcess(setup: ScanThreadSetup): ScanProcess {
  // The daemon's small young generation suits a scan as well, its lite mode does not (a scan is compute); stdout and
  // stderr are the daemon's.
  const execArgv = process.execArgv.filter((a) => a !== LITE_MODE);
  const child = fork(childModule(SCRIPT, 'scan-child'), [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // A failure to spawn is reported by run() (as the process's end); until then nobody is listening.
  child.on('error', () => undefined);
  send(child, { kind: 'setup', setup });
  // Idle until the scan is due: it must not keep the daemon's loop alive on its own.
  unref(child);
  const abandon = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };
  return {
    pid: child.pid,
    dispose: abandon,
    run(request) {
      ref(child);
      const result = new Promise<ScanSummary>((resolve, reject) => {
        let replied = false;
        child.once('message', (reply: ScanThreadReply) => {
          replied = true;
          if (reply.ok) resolve(reply.summary);
          else reject(new SealwatchError((reply.code as SealwatchErrorCode | undefined) ?? 'INTERNAL', reply.error));
        });
        void exited.then(({ code, signal }) => {
          if (!replied) reject(new ScanProcessDied(child.pid, code, signal));
        });
        send(child, { kind: 'scan', request });
      });
      return { result, abandon };
    },
  };
}

/** A send to a process that already died is reported by its exit, not here. */
function send(child: ChildProcess, message: ScanChildMessage): void {
  if (child.connected) child.send(message, (err) => void err);
}

function unref(child: ChildProcess): void {
  child.unref();
  (child.channel as { unref?: () => void } | undefined)?.unref?.();
}

function ref(child: ChildProcess): void {
  child.ref();
  (child.channel as { ref?: () => void } | undefined)?.ref?.();
}
