// The logging surface every module may use: a subset of winston's Logger, so the daemon passes its winston logger
// and tests pass a collector. Messages and meta must never carry webhook URLs or secrets.
export interface Logger {
  error(message: string, meta?: object): void;
  warn(message: string, meta?: object): void;
  info(message: string, meta?: object): void;
  debug(message: string, meta?: object): void;
}

/** Drops everything (one-shot CLI commands that report through their own output). */
export const silentLogger: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
