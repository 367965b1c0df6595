// The HTML report and hunt view rendered in real headless Chromium (Debian's chromium, puppeteer-core) from a real
// recorded history: the 3CX-shaped update, a real legitimate update, and a file and a signer whose names are markup.
import test from 'ava';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser } from 'puppeteer-core';
import { Store } from '../../daemon/inventory/store/store.ts';
import { startHttp, type HttpEndpoint } from '../../daemon/run/http.ts';
import { servePage } from '../../daemon/report/serve.ts';
import { PageRenderer } from '../../daemon/report/off-thread.ts';
import { sealwatch } from '../helpers/cli.ts';
import { inPage, launch, watchedPage, type Watched } from './browser.ts';
import { HOSTILE_FILE, HOSTILE_SIGNER, recordHistory, type RecordedHistory } from './history.ts';
import { tempDir } from '../helpers/temp.ts';

// Serial: one browser, one page at a time (a screenshot of a page that is not in front waits for a frame).
/** The README's screenshots are refreshed only when asked (SEALWATCH_UPDATE_DOCS=1); otherwise a run leaves the checkout as it was. */
const docs = process.env.SEALWATCH_UPDATE_DOCS === '1' ? resolve(import.meta.dirname, '..', '..', 'docs') : tempDir('sealwatch-shots-');
const out = tempDir('sealwatch-report-');
let browser: Browser;
let history: RecordedHistory;
let reportFile: string;
let huntFile: string;

test.before(async () => {
  [browser, history] = await Promise.all([launch(), recordHistory()]);
  reportFile = join(out, 'report.html');
  huntFile = join(out, 'hunt.html');
  const r = await sealwatch(['report', '--db', history.db, '--out', reportFile]);
  if (r.code !== 0) throw new Error(`report exited ${r.code}: ${r.stderr}`);
  const i = await sealwatch(['ioc', history.trojanSha256, history.hostileSha256, '--db', history.db, '--html', huntFile]);
  if (i.code !== 1) throw new Error(`ioc exited ${i.code} (1 = sightings): ${i.stderr}`);
});

test.after.always(async () => {
  await browser?.close();
});

/** Opens a page and asserts that nothing ran, failed or was blocked while it loaded. */
async function open(t: { deepEqual: (a: unknown, b: unknown, m?: string) => void }, url: string): Promise<Watched> {
  const w = await watchedPage(browser);
  await w.page.goto(url, { waitUntil: 'load' });
  t.deepEqual(w.dialogs, [], 'no dialog');
  t.deepEqual(w.errors, [], 'no script error');
  t.deepEqual(w.consoleErrors, [], 'no console error (CSP violations are logged there too)');
  t.deepEqual(await w.violations(), [], 'no CSP violation');
  return w;
}

const db = (): Store => Store.open(history.db, { mustExist: true });

test.serial('the report: the critical finding first, counts as in the database, every finding with its rule and path', async (t) => {
  const w = await open(t, pathToFileURL(reportFile).href);
  const store = db();
  try {
    const unexplained = await inPage<Array<{ id: number; severity: string; rule: string; path: string | null }>>(
      w.page,
      `[...document.querySelectorAll('#unexplained li.finding')].map((e) => ({ id: Number(e.id.slice(2)), severity: e.dataset.severity, rule: e.dataset.rule, path: e.querySelector('.path')?.textContent ?? null }))`,
    );
    const expected = store.findings({ unexplained: true });
    t.is(unexplained.length, expected.length);
    t.deepEqual(unexplained.map((f) => f.id).sort((a, b) => a - b), expected.map((f) => f.id).sort((a, b) => a - b));
    t.is(unexplained[0]?.severity, 'critical', 'the first unexplained finding is critical');
    const rank = ['info', 'low', 'medium', 'high', 'critical'];
    t.true(unexplained.every((f, i) => i === 0 || rank.indexOf(f.severity) <= rank.indexOf(unexplained[i - 1]?.severity ?? '')), 'most severe first');
    t.true(unexplained.some((f) => f.severity === 'critical' && f.rule === 'UNAUTHENTICATED_DATA' && f.path === 'd3dcompiler_47.dll'));

    // Every finding of the database, in its update's section, with its rule, path, severity and review state.
    const all = store.findings();
    const shown = await inPage<Array<{ id: number; severity: string; rule: string; path: string | null; state: string }>>(
      w.page,
      `[...document.querySelectorAll('section.app li.finding')].map((e) => ({ id: Number(e.id.slice(2)), severity: e.dataset.severity, rule: e.querySelector('.rule').textContent, path: e.querySelector('.path')?.textContent ?? null, state: e.querySelector('.evidence summary').textContent }))`,
    );
    t.is(shown.length, all.length);
    for (const f of all) {
      const s = shown.find((x) => x.id === f.id);
      t.like(s, { severity: f.severity, rule: f.rule, path: f.path }, `finding ${f.id}`);
      t.regex(s?.state ?? '', new RegExp(`review: ${f.state}`));
    }
    // Per-app counts by severity match the database.
    for (const app of store.apps()) {
      const counts = await inPage<Record<string, number>>(w.page, `Object.fromEntries([...document.querySelectorAll('section.app[data-app=${JSON.stringify(app.name)}] > p.meta [data-severity]')].map((e) => [e.dataset.severity, Number(e.dataset.count)]))`);
      const rows = store.findings({ app: app.name }).filter((f) => f.severity !== 'info');
      const want: Record<string, number> = {};
      for (const f of rows) want[f.severity] = (want[f.severity] ?? 0) + 1;
      t.deepEqual(counts, want, app.name);
      t.is(await inPage<number>(w.page, `document.querySelectorAll('section.app[data-app=${JSON.stringify(app.name)}] svg.timeline circle').length`), store.snapshots(app.id).length, 'one point per version on the timeline');
    }
    // The module diff of the 3CX-shaped update: the same-version vendor DLL, signer and version before → after.
    const contoso = await inPage<string>(w.page, `[...document.querySelectorAll('tr.change')].find((r) => r.querySelector('td.path').textContent === 'contoso.dll')?.textContent ?? ''`);
    t.regex(contoso, /changed/);
    t.regex(contoso, /1\.2\.3\.4/);
    t.regex(contoso, /org:Contoso Test Ltd/);
  } finally {
    store.close();
    await w.page.close();
  }
});

test.serial('a file named <img src=x onerror=alert(1)>.dll and a signer named </script><script>… are text: nothing runs', async (t) => {
  const w = await open(t, pathToFileURL(reportFile).href);
  try {
    t.is(await inPage<number>(w.page, `document.querySelectorAll('img, script, iframe, object, embed').length`), 0, 'no element was made from a name');
    const paths = await inPage<string[]>(w.page, `[...document.querySelectorAll('code.path, td.path')].map((e) => e.textContent)`);
    t.true(paths.includes(HOSTILE_FILE), 'the file name is shown as text');
    const body = await inPage<string>(w.page, 'document.body.innerText');
    t.true(body.includes(HOSTILE_SIGNER), 'the signer name is shown as text');
    const html = readFileSync(reportFile, 'utf8');
    t.false(html.includes(HOSTILE_FILE) || html.includes('<script'), 'never raw in the file');
    t.false(html.includes('http://') || html.includes('https://'), 'no remote reference');
    t.regex(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;sha256-[A-Za-z0-9+/=]+&#39;; img-src &#39;none&#39;; script-src &#39;none&#39;/);
  } finally {
    await w.page.close();
  }
});

test.serial('the CSP check catches what it should: a remote image and an inline script in a page with the same policy are blocked and reported', async (t) => {
  const html = readFileSync(reportFile, 'utf8').replace('<body>', '<body><img src="http://127.0.0.1:9/x.png"><script>alert(1)</script>');
  const file = join(out, 'negative.html');
  (await import('node:fs')).writeFileSync(file, html);
  const w = await watchedPage(browser);
  try {
    await w.page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    t.deepEqual(w.dialogs, [], 'the inline script did not run');
    const v = await w.violations();
    t.true(v.some((x) => x.startsWith('img-src')), v.join('; '));
    t.true(v.some((x) => x.startsWith('script-src')), v.join('; '));
    t.true(w.consoleErrors.length > 0, 'the browser logged the refusals');
  } finally {
    await w.page.close();
  }
});

test.serial('light and dark follow prefers-color-scheme; printed, closed sections open; screenshots for the README', async (t) => {
  const w = await open(t, pathToFileURL(reportFile).href);
  try {
    mkdirSync(docs, { recursive: true });
    await w.page.setViewport({ width: 1280, height: 1400 });
    const bg = (): Promise<string> => inPage<string>(w.page, 'getComputedStyle(document.body).backgroundColor');
    await w.page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
    const light = await bg();
    await w.page.screenshot({ path: join(docs, 'report-light.png') });
    // The 3CX-shaped update itself: its findings and module diff.
    const update = await w.page.$('section.app[data-app="contoso"] details.update:nth-of-type(2)');
    t.regex((await update?.evaluate((e) => (e as unknown as { textContent: string }).textContent)) ?? '', /18\.12\.407 → 18\.12\.416/);
    await update?.screenshot({ path: join(docs, 'report-update-light.png') });
    await w.page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
    const dark = await bg();
    await w.page.screenshot({ path: join(docs, 'report-dark.png') });
    t.is(light, 'rgb(255, 255, 255)');
    t.not(dark, light);
    // The legitimate node update has nothing above info: its section is closed on screen, open on paper.
    const changesVisible = `(() => { const d = [...document.querySelectorAll('section.app[data-app="node"] details.update')].find((e) => !e.open && e.querySelector('pre.changes')); return d ? d.querySelector('pre.changes').checkVisibility() : null; })()`;
    t.false(await inPage<boolean | null>(w.page, changesVisible));
    await w.page.emulateMediaType('print');
    t.true(await inPage<boolean | null>(w.page, changesVisible));
    t.is(await bg(), 'rgb(255, 255, 255)', 'printed on white whatever the scheme');
    const pdf = await w.page.pdf({ format: 'A4' });
    t.true(pdf.length > 10_000);
  } finally {
    await w.page.close();
  }
});

test.serial('the hunt view: each IoC where and when it was seen, present or gone, on the app\'s version axis, with what else changed', async (t) => {
  const w = await open(t, pathToFileURL(huntFile).href);
  try {
    const sightings = await inPage<Array<{ hash: string; app: string; path: string; present: string; text: string; ticks: number; scope: string[] }>>(
      w.page,
      `[...document.querySelectorAll('section.sighting')].map((s) => ({ hash: s.closest('section.ioc').dataset.hash, app: s.dataset.app, path: s.dataset.path, present: s.dataset.present, text: s.querySelector('p').textContent, ticks: s.querySelectorAll('svg.presence line.tick').length, scope: [...s.querySelectorAll('table.scope td code.path')].map((c) => c.textContent) }))`,
    );
    const trojan = sightings.find((s) => s.hash === history.trojanSha256);
    t.like(trojan, { app: 'contoso', path: 'Frameworks/libffmpeg.dylib', present: 'no', ticks: 3 });
    t.regex(trojan?.text ?? '', /first seen .* in version 18\.12\.416 · last seen .* in version 18\.12\.416/);
    for (const p of ['d3dcompiler_47.dll', 'contoso.dll', 'ffmpeg.dll', HOSTILE_FILE]) t.true(trojan?.scope.includes(p), `what else changed: ${p}`);
    const hostile = sightings.find((s) => s.hash === history.hostileSha256);
    t.like(hostile, { app: 'contoso', path: HOSTILE_FILE, present: 'yes' });
    t.regex(hostile?.text ?? '', /last seen .* in version 18\.12\.420/);
    await w.page.setViewport({ width: 1280, height: 1000 });
    await w.page.screenshot({ path: join(docs, 'hunt-light.png') });
  } finally {
    await w.page.close();
  }
});

test.serial('report --app / --since select; an unknown app or a bad date is a usage error', async (t) => {
  const file = join(out, 'node.html');
  t.is((await sealwatch(['report', '--db', history.db, '--app', 'node', '--out', file])).code, 0);
  const html = readFileSync(file, 'utf8');
  t.true(html.includes('data-app="node"'));
  t.false(html.includes('data-app="contoso"'));
  const late = await sealwatch(['report', '--db', history.db, '--since', '2099-01-01']);
  t.is(late.code, 0);
  t.false(late.stdout.includes('li class="finding'), 'nothing since then');
  const unknown = await sealwatch(['report', '--db', history.db, '--app', 'nope']);
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /no app named nope .*apps: /);
  t.is((await sealwatch(['report', '--db', history.db, '--since', '2026-13-45'])).code, 2);
  const unwritable = await sealwatch(['report', '--db', history.db, '--out', join(out, 'missing-dir', 'r.html')]);
  t.not(unwritable.code, 0);
  t.regex(unwritable.stderr, /cannot write .*missing-dir.*r\.html/);
});

test.serial('the daemon renders its pages in a worker thread: the same page as on its own thread, its event loop turning meanwhile; a page asked for while one renders is told to retry (503)', async (t) => {
  const store = db();
  try {
    const pages = new PageRenderer(store);
    const now = new Date('2026-11-26T12:00:00Z');
    const query = new URLSearchParams('app=contoso');
    // Rendered on the daemon's thread, both answers would come before a single setImmediate callback ran.
    let turns = 0;
    let spinning = true;
    const spin = (): void => {
      if (!spinning) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const [first, second] = await Promise.all([pages.serve('/report', query, now), pages.serve('/report', query, now)]);
    spinning = false;
    t.true(turns > 0, 'the event loop ran while the page was rendered');
    t.deepEqual(first, servePage(store, '/report', query, now));
    t.like(second, { status: 503, headers: { 'retry-after': '2' } });
    // once it is done, the next page is rendered; not a page: undefined (404); the asker's mistake: 400, from the worker too
    t.is((await pages.serve('/ioc', new URLSearchParams(`hash=${history.trojanSha256}`), now))?.status, 200);
    t.is(await pages.serve('/nope', query, now), undefined);
    const bad = await pages.serve('/report', new URLSearchParams('app=nope'), now);
    t.is(bad?.status, 400);
    t.regex(bad?.body ?? '', /nope/);
  } finally {
    store.close();
  }
});

test.serial('the daemon\'s loopback endpoint serves /report and /ioc read-only, with the policy as a header too', async (t) => {
  const store = db();
  let http: HttpEndpoint | undefined;
  try {
    http = await startHttp('127.0.0.1', 0, { health: () => ({ ok: true, body: {} }), metrics: async () => '', page: (path, q) => servePage(store, path, q, new Date()) });
    const base = `http://127.0.0.1:${http.port}`;
    const report = await fetch(`${base}/report`);
    t.is(report.status, 200);
    t.regex(report.headers.get('content-type') ?? '', /text\/html/);
    t.regex(report.headers.get('content-security-policy') ?? '', /default-src 'none'.*script-src 'none'/);
    const w = await open(t, `${base}/report?app=contoso`);
    t.is(await inPage<string>(w.page, `document.querySelector('#unexplained li.finding').dataset.severity`), 'critical');
    t.is(await inPage<number>(w.page, `document.querySelectorAll('section.app').length`), 1);
    await w.page.close();
    const hunt = await fetch(`${base}/ioc?hash=${history.trojanSha256}`);
    t.is(hunt.status, 200);
    t.regex(await hunt.text(), /data-path="Frameworks\/libffmpeg.dylib" data-present="no"/);
    t.is((await fetch(`${base}/ioc?hash=<script>`)).status, 400);
    t.is((await fetch(`${base}/report?app=nope`)).status, 400);
    t.is((await fetch(`${base}/report`, { method: 'POST' })).status, 405, 'read-only');
    t.is((await fetch(`${base}/reports`)).status, 404);
    // DNS rebinding: a page of rebind.example (resolving to 127.0.0.1) asks with its own name as Host.
    const { request } = await import('node:http');
    const rebound = await new Promise<number | undefined>((resolve, reject) => request(`${base}/report`, { headers: { host: 'rebind.example' } }, (r) => (r.resume(), resolve(r.statusCode))).on('error', reject).end());
    t.is(rebound, 421);
  } finally {
    await http?.close();
    store.close();
  }
});
