// config/mdm/com.sealwatch.agent.jamf.json is generated from config/sealwatch.schema.json and must stay in step; what
// an MDM writes from it (a managed-preferences plist with the shipped example's settings) loads as the managed layer.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { build } from 'plist';
import { parse as parseYaml } from 'yaml';
import { loadLayered } from '../../daemon/config/config.ts';
import { originOf } from '../../daemon/config/layers.ts';
import { jamfCustomSchemaText } from '../../daemon/config/mdm-schema.ts';
import { configSchema, type SchemaNode } from '../../daemon/config/schema-walk.ts';
import { tempDir } from '../helpers/temp.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const JAMF = join(ROOT, 'config', 'mdm', 'com.sealwatch.agent.jamf.json');

test('the Jamf custom schema is in step with the config schema (regenerate: node scripts/mdm-schema.ts)', (t) => {
  t.is(readFileSync(JAMF, 'utf8'), jamfCustomSchemaText(), 'config/mdm/com.sealwatch.agent.jamf.json is out of date: run node scripts/mdm-schema.ts');
});

test('every config field is in the form, with its type and a title; no $ref is left for the form to resolve', (t) => {
  const jamf = JSON.parse(readFileSync(JAMF, 'utf8')) as SchemaNode;
  t.false(JSON.stringify(jamf).includes('$ref'));
  t.is(jamf.required, undefined, 'a profile may set any subset');
  const walk = (src: SchemaNode, form: SchemaNode, path: string): void => {
    for (const [k, child] of Object.entries(src.properties ?? {})) {
      const f = form.properties?.[k];
      t.truthy(f, `${path}${k} is in the form`);
      if (!f) continue;
      t.is(typeof f.title, 'string', `${path}${k} has a title`);
      const type = child.$ref ? (configSchema().definitions as Record<string, SchemaNode>)[child.$ref.replace('#/definitions/', '')]?.type : child.type;
      t.is(f.type, type, `${path}${k} keeps its type`);
      if (child.properties) walk(child, f, `${path}${k}.`);
      if (child.items?.properties && f.items) walk(child.items, f.items, `${path}${k}[].`);
    }
  };
  walk(configSchema(), jamf, '');
  // The form is a JSON Schema itself, and the shipped example's settings satisfy it.
  const validate = new Ajv({ strict: false }).compile(jamf as object);
  const example = parseYaml(readFileSync(join(ROOT, 'config', 'sealwatch.example.yaml'), 'utf8')) as Record<string, unknown>;
  t.true(validate(example), JSON.stringify(validate.errors));
  t.false(validate({ log: { level: 'loud' } }));
});

test('a profile built from the form (the example\'s settings as a managed plist) is the managed layer', (t) => {
  const dir = tempDir('sealwatch-mdm-');
  const plist = join(dir, 'com.sealwatch.agent.plist');
  writeFileSync(plist, build({ watch: { settle: '45s' }, log: { level: 'warn', max_files: 9 }, schedules: { rescan: '0 2 * * 0' }, PayloadIdentifier: 'com.example.sealwatch', PayloadUUID: 'A1B2' } as never));
  const file = join(dir, 'sealwatch.yaml');
  writeFileSync(file, 'apps:\n  - name: a\n    path: /opt/a\n');
  const r = loadLayered(file, {}, { managed: { plist } });
  t.is(r.config.watch.settleMs, 45_000);
  t.is(r.config.log.maxFiles, 9);
  t.is(r.config.schedules.rescan, '0 2 * * 0');
  t.is(originOf(r.merged, ['log', 'level'])?.source, `managed ${plist}`);
});
