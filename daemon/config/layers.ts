// Layered configuration: built-in defaults < the config file < managed settings (macOS managed preferences, Windows
// policy registry) < SEALWATCH_* environment < --set flags. Each layer is a partial config object with the file's
// snake_case keys; objects merge key by key, a list or a scalar replaces the lower layer's whole value. Every value
// set remembers which layer set it (for `config show --effective` and for naming the source of an error).
export type Segment = string | number;

export interface Layer {
  /** Shown to the operator: "file /etc/sealwatch/sealwatch.yaml", "env SEALWATCH_LOG_LEVEL", … */
  readonly source: string;
  readonly kind: 'default' | 'file' | 'managed' | 'env' | 'cli' | 'bundle';
  readonly data: Record<string, unknown>;
  /** Per-value source where one layer has several (each environment variable, each --set). */
  readonly sourceOf?: (path: readonly Segment[]) => string | undefined;
}

export interface Merged {
  readonly data: Record<string, unknown>;
  /** Dotted path ("watch.settle", "apps") → the source that set it. */
  readonly origins: ReadonlyMap<string, { readonly source: string; readonly kind: Layer['kind'] }>;
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const dotted = (path: readonly Segment[]): string => path.map((s) => String(s)).join('.');

export function mergeLayers(layers: readonly Layer[]): Merged {
  const data: Record<string, unknown> = {};
  const origins = new Map<string, { source: string; kind: Layer['kind'] }>();
  const put = (target: Record<string, unknown>, src: Record<string, unknown>, layer: Layer, path: string[]): void => {
    for (const [key, value] of Object.entries(src)) {
      if (value === undefined) continue;
      const here = [...path, key];
      if (isPlainObject(value)) {
        if (!isPlainObject(target[key])) target[key] = {};
        put(target[key] as Record<string, unknown>, value, layer, here);
        continue;
      }
      target[key] = value;
      const name = dotted(here);
      // A list replaced whole: what a lower layer said about its items no longer applies.
      for (const k of [...origins.keys()]) if (k.startsWith(`${name}.`)) origins.delete(k);
      origins.set(name, { source: layer.sourceOf?.(here) ?? layer.source, kind: layer.kind });
    }
  };
  for (const layer of layers) put(data, layer.data, layer, []);
  return { data, origins };
}

/** The source of the value at `path`: its own, or the nearest enclosing value's (a field inside a list). */
export function originOf(merged: Merged, path: readonly Segment[]): { source: string; kind: Layer['kind'] } | undefined {
  for (let n = path.length; n > 0; n--) {
    const o = merged.origins.get(dotted(path.slice(0, n)));
    if (o) return o;
  }
  return undefined;
}

/** Sets `value` at `path` in `target`, making the objects on the way. */
export function setIn(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1) as string] = value;
}
