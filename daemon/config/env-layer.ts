// The environment layer: SEALWATCH_<PATH> for every scalar setting outside a list (SEALWATCH_LOG_LEVEL=debug,
// SEALWATCH_WATCH_SETTLE=10s, SEALWATCH_HTTP_PORT=9464). Other SEALWATCH_* variables are left alone: they are the
// config path (SEALWATCH_CONFIG), the scan database (SEALWATCH_DB) or secrets named by url_env / secret_env.
import { coerce, envSettings } from './schema-walk.ts';
import { type Layer, setIn } from './layers.ts';

export function envLayer(env: NodeJS.ProcessEnv): Layer {
  const data: Record<string, unknown> = {};
  const names = new Map<string, string>();
  for (const [path, name] of envSettings()) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    setIn(data, path, coerce(path, v));
    names.set(path.join('.'), name);
  }
  return { source: 'environment', kind: 'env', data, sourceOf: (p) => (names.has(p.join('.')) ? `env ${names.get(p.join('.'))}` : undefined) };
}
