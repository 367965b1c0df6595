// What the alert outbox (migration 3) and the export outbox (migration 5) share in how their rows are read back:
// the same three states, counted the same way, and a claim that took the row only when it changed exactly one.
import { type StatementResultingChanges, type StatementSync } from 'node:sqlite';

export type OutboxState = 'pending' | 'sent' | 'dead';

/** Rows per state from a `SELECT state, count(*) AS n … GROUP BY state`; a state with no rows counts 0. */
export function countByState(byState: StatementSync): Record<OutboxState, number> {
  const counts: Record<OutboxState, number> = { pending: 0, sent: 0, dead: 0 };
  for (const r of byState.all() as Array<{ state: OutboxState; n: number }>) counts[r.state] = r.n;
  return counts;
}

/** A conditional UPDATE of one row by id took it (it was still due and nobody else had it). */
export function tookOne(result: StatementResultingChanges): boolean {
  return Number(result.changes) === 1;
}
