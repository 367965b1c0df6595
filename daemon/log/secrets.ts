// What the log redactor hides: the pieces of every alert and export URL that the senders hide in failure texts
// (shared/redact-url.ts: the whole URL, path, query, longer segments and values, decoded and encoded), and every
// signing secret and token in the forms alert/redact.ts hides. Taken from the config in force, and again from each
// reloaded one.
import { secretForms } from '../alert/redact.ts';
import { secretParts } from '../shared/redact-url.ts';
import { type SealwatchConfig } from '../config/config.ts';

/**
 * A piece that is a plain word ("services", "webhooks", "hooks") names a kind of URL, not a credential: hiding it
 * would hide that word in every log line. Tokens and ids have digits, mixed case past 16 letters, or other signs.
 */
const plainWord = (piece: string): boolean => /^[A-Za-z-]{1,16}$/.test(piece);

/** Every string the daemon's log must never hold, for this config. */
export function logSecrets(config: Pick<SealwatchConfig, 'alerts' | 'exports'>): string[] {
  const urls = [...config.alerts.map((a) => a.url), ...config.exports.flatMap((e) => (e.url ? [e.url] : []))];
  const secrets = [...config.alerts.flatMap((a) => (a.secret ? [a.secret] : [])), ...config.exports.flatMap((e) => (e.token ? [e.token] : []))];
  return [...new Set([...urls.flatMap((u) => secretParts(u).filter((p) => !plainWord(p))), ...secrets.flatMap(secretForms)])];
}
