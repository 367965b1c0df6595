// `sealwatch run` with its loopback endpoint serves the report pages live, read-only, from its own history.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonProcess, httpPort, setup, waitForLog } from '../daemon/harness.ts';

test('the running daemon answers /report and /ioc from its history, with the CSP header; POST is refused', async (t) => {
  const s = setup();
  writeFileSync(join(s.appRoot, '<b onclick=x>readme.txt'), 'hello');
  const d = new DaemonProcess(s);
  try {
    await waitForLog(s, d.pid, (l) => l.message === 'scan finished', 'the baseline scan');
    const base = `http://127.0.0.1:${await httpPort(s, d.pid)}`;
    const report = await fetch(`${base}/report`);
    t.is(report.status, 200);
    t.regex(report.headers.get('content-security-policy') ?? '', /^default-src 'none'; style-src 'sha256-[^']+'; img-src 'none'; script-src 'none'/);
    const page = await report.text();
    t.regex(page, /<section class="app" id="app-0" data-app="contoso">/);
    t.regex(page, /baseline/);
    t.false(page.includes('<b onclick'), 'a file name is escaped');
    const sha = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'; // sha256("hello")
    const hunt = await (await fetch(`${base}/ioc?hash=${sha}`)).text();
    t.regex(hunt, /data-app="contoso" data-path="&lt;b onclick=x&gt;readme.txt" data-present="yes"/);
    t.is((await fetch(`${base}/report`, { method: 'POST' })).status, 405);
  } finally {
    await d.stop();
  }
});
