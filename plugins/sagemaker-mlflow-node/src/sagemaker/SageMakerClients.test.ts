import { serializeError } from '@backstage/errors';
import {
  ListPipelinesCommand,
  ListTagsCommand,
} from '@aws-sdk/client-sagemaker';
import { ConfigReader } from '@backstage/config';
import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import http from 'node:http';
import net, { AddressInfo } from 'node:net';
import { parseSageMakerArn } from '../arn';
import { CircuitOpenError } from '../faults/CircuitBreaker';
import { withRequestDeadline } from '../faults/requestDeadline';
import { SageMakerClients } from './SageMakerClients';

const credentialsManager = DefaultAwsCredentialsManager.fromConfig(
  new ConfigReader({
    aws: {
      accounts: [
        {
          accountId: '123456789012',
          accessKeyId: 'test',
          secretAccessKey: 'test',
        },
      ],
    },
  }),
);

function clientsAt(endpoint?: string) {
  return new SageMakerClients({
    credentialsManager,
    endpoint,
    timeoutMs: 3000,
    invokeTimeoutMs: 3000,
    maxAttempts: 1,
  });
}

/** A real HTTP server refusing every call the way SageMaker refuses a role (nothing else here can make AWS refuse). */
async function refusingSageMaker() {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(400, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-errortype': 'AccessDeniedException',
      });
      res.end(
        JSON.stringify({
          __type: 'AccessDeniedException',
          message:
            'User: arn:aws:sts::123456789012:assumed-role/Portal/i-1 is not authorized to perform: sagemaker:ListTags on resource: arn:aws:sagemaker:eu-west-1:123456789012:pipeline/p because no identity-based policy allows the sagemaker:ListTags action',
        }),
      );
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
  return server;
}

const listTags = async (sagemaker: SageMakerClients, arn: string) => {
  const parsed = parseSageMakerArn(arn, 'pipeline');
  const client = await sagemaker.sagemaker(parsed);
  return client.send(new ListTagsCommand({ ResourceArn: arn }));
};

describe('SageMakerClients: errors that say what to fix', () => {
  it('names the account, region and config for an account the portal has no credentials for', async () => {
    const error = await listTags(
      clientsAt('http://127.0.0.1:9'),
      'arn:aws:sagemaker:eu-west-1:999999999999:pipeline/p',
    ).catch(e => e);
    expect(error).toMatchObject({
      code: 'missing-credentials',
      account: '999999999999',
      region: 'eu-west-1',
    });
    expect(error.fix).toContain('aws.accounts');
    expect(serializeError(error)).not.toHaveProperty('cause');
    expect(error.message).not.toContain('caused by');
  });

  it('names the refused action and resource, and the account whose role to fix, not the role', async () => {
    const server = await refusingSageMaker();
    try {
      const error = await listTags(
        clientsAt(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
        'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/p',
      ).catch(e => e);
      expect(error).toMatchObject({
        code: 'access-denied',
        account: '123456789012',
        region: 'eu-west-1',
      });
      expect(error.fix).toContain(
        'allow sagemaker:ListTags on arn:aws:sagemaker:eu-west-1:123456789012:pipeline/p',
      );
      expect(
        JSON.stringify({ ...error, message: error.message }),
      ).not.toContain('assumed-role');
    } finally {
      server.close();
    }
  });

  it('says the region is unknown when its API host does not resolve', async () => {
    // No emulator endpoint: the SDK resolves api.sagemaker.<region>.amazonaws.com, which no DNS knows for this one.
    const error = await withRequestDeadline(8000, () =>
      listTags(
        clientsAt(),
        'arn:aws:sagemaker:xx-nowhere-1:123456789012:pipeline/p',
      ).catch(e => e),
    );
    expect(error).toMatchObject({
      code: 'unknown-region',
      region: 'xx-nowhere-1',
    });
    // What an answer would carry names no host (behind a proxy or VPC endpoint it would be an internal one).
    const answered = JSON.stringify(serializeError(error));
    expect(answered).not.toContain('amazonaws.com');
    expect(answered).not.toContain('caused by');
    expect(error.cause).toBeDefined(); // for the log
  });
});

const ACCOUNT = '123456789012';
const PIPELINE = parseSageMakerArn(
  `arn:aws:sagemaker:us-east-1:${ACCOUNT}:pipeline/churn`,
  'pipeline',
);

/** Accepts connections and never answers, as a stopped (SIGSTOP) SageMaker emulator does. */
async function startHungServer() {
  const sockets = new Set<net.Socket>();
  const server = net.createServer(socket => sockets.add(socket));
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    connections: () => sockets.size,
    close: () =>
      new Promise<void>(resolve => {
        sockets.forEach(socket => socket.destroy());
        server.close(() => resolve());
      }),
  };
}

describe('SageMakerClients outside a request deadline (scaffolder actions, the search collator)', () => {
  it('gives up on a hung API after the timeout, and its failures open the breaker', async () => {
    const upstream = await startHungServer();
    try {
      const clients = new SageMakerClients({
        credentialsManager: DefaultAwsCredentialsManager.fromConfig(
          new ConfigReader({
            aws: {
              accounts: [
                { accountId: ACCOUNT, accessKeyId: 'k', secretAccessKey: 's' },
              ],
            },
          }),
        ),
        endpoint: upstream.url,
        timeoutMs: 200,
        invokeTimeoutMs: 200,
        maxAttempts: 1,
        breaker: { failures: 1, coolDownMs: 60_000 },
      });
      const client = await clients.sagemaker(PIPELINE);

      const started = Date.now();
      await expect(
        client.send(new ListPipelinesCommand({})),
      ).rejects.toMatchObject({ code: 'unavailable' });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(upstream.connections()).toBe(1);

      await expect(
        client.send(new ListPipelinesCommand({})),
      ).rejects.toBeInstanceOf(CircuitOpenError);
      expect(upstream.connections()).toBe(1);
    } finally {
      await upstream.close();
    }
  });
});
