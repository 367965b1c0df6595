// Chat payloads checked against their services' documented shapes and limits — counted here, independently of the
// builders — for a 300-finding update, plus the generic JSON's exact fields.
import test from 'ava';
import { createRequire } from 'node:module';
import { alertFindings, type AlertContent } from '../../daemon/alert/content.ts';
import { alertBody } from '../../daemon/alert/payload.ts';
import { type Finding } from '../../daemon/shared/findings.ts';
import { manyFindings } from './helpers.ts';

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];
// Microsoft's Adaptive Cards SDK (its UMD build: the ESM one has extension-less imports Node cannot resolve).
const AC = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js') as typeof import('adaptivecards');

function content(findings: readonly Finding[], app = 'ContosoChat'): AlertContent {
  return { host: 'build-01', app, fromVersion: '1.2.3', toVersion: '1.2.4', snapshotId: 42, time: '2026-03-01T12:00:00.000Z', findings: alertFindings(findings, 'info') };
}

/** 300 findings, and a few hostile ones: a mention, markdown, a 20,000-character message, an emoji on a cut. */
function bigUpdate(): AlertContent {
  const hostile: Finding[] = [
    { rule: 'SIGNATURE_INVALID', severity: 'critical', path: 'bin/<!channel> @everyone *bold* `tick`.exe', message: `<!here> ${'x'.repeat(20_000)}`, evidence: {}, explained: false },
    { rule: 'SIGNER_CHANGED', severity: 'critical', path: '😀'.repeat(3000), message: '😀'.repeat(5000), evidence: { before: { signer: 'org:A' }, after: { signer: 'org:B' } }, explained: false },
  ];
  return content([...hostile, ...manyFindings(298)]);
}

const lonelySurrogate = (s: string): boolean => /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

function moreCount(text: string): number | undefined {
  const m = /and (\d+) more — `sealwatch findings --app ContosoChat`/.exec(text);
  return m ? Number(m[1]) : undefined;
}

test('generic: exactly the fields of issue 10, every finding, severity counts, most severe first', (t) => {
  const c = bigUpdate();
  const body = JSON.parse(alertBody('generic', c, 'id-1')) as Record<string, unknown> & { findings: Array<Record<string, unknown>>; summary: Record<string, number> };
  t.deepEqual(Object.keys(body).sort(), ['app', 'findings', 'from_version', 'host', 'id', 'snapshot', 'summary', 'time', 'to_version']);
  t.like(body, { id: 'id-1', host: 'build-01', app: 'ContosoChat', from_version: '1.2.3', to_version: '1.2.4', snapshot: 42, time: '2026-03-01T12:00:00.000Z' });
  t.deepEqual(Object.keys(body.summary).sort(), ['critical', 'high', 'info', 'low', 'medium']);
  t.is(Object.values(body.summary).reduce((a, b) => a + b, 0), 300);
  t.is(body.findings.length, 300);
  t.deepEqual(Object.keys(body.findings[0] ?? {}).sort(), ['evidence', 'message', 'path', 'rule', 'severity']);
  const ranks = body.findings.map((f) => SEVERITIES.indexOf(String(f.severity)));
  t.deepEqual(ranks, [...ranks].sort((a, b) => a - b), 'critical first');
});

test('Slack: ≤ 50 blocks, header ≤ 150, section text ≤ 3000, a text fallback, "and N more", mentions escaped', (t) => {
  const c = bigUpdate();
  const p = JSON.parse(alertBody('slack', c, 'id')) as { text: string; blocks: Array<{ type: string; text?: { type: string; text: string } }> };
  t.true(typeof p.text === 'string' && p.text.length > 0 && p.text.length <= 3000);
  t.regex(p.text, /ContosoChat 1\.2\.3 → 1\.2\.4 on build-01: 300 findings \(\d+ critical, \d+ high, \d+ medium, \d+ low, \d+ info\)/);
  t.true(p.blocks.length <= 50, `${p.blocks.length} blocks`);
  t.true(p.blocks.length >= 40, 'uses the room it has');
  const header = p.blocks[0];
  t.is(header?.type, 'header');
  t.is(header?.text?.type, 'plain_text');
  t.true((header?.text?.text.length ?? 0) <= 150);
  for (const b of p.blocks) {
    t.true(['header', 'section', 'divider', 'context'].includes(b.type));
    if (b.type === 'section') {
      t.is(b.text?.type, 'mrkdwn');
      t.true((b.text?.text.length ?? 0) <= 3000, `section of ${b.text?.text.length}`);
      t.false(lonelySurrogate(b.text?.text ?? ''));
    }
  }
  const texts = p.blocks.map((b) => b.text?.text ?? '');
  const findingBlocks = texts.filter((x) => /^\*(CRITICAL|HIGH|MEDIUM|LOW|INFO)\*/.test(x));
  const more = texts.map(moreCount).find((n) => n !== undefined);
  t.is(findingBlocks.length + (more ?? 0), 300, 'shown + "and N more" = every finding');
  t.true(findingBlocks.slice(0, 2).every((x) => x.startsWith('*CRITICAL*')), 'most severe first');
  const all = JSON.stringify(p);
  t.false(all.includes('<!channel>') || all.includes('<!here>'), 'no live mention');
  t.true(all.includes('&lt;!channel&gt;'));
  t.true(texts.some((x) => /What to do next/.test(x)));
  t.true(texts.some((x) => /sha256: `a+\d+ → b+\d+`/.test(x)), 'hashes before → after');
  t.true(texts.some((x) => /signer: `org:Contoso Ltd \(Contoso Ltd\) → \(unsigned\)`|signer: `org:Contoso Ltd → \(unsigned\)`/.test(x)), 'signer before → after');
});

interface DiscordEmbed {
  title?: string;
  description?: string;
  color?: number;
  fields?: Array<{ name: string; value: string }>;
  footer?: { text: string };
  author?: { name: string };
}

test('Discord: ≤ 10 embeds, ≤ 6000 characters in all, field/title/description limits, colour by severity, no mentions', (t) => {
  const c = bigUpdate();
  const p = JSON.parse(alertBody('discord', c, 'id')) as { content: string; embeds: DiscordEmbed[]; allowed_mentions: { parse: unknown[] } };
  t.true(p.content.length <= 2000);
  t.deepEqual(p.allowed_mentions, { parse: [] });
  t.true(p.embeds.length >= 2 && p.embeds.length <= 10);
  let total = 0;
  for (const e of p.embeds) {
    t.true((e.title ?? '').length <= 256);
    t.true((e.description ?? '').length <= 4096);
    t.true((e.fields ?? []).length <= 25);
    for (const f of e.fields ?? []) {
      t.true(f.name.length <= 256 && f.name.length > 0);
      t.true(f.value.length <= 1024 && f.value.length > 0);
    }
    t.true(Number.isInteger(e.color) && (e.color ?? -1) >= 0 && (e.color ?? 0) <= 0xffffff);
    total += (e.title ?? '').length + (e.description ?? '').length + (e.footer?.text ?? '').length + (e.author?.name ?? '').length + (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
    t.false(lonelySurrogate(JSON.stringify(e)));
  }
  t.true(total <= 6000, `${total} characters`);
  const findingEmbeds = p.embeds.filter((e) => /^(CRITICAL|HIGH|MEDIUM|LOW|INFO) /.test(e.title ?? ''));
  const more = p.embeds.map((e) => moreCount(e.description ?? '')).find((n) => n !== undefined);
  t.is(findingEmbeds.length + (more ?? 0), 300);
  // Colour follows severity: every critical embed one colour, different from every high one.
  const colourOf = (s: string): Set<number | undefined> => new Set(findingEmbeds.filter((e) => e.title?.startsWith(s)).map((e) => e.color));
  t.is(colourOf('CRITICAL').size, 1);
  t.is(p.embeds[0]?.color, [...colourOf('CRITICAL')][0], 'the summary takes the worst severity');
  const small = JSON.parse(alertBody('discord', content(manyFindings(7).slice(0, 6)), 'id')) as { embeds: DiscordEmbed[] };
  const colours = new Set(small.embeds.slice(1).map((e) => e.color));
  t.is(colours.size, 5, 'five severities, five colours');
});

test('Teams: a Workflows message with one Adaptive Card attachment, under 28 KB, "and N more"', (t) => {
  const c = bigUpdate();
  const raw = alertBody('teams', c, 'id');
  t.true(Buffer.byteLength(raw) <= 28 * 1024, `${Buffer.byteLength(raw)} bytes`);
  const p = JSON.parse(raw) as { type: string; attachments: Array<{ contentType: string; contentUrl: null; content: { type: string; version: string; $schema: string; body: Array<{ type: string; text?: string; items?: Array<{ type: string; text?: string }> }> } }> };
  t.is(p.type, 'message');
  t.is(p.attachments.length, 1);
  const a = p.attachments[0];
  t.is(a?.contentType, 'application/vnd.microsoft.card.adaptive');
  t.is(a?.contentUrl, null);
  t.is(a?.content.type, 'AdaptiveCard');
  t.regex(a?.content.version ?? '', /^1\.[0-5]$/);
  t.is(a?.content.$schema, 'http://adaptivecards.io/schemas/adaptive-card.json');
  const body = a?.content.body ?? [];
  const types = new Set(['TextBlock', 'FactSet', 'Container']);
  for (const el of body) {
    t.true(types.has(el.type));
    for (const i of el.items ?? []) t.true(types.has(i.type));
  }
  const containers = body.filter((e) => e.type === 'Container');
  const more = body.map((e) => moreCount(e.text ?? '')).find((n) => n !== undefined);
  t.true(containers.length > 10);
  t.is(containers.length + (more ?? 0), 300);
  t.regex(containers[0]?.items?.[0]?.text ?? '', /^CRITICAL /);
  // JSON.stringify writes a lone surrogate (a character cut in half) as a \udXXX escape, and only then.
  t.notRegex(raw, /\\ud[89a-f][0-9a-f]{2}/i);

  // Microsoft's own parser reads the card without a warning, keeps every element, and finds nothing to validate against.
  const card = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  card.parse(a?.content as unknown as Record<string, unknown>, context);
  t.deepEqual(Array.from({ length: context.eventCount }, (_, i) => context.getEventAt(i).message), []);
  t.is(card.getItemCount(), body.length);
  t.deepEqual(card.validateProperties().validationEvents.map((e) => e.message), []);
  // The parser does object: a misspelt element type is reported.
  const bad = new AC.SerializationContext();
  new AC.AdaptiveCard().parse({ type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlok', text: 'x' }] }, bad);
  t.is(bad.eventCount, 1);
});

test('a small update is sent whole: no "more" line, every finding shown', (t) => {
  const c = content(manyFindings(7));
  for (const type of ['slack', 'discord', 'teams'] as const) {
    const raw = alertBody(type, c, 'id');
    t.false(/and \d+ more/.test(raw), type);
    for (let i = 0; i < 7; i++) t.true(raw.includes(`module-${i}.node`), `${type}: finding ${i}`);
  }
});
