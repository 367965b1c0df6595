// Process exit codes (documented in README "Exit codes").
export const ExitCode = {
  /** Everything inspected; nothing broken or hidden. */
  ok: 0,
  /** At least one file has an invalid signature, unauthenticated data, or a malformed structure. */
  findings: 1,
  /** Bad arguments or configuration (trust store, config file). */
  usage: 2,
  /** At least one path could not be read. */
  unreadable: 3,
  /** The history database could not be used: locked by another scan, disk full, corrupt, or gone where it existed. */
  database: 4,
} as const;
