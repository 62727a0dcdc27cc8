import http from 'http';
import { AddressInfo } from 'net';
import { MlflowClient } from './MlflowClient';

/**
 * A real HTTP server that closes the first `drops` connections without answering, the way a server whose
 * keep-alive timer fired closes a socket a request was just sent on; MLflow cannot be made to do this on cue.
 */
async function droppingServer(drops: number) {
  let seen = 0;
  const methods: string[] = [];
  const server = http.createServer((req, res) => {
    methods.push(req.method!);
    if (seen++ < drops) {
      req.socket.destroy();
      return;
    }
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({ experiment: { experiment_id: '7', name: 'churn' } }),
      );
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new MlflowClient({
    server: { name: 'local', baseUrl: url, uiUrl: url, auth: { type: 'none' } },
    sign: async request => request.headers,
    timeoutMs: 5000,
  });
  return {
    client,
    methods,
    close: () => new Promise(r => server.close(r)),
  };
}

describe('MlflowClient on a connection the server closed', () => {
  it('sends a GET once more and returns the answer', async () => {
    const server = await droppingServer(1);
    try {
      await expect(server.client.getExperimentByName('churn')).resolves.toEqual(
        { experiment_id: '7', name: 'churn' },
      );
      expect(server.methods).toEqual(['GET', 'GET']);
    } finally {
      await server.close();
    }
  });

  it('gives up after one retry with an error that names the server', async () => {
    const server = await droppingServer(2);
    try {
      await expect(server.client.getExperimentByName('churn')).rejects.toThrow(
        /MLflow server 'local'.*cannot be reached/,
      );
      expect(server.methods).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it('sends a run search (a read, though a POST) once more too', async () => {
    const server = await droppingServer(1);
    try {
      await expect(
        server.client.searchRuns({ experimentIds: ['7'] }),
      ).resolves.toEqual({ items: [], nextPageToken: undefined });
      expect(server.methods).toEqual(['POST', 'POST']);
    } finally {
      await server.close();
    }
  });

  it('never repeats a POST that writes, which may have been carried out', async () => {
    const server = await droppingServer(1);
    try {
      await expect(server.client.createExperiment('churn')).rejects.toThrow(
        /cannot be reached/,
      );
      expect(server.methods).toEqual(['POST']);
    } finally {
      await server.close();
    }
  });
});
