import { ListPipelinesCommand } from '@aws-sdk/client-sagemaker';
import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import { ConfigReader } from '@backstage/config';
import net from 'node:net';
import { parseSageMakerArn } from '../arn';
import { CircuitOpenError } from '../faults/CircuitBreaker';
import { SageMakerClients } from './SageMakerClients';

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
      ).rejects.toMatchObject({ name: 'TimeoutError' });
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
