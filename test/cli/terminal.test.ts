// The pieces of human output on their own: escaping, tables, severity order and summary, dates, --workers.
import test from 'ava';
import { availableParallelism } from 'node:os';
import { bySeverity, colourWanted, escapeTerminal, parseIsoDate, parseWorkers, severitySummary, table } from '../../daemon/cli/terminal.ts';
import { formatBytes } from '../../daemon/cli/progress.ts';
import { type Severity } from '../../daemon/shared/findings.ts';

test('escapeTerminal: every character that can act on a terminal becomes a visible escape; the rest is untouched', (t) => {
  t.is(escapeTerminal('lib\x1b[2K\r  [info] fine.dll'), 'lib\\x1b[2K\\r  [info] fine.dll');
  t.is(escapeTerminal('a\nb\tc\bd\x00e\x7f\x9b'), 'a\\nb\\tc\\x08d\\x00e\\x7f\\x9b');
  for (const c of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c, 0x2028, 0x2029]) {
    t.is(escapeTerminal(`x${String.fromCharCode(c)}y`), `x\\u${c.toString(16).padStart(4, '0')}y`);
  }
  t.is(escapeTerminal('C:\\Program Files\\x1b'), 'C:\\\\Program Files\\\\x1b', 'a literal backslash cannot pass for an escape');
  const fine = 'Microsoft Corporation — Ünïcödé 日本語 ✓ 22.23.2';
  t.is(escapeTerminal(fine), fine);
  // Nothing that survives escaping is a control or bidi character.
  let all = '';
  for (let c = 0; c < 0x3000; c++) all += String.fromCharCode(c);
  t.notRegex(escapeTerminal(all), /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
  // Nor an invisible one: a name padded with a zero width space must not read as the genuine name.
  t.is(escapeTerminal('OpenConsole\u200b.exe'), 'OpenConsole\\u200b.exe');
  t.is(escapeTerminal('soft\u00adhyphen\u2060\ufeff'), 'soft\\xadhyphen\\u2060\\ufeff');
  t.is(escapeTerminal('OpenConsole\u3164.exe a\u{e0041}b'), 'OpenConsole\\u3164.exe a\\u{e0041}b', 'a Hangul filler and a tag character (outside the BMP)');
  t.notRegex(escapeTerminal(all + '\ufeff'), /[\u00ad\u034f\u180e\u200b-\u200d\u2060-\u2064\ufeff]/);
});

test('table: aligned columns measured without colour; severities coloured only when asked', (t) => {
  const rows = table(['A', 'SEVERITY', 'C'], [['xx', { text: 'critical', severity: 'critical' }, 'last'], ['y', { text: 'low', severity: 'low' }, 'z']], false);
  t.deepEqual(rows, ['A   SEVERITY  C', 'xx  critical  last', 'y   low       z']);
  const coloured = table(['A', 'SEVERITY', 'C'], [['xx', { text: 'critical', severity: 'critical' }, 'last'], ['y', { text: 'low', severity: 'low' }, 'z']], true);
  t.is(coloured[2], 'y   \x1b[36mlow\x1b[0m       z', 'padding outside the colour, as wide as without it');
  t.true(colourWanted(true, {}));
  t.false(colourWanted(true, { NO_COLOR: '1' }));
  t.false(colourWanted(false, {}));
  t.false(colourWanted(undefined, {}));
});

test('severity order and summary', (t) => {
  const items: Array<{ severity: Severity; n: number }> = [
    { severity: 'info', n: 1 },
    { severity: 'high', n: 2 },
    { severity: 'critical', n: 3 },
    { severity: 'high', n: 4 },
    { severity: 'low', n: 5 },
  ];
  t.deepEqual(bySeverity(items).map((i) => i.n), [3, 2, 4, 5, 1], 'critical first; stable within a severity');
  t.is(severitySummary(items), '5 findings: 1 critical, 2 high, 1 low, 1 info');
  t.is(severitySummary([{ severity: 'medium' }]), '1 finding: 1 medium');
  t.is(severitySummary([]), 'no findings');
});

test('parseIsoDate: real calendar dates only; UTC unless an offset is given', (t) => {
  t.is(parseIsoDate('2026-03-01', '--since').toISOString(), '2026-03-01T00:00:00.000Z');
  t.is(parseIsoDate('2024-02-29', '--since').toISOString(), '2024-02-29T00:00:00.000Z', 'a leap day');
  t.is(parseIsoDate('2026-03-01T12:34', '--at').toISOString(), '2026-03-01T12:34:00.000Z');
  t.is(parseIsoDate('2026-03-01T12:34:56.789Z', '--at').toISOString(), '2026-03-01T12:34:56.789Z');
  t.is(parseIsoDate('2026-03-01T12:00:00+02:00', '--at').toISOString(), '2026-03-01T10:00:00.000Z');
  t.is(parseIsoDate('2026-03-01 12:00-0530', '--at').toISOString(), '2026-03-01T17:30:00.000Z');
  t.is(parseIsoDate('0099-01-01', '--at').getUTCFullYear(), 99, 'year 99 is not 1999');
  for (const bad of ['garbage', '', '2026-13-45', '2026-02-29', '2026-02-30', '2026-04-31', '2026-00-10', '2026-01-00', '2026-01-01T24:00', '2026-01-01T12:60', '2026-01-01T12:00:61', '2026-01-01T12:00+24:00', '26-01-01', '2026-1-1', '1767225600', 'Thu, 01 Jan 2026 00:00:00 GMT', '2026-01-01Z']) {
    const err = t.throws(() => parseIsoDate(bad, '--since'), undefined, bad);
    t.regex(err?.message ?? '', /^--since: not an ISO date/, bad);
  }
});

test('parseWorkers: a whole number from 1 to twice the cores', (t) => {
  const max = availableParallelism() * 2;
  t.is(parseWorkers('1'), 1);
  t.is(parseWorkers(String(max)), max);
  for (const bad of ['0', '-1', '1.5', 'abc', '', '2e0', '0x2', String(max + 1)]) t.throws(() => parseWorkers(bad), { message: /--workers: give a whole number from 1 to/ }, bad);
});

test('formatBytes', (t) => {
  t.is(formatBytes(0), '0 B');
  t.is(formatBytes(999), '999 B');
  t.is(formatBytes(1500), '1.5 KB');
  t.is(formatBytes(87_000_000), '87 MB');
  t.is(formatBytes(972.3320158102766), '972 B', 'a rate under 1 KB/s is a whole number of bytes');
});
