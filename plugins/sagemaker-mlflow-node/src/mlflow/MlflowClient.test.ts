import http from 'http';
import { AddressInfo } from 'net';
import { serializeError } from '@backstage/errors';
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

/** A real HTTP server whose every answer `answer` writes; records whether the client cut an answer off. */
async function answeringServer(
  answer: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  maxResponseBytes?: number,
  maxApiResponseBytes?: number,
) {
  const cutOff: boolean[] = [];
  const server = http.createServer((req, res) => {
    res.on('close', () => cutOff.push(!res.writableFinished));
    req.resume();
    req.on('end', () => answer(req, res));
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new MlflowClient({
    server: { name: 'local', baseUrl: url, uiUrl: url, auth: { type: 'none' } },
    sign: async request => request.headers,
    timeoutMs: 10_000,
    maxResponseBytes,
    maxApiResponseBytes,
  });
  return {
    client,
    cutOff,
    close: () =>
      new Promise(r => {
        server.closeAllConnections();
        server.close(r);
      }),
  };
}

describe('MlflowClient refused by the server', () => {
  const ROLE =
    'arn:aws:sts::123456789012:assumed-role/BackstageModelFactory/i-0abc';

  it.each([401, 403])(
    'answers HTTP %i without echoing the server, whose text goes to the cause for the log',
    async status => {
      const text = JSON.stringify({
        error_code: 'PERMISSION_DENIED',
        message: `User: ${ROLE} is not authorized to perform: sagemaker-mlflow:GetRegisteredModel`,
      });
      const server = await answeringServer((_, res) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(text);
      });
      try {
        const error = await server.client
          .getRegisteredModel('churn')
          .catch(e => e);
        expect(error).toMatchObject({
          name: 'UpstreamError',
          upstreamStatus: status,
          message: `MLflow server 'local': HTTP ${status}: the portal's credentials may not call registered-models/get`,
        });
        expect(error.cause).toEqual({
          name: 'PERMISSION_DENIED',
          message: text,
        });
        expect(JSON.stringify(serializeError(error))).not.toContain(
          'assumed-role',
        );
      } finally {
        await server.close();
      }
    },
  );
});

describe('MlflowClient.downloadArtifact', () => {
  const MAX = 1024 * 1024;

  it('stops reading an artifact at sagemakerMlflow.limits.maxResponseBytes and closes the connection', async () => {
    // Streams 64 MiB without a content-length, as long as the client reads.
    const server = await answeringServer((_, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      const write = () => {
        while (sent < 64 * MAX && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', write);
            return;
          }
        }
        if (!res.destroyed) res.end();
      };
      write();
    }, MAX);
    try {
      await expect(
        server.client.downloadArtifact('r1', 'validation/sample.json'),
      ).rejects.toMatchObject({
        name: 'UpstreamError',
        message: `MLflow server 'local' artifact validation/sample.json: answered more than ${MAX} bytes, the limit set by sagemakerMlflow.limits.maxResponseBytes`,
      });
      await new Promise(r => setTimeout(r, 200));
      expect(server.cutOff).toEqual([true]);
    } finally {
      await server.close();
    }
  });

  it('returns an artifact of exactly the limit whole', async () => {
    const server = await answeringServer((_, res) => {
      res.end(Buffer.alloc(MAX, 'y'));
    }, MAX);
    try {
      expect(
        (await server.client.downloadArtifact('r1', 'sample.json')).length,
      ).toBe(MAX);
    } finally {
      await server.close();
    }
  });
});

describe('MlflowClient API answers', () => {
  it('stops reading a search answer at sagemakerMlflow.limits.maxMlflowResponseBytes', async () => {
    const runs = Array.from({ length: 2000 }, (_, i) => ({
      info: { run_id: `r${i}`, experiment_id: '1', status: 'FINISHED' },
      data: { params: [{ key: 'p', value: 'x'.repeat(1000) }] },
    }));
    const server = await answeringServer(
      (_, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ runs }));
      },
      undefined,
      512 * 1024,
    );
    try {
      await expect(
        server.client.searchRuns({ experimentIds: ['1'] }),
      ).rejects.toMatchObject({
        name: 'UpstreamError',
        message: `MLflow server 'local' runs/search: answered more than ${
          512 * 1024
        } bytes, the limit set by sagemakerMlflow.limits.maxMlflowResponseBytes`,
      });
    } finally {
      await server.close();
    }
  });

  it("answers a server's HTML error page by its status only; the page goes to the cause for the log", async () => {
    const page =
      '<html><body><h1>Internal Server Error</h1><pre>Traceback (most recent call last): File "/srv/mlflow/secret.py"</pre></body></html>';
    const server = await answeringServer((_, res) => {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end(page);
    });
    try {
      const error = await server.client
        .getRegisteredModel('churn')
        .catch(e => e);
      expect(error).toMatchObject({
        name: 'UpstreamError',
        upstreamStatus: 500,
        message: "MLflow server 'local': HTTP 500 without an MLflow error",
      });
      expect(error.cause.message).toBe(page);
      expect(JSON.stringify(serializeError(error))).not.toContain('Traceback');
    } finally {
      await server.close();
    }
  });
});
