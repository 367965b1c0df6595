// Webhook URLs are credentials (Slack, Teams and Discord put the token in the path; generic hooks often in the query)
// and so is the signing secret: neither may reach a log, an error or `alerts list`. Every failure text that leaves the
// sender goes through here; error objects themselves (got's carry the URL in options) are never passed on.
import { type AlertDestination } from './destination.ts';
import { errorMessage } from '../shared/errors.ts';
import { redactAll, secretParts } from '../shared/redact-url.ts';

/** Every character but letters and digits percent-encoded (what a strict encoder makes of it). */
const percentAll = (s: string): string => [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

/** A secret as it may appear: as is, URL-encoded, strictly percent-encoded (the log redactor hides the same forms). */
export const secretForms = (secret: string): string[] => [secret, encodeURIComponent(secret), percentAll(secret)];

/** `text` with the destination's URL (and pieces of it) and secret replaced by a mark; longest pieces first. */
export function redact(text: string, d: Pick<AlertDestination, 'url' | 'secret'>): string {
  return redactAll(text, [...secretParts(d.url), ...(d.secret ? secretForms(d.secret) : [])]);
}

/** A failure as safe text: the error's code and message (never its options or request), redacted. */
export function describeFailure(err: unknown, d: Pick<AlertDestination, 'url' | 'secret'>): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  const name = err instanceof Error ? err.name : 'Error';
  return redact(`${typeof code === 'string' ? code : name}: ${errorMessage(err)}`, d);
}
