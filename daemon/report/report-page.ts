// `sealwatch report`: the review page. Unexplained findings of all apps first (most severe first), then per app its
// version timeline and every update: findings with evidence and review state, and the module diff.
import { SEVERITY_ORDER, type Severity } from '../shared/findings.ts';
import { type Html, html, lines } from './html.ts';
import { type AppView, type ChangeView, type FindingView, type ReportModel, type SeverityCounts, severityCounts, type Side, type UpdateView } from './model.ts';
import { page } from './page.ts';
import { versionTimeline } from './svg.ts';

const DESCENDING: readonly Severity[] = [...SEVERITY_ORDER].reverse();

export function countsLine(c: SeverityCounts, withInfo = false): Html {
  const shown = DESCENDING.filter((s) => c[s] > 0 && (withInfo || s !== 'info'));
  if (shown.length === 0) return html`<span class="counts muted">no findings above info</span>`;
  return html`<span class="counts">${shown.map((s) => html`<span class="t-${s}" data-severity="${s}" data-count="${c[s]}">${c[s]} ${s}</span>`)}</span>`;
}

export function findingItem(f: FindingView, withApp: boolean): Html {
  return html`<li class="finding sev-${f.severity}" id="f-${f.id}" data-severity="${f.severity}" data-rule="${f.rule}"><span class="sev t-${f.severity}">${f.severity}</span><code class="rule">${f.rule}</code>${withApp ? html` <span class="app">${f.app}</span> <span class="version mono">${f.version ?? '?'}</span>` : ''}${f.path !== null ? html` <code class="path">${f.path}</code>` : ''}
<p class="message">${f.message}</p><details class="evidence"><summary>evidence · finding ${f.id} · ${f.explained ? 'explained · ' : ''}review: ${f.state}${withApp ? html` · <a href="#u-${f.snapshot}">update</a>` : ''}</summary><pre>${lines(f.evidence.split('\n'))}</pre></details></li>`;
}

const findingList = (fs: readonly FindingView[], withApp: boolean): Html => html`<ol class="findings">${fs.map((f) => findingItem(f, withApp))}</ol>`;

/** "before → after" for a changed path; one side for an added or removed one. */
function pair(before: string | undefined, after: string | undefined, kind: ChangeView['kind']): string {
  if (kind === 'added') return after || '-';
  if (kind === 'removed') return before || '-';
  return before === after ? after || '-' : `${before || '-'} → ${after || '-'}`;
}

const signerOf = (s: Side | undefined): string | undefined => (s ? `${s.signer || 'unsigned'}${s.status === 'trusted' || s.status === 'unsigned' ? '' : ` (${s.status})`}` : undefined);
const short = (h: string | undefined): string | undefined => (h ? `${h.slice(0, 12)}…` : undefined);
/** The old hash shortened (it is in the previous update's listing in full), the new one whole. */
const hashes = (c: ChangeView): string => (c.kind === 'changed' ? `${short(c.before?.sha256)} → ${c.after?.sha256}` : ((c.after ?? c.before)?.sha256 ?? '-'));
const moved = (a: string | undefined, b: string | undefined, c: ChangeView): boolean => c.kind === 'changed' && a !== b;

// Markup kept small (no nested elements per cell): a history of 100 apps × 20 versions stays a quick page.
function changeRow(c: ChangeView): Html {
  const signer = moved(signerOf(c.before), signerOf(c.after), c);
  const version = moved(c.before?.version, c.after?.version, c);
  return html`<tr class="change"><td>${c.kind}<td class="path">${c.path}${c.module ? '' : ' (file)'}<td${signer ? html` class="m"` : ''}>${pair(signerOf(c.before), signerOf(c.after), c.kind)}<td${version ? html` class="m"` : ''}>${pair(c.before?.version, c.after?.version, c.kind)}<td class="mono">${hashes(c)}</tr>`;
}

/** The full table, for updates that need review. */
function changeTable(changes: readonly ChangeView[]): Html {
  return html`<table class="changes"><thead><tr><th>change<th>path<th>signer<th>version<th>SHA-256</thead><tbody>${changes.map(changeRow)}</tbody></table>`;
}

/** A compact listing (one text block) for updates with nothing above info: same facts, a fraction of the markup. */
function changeListing(changes: readonly ChangeView[]): Html {
  const text = changes.flatMap((c) => [`${c.kind.padEnd(8)} ${c.path}${c.module ? '' : ' (file)'}`, `         signer ${pair(signerOf(c.before), signerOf(c.after), c.kind)} · version ${pair(c.before?.version, c.after?.version, c.kind)} · ${hashes(c)}`]);
  return html`<pre class="changes">${lines(text)}</pre>`;
}

function changes(u: UpdateView, full: boolean): Html {
  if (u.changes.length === 0) return html`<p class="muted">no file changed</p>`;
  const modules = u.changes.filter((c) => c.module).length;
  return html`<h4>Changes: ${u.changes.length} (${modules} to modules)</h4>${full ? changeTable(u.changes) : changeListing(u.changes)}`;
}

function updateSection(u: UpdateView): Html {
  const aboveInfo = u.findings.some((f) => f.severity !== 'info');
  const title = u.from ? `${u.from.version ?? '?'} → ${u.version ?? '?'}` : `baseline ${u.version ?? '?'}`;
  return html`<details class="update" id="u-${u.snapshot}"${aboveInfo ? html` open` : ''}><summary><strong>${title}</strong> <span class="muted">${u.takenAt} · ${u.trigger} · snapshot ${u.snapshot} · ${u.from ? `${u.changes.length} changed` : `${u.files} files, ${u.modules} modules`}</span> ${countsLine(u.counts)}</summary>
${u.findings.length ? findingList(u.findings, false) : ''}${u.from ? changes(u, aboveInfo) : ''}</details>
`;
}

function appSection(app: AppView, i: number): Html {
  const all = app.updates.flatMap((u) => u.findings);
  return html`<section class="app" id="app-${i}" data-app="${app.name}"><h2>${app.name}</h2>
<p class="meta">${app.vendor ? html`${app.vendor} · ` : ''}<code>${app.root}</code> · ${app.updates.length} version${app.updates.length === 1 ? '' : 's'} · ${countsLine(severityCounts(all))}</p>
${versionTimeline(app.name, app.updates)}
${[...app.updates].reverse().map(updateSection)}</section>`;
}

export function renderReport(m: ReportModel): string {
  const all = m.apps.flatMap((a) => a.updates.flatMap((u) => u.findings));
  const updates = m.apps.reduce((n, a) => n + a.updates.length, 0);
  const body = html`<header><h1>sealwatch report</h1>
<p class="meta">generated ${m.generatedAt}${m.since ? ` · since ${m.since}` : ''} · ${m.apps.length} app${m.apps.length === 1 ? '' : 's'} · ${updates} snapshot${updates === 1 ? '' : 's'} · ${all.length} finding${all.length === 1 ? '' : 's'}: ${countsLine(severityCounts(all), true)}</p></header>
<nav><ul>${m.apps.map((a, i) => html`<li><a href="#app-${i}">${a.name}</a></li>`)}</ul></nav>
<section id="unexplained"><h2>Unexplained findings: ${m.unexplained.length}</h2>
${m.unexplained.length ? findingList(m.unexplained, true) : html`<p class="muted">none: every finding above info is explained or reviewed</p>`}</section>
${m.apps.map(appSection)}`;
  return page('sealwatch report', body);
}
