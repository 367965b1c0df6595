#!/usr/bin/env node
// sealwatch entry point: parse argv, run the command, exit with its code.
import { runCli } from './cli/program.ts';

const code = await runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
process.exitCode = code;
