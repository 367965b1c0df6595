// A small pool of worker threads inspecting files in parallel (one per core by default): the queue is in the main
// thread, each worker takes one file at a time, so memory is bounded by workers × largest file.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type WorkerConfig, type WorkerReply } from './scan-protocol.ts';

export class InspectPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Array<{ path: string; resolve: (r: WorkerReply) => void; reject: (e: unknown) => void }> = [];
  private readonly pending = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: unknown) => void }>();
  private nextId = 1;
  readonly config: WorkerConfig;

  constructor(config: WorkerConfig, size = Math.max(1, Math.min(availableParallelism(), 8))) {
    this.config = config;
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./scan-worker.ts', import.meta.url), { workerData: config });
      w.on('message', (reply: WorkerReply) => {
        const p = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        p?.resolve(reply);
        this.idle.push(w);
        this.pump();
      });
      w.on('error', (err) => {
        for (const [, p] of this.pending) p.reject(err);
        this.pending.clear();
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  inspect(path: string): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      this.queue.push({ path, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop() as Worker;
      const job = this.queue.shift() as { path: string; resolve: (r: WorkerReply) => void; reject: (e: unknown) => void };
      const id = this.nextId++;
      this.pending.set(id, { resolve: job.resolve, reject: job.reject });
      w.postMessage({ id, path: job.path });
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
