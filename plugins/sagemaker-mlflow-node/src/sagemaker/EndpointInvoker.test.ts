import { ConfigReader } from '@backstage/config';
import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { parseSageMakerArn } from '../arn';
import { readSageMakerMlflowConfig } from '../config';
import { EndpointInvoker } from './EndpointInvoker';
import { SageMakerClients } from './SageMakerClients';

const ACCOUNT_A = '111111111111';
const ACCOUNT_B = '222222222222';
const endpointIn = (account: string) =>
  parseSageMakerArn(
    `arn:aws:sagemaker:us-east-1:${account}:endpoint/demo-model-staging`,
    'endpoint',
  );

/**
 * A real HTTP server on loopback. `answer` writes each response; what reached it and whether a response was cut
 * off by the client (its socket closed before the server finished writing) are recorded.
 */
async function startServer(
  answer: (req: http.IncomingMessage, res: http.ServerResponse) => void,
) {
  const requests: string[] = [];
  const cutOff: boolean[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.on('close', () => cutOff.push(!res.writableFinished));
    req.resume();
    req.on('end', () => answer(req, res));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    cutOff,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (body: string) => (_: unknown, res: http.ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
};

/** Streams `totalBytes` in 64 KiB chunks without a content-length, as long as the client keeps reading. */
const streamOf =
  (totalBytes: number) => (_: unknown, res: http.ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let sent = 0;
    const write = () => {
      while (sent < totalBytes && !res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', write);
          return;
        }
      }
      if (!res.destroyed) res.end();
    };
    write();
  };

// Real credentials manager for two accounts (static keys: the local servers check no signature).
const clientsFor = (endpoint: string) =>
  new SageMakerClients({
    credentialsManager: DefaultAwsCredentialsManager.fromConfig(
      new ConfigReader({
        aws: {
          accounts: [ACCOUNT_A, ACCOUNT_B].map(accountId => ({
            accountId,
            accessKeyId: 'test',
            secretAccessKey: 'test',
          })),
        },
      }),
    ),
    endpoint,
    timeoutMs: 5000,
    invokeTimeoutMs: 5000,
  });

describe('EndpointInvoker', () => {
  const servers: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(s => s.close()));
  });
  const server = async (
    answer: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  ) => {
    const started = await startServer(answer);
    servers.push(started);
    return started;
  };

  describe('endpointRoutes', () => {
    it("serves a route's endpoint only in the route's account: the same name in another account goes to SageMaker", async () => {
      const modelServer = await server(json('{"predictions":[1]}'));
      // Stands in for SageMaker's runtime API (InvokeEndpoint is POST /endpoints/<name>/invocations).
      const sagemaker = await server(json('{"predictions":[0]}'));
      const { endpointRoutes } = readSageMakerMlflowConfig(
        new ConfigReader({
          sagemakerMlflow: {
            endpointRoutes: [
              { endpointArn: endpointIn(ACCOUNT_A).arn, url: modelServer.url },
            ],
          },
        }),
      );
      const invoker = new EndpointInvoker({
        clients: clientsFor(sagemaker.url),
        routes: endpointRoutes,
        timeoutMs: 5000,
      });
      const body = Buffer.from('{"inputs":[[1]]}');

      const inB = await invoker.invoke(
        endpointIn(ACCOUNT_B),
        body,
        'application/json',
      );
      expect(inB.body.toString()).toBe('{"predictions":[0]}');
      expect(sagemaker.requests).toEqual([
        'POST /endpoints/demo-model-staging/invocations',
      ]);
      expect(modelServer.requests).toEqual([]);

      const inA = await invoker.invoke(
        endpointIn(ACCOUNT_A),
        body,
        'application/json',
      );
      expect(inA.body.toString()).toBe('{"predictions":[1]}');
      expect(modelServer.requests).toEqual(['POST /invocations']);
    });
  });

  describe('maxResponseBytes', () => {
    const MAX = 1024 * 1024;

    it("stops reading a route's streamed answer at the cap and closes the connection", async () => {
      const modelServer = await server(streamOf(64 * MAX));
      const invoker = new EndpointInvoker({
        clients: clientsFor('http://127.0.0.1:9'),
        routes: new Map([[endpointIn(ACCOUNT_A).arn, modelServer.url]]),
        timeoutMs: 10_000,
        maxResponseBytes: MAX,
      });
      await expect(
        invoker.invoke(endpointIn(ACCOUNT_A), Buffer.from('{}'), 'text/csv'),
      ).rejects.toMatchObject({
        name: 'UpstreamError',
        message: `endpoint demo-model-staging: answered more than ${MAX} bytes, the limit set by sagemakerMlflow.limits.maxResponseBytes`,
      });
      // The server saw its answer cut off: the backend did not read the other 63 MiB.
      await new Promise(r => setTimeout(r, 200));
      expect(modelServer.cutOff).toEqual([true]);
    });

    it("stops reading SageMaker's streamed InvokeEndpoint answer at the cap and closes the connection", async () => {
      const sagemaker = await server(streamOf(64 * MAX));
      const invoker = new EndpointInvoker({
        clients: clientsFor(sagemaker.url),
        routes: new Map(),
        timeoutMs: 10_000,
        maxResponseBytes: MAX,
      });
      await expect(
        invoker.invoke(endpointIn(ACCOUNT_A), Buffer.from('{}'), 'text/csv'),
      ).rejects.toMatchObject({
        name: 'UpstreamError',
        message: `SageMaker InvokeEndpoint demo-model-staging: answered more than ${MAX} bytes, the limit set by sagemakerMlflow.limits.maxResponseBytes`,
      });
      await new Promise(r => setTimeout(r, 200));
      expect(sagemaker.cutOff).toEqual([true]);
    });

    it('refuses an answer whose declared length is over the cap without reading it', async () => {
      const body = 'x'.repeat(MAX + 1);
      const modelServer = await server(json(body));
      const invoker = new EndpointInvoker({
        clients: clientsFor('http://127.0.0.1:9'),
        routes: new Map([[endpointIn(ACCOUNT_A).arn, modelServer.url]]),
        timeoutMs: 10_000,
        maxResponseBytes: MAX,
      });
      await expect(
        invoker.invoke(endpointIn(ACCOUNT_A), Buffer.from('{}'), 'text/csv'),
      ).rejects.toThrow(`answered more than ${MAX} bytes`);
    });

    it('returns an answer of exactly the cap whole, from either path', async () => {
      const body = 'y'.repeat(MAX);
      const modelServer = await server(json(body));
      const sagemaker = await server(json(body));
      const invoker = new EndpointInvoker({
        clients: clientsFor(sagemaker.url),
        routes: new Map([[endpointIn(ACCOUNT_A).arn, modelServer.url]]),
        timeoutMs: 10_000,
        maxResponseBytes: MAX,
      });
      for (const endpoint of [endpointIn(ACCOUNT_A), endpointIn(ACCOUNT_B)]) {
        const res = await invoker.invoke(
          endpoint,
          Buffer.from('{}'),
          'text/csv',
        );
        expect(res.body.length).toBe(MAX);
      }
      expect([modelServer.requests.length, sagemaker.requests.length]).toEqual([
        1, 1,
      ]);
    });
  });
});
