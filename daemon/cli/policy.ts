// `sealwatch policy lint [PATH…]`, `policy test APP [--policy PATH]… [--at DATE]`, `policy suggest APP [--out FILE]`.
import { existsSync, writeFileSync } from 'node:fs';
import { replayHistory, type FindingChange, type FindingState } from '../policy/replay.ts';
import { loadPolicies, policiesOrFail, SHIPPED_POLICIES } from '../policy/load.ts';
import { suggestPolicy } from '../policy/suggest.ts';
import { formatProblem } from '../policy/types.ts';
import { type Store } from '../inventory/store/store.ts';
import { SealwatchError } from '../shared/errors.ts';
import { ExitCode } from './exit-codes.ts';
import type { Output } from './inspect.ts';
import { defaultDatabase, defaultWitness } from './scan.ts';
import { escapeTerminal, parseIsoDate, safe } from './terminal.ts';

/** Lint: every problem as FILE:LINE: level: FIELD: REASON; exit 2 when any is an error. */
export function runPolicyLint(paths: readonly string[], json: boolean, io: Output): number {
  const targets = paths.length ? paths : [SHIPPED_POLICIES];
  const { policies, problems } = loadPolicies(targets);
  if (json) for (const p of problems) io.out(JSON.stringify(p));
  else for (const p of problems) io.out(escapeTerminal(formatProblem(p)));
  const errors = problems.filter((p) => p.level === 'error').length;
  const warnings = problems.length - errors;
  if (!json) io.out(`${policies.length} polic${policies.length === 1 ? 'y' : 'ies'} read; ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
  return errors ? ExitCode.usage : ExitCode.ok;
}

/** Read-only: the database must exist, and nothing is written to it. */
function readStore<T>(db: string | undefined, fn: (store: Store) => T): Promise<T> {
  return import('../inventory/store/store.ts').then(({ Store }) => {
    const store = Store.open(db ?? defaultDatabase(), { witness: defaultWitness(), mustExist: true });
    try {
      return fn(store);
    } finally {
      store.close();
    }
  });
}

function knownApp(store: Store, app: string) {
  const a = store.app(app);
  if (!a) throw new SealwatchError('CONFIG', `no app named ${app} in the database (apps: ${store.apps().map((x) => x.name).join(', ') || 'none'})`);
  return a;
}

const state = (s: FindingState | undefined): string => (s ? `${s.severity}${s.explained ? ' (explained)' : ''}` : '-');
const by = (s: FindingState | undefined): string => (s?.policy ? ` — policy ${s.policy.action}${s.policy.rule ? ` ${s.policy.rule}` : ''} in ${s.policy.file}${s.policy.reason ? `: ${s.policy.reason}` : ''}` : '');

function changeLine(c: FindingChange): string {
  const head = c.kind === 'changed' ? `${state(c.before)} → ${state(c.after)}` : c.kind === 'added' ? `+ ${state(c.after)}` : `- ${state(c.before)}`;
  return `  ${head} ${c.rule}${c.path ? ` ${c.path}` : ''}: ${c.message}${by(c.kind === 'removed' ? c.before : c.after)}`;
}

export async function runPolicyTest(app: string, o: { policy: readonly string[]; db?: string; at?: string; json: boolean }, io: Output): Promise<number> {
  const at = o.at !== undefined ? parseIsoDate(o.at, '--at') : undefined;
  const policies = policiesOrFail(o.policy, (line) => io.err(escapeTerminal(line)));
  const replay = await readStore(o.db, (store) => replayHistory(store, knownApp(store, app), policies, at));
  const total = replay.reduce((n, s) => n + s.changes.length, 0);
  if (o.json) {
    io.out(JSON.stringify({ app, at: at?.toISOString() ?? null, changes: total, snapshots: replay.map((s) => ({ snapshot: s.snapshot, version: s.version, taken_at: s.takenAt, policies: s.policies, changes: s.changes })) }));
    return ExitCode.ok;
  }
  io.out(`${safe(app)}: ${replay.length} snapshot${replay.length === 1 ? '' : 's'} judged again under ${policies.length} polic${policies.length === 1 ? 'y' : 'ies'}${at ? ` as of ${at.toISOString()}` : ' (each at its own time)'}: ${total} finding${total === 1 ? '' : 's'} would change (nothing is written)`);
  for (const s of replay) {
    if (!s.changes.length) continue;
    io.out(escapeTerminal(`snapshot ${s.snapshot} (${s.version ?? '?'}, ${s.takenAt}; policies: ${s.policies.join(', ') || 'none'}):`));
    for (const c of s.changes) io.out(escapeTerminal(changeLine(c)));
  }
  return ExitCode.ok;
}

export async function runPolicySuggest(app: string, o: { db?: string; out?: string }, io: Output): Promise<number> {
  const text = await readStore(o.db, (store) => suggestPolicy(store, knownApp(store, app)));
  if (o.out) {
    if (existsSync(o.out)) throw new SealwatchError('CONFIG', `policy suggest: ${o.out} exists: it is not overwritten (give another --out, or no --out to print)`);
    writeFileSync(o.out, text, { flag: 'wx' });
    io.out(`wrote ${o.out}`);
  } else for (const line of text.trimEnd().split('\n')) io.out(line);
  return ExitCode.ok;
}
