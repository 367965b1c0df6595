// One batch to an HTTP sink that answers without end (shared/post-once.ts cuts it off): the batch fails with the
// service's status and Retry-After, named as too long, and the sink's token never shows.
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import test from 'ava';
import { MAX_EXPORT_RESPONSE_BYTES, sendBatch } from '../../daemon/export/send.ts';

const TOKEN = 'es-k3y-8d1f0c7a';

test('an endless answer is cut off past the cap: the batch fails as "response too long" with its status and Retry-After', async (t) => {
  let bytes = 0;
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(503, { 'retry-after': '7', 'content-type': 'application/json' });
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    const more = (): void => {
      // Stop on our own well past the cap, so a client that never cuts off fails the test instead of hanging it.
      while (bytes < 8 * MAX_EXPORT_RESPONSE_BYTES && !res.destroyed) {
        bytes += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.end();
    };
    more();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sink = { name: 'es', type: 'elasticsearch', url, token: TOKEN, minSeverity: 'info', send: ['scans'], batch: 5, maxBytes: 1 << 20, maxFiles: 2 } as const;
  const result = await sendBatch(sink, [], 10_000);
  t.deepEqual(result, { ok: false, status: 503, retryAfter: '7', error: 'response too long' });
  t.true(bytes < 8 * MAX_EXPORT_RESPONSE_BYTES, 'the client stopped reading before the server gave up');
});
