// Worker thread of the scan pool: reads a file once, checks it did not change while being read, inspects it.
// Each worker builds its own trust store and catalog index from the same configuration.
import { stat } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { addSystemTrust, loadTrustStore } from '../config/trust.ts';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { loadCatalogs } from './catalogs.ts';
import { inspectBytes, type InspectContext } from './inspect-file.ts';
import { readModuleFile } from './read.ts';
import { statKey, type WorkerConfig, type WorkerJob, type WorkerReply } from './scan-protocol.ts';

const MAX_ATTEMPTS = 3;
const config = workerData as WorkerConfig;

async function context(): Promise<InspectContext> {
  const store = loadTrustStore(config.trustDirs);
  if (config.systemTrust) addSystemTrust(store);
  const base = { store, now: new Date(config.now), signatureCache: new Map<string, boolean>() };
  const catalogs = config.catalogDirs.length ? await loadCatalogs(config.catalogDirs, base) : undefined;
  return catalogs ? { ...base, catalogs } : base;
}

const ready = context();
// A worker that cannot build its context (unreadable trust store) says so once; the pool then fails every file
// with that reason instead of restarting it forever.
void ready.then(
  () => parentPort?.postMessage({ ready: true }),
  (err: unknown) => parentPort?.postMessage({ fatal: errorMessage(err) }),
);

parentPort?.on('message', async (job: WorkerJob) => {
  const ctx = await ready.catch(() => undefined);
  if (!ctx) return;
  let reply: WorkerReply;
  try {
    reply = await inspectStable(job, ctx);
  } catch (err) {
    reply = { id: job.id, error: { code: err instanceof SealwatchError ? err.code : 'IO', message: errorMessage(err) } };
  }
  parentPort?.postMessage(reply);
});

/** Never store a torn record: stat, read, stat again; if the file moved underneath, read it again. */
async function inspectStable(job: WorkerJob, ctx: InspectContext): Promise<WorkerReply> {
  for (let attempt = 1; ; attempt++) {
    const before = statKey(await stat(job.path));
    const { facts, bytes } = await readModuleFile(job.path, config.maxFileBytes);
    const after = statKey(await stat(job.path));
    if (before === after) return { id: job.id, stat: after, record: inspectBytes(facts, bytes, ctx) };
    if (attempt >= MAX_ATTEMPTS) throw new SealwatchError('IO', `${job.path}: kept changing while being read (${MAX_ATTEMPTS} attempts)`, { file: job.path });
  }
}
