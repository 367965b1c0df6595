// A real HTTPS server on 127.0.0.1 (port 0) for fetch tests: a self-signed certificate for 127.0.0.1 and localhost by
// openssl, handed to the client as its extra CA (FetchOptions.ca), and a handler the test can change between requests.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './temp.ts';

export function localCertificate(): { key: string; cert: string; file: string } {
  const dir = tempDir('sealwatch-tls-');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-days', '2'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), file: join(dir, 'cert.pem') };
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TlsServer {
  /** https://127.0.0.1:PORT */
  readonly origin: string;
  /** The certificate to trust (FetchOptions.ca), and its file (NODE_EXTRA_CA_CERTS for a child process). */
  readonly ca: string;
  readonly caFile: string;
  /** Request paths (with query) in the order they came. */
  readonly requests: string[];
  set(h: Handler): void;
  close(): Promise<void>;
}

export async function tlsServer(handler: Handler): Promise<TlsServer> {
  const tls = localCertificate();
  let current = handler;
  const requests: string[] = [];
  const s = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    requests.push(req.url ?? '');
    current(req, res);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    origin: `https://127.0.0.1:${(s.address() as AddressInfo).port}`,
    ca: tls.cert,
    caFile: tls.file,
    requests,
    set: (h) => void (current = h),
    close: () => new Promise<void>((r) => {
      s.closeAllConnections();
      s.close(() => r());
    }),
  };
}
