// A row whose alert destination or export sink a config reload removed (or renamed) is held: pending and unattempted
// until the name comes back (then it is delivered) or its age runs out (then it is dead, saying why). The hold is
// written into the row's last error, which both outboxes already keep and `alerts list` / `export list` show: a
// restarted daemon and the CLI both see it without a new column. Shared by alert/deliverer.ts and export/deliverer.ts.
import { type Logger } from '../shared/logger.ts';

/** What was removed: an alert destination or an export sink. */
export type HeldKind = 'destination' | 'sink';

const HELD = 'waiting: ';
const HELD_TAIL = ' was removed from the config';

/** The last error of a held row. */
export function heldNote(name: string, until: Date, kind: HeldKind = 'destination'): string {
  return `${HELD}${kind} ${name}${HELD_TAIL}; held until it comes back or ${until.toISOString()}`;
}

/** True for a row held for a removed destination or sink (its last error is heldNote's). */
export function isHeld(lastError: string | null | undefined): boolean {
  return typeof lastError === 'string' && (lastError.startsWith(`${HELD}destination `) || lastError.startsWith(`${HELD}sink `)) && lastError.includes(HELD_TAIL);
}

/** Why a held row was dead-lettered. */
export function removedDeadNote(name: string, kind: HeldKind = 'destination'): string {
  return `${kind} ${name} was removed from the config and did not come back within the maximum age`;
}

/** The last error of a held row once its destination or sink is configured again (it is due now). */
export function backNote(name: string, kind: HeldKind = 'destination'): string {
  return `${kind} ${name} is configured again: delivery resumes`;
}

/** What a deliverer's outbox does with held rows (the store's statements; none counts an attempt). */
export interface HoldingOutbox<R> {
  /** Held until `until` with `note`; false when the row was not free. */
  hold(row: R, now: Date, until: Date, note: string): boolean;
  /** Dead with `note`; false when the row was not free. */
  bury(row: R, now: Date, note: string): boolean;
  /** In one transaction, every held row `note` gives a note for is due now with it; returns those rows. */
  releaseHeld(now: Date, note: (row: R) => string | undefined): R[];
}

/** One outbox's held rows: what is removed, what a row is named and logged with. */
export interface HeldRows<R> {
  readonly kind: HeldKind;
  readonly what: 'alert' | 'export';
  readonly outbox: HoldingOutbox<R>;
  readonly logger: Logger;
  readonly name: (row: R) => string;
  readonly meta: (row: R) => Record<string, unknown>;
}

/** A due row whose destination or sink is not configured: held until its maximum age, then dead with that reason. */
export function holdRow<R extends { readonly queued_at: string }>(h: HeldRows<R>, row: R, now: Date, maxAgeMs: number): void {
  const name = h.name(row);
  const expires = new Date(Date.parse(row.queued_at) + maxAgeMs);
  if (now.getTime() >= expires.getTime()) {
    const error = removedDeadNote(name, h.kind);
    if (h.outbox.bury(row, now, error)) h.logger.error(`${h.what} dead-lettered`, { ...h.meta(row), error, reason: `${h.kind} removed` });
  } else if (h.outbox.hold(row, now, expires, heldNote(name, expires, h.kind))) {
    h.logger.warn(`${h.what} held: its ${h.kind} was removed from the config`, { ...h.meta(row), held_until: expires.toISOString() });
  }
}

/**
 * Rows held for a name that is configured again are due now. False when that failed (logged): the rows stay held and
 * the caller tries again on its next pass — a reload is never left half done by it.
 */
export function releaseHeld<R extends { readonly last_error: string | null }>(h: HeldRows<R>, configured: (name: string) => boolean, now: Date): boolean {
  try {
    const note = (r: R): string | undefined => (isHeld(r.last_error) && configured(h.name(r)) ? backNote(h.name(r), h.kind) : undefined);
    for (const r of h.outbox.releaseHeld(now, note)) h.logger.info(`${h.what} released: its ${h.kind} is configured again`, h.meta(r));
    return true;
  } catch (err) {
    h.logger.error(`releasing held ${h.what}s failed; they stay held and are tried again on the next pass`, { error: err instanceof Error ? err.message : String(err) });
    return false;
  }
}
