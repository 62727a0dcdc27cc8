import fs from 'fs';
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

const stack = testStack();
// A pipeline of its own, so this test's new execution cannot disturb the other integration tests.
const PIPELINE = `shared-cache-${process.pid}`;
const PIPELINE_ARN = `arn:aws:sagemaker:us-east-1:123456789012:pipeline/${PIPELINE}`;

describe('two backend instances sharing a Redis cache', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let catalogFile: string;

  beforeAll(async () => {
    redis = await startRedis();
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
      fs.mkdtempSync(path.join(os.tmpdir(), 'model-factory-cache-')),
      'entities.yaml',
    );
    fs.writeFileSync(
      catalogFile,
      JSON.stringify({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: 'cached-model',
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
  const backends: Array<{ stop(): Promise<void> }> = [];
  afterAll(() => Promise.all(backends.map(b => b.stop())));

  const instance = () =>
    startTestBackend({
      features: [
        mockServices.rootConfig.factory({
          data: {
            backend: { cache: { store: 'redis', connection: redis.url } },
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
    });

  async function executions(server: any) {
    const url =
      '/api/sagemaker-mlflow/v1/entities/default/component/cached-model/executions';
    for (let i = 0; i < 120; i++) {
      const res = await request(server)
        .get(url)
        .set('Authorization', mockCredentials.user.header());
      if (res.status !== 404) return res;
      await new Promise(r => setTimeout(r, 250)); // the catalog is still ingesting
    }
    throw new Error('cached-model never appeared in the catalog');
  }

  it('serves one cached value from both instances', async () => {
    const [a, b] = await Promise.all([instance(), instance()]);
    backends.push(a, b);
    const first = await executions(a.server);
    expect(first.status).toBe(200);
    expect(first.body.executions.data.items).toHaveLength(1);

    // Upstream changes; instance B answers from the value A cached in Redis, so it cannot see the change.
    await stack.sagemaker.send(
      new StartPipelineExecutionCommand({ PipelineName: PIPELINE }),
    );
    const second = await executions(b.server);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
  });
});
