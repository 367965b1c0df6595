// A real ClickHouse server (Debian's clickhouse-server 18.16) for one test file: started unprivileged from a small XML
// config in a temp dir, listening on 127.0.0.1 only, on free ports; stopped (SIGTERM to its pid) by close().
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import got from 'got';
import { tempDir } from '../helpers/temp.ts';

export const CLICKHOUSE_SERVER = '/usr/sbin/clickhouse-server';
/** The user the export sink logs in as (the `default` user, without a password, is the test's own). */
export const CLICKHOUSE_USER = 'sealwatch';
export const CLICKHOUSE_PASSWORD = 'ch-pa55-7e1f0c';

export interface ClickHouse {
  readonly url: string;
  /** Runs one statement; returns the body (throws with ClickHouse's message on an error). */
  query(sql: string): Promise<string>;
  /** Rows of a SELECT, as objects (FORMAT JSONEachRow appended). */
  rows(sql: string): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function configXml(dir: string, http: number, tcp: number): string {
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/server.err.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${http}</http_port>
  <tcp_port>${tcp}</tcp_port>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <timezone>UTC</timezone>
  <mark_cache_size>5368709</mark_cache_size>
  <max_server_memory_usage>0</max_server_memory_usage>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default>
    <${CLICKHOUSE_USER}><password>${CLICKHOUSE_PASSWORD}</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></${CLICKHOUSE_USER}>
  </users>
  <profiles><default></default></profiles>
  <quotas><default></default></quotas>
</yandex>
`;
}

export async function startClickHouse(): Promise<ClickHouse> {
  if (!existsSync(CLICKHOUSE_SERVER)) throw new Error(`${CLICKHOUSE_SERVER} is missing: run scripts/install-test-deps.sh (Debian package clickhouse-server)`);
  const dir = tempDir('sealwatch-clickhouse-');
  const [http, tcp] = [await freePort(), await freePort()];
  writeFileSync(join(dir, 'config.xml'), configXml(dir, http, tcp));
  const child: ChildProcess = spawn(CLICKHOUSE_SERVER, [`--config-file=${join(dir, 'config.xml')}`], { cwd: dir, stdio: 'ignore' });
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const url = `http://127.0.0.1:${http}`;
  const query = async (sql: string): Promise<string> => {
    const res = await got.post(`${url}/`, { body: sql, throwHttpErrors: false, retry: { limit: 0 }, timeout: { request: 60_000 } });
    if (res.statusCode !== 200) throw new Error(`ClickHouse ${res.statusCode}: ${res.body.slice(0, 500)}`);
    return res.body;
  };
  // Ready when it answers; a server that exits (port taken, bad config) fails at once with its log.
  for (let i = 0; ; i++) {
    if (exited !== undefined) throw new Error(`clickhouse-server exited (${exited}); see ${dir}/server.err.log`);
    try {
      if ((await query('SELECT 1')).trim() === '1') break;
    } catch {
      if (i > 600) throw new Error(`clickhouse-server did not answer on ${url}; see ${dir}/server.err.log`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    query,
    rows: async (sql) =>
      (await query(`${sql.trim().replace(/;$/, '')}\nFORMAT JSONEachRow`))
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    close: async () => {
      if (exited === undefined && child.pid !== undefined) {
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The statements of a .sql file: `--` comment lines dropped, split at `;` ending a line. */
export function statementsOf(sql: string): string[] {
  return sql
    .split('\n')
    .filter((l) => !l.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter(Boolean);
}
