// Timelines drawn as inline SVG: an app's versions on a time axis (with their findings by severity), and an IoC's
// presence on the same axis. Shapes are coloured by class (the page's style sheet), so light, dark and print agree.
import { type Html, html } from './html.ts';
import { type Severity } from '../shared/findings.ts';
import { type SeverityCounts, type UpdateView } from './model.ts';

const WIDTH = 960;
const LEFT = 30;
const RIGHT = WIDTH - 90;
const SHOWN: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** Time → x: a linear scale over [from, to]; one instant sits in the middle. */
export function timeScale(from: number, to: number): (t: number) => number {
  if (!(to > from)) return () => (LEFT + RIGHT) / 2;
  return (t) => LEFT + ((t - from) / (to - from)) * (RIGHT - LEFT);
}

export const worst = (c: SeverityCounts): Severity | undefined => [...SHOWN].reverse().find((s) => c[s] > 0);

const countsText = (c: SeverityCounts): string =>
  [...SHOWN].reverse().filter((s) => c[s] > 0).map((s) => `${c[s]} ${s}`).join(', ') || 'no findings above info';

const day = (iso: string): string => iso.slice(0, 16).replace('T', ' ');

/** The app's versions: a dot per snapshot (coloured by its worst finding), a stacked bar of findings above it. */
export function versionTimeline(appName: string, updates: readonly UpdateView[]): Html {
  if (updates.length === 0) return html``;
  const times = updates.map((u) => Date.parse(u.takenAt));
  const x = timeScale(Math.min(...times), Math.max(...times));
  const axisY = 80;
  // At most ~30 version labels fit the axis: beyond that every k-th is labelled (each point keeps its tooltip).
  const every = Math.ceil(updates.length / 30);
  const points = updates.map((u, i) => {
    const cx = x(times[i] as number).toFixed(1);
    let top = axisY - 8;
    const bars = SHOWN.filter((s) => u.counts[s] > 0).map((s) => {
      const h = Math.min(u.counts[s], 12) * 4;
      top -= h;
      return html`<rect class="s-${s}" x="${(Number(cx) - 4).toFixed(1)}" y="${top}" width="8" height="${h}"></rect>`;
    });
    const w = worst(u.counts);
    const label = `${u.version ?? '?'} — ${day(u.takenAt)} (${u.trigger}): ${countsText(u.counts)}`;
    return html`<a href="#u-${u.snapshot}"><title>${label}</title>${bars}<circle class="v${w ? ` v-${w}` : ''}" cx="${cx}" cy="${axisY}" r="6"></circle>${i % every === 0 || i === updates.length - 1 ? html`<text x="${cx}" y="${axisY + 16}" transform="rotate(30 ${cx} ${axisY + 16})">${(u.version ?? '?').slice(0, 24)}</text>` : ''}</a>`;
  });
  return html`<svg class="timeline" viewBox="0 0 ${WIDTH} 150" role="img" aria-label="${`versions of ${appName} over time`}">
<line class="axis" x1="${LEFT}" y1="${axisY}" x2="${RIGHT}" y2="${axisY}"></line>
<text x="${LEFT}" y="145">${day(updates[0]?.takenAt ?? '')}</text><text x="${RIGHT}" y="145" text-anchor="end">${day(updates.at(-1)?.takenAt ?? '')}</text>
${points}</svg>`;
}

export interface PresenceAxis {
  readonly versions: readonly { readonly snapshot: number; readonly version: string | null; readonly takenAt: string }[];
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly stillPresent: boolean;
}

/** An IoC's presence in one app: the app's versions as ticks, a bar from first to last sighting (to the end if present). */
export function presenceTimeline(label: string, a: PresenceAxis): Html {
  const times = a.versions.map((v) => Date.parse(v.takenAt));
  const x = timeScale(Math.min(...times), Math.max(...times));
  const from = x(Date.parse(a.firstSeen));
  const to = a.stillPresent ? RIGHT : x(Date.parse(a.lastSeen));
  const axisY = 50;
  const ticks = a.versions.map((v, i) => {
    const tx = x(times[i] as number).toFixed(1);
    return html`<g><title>${`${v.version ?? '?'} — ${day(v.takenAt)}`}</title><line class="tick" x1="${tx}" y1="${axisY - 10}" x2="${tx}" y2="${axisY + 10}"></line>
<text x="${tx}" y="${axisY + 22}" transform="rotate(30 ${tx} ${axisY + 22})">${(v.version ?? '?').slice(0, 24)}</text></g>`;
  });
  return html`<svg class="presence" viewBox="0 0 ${WIDTH} 120" role="img" aria-label="${label}">
<line class="axis" x1="${LEFT}" y1="${axisY}" x2="${RIGHT}" y2="${axisY}"></line>
<rect class="seen" x="${(from - 3).toFixed(1)}" y="${axisY - 6}" width="${Math.max(6, to - from + 6).toFixed(1)}" height="12"><title>${`seen ${day(a.firstSeen)} → ${a.stillPresent ? 'still present' : day(a.lastSeen)}`}</title></rect>
${ticks}</svg>`;
}
