// The bundle in the running daemon (a child process): fetched at start from a real HTTP server on 127.0.0.1 and on a
// every-2-seconds schedule; an accepted bundle reloads the config, so its policy is in force; a rolled-back and a
// tampered bundle served afterwards are refused and the accepted version stays.
import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { type BundlePayload, signBundle } from '../../daemon/bundle/envelope.ts';
import { bundlePoliciesDir } from '../../daemon/bundle/install.ts';
import { DaemonProcess, logLines, setup, waitForLog } from '../daemon/harness.ts';

const EXAMPLE_POLICY = readFileSync(resolve(import.meta.dirname, '..', '..', 'policies', 'examples', 'electron-app.yaml'), 'utf8');

function payload(version: number, name: string): BundlePayload {
  const now = Date.now();
  return { version, issued_at: new Date(now - 60_000).toISOString(), expires_at: new Date(now + 86_400_000).toISOString(), policies: [{ name: 'contoso.yaml', content: EXAMPLE_POLICY.replace('name: electron-app-example', `name: ${name}`) }], manifests: [] };
}

test.serial('the daemon accepts a signed bundle, loads its policy, and refuses a rollback and a tampered one', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  let body = JSON.stringify(signBundle(payload(5, 'bundle-v5'), privateKey));
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bundle.json`;
  const s = setup({ extra: `bundle:\n  url: ${url}\n  public_keys: [bundle.pub]\n  schedule: "*/2 * * * * *"\n  dir: bundle` });
  writeFileSync(join(s.dir, 'bundle.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(s.appRoot, 'readme.txt'), 'v1\n');
  const d = new DaemonProcess(s);
  try {
    t.like(await waitForLog(s, d.pid, (l) => l.message === 'bundle accepted', 'the bundle accepted'), { version: 5, previous: null, policies: 1 });
    await waitForLog(s, d.pid, (l) => l.message === 'config reloaded' && (l.policies as string[]).includes('bundle-v5'), 'the config reloaded with the bundle policy in force');
    t.regex(readFileSync(join(bundlePoliciesDir(join(s.dir, 'bundle')), 'contoso.yaml'), 'utf8'), /name: bundle-v5/);

    body = JSON.stringify(signBundle(payload(4, 'older'), privateKey));
    t.like(await waitForLog(s, d.pid, (l) => l.message === 'bundle refused: the last good bundle stays' && l.reason === 'rollback', 'the rollback refused'), { version: 5 });
    const tampered = signBundle(payload(6, 'bundle-v6'), privateKey);
    body = JSON.stringify({ ...tampered, payload: { ...tampered.payload, version: 7 } });
    t.like(await waitForLog(s, d.pid, (l) => l.message === 'bundle refused: the last good bundle stays' && l.reason === 'bad-signature', 'the tampered bundle refused'), { version: 5 });
    t.regex(readFileSync(join(bundlePoliciesDir(join(s.dir, 'bundle')), 'contoso.yaml'), 'utf8'), /name: bundle-v5/, 'the last good bundle stays');
  } finally {
    const exit = await d.stop();
    t.is(exit.code, 0, d.stderr);
    await new Promise((r) => server.close(r));
  }
  t.false(readFileSync(s.logFile, 'utf8').includes(url), 'the bundle URL is never logged');
  t.is(logLines(s).filter((l) => l.message === 'bundle accepted').length, 1);
});
