// kill -9 of the real daemon at random points of an update, over and over. After the last restart: every alert the
// outbox holds was delivered (no id missing, none the receiver does not know), an id arrived twice only across a
// kill (the window between the receiver's 2xx and the commit that marks it sent), each copy byte for byte the same,
// and every update's finding is in the database exactly once — none lost, none duplicated.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { DaemonProcess, httpPort, logLines, Receiver, setup, waitForLog, waitIdle, writeInPieces } from './harness.ts';

const ROUNDS = 22;

/** mulberry32: kill points that a failing run can reproduce (the seed is logged). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('kill -9 at random points of 22 updates → every alert delivered, repeats only across a kill, no finding lost or doubled', async (t) => {
  const seed = Number(process.env.SEALWATCH_CRASH_SEED ?? Date.now() % 1_000_000);
  t.log(`seed ${seed} (SEALWATCH_CRASH_SEED to repeat)`);
  const random = prng(seed);
  const receiver = new Receiver();
  await receiver.start();
  const s = setup({ receiverUrl: receiver.url, settle: '400ms', maxWait: '5s' });
  writeFileSync(join(s.appRoot, 'package.json'), JSON.stringify({ name: 'contoso', version: '1.0.0' }));
  const unsigned = readFileSync(realCorpusPath('pty-node'));
  const lifetimes: Array<{ pid: number; from: number; to: number }> = [];
  const killedAt: number[] = [];
  try {
    for (let k = 0; k < ROUNDS; k++) {
      const d = new DaemonProcess(s);
      const from = Date.now();
      // Round 0 waits for the baseline, so that the updates are updates; later rounds for the daemon to be up (its
      // watchers started), so that the kill points fall across writing, settling, scanning, committing and delivering.
      if (k === 0) await waitForLog(s, d.pid, (l) => l.message === 'scan finished' && l.baseline === true, 'the baseline');
      else await httpPort(s, d.pid);
      const delay = Math.floor(random() * 3_000);
      const update = (async () => {
        writeFileSync(join(s.appRoot, 'package.json'), JSON.stringify({ name: 'contoso', version: `1.0.${k + 1}` }));
        await writeInPieces(join(s.appRoot, `plugins/plugin-${k}.dll`), unsigned, 3, 100);
      })();
      await sleep(delay);
      await d.kill9();
      lifetimes.push({ pid: d.pid, from, to: Date.now() });
      killedAt.push(delay);
      await update;
    }
    // The last start: reconciliation, then every pending alert out.
    const last = new DaemonProcess(s);
    const from = Date.now();
    const port = await httpPort(s, last.pid);
    await waitForLog(s, last.pid, (l) => l.message === 'scan finished', 'the reconciliation scan');
    await waitIdle(port);
    await waitOutboxDrained(s.db);
    t.is((await last.stop()).code, 0, last.stderr);
    lifetimes.push({ pid: last.pid, from, to: Date.now() });
  } finally {
    await receiver.close();
  }

  const db = new DatabaseSync(s.db, { readOnly: true });
  try {
    const outbox = db.prepare('SELECT delivery_id, state, snapshot_id FROM outbox ORDER BY id').all() as Array<{ delivery_id: string; state: string; snapshot_id: number }>;
    const received = new Map<string, typeof receiver.received>();
    for (const r of receiver.received) received.set(r.deliveryId, [...(received.get(r.deliveryId) ?? []), r]);
    t.true(outbox.length >= 1, 'updates raised alerts');
    t.deepEqual(outbox.filter((o) => o.state !== 'sent'), [], 'every alert sent');
    t.deepEqual(outbox.filter((o) => !received.has(o.delivery_id)).map((o) => o.delivery_id), [], 'no delivery id missing at the receiver');
    t.deepEqual([...received.keys()].filter((id) => !outbox.some((o) => o.delivery_id === id)), [], 'the receiver got nothing the outbox does not hold');
    let repeats = 0;
    for (const [id, copies] of received) {
      if (copies.length === 1) continue;
      repeats += copies.length - 1;
      const runs = copies.map((c) => lifetimes.findIndex((l) => c.at >= l.from && c.at <= l.to));
      t.is(new Set(runs).size, copies.length, `${id}: repeated within one run of the daemon (runs ${runs.join(', ')})`);
      // Distinct runs, in order: every copy but the last came from a run that ended with kill -9.
      t.false(runs.includes(-1), `${id}: a copy arrived outside any run`);
      t.true(copies.every((c) => c.raw === copies[0]?.raw), `${id}: every copy is the same alert`);
    }
    t.log(`${outbox.length} alerts, ${receiver.received.length} deliveries, ${repeats} repeated across a kill; kill points (ms after the update began): ${killedAt.join(', ')}`);

    // Where the kills fell: the last thing each killed run logged.
    const phases = new Map<string, number>();
    for (const l of lifetimes.slice(0, -1)) {
      const lastLine = logLines(s).filter((x) => x.pid === l.pid).at(-1)?.message ?? '(nothing logged)';
      phases.set(lastLine, (phases.get(lastLine) ?? 0) + 1);
    }
    t.log(`last line before each kill: ${[...phases].map(([m, n]) => `${m} ×${n}`).join('; ')}`);

    // Every update's new module is in the history exactly once (by its path, or in the evidence of a finding that
    // groups new modules): none lost, none reported again by a later snapshot.
    for (let k = 0; k < ROUNDS; k++) {
      const path = `plugins/plugin-${k}.dll`;
      const snaps = db.prepare('SELECT DISTINCT snapshot_id FROM findings WHERE path = ? OR instr(evidence, ?) > 0').all(path, JSON.stringify(path));
      t.is(snaps.length, 1, `${path}: reported in ${snaps.length} snapshots`);
    }
    const doubled = db.prepare('SELECT snapshot_id, rule, path, count(*) AS n FROM findings GROUP BY snapshot_id, rule, path, evidence HAVING n > 1').all();
    t.deepEqual(doubled, [], 'no finding stored twice');
    // One alert per snapshot with findings at or above the threshold, and none for a snapshot without.
    const alerted = db.prepare("SELECT DISTINCT snapshot_id FROM findings WHERE explained = 0 AND severity IN ('medium', 'high', 'critical') ORDER BY snapshot_id").all().map((r) => (r as { snapshot_id: number }).snapshot_id);
    t.deepEqual(outbox.map((o) => o.snapshot_id), alerted);
  } finally {
    db.close();
  }
});

async function waitOutboxDrained(file: string, limitMs = 120_000): Promise<void> {
  const end = Date.now() + limitMs;
  for (;;) {
    const db = new DatabaseSync(file, { readOnly: true });
    const { n } = db.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'pending'").get() as { n: number };
    db.close();
    if (n === 0) return;
    if (Date.now() > end) throw new Error(`${n} alerts still pending after ${limitMs} ms`);
    await sleep(200);
  }
}
