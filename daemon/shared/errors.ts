// One error base for the whole daemon, with a closed union of codes so callers can switch on them
// and the README can list them all. Every error names the file it is about when there is one.

export type SealwatchErrorCode =
  | 'TRUNCATED' // a read would run past the end of the input
  | 'BAD_MAGIC' // the input is not the format it was handed to
  | 'MALFORMED' // a structure is present but internally inconsistent
  | 'LIMIT_EXCEEDED' // a size, count or nesting limit that bounds memory and time was hit
  | 'UNSUPPORTED' // a valid structure this version does not handle
  | 'ASN1' // DER/BER could not be decoded
  | 'IO' // the file could not be read
  | 'CONFIG' // configuration or trust store problem
  | 'DATABASE' // the history database is locked, full, corrupt, missing where it existed, or busy with another scan
  | 'INTERNAL'; // a bug: an unexpected exception, caught at a boundary so that nothing is lost

export class SealwatchError extends Error {
  readonly code: SealwatchErrorCode;
  readonly file: string | undefined;
  /** The message as the lines it was written in: one problem each (a list of config problems). A newline inside
   * a line is part of that line's text (a file name can hold one), so terminals escape it rather than break there. */
  readonly lines: readonly string[];

  constructor(code: SealwatchErrorCode, message: string, options: { cause?: unknown; file?: string; lines?: readonly string[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SealwatchError';
    this.code = code;
    this.file = options.file;
    this.lines = options.lines ?? [message];
  }

  /** An error listing several problems, one per line. */
  static listing(code: SealwatchErrorCode, lines: readonly string[], options: { file?: string } = {}): SealwatchError {
    return new SealwatchError(code, lines.join('\n'), { ...options, lines });
  }

  /** The same error, now naming the file it came from (parsers work on bytes and do not know it). */
  withFile(file: string): SealwatchError {
    if (this.file) return this;
    const [first = '', ...rest] = this.lines;
    const named = new SealwatchError(this.code, `${file}: ${this.message}`, { cause: this.cause, file, lines: [`${file}: ${first}`, ...rest] });
    named.stack = this.stack;
    return named;
  }
}

/** Parsers throw this: a structural problem with the bytes, always with the reason. */
export class FormatError extends SealwatchError {
  readonly format: string;
  constructor(format: string, code: SealwatchErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, `${format}: ${message}`, options);
    this.name = 'FormatError';
    this.format = format;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
