// The daemon's winston logger: JSON lines to a size-rotated file in the log directory, readable lines on stderr,
// the level from the config. Every secret the config holds (webhook URLs and their pieces, HMAC keys; a reloaded
// config's too: addSecrets) is replaced before any transport sees a line — a last guard; callers already never pass them.
import { join } from 'node:path';
import winston from 'winston';
import { escapeTerminal } from '../cli/terminal.ts';
import { type Logger } from '../shared/logger.ts';
import { type LogLevel } from '../config/config.ts';
import { makeDirs } from '../shared/make-dirs.ts';

export interface DaemonLoggerOptions {
  readonly level: LogLevel;
  /** Directory of sealwatch.log (created when missing). */
  readonly dir: string;
  readonly maxSizeBytes: number;
  readonly maxFiles: number;
  readonly console: boolean;
  /** Strings that must never be written (webhook URLs and their pieces, secrets): log/secrets.ts. */
  readonly secrets: readonly string[];
}

export interface DaemonLogger extends Logger {
  readonly file: string;
  /** More strings never to write (a reloaded config's); those known before stay hidden too. */
  addSecrets(secrets: readonly string[]): void;
  /** Flushes the file and closes the transports. */
  close(): Promise<void>;
}

export const LOG_FILE_NAME = 'sealwatch.log';

/** Replaces every secret in a string, and in every string of the meta, with "[redacted]". */
export function redactor(secrets: readonly string[]): (value: unknown) => unknown {
  const list = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  const scrub = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return list.reduce((s, secret) => s.split(secret).join('[redacted]'), v);
    if (depth > 6 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => scrub(x, depth + 1));
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrub(x, depth + 1)]));
  };
  return (v) => (list.length ? scrub(v, 0) : v);
}

export function createDaemonLogger(options: DaemonLoggerOptions): DaemonLogger {
  makeDirs(options.dir);
  const file = join(options.dir, LOG_FILE_NAME);
  const known = new Set(options.secrets);
  let scrub = redactor([...known]);
  const redact = winston.format((info) => {
    for (const key of Object.keys(info)) (info as Record<string, unknown>)[key] = scrub(info[key]);
    return info;
  });
  const transports: winston.transport[] = [
    new winston.transports.File({ filename: file, maxsize: options.maxSizeBytes, maxFiles: options.maxFiles, tailable: true, format: winston.format.json() }),
  ];
  if (options.console) transports.push(new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'], format: winston.format.printf(readable) }));
  const w = winston.createLogger({ level: options.level, defaultMeta: { pid: process.pid }, format: winston.format.combine(redact(), winston.format.timestamp()), transports, exitOnError: false });
  // A line logged after close() (work still finishing while the daemon stops: a manifest refresh, a delivery) goes to
  // stderr, redacted, instead of into an ended stream — where winston raised "write after end" and ended the process.
  let ended = false;
  const late = (level: string, message: string, meta: object = {}): void => {
    const fields = Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, scrub(v)]));
    process.stderr.write(`${JSON.stringify({ level, message: scrub(message), ...fields, after_close: true })}\n`);
  };
  return {
    file,
    addSecrets: (secrets) => {
      const before = known.size;
      for (const s of secrets) known.add(s);
      if (known.size !== before) scrub = redactor([...known]);
    },
    error: (m, meta) => (ended ? late('error', m, meta) : void w.error(m, meta)),
    warn: (m, meta) => (ended ? late('warn', m, meta) : void w.warn(m, meta)),
    info: (m, meta) => (ended ? late('info', m, meta) : void w.info(m, meta)),
    debug: (m, meta) => (ended ? undefined : void w.debug(m, meta)),
    close: () =>
      new Promise<void>((resolve) => {
        ended = true;
        // winston may never say it finished (a transport mid-rotation): a shutdown waits 2 s at most for the flush.
        const fallback = setTimeout(resolve, 2_000);
        w.on('finish', () => {
          clearTimeout(fallback);
          resolve();
        });
        w.end();
      }),
  };
}

/**
 * "2026-11-26T13:40:00.000Z info  scan finished app=contoso snapshot_id=7 …". File names come from the watched tree
 * (anyone who can write there chooses them): every value is escaped so that none can act on the terminal.
 */
function readable(info: winston.Logform.TransformableInfo): string {
  return escapeTerminal(readableLine(info));
}

function readableLine(info: winston.Logform.TransformableInfo): string {
  const { level, message, timestamp, ...meta } = info as Record<string, unknown>;
  const fields = Object.entries(meta)
    .filter(([k]) => typeof k === 'string')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? (/[\s"]/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`);
  return `${String(timestamp)} ${String(level).padEnd(5)} ${String(message)}${fields.length ? ` ${fields.join(' ')}` : ''}`;
}
