// The report's one escaping function and its template tag: every value escaped once, markup built by the tag kept.
import test from 'ava';
import { escapeHtml, html, lines, trusted } from '../../daemon/report/html.ts';

test('escapeHtml: the five HTML specials and the backtick become entities; control and bidi characters visible escapes', (t) => {
  t.is(escapeHtml(`<img src=x onerror="alert('1')">&\``), '&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;&#96;');
  t.is(escapeHtml('a\u202egnp.exe'), 'a\\u202egnp.exe', 'a right-to-left override cannot reorder a name');
  t.is(escapeHtml('x\u0000y\u001bz'), 'x\\u0000y\\u001bz');
  t.is(escapeHtml('conpty.dll\n'), 'conpty.dll\\u000a', 'a newline in a name is shown (it would read as the genuine conpty.dll)');
  t.is(escapeHtml('a\tb'), 'a\\u0009b');
  t.is(escapeHtml('x\u3164.exe \u2800 \u{e0041}'), 'x\\u3164.exe \\u2800 \\u{e0041}');
  t.is(escapeHtml('OpenConsole\u200b.exe soft\u00adhyphen\u2060\ufeff'), 'OpenConsole\\u200b.exe soft\\u00adhyphen\\u2060\\ufeff', 'invisible characters are shown');
  t.is(lines(['{', '  path: a\nb', '}']).text, '{\n  path: a\\u000ab\n}', 'several lines on purpose: each escaped, joined by real newlines');
});

test('html: values escaped (arrays joined, absent empty), nested html kept as markup, never escaped twice', (t) => {
  const name = '</script><script>alert(1)</script>';
  const inner = html`<b>${name}</b>`;
  t.is(html`<p title="${name}">${inner}${[1, '<', null, undefined, false]}</p>`.text, '<p title="&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"><b>&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</b>1&lt;</p>');
  t.is(html`${'&amp;'}`.text, '&amp;amp;', 'text that looks escaped is still text');
  t.is(html`${trusted('<i>x</i>')}`.text, '<i>x</i>', 'only trusted() passes markup through');
});

test('hunt view: one file at many paths of one app (one arrival) draws the window around its arrival once, not once per path', async (t) => {
  const { copyFileSync, mkdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { createHash } = await import('node:crypto');
  const { readFileSync } = await import('node:fs');
  const { buildHunt, renderHunt } = await import('../../daemon/report/ioc-page.ts');
  const { Store } = await import('../../daemon/inventory/store/store.ts');
  const { realCorpusPath } = await import('../helpers/real-corpus.ts');
  const { tempDir } = await import('../helpers/temp.ts');
  const { sealwatch } = await import('../helpers/cli.ts');
  const app = tempDir('sealwatch-hunt-many-');
  const db = join(tempDir('sealwatch-hunt-db-'), 'h.db');
  copyFileSync(realCorpusPath('conpty'), join(app, 'first.dll'));
  t.is((await sealwatch(['scan', app, '--app', 'many', '--app-version', '1', '--db', db])).code, 0);
  for (let i = 0; i < 60; i++) (mkdirSync(join(app, `d${i}`)), copyFileSync(realCorpusPath('pty-node'), join(app, `d${i}`, 'x.node')));
  await sealwatch(['scan', app, '--app', 'many', '--app-version', '2', '--db', db]);
  const sha = createHash('sha256').update(readFileSync(realCorpusPath('pty-node'))).digest('hex');
  const store = Store.open(db);
  try {
    const views = buildHunt(store, [{ hash: sha, sha256: sha }]);
    t.is(views[0]?.sightings.length, 60);
    const page = renderHunt(views, '2026-11-27T00:00:00Z');
    t.is(page.split('<table class="scope">').length - 1, 1, 'one window table for the one arrival');
    t.is(page.split('the same arrival as the sighting above').length - 1, 59);
  } finally {
    store.close();
  }
});
