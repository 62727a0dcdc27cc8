import http from 'http';
import { AddressInfo } from 'net';

/**
 * A loopback HTTP proxy that holds every request for `delayMs` before forwarding it, like a distant region, and
 * counts the requests per method and path.
 */
export async function startDelayProxy(target: string, delayMs: number) {
  const calls = new Map<string, number>();
  // When each call arrived and when its answer was complete (performance.now()), to see the critical path.
  const timeline: Array<{ key: string; start: number; end?: number }> = [];
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const key = `${req.method} ${(req.url ?? '').split('?')[0]} ${
      req.headers['x-amz-target'] ?? ''
    }`.trim();
    calls.set(key, (calls.get(key) ?? 0) + 1);
    const entry: (typeof timeline)[number] = { key, start: performance.now() };
    timeline.push(entry);
    res.on('finish', () => (entry.end = performance.now()));
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
    timeline,
    total: () => [...calls.values()].reduce((a, b) => a + b, 0),
    reset: () => {
      calls.clear();
      timeline.length = 0;
    },
    close: () => new Promise(resolve => server.close(resolve)),
  };
}
