// `sealwatch ioc HASH… --html FILE` and the daemon's /ioc: the hunt view. Per IoC every app and path where it was
// seen, first / last seen and version, still present or gone, on a time axis with the app's versions; and what else
// changed in that app in a window around its arrival (the `scope` answer).
import { type Store } from '../inventory/store/store.ts';
import { type Severity } from '../shared/findings.ts';
import { type Html, html } from './html.ts';
import { bySeverity, findingView } from './model.ts';
import { page } from './page.ts';
import { presenceTimeline } from './svg.ts';

/** How far before and after an IoC's arrival "what else changed" looks. */
export const SCOPE_WINDOW_MS = 7 * 24 * 3600 * 1000;

/** A hash as asked, and the SHA-256 it stands for (a SHA-1 or MD5 resolved through the stored records); none: unknown. */
export interface AskedHash {
  readonly hash: string;
  readonly sha256: string | undefined;
}

interface ScopeRow {
  readonly snapshot: number;
  readonly takenAt: string;
  readonly fromVersion: string | null;
  readonly toVersion: string | null;
  readonly paths: readonly { readonly change: 'added' | 'changed' | 'removed'; readonly path: string }[];
  readonly findings: readonly { readonly rule: string; readonly severity: Severity; readonly path: string | null }[];
}

export interface SightingView {
  readonly app: string;
  readonly path: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly firstVersion: string | null;
  readonly lastVersion: string | null;
  readonly stillPresent: boolean;
  readonly versions: readonly { readonly snapshot: number; readonly version: string | null; readonly takenAt: string }[];
  readonly around: readonly ScopeRow[];
}

export interface IocView {
  readonly hash: string;
  readonly sha256: string | undefined;
  readonly sightings: readonly SightingView[];
}

/** Snapshots of the app within the window around `at`, each with what changed against the one before it. */
function around(store: Store, appId: number, at: string): ScopeRow[] {
  const t = Date.parse(at);
  const from = new Date(t - SCOPE_WINDOW_MS).toISOString();
  const to = new Date(t + SCOPE_WINDOW_MS).toISOString();
  return store
    .snapshots(appId)
    .filter((s) => s.taken_at >= from && s.taken_at <= to)
    .map((s) => {
      const prev = store.previousSnapshot(appId, s.id);
      const before = new Map((prev ? store.files(prev.id) : []).map((f) => [f.path, f.sha256]));
      const after = store.files(s.id);
      const present = new Set(after.map((f) => f.path));
      const paths = [
        ...after.filter((f) => before.get(f.path) !== f.sha256).map((f) => ({ change: before.has(f.path) ? ('changed' as const) : ('added' as const), path: f.path })),
        ...[...before.keys()].filter((p) => !present.has(p)).map((p) => ({ change: 'removed' as const, path: p })),
      ];
      const findings = store.findings({ snapshotId: s.id }).filter((f) => f.severity !== 'info').map(findingView).sort(bySeverity);
      return { snapshot: s.id, takenAt: s.taken_at, fromVersion: prev?.version ?? null, toVersion: s.version, paths: prev ? paths : [], findings };
    });
}

export function buildHunt(store: Store, asked: readonly AskedHash[]): IocView[] {
  const apps = new Map(store.apps().map((a) => [a.name, a]));
  // One file seen at a thousand paths of one app arrived in the same scans: its versions and the window around its
  // arrival are worked out once per app and arrival, not once per path.
  const memo = new Map<string, unknown>();
  const once = <T>(key: string, make: () => T): T => (memo.has(key) ? (memo.get(key) as T) : (memo.set(key, make()), memo.get(key) as T));
  return asked.map((h) => ({
    hash: h.hash,
    sha256: h.sha256,
    sightings: (h.sha256 ? store.ioc(h.sha256) : []).map((hit) => {
      const app = apps.get(hit.app);
      const versions = app ? once(`v\0${app.id}`, () => store.snapshots(app.id).map((s) => ({ snapshot: s.id, version: s.version, takenAt: s.taken_at }))) : [];
      const window = app ? once(`a\0${app.id}\0${hit.first_seen}`, () => around(store, app.id, hit.first_seen)) : [];
      return { app: hit.app, path: hit.path, firstSeen: hit.first_seen, lastSeen: hit.last_seen, firstVersion: hit.first_version, lastVersion: hit.last_version, stillPresent: hit.still_present === 1, versions, around: window };
    }),
  }));
}

function scopeTable(s: SightingView): Html {
  if (s.around.length === 0) return html`<p class="muted">no snapshot of ${s.app} in the window</p>`;
  return html`<table class="scope"><thead><tr><th>taken at</th><th>versions</th><th>change</th><th>path</th><th>findings above info</th></tr></thead><tbody>
${s.around.map((r) => {
  const rows = r.paths.length ? r.paths : [undefined];
  return rows.map((p) => {
    const fs = p ? r.findings.filter((f) => f.path === p.path) : r.findings;
    return html`<tr data-snapshot="${r.snapshot}"${p?.path === s.path ? html` class="ioc-row"` : ''}><td>${r.takenAt}</td><td>${r.fromVersion ?? 'baseline'}<span class="arrow">→</span>${r.toVersion ?? '?'}</td>
<td>${p?.change ?? (r.fromVersion === null ? 'baseline' : 'nothing changed')}</td><td>${p ? html`<code class="path">${p.path}</code>` : ''}</td>
<td>${fs.map((f) => html`<span class="t-${f.severity}">${f.severity} <code>${f.rule}</code></span> `)}</td></tr>`;
  });
})}</tbody></table>`;
}

/** `scope`: the window around the arrival as a table, or a pointer to the sighting above that already shows it. */
function sightingSection(s: SightingView, scope: 'table' | 'above'): Html {
  return html`<section class="sighting" data-app="${s.app}" data-path="${s.path}" data-present="${s.stillPresent ? 'yes' : 'no'}">
<h3>${s.app}: <code class="path">${s.path}</code> — ${s.stillPresent ? html`<span class="present">still present</span>` : html`<span class="gone">gone</span>`}</h3>
<p>first seen <strong>${s.firstSeen}</strong> in version <strong class="mono">${s.firstVersion ?? '?'}</strong> · last seen <strong>${s.lastSeen}</strong> in version <strong class="mono">${s.lastVersion ?? '?'}</strong></p>
${presenceTimeline(`${s.path} in ${s.app} over its versions`, s)}
<h4>What else changed in ${s.app} within 7 days of its arrival</h4>${scope === 'table' ? scopeTable(s) : html`<p class="muted">the same arrival as the sighting above in ${s.app}: see its table</p>`}</section>`;
}

/** Each sighting; the window around an arrival drawn once per app and arrival (thousands of paths, one table). */
function sightings(list: readonly SightingView[]): Html[] {
  const shown = new Set<string>();
  return list.map((s) => {
    const key = `${s.app}\0${s.firstSeen}`;
    const first = !shown.has(key);
    shown.add(key);
    return sightingSection(s, first ? 'table' : 'above');
  });
}

export function renderHunt(views: readonly IocView[], generatedAt: string): string {
  const found = views.filter((v) => v.sightings.length > 0).length;
  const body = html`<header><h1>sealwatch hunt</h1>
<p class="meta">generated ${generatedAt} · ${views.length} indicator${views.length === 1 ? '' : 's'}, ${found} seen · ${views.reduce((n, v) => n + v.sightings.length, 0)} sightings</p></header>
${views.map((v) => html`<section class="ioc" data-hash="${v.hash}" data-sightings="${v.sightings.length}"><h2 class="mono">${v.hash}</h2>
${v.sha256 && v.sha256 !== v.hash ? html`<p class="meta">SHA-256 <code>${v.sha256}</code></p>` : ''}
${v.sightings.length ? sightings(v.sightings) : html`<p class="muted">never seen in this history</p>`}</section>`)}`;
  return page('sealwatch hunt', body);
}
