// The NDJSON file sink, for a shipper that tails files (Filebeat, Elastic Agent, Fluent Bit): one event per line,
// appended and fsynced before the outbox moves on. Size rotation by rename (events.ndjson → events.ndjson.1 → …),
// which those shippers follow by inode: a full file is never truncated under them.
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeDirs } from '../shared/make-dirs.ts';

export function appendRotating(file: string, text: string, maxBytes: number, maxFiles: number): void {
  makeDirs(dirname(file));
  const size = existsSync(file) ? statSync(file).size : 0;
  if (size > 0 && size + Buffer.byteLength(text) > maxBytes) rotate(file, maxFiles);
  // 0o640: the events name every module and signer of the host; not for every local user.
  const fd = openSync(file, 'a', 0o640);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function rotate(file: string, maxFiles: number): void {
  rmSync(`${file}.${maxFiles}`, { force: true });
  for (let i = maxFiles - 1; i >= 1; i--) if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`);
  renameSync(file, `${file}.1`);
}
