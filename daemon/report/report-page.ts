// `sealwatch report`: the review page. Unexplained findings of all apps first (most severe first), then per app its
// version timeline and every update: findings with evidence and review state, and the module diff.
import { SEVERITY_ORDER, type Severity } from '../shared/findings.ts';
import { type Html, html } from './html.ts';
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
  return html`<li class="finding sev-${f.severity}" id="f-${f.id}" data-finding="${f.id}" data-severity="${f.severity}" data-rule="${f.rule}" data-path="${f.path ?? ''}">
<span class="sev t-${f.severity}">${f.severity}</span><code class="rule">${f.rule}</code>
${withApp ? html` <span class="app">${f.app}</span> <span class="version mono">${f.version ?? '?'}</span>` : ''}
${f.path !== null ? html` <code class="path">${f.path}</code>` : ''}
<span class="state">${f.explained ? 'explained · ' : ''}review: ${f.state}</span>
<p class="message">${f.message}</p>
<details class="evidence"><summary>evidence · finding ${f.id}${withApp ? html` · <a href="#u-${f.snapshot}">update</a>` : ''}</summary><pre>${f.evidence}</pre></details></li>`;
}

const findingList = (fs: readonly FindingView[], withApp: boolean): Html => html`<ol class="findings">${fs.map((f) => findingItem(f, withApp))}</ol>`;

/** "before → after", bold when it moved; one side only for added or removed paths. */
function pair(before: string | undefined, after: string | undefined, kind: ChangeView['kind']): Html {
  if (kind === 'added') return html`<span>${after || '-'}</span>`;
  if (kind === 'removed') return html`<span>${before || '-'}</span>`;
  if (before === after) return html`<span class="muted">${after || '-'}</span>`;
  return html`<span class="moved">${before || '-'}<span class="arrow">→</span>${after || '-'}</span>`;
}

const signerOf = (s: Side | undefined): string | undefined => (s ? `${s.signer || 'unsigned'} (${s.status})` : undefined);

function changeRow(c: ChangeView): Html {
  return html`<tr class="change" data-kind="${c.kind}" data-path="${c.path}"><td>${c.kind}</td><td><code class="path">${c.path}</code>${c.module ? '' : html` <span class="muted">(file)</span>`}</td>
<td>${pair(signerOf(c.before), signerOf(c.after), c.kind)}</td><td>${pair(c.before?.version, c.after?.version, c.kind)}</td>
<td class="mono">${pair(c.before?.sha256, c.after?.sha256, c.kind)}</td></tr>`;
}

function changeTable(changes: readonly ChangeView[]): Html {
  if (changes.length === 0) return html`<p class="muted">no file changed</p>`;
  const modules = changes.filter((c) => c.module).length;
  return html`<h4>Changes: ${changes.length} (${modules} to modules)</h4>
<table class="changes"><thead><tr><th>change</th><th>path</th><th>signer (status)</th><th>version</th><th>SHA-256</th></tr></thead>
<tbody>${changes.map(changeRow)}</tbody></table>`;
}

function updateSection(u: UpdateView): Html {
  const aboveInfo = u.findings.some((f) => f.severity !== 'info');
  const title = u.from ? html`${u.from.version ?? '?'}<span class="arrow">→</span>${u.version ?? '?'}` : html`baseline ${u.version ?? '?'}`;
  return html`<details class="update" id="u-${u.snapshot}" data-snapshot="${u.snapshot}"${aboveInfo ? html` open` : ''}>
<summary><strong>${title}</strong> <span class="muted">${u.takenAt} · ${u.trigger} · snapshot ${u.snapshot} · ${u.from ? `${u.changes.length} changed` : `${u.files} files, ${u.modules} modules`}</span> ${countsLine(u.counts)}</summary>
${u.findings.length ? html`<h4>Findings</h4>${findingList(u.findings, false)}` : html`<p class="muted">no findings</p>`}
${u.from ? changeTable(u.changes) : ''}</details>`;
}

function versionTable(app: AppView): Html {
  return html`<table class="versions"><thead><tr><th>version</th><th>arrived</th><th>trigger</th><th>files</th><th>modules</th><th>findings</th></tr></thead><tbody>
${app.updates.map((u) => html`<tr><td><a href="#u-${u.snapshot}">${u.version ?? '?'}</a></td><td>${u.takenAt}</td><td>${u.trigger}</td><td>${u.files}</td><td>${u.modules}</td><td>${countsLine(u.counts)}</td></tr>`)}
</tbody></table>`;
}

function appSection(app: AppView, i: number): Html {
  const all = app.updates.flatMap((u) => u.findings);
  return html`<section class="app" id="app-${i}" data-app="${app.name}"><h2>${app.name}</h2>
<p class="meta">${app.vendor ? html`${app.vendor} · ` : ''}<code>${app.root}</code> · ${app.updates.length} version${app.updates.length === 1 ? '' : 's'} · ${countsLine(severityCounts(all))}</p>
${versionTimeline(app.name, app.updates)}
<details class="versions-table"><summary>versions</summary>${versionTable(app)}</details>
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
