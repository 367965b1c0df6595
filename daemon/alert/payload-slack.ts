// Slack incoming webhook: Block Kit `blocks` with a `text` fallback (notifications, old clients). Limits from Slack's
// Block Kit reference: at most 50 blocks per message, a header's plain_text at most 150 characters, a section's text
// at most 3000. Untrusted text (paths, messages, versions) is escaped (&, <, >) so it cannot mention (<!channel>) or
// link; it sits in code spans where it is a name.
import type { KnownBlock, SectionBlock } from '@slack/types';
import { type AlertContent, type AlertFinding, countsLine, keyEvidence, moreText, nextSteps, summaryLine, updateTitle } from './content.ts';
import { clip, clipEscaped, largestFitting } from './fit.ts';

export const SLACK_LIMITS = { blocks: 50, headerText: 150, sectionText: 3000, fallbackText: 3000 } as const;

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** A code span that stays one: backticks inside become a look-alike. */
const code = (s: string): string => `\`${esc(s).replace(/`/g, 'ˋ')}\``;

const section = (text: string): SectionBlock => ({ type: 'section', text: { type: 'mrkdwn', text: clipEscaped(text, SLACK_LIMITS.sectionText) } });

function findingBlock(f: AlertFinding): SectionBlock {
  const lines = [`*${f.severity.toUpperCase()}* ${esc(f.rule)}${f.path !== null ? ` ${code(f.path)}` : ''}`, esc(f.message)];
  for (const e of keyEvidence(f)) lines.push(`${e.label}: ${code(e.value)}`);
  return section(lines.join('\n'));
}

/** Typed with Slack's own Block Kit definitions (@slack/types), so a misshapen block does not compile. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: KnownBlock[];
}

function render(c: AlertContent, shown: number): SlackMessage {
  const more = c.findings.length - shown;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(`sealwatch: ${updateTitle(c)}`, SLACK_LIMITS.headerText), emoji: false } },
    section(`*${esc(countsLine(c))}*\nsnapshot ${c.snapshotId} · ${esc(c.time)}`),
    { type: 'divider' },
    ...c.findings.slice(0, shown).map(findingBlock),
  ];
  if (more > 0) blocks.push(section(esc(moreText(c, more))));
  blocks.push({ type: 'divider' }, section(`*What to do next:* ${esc(nextSteps(c))}`));
  return { text: clipEscaped(esc(summaryLine(c)), SLACK_LIMITS.fallbackText), blocks };
}

export function slackPayload(c: AlertContent): SlackMessage {
  const shown = largestFitting(c.findings.length, (k) => render(c, k).blocks.length <= SLACK_LIMITS.blocks);
  return render(c, shown);
}
