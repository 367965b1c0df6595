// A row whose alert destination or export sink a config reload removed (or renamed) is held: pending and unattempted
// until the name comes back (then it is delivered) or its age runs out (then it is dead, saying why). The hold is
// written into the row's last error, which both outboxes already keep and `alerts list` / `export list` show: a
// restarted daemon and the CLI both see it without a new column. Shared by alert/deliverer.ts and export/deliverer.ts.

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
