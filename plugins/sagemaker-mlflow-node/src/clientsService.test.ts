import { ListPipelinesCommand } from '@aws-sdk/client-sagemaker';
import {
  createBackendModule,
  createBackendPlugin,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import net from 'node:net';
import { parseSageMakerArn } from './arn';
import {
  createSageMakerMlflowClients,
  SageMakerMlflowClients,
  sagemakerMlflowClientsServiceRef,
} from './clientsService';
import { CircuitOpenError } from './faults/CircuitBreaker';
import {
  DeadlineExceededError,
  UNREACHABLE_AFTER_MS,
  withRequestDeadline,
} from './faults/requestDeadline';

const ACCOUNT = '123456789012';
const awsConfig = {
  accounts: [{ accountId: ACCOUNT, accessKeyId: 'k', secretAccessKey: 's' }],
};

/** What each consumer was handed, by its name. */
function consumers() {
  const seen = new Map<string, SageMakerMlflowClients>();
  const plugin = (pluginId: string) =>
    createBackendPlugin({
      pluginId,
      register(env) {
        env.registerInit({
          deps: { clients: sagemakerMlflowClientsServiceRef },
          async init({ clients }) {
            seen.set(pluginId, clients);
          },
        });
      },
    });
  const module = createBackendModule({
    pluginId: 'second',
    moduleId: 'extra',
    register(env) {
      env.registerInit({
        deps: { clients: sagemakerMlflowClientsServiceRef },
        async init({ clients }) {
          seen.set('second/extra', clients);
        },
      });
    },
  });
  return { seen, features: [plugin('first'), plugin('second'), module] };
}

/**
 * A TCP server that accepts connections and never answers: an upstream that hangs. (A server that drops them would
 * do too, but jest's realms turn Node's own socket errors into plain wrapped errors the breaker cannot classify.)
 */
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

describe('sagemakerMlflowClientsServiceRef', () => {
  it('builds the clients once for every plugin and module of a backend', async () => {
    const { seen, features } = consumers();
    const backend = await startTestBackend({
      features: [
        ...features,
        mockServices.rootConfig.factory({
          data: {
            aws: awsConfig,
            sagemakerMlflow: {
              mlflow: {
                servers: [{ name: 'default', baseUrl: 'http://127.0.0.1:9' }],
              },
            },
          },
        }),
      ],
    });
    try {
      expect([...seen.keys()].sort()).toEqual([
        'first',
        'second',
        'second/extra',
      ]);
      const first = seen.get('first')!;
      expect(seen.get('second')).toBe(first);
      expect(seen.get('second/extra')).toBe(first);
      expect(first.config.mlflowServers.map(s => s.name)).toEqual(['default']);
    } finally {
      await backend.stop();
    }
  });

  it('gives every consumer the circuit breaker: an upstream one of them found hung is not called by another', async () => {
    const upstream = await startHungServer();
    const { seen, features } = consumers();
    const backend = await startTestBackend({
      features: [
        ...features,
        mockServices.rootConfig.factory({
          data: {
            aws: awsConfig,
            sagemakerMlflow: {
              sagemaker: { endpoint: upstream.url },
              upstreamBreaker: { failures: 1, coolDownSeconds: 60 },
            },
          },
        }),
      ],
    });
    try {
      const arn = parseSageMakerArn(
        `arn:aws:sagemaker:us-east-1:${ACCOUNT}:pipeline/churn`,
        'pipeline',
      );
      const fromPlugin = await seen.get('first')!.sagemaker.sagemaker(arn);
      // As the backend plugin's routes call it: under a request's deadline, which ends a call that waited long
      // enough to count as the upstream not answering.
      await expect(
        withRequestDeadline(UNREACHABLE_AFTER_MS + 100, () =>
          fromPlugin.send(new ListPipelinesCommand({})),
        ),
      ).rejects.toBeInstanceOf(DeadlineExceededError);
      const reached = upstream.connections();
      expect(reached).toBeGreaterThan(0);

      const fromModule = await seen
        .get('second/extra')!
        .sagemaker.sagemaker(arn);
      await expect(
        fromModule.send(new ListPipelinesCommand({})),
      ).rejects.toBeInstanceOf(CircuitOpenError);
      expect(upstream.connections()).toBe(reached);
    } finally {
      await backend.stop();
      await upstream.close();
    }
  });

  it('can be replaced by an adopter: their factory is used, once, and the default one never runs', async () => {
    const { seen, features } = consumers();
    let built = 0;
    const custom = createServiceFactory({
      service: sagemakerMlflowClientsServiceRef,
      deps: {},
      factory() {
        built++;
        return createSageMakerMlflowClients(mockServices.rootConfig());
      },
    });
    const backend = await startTestBackend({
      features: [
        ...features,
        custom,
        // The default factory would stop the start-up on this.
        mockServices.rootConfig.factory({
          data: { sagemakerMlflow: { upstreamTimeoutMs: 0 } },
        }),
      ],
    });
    try {
      expect(built).toBe(1);
      expect(seen.get('first')).toBe(seen.get('second'));
      expect(seen.get('second/extra')).toBe(seen.get('first'));
      expect(seen.get('first')!.config.upstreamTimeoutMs).toBe(10_000);
    } finally {
      await backend.stop();
    }
  });

  it('without a replacement, a bad setting stops the start-up naming the key', async () => {
    const { features } = consumers();
    await expect(
      startTestBackend({
        features: [
          ...features,
          mockServices.rootConfig.factory({
            data: { sagemakerMlflow: { upstreamTimeoutMs: 0 } },
          }),
        ],
      }),
    ).rejects.toThrow(/sagemakerMlflow\.upstreamTimeoutMs must be a number/);
  });
});
