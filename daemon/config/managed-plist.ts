// macOS managed settings: the preference domain com.sealwatch.agent, which an MDM (Jamf Pro, Intune, Kandji…) writes
// from a configuration profile to /Library/Managed Preferences/com.sealwatch.agent.plist (root-owned). The keys are
// the config file's (config/mdm/ has the schema for the MDM's form); Payload* keys an MDM may add are ignored.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parse, parseBinary } from 'plist';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { isPlainObject, type Layer } from './layers.ts';

export const MANAGED_DOMAIN = 'com.sealwatch.agent';
export const MANAGED_PLIST = `/Library/Managed Preferences/${MANAGED_DOMAIN}.plist`;

/** A profile's preferences far larger than any real one are a mistake or an attack (the config file's bound). */
export const MAX_PLIST_BYTES = 4 << 20;

/** Regular file and size checked before reading: a FIFO in its place would hang start-up, a huge file fill memory. */
function readBounded(file: string): Buffer {
  const st = statSync(file);
  if (!st.isFile()) throw new Error('not a regular file');
  if (st.size > MAX_PLIST_BYTES) throw new Error(`${st.size} bytes, over the ${MAX_PLIST_BYTES}-byte bound`);
  return readFileSync(file);
}

/**
 * The layer of the managed preferences plist (XML or binary), or undefined when there is none. `beforeRead` runs
 * once the file is known to exist and before a byte of it is read (the admin-only check).
 */
export function plistLayer(file: string, beforeRead: (file: string) => void = () => {}): Layer | undefined {
  if (!existsSync(file)) return undefined;
  beforeRead(file);
  let bytes: Buffer;
  try {
    bytes = readBounded(file);
  } catch (err) {
    throw new SealwatchError('CONFIG', `managed settings ${file}: cannot be read: ${errorMessage(err)}`, { file, cause: err });
  }
  let value: unknown;
  try {
    value = bytes.subarray(0, 6).toString('latin1') === 'bplist' ? parseBinary(bytes) : parse(bytes.toString('utf8'));
  } catch (err) {
    throw new SealwatchError('CONFIG', `managed settings ${file}: not a readable property list: ${errorMessage(err)}`, { file, cause: err });
  }
  if (!isPlainObject(value)) throw new SealwatchError('CONFIG', `managed settings ${file}: the top level is not a dictionary`, { file });
  const data = Object.fromEntries(Object.entries(normalise(value) as Record<string, unknown>).filter(([k]) => !k.startsWith('Payload')));
  return { source: `managed ${file}`, kind: 'managed', data };
}

/** plist dates become ISO text and data blobs base64 (the schema knows neither). */
function normalise(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (Array.isArray(v)) return v.map(normalise);
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
  return v;
}
