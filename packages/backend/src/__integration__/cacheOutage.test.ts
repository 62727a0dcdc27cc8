import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import request from 'supertest';
import {
  CreatePipelineCommand,
  StartPipelineExecutionCommand,
} from '@aws-sdk/client-sagemaker';
import { cacheServiceFactory } from '@backstage/backend-defaults/cache';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import sagemakerMlflowPlugin from '@model-factory/plugin-sagemaker-mlflow-backend';
import { startRedis } from '../__testUtils__/redis';
import {
  emulatorAwsConfig,
  fileCatalogConfig,
  testStack,
} from '../__testUtils__/stack';

// The shared cache is best-effort: with Redis stopped, or up but not answering, the tab's routes still answer
// from SageMaker (the emulator), in bounded time. Real Redis, real backend, real emulator.
const stack = testStack();
const PIPELINE = `cache-outage-${process.pid}`;
const PIPELINE_ARN = `arn:aws:sagemaker:us-east-1:123456789012:pipeline/${PIPELINE}`;
const URL =
  '/api/sagemaker-mlflow/v1/entities/default/component/outage-model/executions';

/** Sends one command to Redis over its wire protocol and waits for its first reply line (or the close). */
function redisCommand(url: string, ...args: string[]) {
  const { hostname, port } = new globalThis.URL(url);
  return new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () =>
      socket.write(
        `*${args.length}\r\n${args
          .map(a => `$${Buffer.byteLength(a)}\r\n${a}\r\n`)
          .join('')}`,
      ),
    );
    let reply = '';
    socket.on('data', data => {
      reply += data.toString();
      if (reply.includes('\r\n')) socket.end();
    });
    socket.on('close', () => resolve(reply.trim()));
    socket.on('error', reject);
  });
}

describe('the sagemaker-mlflow routes when the Redis cache fails', () => {
  let catalogFile: string;
  const backends: Array<{ stop(): Promise<void> }> = [];

  beforeAll(async () => {
    await stack.sagemaker.send(
      new CreatePipelineCommand({
        PipelineName: PIPELINE,
        PipelineDefinition: JSON.stringify({
          Version: '2020-12-01',
          Parameters: [],
          Steps: [],
        }),
        RoleArn: 'arn:aws:iam::123456789012:role/model-factory-test',
      }),
    );
    await stack.sagemaker.send(
      new StartPipelineExecutionCommand({ PipelineName: PIPELINE }),
    );
    catalogFile = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), 'model-factory-outage-')),
      'entities.yaml',
    );
    fs.writeFileSync(
      catalogFile,
      JSON.stringify({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: 'outage-model',
          annotations: {
            'aws.amazon.com/sagemaker-pipeline-arn': PIPELINE_ARN,
          },
        },
        spec: {
          type: 'ml-model',
          lifecycle: 'experimental',
          owner: 'group:default/ml-platform',
        },
      }),
    );
  });
  afterAll(() => Promise.all(backends.map(b => b.stop())));

  function startBackend(redisUrl: string) {
    return startTestBackend({
      features: [
        mockServices.rootConfig.factory({
          data: {
            backend: { cache: { store: 'redis', connection: redisUrl } },
            catalog: fileCatalogConfig(catalogFile, ['Component']),
            aws: emulatorAwsConfig,
            sagemakerMlflow: {
              sagemaker: { endpoint: stack.sagemakerEndpoint },
              cache: { ttlSeconds: 300 },
            },
          },
        }),
        cacheServiceFactory,
        mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
        catalogPlugin,
        sagemakerMlflowPlugin,
      ],
    }).then(backend => {
      backends.push(backend);
      return backend.server;
    });
  }

  /** The first answer once the catalog has the entity (a 404 before that never reaches the cache), timed. */
  async function firstAnswer(server: any) {
    for (let i = 0; i < 120; i++) {
      const started = Date.now();
      const res = await request(server)
        .get(URL)
        .set('Authorization', mockCredentials.user.header());
      if (res.status !== 404) return { res, ms: Date.now() - started };
      await new Promise(r => setTimeout(r, 250)); // the catalog is still ingesting
    }
    throw new Error('outage-model never appeared in the catalog');
  }

  it('answers from upstream when Redis is stopped', async () => {
    const redis = await startRedis();
    await redisCommand(redis.url, 'SHUTDOWN', 'NOSAVE');
    const server = await startBackend(redis.url);

    const { res, ms } = await firstAnswer(server);
    expect(res.status).toBe(200);
    expect(res.body.executions.data.items).toHaveLength(1);
    expect(ms).toBeLessThan(4000);
  }, 60_000);

  it('answers from upstream in bounded time when Redis is up but does not answer', async () => {
    const redis = await startRedis();
    const server = await startBackend(redis.url);
    // Warm: the cache holds the answer and the backend's Redis connection is open.
    expect((await firstAnswer(server)).res.status).toBe(200);
    // Every client's commands now wait 10 s: a hung Redis, as its clients see it.
    expect(
      await redisCommand(redis.url, 'CLIENT', 'PAUSE', '10000', 'ALL'),
    ).toBe('+OK');

    const { res, ms } = await firstAnswer(server);
    expect(res.status).toBe(200);
    expect(res.body.executions.data.items).toHaveLength(1);
    expect(ms).toBeLessThan(4000);
  }, 60_000);
});
