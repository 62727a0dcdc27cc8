import http from 'http';
import { AddressInfo } from 'net';

/**
 * A loopback HTTP proxy that holds every request for `delayMs` before forwarding it, like a distant region, and
 * counts the requests per method and path.
 */
export async function startDelayProxy(target: string, delayMs: number) {
  const calls = new Map<string, number>();
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const key = `${req.method} ${(req.url ?? '').split('?')[0]} ${
      req.headers['x-amz-target'] ?? ''
    }`.trim();
    calls.set(key, (calls.get(key) ?? 0) + 1);
    setTimeout(() => {
      const upstream = http.request(
        new URL(req.url ?? '/', target),
        {
          method: req.method,
          headers: { ...req.headers, host: new URL(target).host },
          agent,
        },
        answer => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', error => {
        res.writeHead(502);
        res.end(String(error));
      });
      req.pipe(upstream);
    }, delayMs);
  });
  await new Promise<void>(resolve =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    total: () => [...calls.values()].reduce((a, b) => a + b, 0),
    reset: () => calls.clear(),
    close: () => new Promise(resolve => server.close(resolve)),
  };
}
