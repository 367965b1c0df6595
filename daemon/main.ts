#!/usr/bin/env node
// sealwatch entry point: parse argv, run the command, exit with its code.
import { processOutput, runCli } from './cli/program.ts';

const code = await runCli(process.argv.slice(2), processOutput());
process.exitCode = code;
