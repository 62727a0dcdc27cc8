import fs from 'fs';
import type { Server } from 'http';
import type { AddressInfo } from 'net';
import os from 'os';
import path from 'path';
import request from 'supertest';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import sagemakerMlflowPlugin from '@model-factory/plugin-sagemaker-mlflow-backend';
import { ARN, emulatorAwsConfig, fileCatalogConfig } from '../stack';

/** The caller of every benchmark request: the local stack's owner of the demo model. */
export const BENCH_AUTH = mockCredentials.user.header('user:default/guest');
/** The demo entity's routes. */
export const DEMO_BASE =
  '/api/sagemaker-mlflow/v1/entities/default/component/demo-model';
/** The three requests the entity tab makes when it opens. */
export const TAB = ['summary', 'executions', 'model-versions'];

/**
 * A backend with the real catalog and the plugin, its upstreams given by URL (the benchmarks pass delay proxies),
 * serving demo-model and warm-up-model (same annotations). Returns once the catalog has both and one-time work
 * is done: "cold" then means nothing cached for demo-model, not a process that has never served (the first
 * request after start also pays for service token keys, SDK clients, JIT; warm-up-model pays it here).
 */
export async function startBenchBackend(
  upstreams: { mlflowUrl: string; sagemakerUrl: string; modelUrl: string },
  options: {
    cacheTtlSeconds?: number;
    /** More components, by name, with their own annotations. */
    components?: Record<string, Record<string, string>>;
  } = {},
): Promise<Server> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-factory-bench-'));
  const file = path.join(dir, 'entities.yaml');
  const component = (
    name: string,
    annotations: Record<string, string> = {
      'aws.amazon.com/sagemaker-pipeline-arn': ARN.pipeline,
      'aws.amazon.com/sagemaker-model-package-group-arn': ARN.group,
      'aws.amazon.com/sagemaker-endpoint-arns': ARN.endpoint,
      'mlflow.org/registered-model-name': 'demo-model',
      'mlflow.org/experiment-name': 'demo-model',
    },
  ) =>
    JSON.stringify({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name, annotations },
      spec: {
        type: 'ml-model',
        lifecycle: 'experimental',
        owner: 'group:default/ml-platform',
      },
    });
  fs.writeFileSync(
    file,
    [
      component('demo-model'),
      component('warm-up-model'),
      ...Object.entries(options.components ?? {}).map(([name, annotations]) =>
        component(name, annotations),
      ),
    ].join('\n---\n'),
  );
  const { server } = await startTestBackend({
    features: [
      mockServices.rootConfig.factory({
        data: {
          catalog: fileCatalogConfig(file, ['Component']),
          aws: emulatorAwsConfig,
          sagemakerMlflow: {
            sagemaker: { endpoint: upstreams.sagemakerUrl },
            mlflow: {
              servers: [{ name: 'default', baseUrl: upstreams.mlflowUrl }],
            },
            endpointRoutes: [
              { endpointArn: ARN.endpoint, url: upstreams.modelUrl },
            ],
            ...(options.cacheTtlSeconds
              ? { cache: { ttlSeconds: options.cacheTtlSeconds } }
              : {}),
          },
        },
      }),
      mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
      catalogPlugin,
      sagemakerMlflowPlugin,
    ],
  });
  for (const name of [
    'warm-up-model',
    'demo-model',
    ...Object.keys(options.components ?? {}),
  ]) {
    for (let i = 0; i < 200; i++) {
      const res = await request(server)
        .get(`/api/catalog/entities/by-name/component/default/${name}`)
        .set('Authorization', BENCH_AUTH);
      if (res.status !== 404) break;
      await new Promise(r => setTimeout(r, 100));
    }
  }
  await Promise.all(
    TAB.map(route =>
      request(server)
        .get(`${DEMO_BASE.replace('demo-model', 'warm-up-model')}/${route}`)
        .set('Authorization', BENCH_AUTH),
    ),
  );
  return server;
}

/** The URL a client outside the test reaches the backend at. */
export const serverUrl = (server: Server) =>
  `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
