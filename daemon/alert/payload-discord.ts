// Discord webhook: `content` (the summary) and `embeds` coloured by severity. Limits from Discord's embed reference:
// at most 10 embeds per message, 6000 characters across every embed's title, description, field names and values,
// footer and author; title 256, description 4096, 25 fields, field name 256, value 1024; content 2000. Mentions are
// switched off (`allowed_mentions`), so "@everyone" in a file name stays text.
import type { APIEmbed, RESTPostAPIWebhookWithTokenJSONBody } from 'discord-api-types/v10';
import { type Severity } from '../shared/findings.ts';
import { type AlertContent, type AlertFinding, countsLine, keyEvidence, moreText, nextSteps, summaryLine, updateTitle, worstSeverity } from './content.ts';
import { clip, largestFitting } from './fit.ts';

export const DISCORD_LIMITS = { embeds: 10, total: 6000, title: 256, description: 4096, fields: 25, fieldName: 256, fieldValue: 1024, content: 2000 } as const;

export const SEVERITY_COLOUR: Readonly<Record<Severity, number>> = { critical: 0x8b0000, high: 0xe02424, medium: 0xf08c00, low: 0xf5c518, info: 0x3b82f6 };

/** Discord's own embed type (discord-api-types), with the parts sealwatch always sets required. */
type Embed = APIEmbed & { title: string; description: string; color: number };

/** Characters Discord counts towards the 6000 of a message. */
export function embedChars(embeds: readonly Embed[]): number {
  return embeds.reduce((n, e) => n + e.title.length + e.description.length + (e.fields ?? []).reduce((m, f) => m + f.name.length + f.value.length, 0), 0);
}

/** Markdown inert: a backslash before every character Discord formats with. */
/** A code span that stays one (a backtick inside becomes a look-alike). */
const code = (s: string): string => `\`${s.replace(/`/g, 'ˋ')}\``;
const md = (s: string): string => s.replace(/[\\*_~`|>#[\]()]/g, '\\$&').replace(/^-/gm, '\\-');

function findingEmbed(f: AlertFinding): Embed {
  const fields = keyEvidence(f).slice(0, DISCORD_LIMITS.fields).map((e) => ({ name: e.label, value: clip(md(e.value), DISCORD_LIMITS.fieldValue), inline: false }));
  const where = f.path !== null ? `${code(f.path)}\n` : '';
  // One finding's embed stays small so that several fit in the 6000 of the message.
  return { title: clip(`${f.severity.toUpperCase()} ${f.rule}`, DISCORD_LIMITS.title), description: clip(`${where}${md(f.message)}`, 600), color: SEVERITY_COLOUR[f.severity], fields };
}

function render(c: AlertContent, shown: number): RESTPostAPIWebhookWithTokenJSONBody & { content: string; embeds: Embed[] } {
  const more = c.findings.length - shown;
  const head: Embed = {
    title: clip(updateTitle(c), DISCORD_LIMITS.title),
    description: clip(`${md(countsLine(c))}\nsnapshot ${c.snapshotId} · ${c.time}\n\n**What to do next:** ${nextSteps(c)}`, 1500),
    color: SEVERITY_COLOUR[worstSeverity(c.findings)],
  };
  const embeds = [head, ...c.findings.slice(0, shown).map(findingEmbed)];
  if (more > 0) embeds.push({ title: clip(`and ${more} more`, DISCORD_LIMITS.title), description: clip(moreText(c, more), DISCORD_LIMITS.description), color: SEVERITY_COLOUR[worstSeverity(c.findings.slice(shown))] });
  return { content: clip(md(summaryLine(c)), DISCORD_LIMITS.content), embeds, allowed_mentions: { parse: [] } };
}

export function discordPayload(c: AlertContent): RESTPostAPIWebhookWithTokenJSONBody {
  const fits = (k: number): boolean => {
    const p = render(c, k);
    return p.embeds.length <= DISCORD_LIMITS.embeds && embedChars(p.embeds) <= DISCORD_LIMITS.total;
  };
  return render(c, largestFitting(c.findings.length, fits));
}
