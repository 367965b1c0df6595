// What installing or removing a service does, as data: ordered steps (create a directory, write a file, remove a
// file, run a command given as argv — never a shell line). `--dry-run` prints them; apply.ts carries them out.
export type Step =
  | { readonly kind: 'mkdir'; readonly path: string }
  | { readonly kind: 'write'; readonly path: string; readonly content: string; readonly mode: number }
  | { readonly kind: 'remove'; readonly path: string }
  | { readonly kind: 'run'; readonly argv: readonly string[]; readonly why: string; readonly mayFail?: boolean };

export type Plan = readonly Step[];

/** A command line as a person would type it (POSIX shell quoting, or cmd.exe quoting for Windows). */
export function showCommand(argv: readonly string[], windows = false): string {
  return argv.map((a) => (windows ? quoteCmd(a) : quoteSh(a))).join(' ');
}

function quoteSh(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`;
}

function quoteCmd(a: string): string {
  return /^[\w@%+=:,./\\-]+$/.test(a) ? a : `"${a.replaceAll('"', '\\"')}"`;
}
