// A progress bar on stderr for scans and inspections that take longer than a second, on a terminal only: files,
// bytes, rate and ETA. Drawing is cli-progress's; the counting and the ETA (by bytes when the total is known, else by
// files) are ours, so that the bar can leave the screen while a record is printed and come back without losing them.
import type cliProgressTypes from 'cli-progress';

// cli-progress (and the readline it loads) only on a terminal: piped output and scripts never draw a bar.
let cliProgress: typeof cliProgressTypes | undefined;

/** After how long a bar appears (ms); SEALWATCH_PROGRESS_AFTER_MS overrides it (tests). */
export function progressDelayMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.SEALWATCH_PROGRESS_AFTER_MS);
  return Number.isFinite(v) && v >= 0 ? v : 1000;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];
export function formatBytes(n: number): string {
  let i = 0;
  let v = n;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? Math.round(v) : v.toFixed(v < 10 ? 1 : 0)} ${UNITS[i]}`;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.max(0, Math.round(seconds));
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export class Progress {
  private readonly stream: NodeJS.WritableStream | undefined;
  private readonly started = Date.now();
  private bar: cliProgressTypes.SingleBar | undefined;
  private timer: NodeJS.Timeout | undefined;
  private filesTotal = 0;
  private bytesTotal = 0;
  private filesDone = 0;
  private bytesDone = 0;
  private finished = false;

  /** `stream`: stderr when it is a terminal, else undefined (then nothing is ever drawn). */
  private readonly label: string;

  constructor(label: string, stream: NodeJS.WritableStream | undefined, delayMs = progressDelayMs()) {
    this.label = label;
    this.stream = stream && (stream as { isTTY?: boolean }).isTTY ? stream : undefined;
    if (this.stream) {
      const loaded = cliProgress ? Promise.resolve() : import('cli-progress').then((m) => void (cliProgress = m.default));
      this.timer = setTimeout(() => void loaded.then(() => this.show()), delayMs);
      this.timer.unref();
    }
  }

  /** More work known: `bytes` may be 0 when sizes are not known in advance (the ETA then counts files). */
  add(files: number, bytes = 0): void {
    this.filesTotal += files;
    this.bytesTotal += bytes;
    this.redraw();
  }

  done(files: number, bytes: number): void {
    this.filesDone += files;
    this.bytesDone += bytes;
    this.redraw();
  }

  /** Runs `write` (output to stdout) with the bar off the screen, then draws it again below what was written. */
  around(write: () => void): void {
    if (!this.bar) return write();
    this.bar.stop();
    write();
    this.bar = this.newBar();
  }

  /** Removes the bar for good (before the final output). */
  finish(): void {
    this.finished = true;
    clearTimeout(this.timer);
    this.bar?.stop();
    this.bar = undefined;
  }

  private show(): void {
    if (this.finished || !this.stream) return;
    this.bar = this.newBar();
  }

  private newBar(): cliProgressTypes.SingleBar | undefined {
    if (!cliProgress) return undefined;
    const bar = new cliProgress.SingleBar({
      stream: this.stream,
      clearOnComplete: true,
      hideCursor: false, // a Ctrl-C must never leave the cursor hidden (and a SIGINT handler would keep the process alive)
      barsize: 24,
      format: (options) => this.format(options),
    });
    bar.start(1, 0);
    return bar;
  }

  private redraw(): void {
    this.bar?.update(0);
  }

  private format(options: cliProgressTypes.Options): string {
    const elapsed = (Date.now() - this.started) / 1000;
    const byBytes = this.bytesTotal > 0;
    // The bar shows bytes. Bytes count when a file is done, so while one large file is read the byte fraction stands
    // still: the ETA goes by files when they are further along (the bar never does: 99% with the largest file to go).
    const byFiles = this.filesTotal > 0 ? this.filesDone / this.filesTotal : 0;
    const fraction = byBytes ? this.bytesDone / this.bytesTotal : byFiles;
    const etaFraction = Math.max(fraction, byFiles);
    const rate = elapsed > 0 ? this.bytesDone / elapsed : 0;
    const eta = etaFraction > 0 ? (elapsed / etaFraction) * (1 - etaFraction) : Number.POSITIVE_INFINITY;
    const bar = cliProgress?.Format.BarFormat(Math.min(1, fraction), options) ?? '';
    const bytes = byBytes ? `${formatBytes(this.bytesDone)}/${formatBytes(this.bytesTotal)}` : formatBytes(this.bytesDone);
    return `${this.label} ${bar} ${this.filesDone}/${this.filesTotal} files | ${bytes} | ${formatBytes(rate)}/s | ETA ${formatDuration(eta)}`;
  }
}
