import http from 'http';

/** A model server that counts what reaches it: an invocation refused by the portal must not. */
export function countingModelServer(): Promise<{
  url: string;
  count(): number;
  close(): void;
}> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    req.resume();
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ predictions: [0] }));
  });
  return new Promise(resolve =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as any).port}`,
        count: () => requests,
        close: () => server.close(),
      }),
    ),
  );
}
