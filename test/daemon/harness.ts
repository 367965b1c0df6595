// The real daemon as a child process (`node daemon/main.ts run --config …`), a temp app directory, a real SQLite
// file, and a real HTTP receiver on 127.0.0.1 that records every alert it is sent. Waits poll the daemon's own JSON
// log and /healthz; their time limits only stop a stuck test, nothing asserts on durations.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../helpers/temp.ts';

export const MAIN = resolve(import.meta.dirname, '..', '..', 'daemon', 'main.ts');
export const SECRET = 'e2e-hmac-secret-5f1c';

export interface Received {
  readonly at: number;
  readonly deliveryId: string;
  readonly signature: string;
  readonly raw: string;
  readonly body: Record<string, unknown>;
}

/** A webhook receiver on 127.0.0.1: answers 200 (or what `respond` says) and keeps every request. */
export class Receiver {
  readonly received: Received[] = [];
  respond: () => number = () => 200;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        this.received.push({ at: Date.now(), deliveryId: String(req.headers['x-sealwatch-delivery']), signature: String(req.headers['x-sealwatch-signature']), raw, body: JSON.parse(raw) as Record<string, unknown> });
        res.writeHead(this.respond()).end('ok');
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

/** X-Sealwatch-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">. */
export function signatureValid(header: string, raw: string, secret = SECRET): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${raw}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2] as string, 'hex'));
}

export interface LogLine {
  readonly message: string;
  readonly level: string;
  readonly pid: number;
  readonly [key: string]: unknown;
}

export interface DaemonSetup {
  readonly dir: string;
  readonly appRoot: string;
  readonly db: string;
  readonly logFile: string;
  readonly configFile: string;
  readonly env: NodeJS.ProcessEnv;
}

export interface SetupOptions {
  readonly receiverUrl?: string;
  readonly minSeverity?: string;
  readonly settle?: string;
  readonly maxWait?: string;
  readonly trust?: readonly string[];
  readonly extra?: string;
}

/** A temp directory with the app root, the database, the log directory and the config. */
export function setup(o: SetupOptions = {}): DaemonSetup {
  const dir = tempDir('sealwatch-daemon-');
  const appRoot = join(dir, 'app');
  mkdirSync(appRoot);
  const lines = [
    `database: ${join(dir, 'sealwatch.db')}`,
    'apps:',
    '  - name: contoso',
    `    path: ${appRoot}`,
    'watch:',
    `  settle: ${o.settle ?? '1500ms'}`,
    `  max_wait: ${o.maxWait ?? '1m'}`,
    '  root_check: 500ms',
    'log:',
    `  dir: ${join(dir, 'log')}`,
    '  level: debug',
    '  console: false',
    'http:',
    '  port: 0',
    'delivery:',
    '  timeout: 5s',
  ];
  if (o.receiverUrl) lines.push('alerts:', '  - name: e2e', '    type: generic', '    url_env: E2E_HOOK_URL', '    secret_env: E2E_HOOK_SECRET', `    min_severity: ${o.minSeverity ?? 'medium'}`);
  if (o.trust?.length) lines.push('verification:', '  trust:', ...o.trust.map((t) => `    - ${t}`));
  if (o.extra) lines.push(o.extra);
  const configFile = join(dir, 'sealwatch.yaml');
  writeFileSync(configFile, `${lines.join('\n')}\n`);
  const env = { ...process.env, SEALWATCH_WITNESS: join(dir, 'witness.json'), E2E_HOOK_URL: o.receiverUrl ?? '', E2E_HOOK_SECRET: SECRET };
  return { dir, appRoot, db: join(dir, 'sealwatch.db'), logFile: join(dir, 'log', 'sealwatch.log'), configFile, env };
}

/** One run of the daemon. */
export class DaemonProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /** `wrap`: a command that execs the daemon's command line given after it (same pid), e.g. in a user namespace. */
  constructor(s: DaemonSetup, args: readonly string[] = ['run', '--config', s.configFile], wrap: readonly string[] = []) {
    const [cmd, ...rest] = [...wrap, process.execPath, MAIN, ...args];
    this.child = spawn(cmd as string, rest, { env: s.env, stdio: ['ignore', 'ignore', 'pipe'] });
    this.pid = this.child.pid as number;
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => this.child.on('exit', (code, signal) => r({ code, signal })));
  }

  /** SIGTERM and the exit it leads to. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill('SIGTERM');
    return this.exited;
  }

  async kill9(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** The daemon's JSON log, read from the start (every run appends to the same file). */
export function logLines(s: DaemonSetup): LogLine[] {
  if (!existsSync(s.logFile)) return [];
  // A line being written when the daemon was killed may be cut short: skip what does not parse.
  return readFileSync(s.logFile, 'utf8')
    .split('\n')
    .flatMap((l) => {
      try {
        return l ? [JSON.parse(l) as LogLine] : [];
      } catch {
        return [];
      }
    });
}

/** Waits until a log line of this pid matches; returns it. */
export async function waitForLog(s: DaemonSetup, pid: number, match: (l: LogLine) => boolean, what: string, limitMs = 120_000): Promise<LogLine> {
  const end = Date.now() + limitMs;
  for (;;) {
    const hit = logLines(s).find((l) => l.pid === pid && match(l));
    if (hit) return hit;
    if (Date.now() > end) throw new Error(`daemon ${pid}: no log line for ${what} within ${limitMs} ms; last lines:\n${logLines(s).slice(-15).map((l) => JSON.stringify(l)).join('\n')}`);
    await sleep(100);
  }
}

/** The port the daemon's /healthz listens on (from its log). */
export async function httpPort(s: DaemonSetup, pid: number): Promise<number> {
  return Number((await waitForLog(s, pid, (l) => l.message === 'http endpoint listening', 'the http endpoint')).port);
}

export async function health(port: number): Promise<Record<string, unknown>> {
  const r = await fetch(`http://127.0.0.1:${port}/healthz`);
  return (await r.json()) as Record<string, unknown>;
}

/** Waits until the daemon is idle: nothing scanning, queued or settling. */
export async function waitIdle(port: number, limitMs = 120_000): Promise<void> {
  const end = Date.now() + limitMs;
  let quietPolls = 0;
  while (quietPolls < 3) {
    const h = await health(port);
    quietPolls = h.scanning === null && h.queued === 0 && h.settling === 0 ? quietPolls + 1 : 0;
    if (Date.now() > end) throw new Error(`daemon not idle within ${limitMs} ms: ${JSON.stringify(h)}`);
    await sleep(200);
  }
}

/** Waits until the receiver holds `n` requests. */
export async function waitReceived(r: Receiver, n: number, limitMs = 120_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (r.received.length < n) {
    if (Date.now() > end) throw new Error(`receiver got ${r.received.length} of ${n} alerts within ${limitMs} ms`);
    await sleep(100);
  }
}

/** Writes `bytes` to `path` in `pieces` parts with a pause between them, as an updater streaming a download. */
export async function writeInPieces(path: string, bytes: Uint8Array, pieces: number, pauseMs: number): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  try {
    const size = Math.ceil(bytes.length / pieces);
    for (let i = 0; i < pieces; i++) {
      writeFileSync(fd, bytes.subarray(i * size, (i + 1) * size));
      await sleep(pauseMs);
    }
  } finally {
    closeSync(fd);
  }
}

/** Every file under `root`, relative, with its bytes. */
export function readTree(root: string, rel = ''): Array<{ rel: string; bytes: Buffer }> {
  const out: Array<{ rel: string; bytes: Buffer }> = [];
  for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...readTree(root, r));
    else out.push({ rel: r, bytes: readFileSync(join(root, r)) });
  }
  return out;
}
