// Per-app `manifest:` and `manifest_keys:` in the daemon's config file: resolved against the config's directory, an
// https URL kept as is, plain http refused, keys loaded at once so a bad key is a config error naming its field.
import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../daemon/config/config.ts';
import { tempDir } from '../helpers/temp.ts';

function configWith(app: string): string {
  const dir = tempDir('sealwatch-config-');
  writeFileSync(join(dir, 'manifest.pub'), generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'rsa.pub'), generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }));
  const file = join(dir, 'sealwatch.yml');
  writeFileSync(file, `apps:\n  - name: contoso\n    path: /opt/contoso\n${app}`);
  return file;
}

test('manifest: a file relative to the config, or an https URL; manifest_keys: loaded', (t) => {
  const file = configWith('    manifest: manifests/contoso.json\n    manifest_keys: [manifest.pub]\n');
  const app = loadConfig(file, {}).apps[0];
  t.is(app?.manifest, join(file, '..', 'manifests', 'contoso.json'));
  t.deepEqual(app?.manifestKeys, [join(file, '..', 'manifest.pub')]);
  const url = loadConfig(configWith('    manifest: https://releases.contoso.invalid/contoso.json\n    manifest_keys: [manifest.pub]\n'), {}).apps[0];
  t.is(url?.manifest, 'https://releases.contoso.invalid/contoso.json');
});

test('plain http, a manifest without keys, a key that is not Ed25519 or not there: config errors with line and field', (t) => {
  t.throws(() => loadConfig(configWith('    manifest: http://releases.contoso.invalid/m.json\n    manifest_keys: [manifest.pub]\n'), {}), { message: /line 4: apps\[0\]\.manifest: must be a file or an https:\/\/ URL/ });
  t.throws(() => loadConfig(configWith('    manifest: m.json\n'), {}), { message: /apps\[0\]: must have property manifest_keys when property manifest is present/ });
  t.throws(() => loadConfig(configWith('    manifest: m.json\n    manifest_keys: [rsa.pub]\n'), {}), { message: /apps\[0\]\.manifest_keys\[0\]: manifest public key .*rsa\.pub: a rsa key, not Ed25519/ });
  t.throws(() => loadConfig(configWith('    manifest: m.json\n    manifest_keys: [missing.pub]\n'), {}), { message: /apps\[0\]\.manifest_keys\[0\]: manifest public key .*missing\.pub: cannot be read/ });
});

test('a pinned manifest key that non-admins can replace is refused (they could sign a manifest explaining their change)', (t) => {
  const file = configWith('    manifest: m.json\n    manifest_keys: [manifest.pub]\n');
  chmodSync(join(file, '..', 'manifest.pub'), 0o666);
  t.throws(() => loadConfig(file, {}), { message: /apps\[0\]\.manifest_keys\[0\]: manifest public key .*manifest\.pub: refused: non-admin users can change it: .*world-writable/ });
});

test('ManifestStage.forApp: the configured manifest with its pinned keys; its URL source is there for a schedule to refresh', async (t) => {
  const { ManifestStage } = await import('../../daemon/manifest/stage.ts');
  const app = loadConfig(configWith('    manifest: https://releases.contoso.invalid/contoso.json\n    manifest_keys: [manifest.pub]\n'), {}).apps[0];
  const stage = ManifestStage.forApp(app ?? { });
  t.deepEqual((await stage.urlSources()).map((s) => s.url), ['https://releases.contoso.invalid/contoso.json']);
  t.deepEqual(await ManifestStage.forApp({}).urlSources(), []);
});
