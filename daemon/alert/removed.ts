// An alert whose destination a config reload removed (or renamed) is held: pending and unattempted until the name
// comes back (then it is delivered) or its age runs out (then it is dead, saying why). The hold is written into the
// row's last error, which the store already keeps and `alerts list` shows: a restarted daemon and the CLI both see
// it without a new column.

const HELD = 'waiting: destination ';
const HELD_TAIL = ' was removed from the config';

/** The last error of a held row. */
export function heldNote(destination: string, until: Date): string {
  return `${HELD}${destination}${HELD_TAIL}; held until it comes back or ${until.toISOString()}`;
}

/** True for a row held for a removed destination (its last error is heldNote's). */
export function isHeld(lastError: string | null | undefined): boolean {
  return typeof lastError === 'string' && lastError.startsWith(HELD) && lastError.includes(HELD_TAIL);
}

/** Why a held row was dead-lettered. */
export function removedDeadNote(destination: string): string {
  return `destination ${destination} was removed from the config and did not come back within the maximum age`;
}

/** The last error of a held row once its destination is configured again (it is due now). */
export function backNote(destination: string): string {
  return `destination ${destination} is configured again: delivery resumes`;
}
