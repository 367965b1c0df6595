// Microsoft Teams through a Workflows webhook ("When a Teams webhook request is received"): a message whose one
// attachment is an Adaptive Card. Teams refuses a message over 28 KB, so the whole body is kept under TEAMS_MAX_BYTES.
import { type AlertContent, type AlertFinding, countsLine, keyEvidence, moreText, nextSteps, updateTitle, worstSeverity } from './content.ts';
import { clip, jsonBytes, largestFitting } from './fit.ts';
import { type Severity } from '../shared/findings.ts';

/** 28 KB is Teams' message limit; a margin for what the service adds around the card. */
export const TEAMS_MAX_BYTES = 26 * 1024;

const COLOUR: Readonly<Record<Severity, string>> = { critical: 'Attention', high: 'Attention', medium: 'Warning', low: 'Accent', info: 'Default' };

type Element = Record<string, unknown>;

const text = (t: string, extra: Element = {}): Element => ({ type: 'TextBlock', text: t, wrap: true, ...extra });

function findingElement(f: AlertFinding): Element {
  const facts = keyEvidence(f).map((e) => ({ title: e.label, value: clip(e.value, 1000) }));
  return {
    type: 'Container',
    separator: true,
    items: [
      text(clip(`${f.severity.toUpperCase()} ${f.rule}${f.path !== null ? ` — ${f.path}` : ''}`, 1000), { weight: 'Bolder', color: COLOUR[f.severity] }),
      text(clip(f.message, 1000)),
      ...(facts.length ? [{ type: 'FactSet', facts }] : []),
    ],
  };
}

function render(c: AlertContent, shown: number): Element {
  const more = c.findings.length - shown;
  const body: Element[] = [
    text(clip(`sealwatch: ${updateTitle(c)}`, 300), { size: 'Large', weight: 'Bolder', color: COLOUR[worstSeverity(c.findings)] }),
    text(clip(countsLine(c), 1000)),
    { type: 'FactSet', facts: [{ title: 'Host', value: clip(c.host, 300) }, { title: 'Snapshot', value: String(c.snapshotId) }, { title: 'Scanned', value: c.time }] },
    ...c.findings.slice(0, shown).map(findingElement),
  ];
  if (more > 0) body.push(text(clip(moreText(c, more), 1000), { separator: true, weight: 'Bolder' }));
  body.push(text(`**What to do next:** ${nextSteps(c)}`, { separator: true }));
  const card = { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', msteams: { width: 'Full' }, body };
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] };
}

export function teamsPayload(c: AlertContent): Element {
  return render(c, largestFitting(c.findings.length, (k) => jsonBytes(render(c, k)) <= TEAMS_MAX_BYTES));
}
