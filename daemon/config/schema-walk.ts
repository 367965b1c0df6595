// What config/sealwatch.schema.json says about one field: its JSON type, so that text from the environment, the
// Windows registry or --set becomes the number, boolean or list the schema expects. Also the table of the settings the
// environment may set (SEALWATCH_LOG_LEVEL → log.level): every scalar field outside a list.
import { readFileSync } from 'node:fs';
import { assetPath } from '../shared/assets.ts';
import { parse as parseYaml } from 'yaml';

export const SCHEMA_FILE = assetPath('config', 'sealwatch.schema.json');

export interface SchemaNode {
  readonly type?: string;
  readonly $ref?: string;
  readonly properties?: Record<string, SchemaNode>;
  readonly items?: SchemaNode;
  readonly description?: string;
  readonly enum?: readonly unknown[];
  readonly [key: string]: unknown;
}

let cached: SchemaNode | undefined;
export function configSchema(): SchemaNode {
  cached ??= JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as SchemaNode;
  return cached;
}

/** A $ref to #/definitions/x, followed (the schema uses no other kind). */
export function deref(node: SchemaNode, root: SchemaNode = configSchema()): SchemaNode {
  if (!node.$ref) return node;
  const name = node.$ref.replace('#/definitions/', '');
  const target = (root.definitions as Record<string, SchemaNode> | undefined)?.[name];
  return target ? { ...target, ...node, $ref: undefined, type: target.type } : node;
}

/** The schema of the field at `path` (keys and list indexes), or undefined when the schema has no such field. */
export function schemaAt(path: readonly (string | number)[], root: SchemaNode = configSchema()): SchemaNode | undefined {
  let node: SchemaNode | undefined = root;
  for (const seg of path) {
    if (!node) return undefined;
    node = deref(node, root);
    node = typeof seg === 'number' ? node.items : node.properties?.[seg];
  }
  return node ? deref(node, root) : undefined;
}

/**
 * Text as the schema's type: integers and booleans parsed (left as text when they do not parse, so validation names
 * the field), lists and objects read as YAML / JSON flow text, strings kept.
 */
export function coerce(path: readonly (string | number)[], text: string): unknown {
  const type = schemaAt(path)?.type;
  if (type === 'integer' || type === 'number') return /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text.trim()) : text;
  if (type === 'boolean') {
    const t = text.trim().toLowerCase();
    return t === 'true' || t === '1' ? true : t === 'false' || t === '0' ? false : text;
  }
  if (type === 'array' || type === 'object') {
    try {
      return parseYaml(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** Every scalar setting outside a list: [path, SEALWATCH_ name]. */
export function envSettings(root: SchemaNode = configSchema()): Array<[string[], string]> {
  const out: Array<[string[], string]> = [];
  const walk = (node: SchemaNode, path: string[]): void => {
    const n = deref(node, root);
    if (n.type === 'object' && n.properties) {
      for (const [k, child] of Object.entries(n.properties)) walk(child, [...path, k]);
    } else if (n.type !== 'array' && path.length) out.push([path, `SEALWATCH_${path.join('_').toUpperCase()}`]);
  };
  walk(root, []);
  return out;
}
