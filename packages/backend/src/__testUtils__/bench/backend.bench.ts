import fs from 'fs';
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
import { ARN, emulatorAwsConfig, fileCatalogConfig, testStack } from '../stack';
import { startDelayProxy } from './delayProxy';

// Run by `yarn bench` (scripts/bench), not by the tests: prints ratios, asserts nothing (DESIGN §10).
const DELAY_MS = 50;
const stack = testStack();
const auth = mockCredentials.user.header('user:default/guest');
const base = '/api/sagemaker-mlflow/v1/entities/default/component/demo-model';
// The three requests the entity tab makes when it opens.
const TAB = ['summary', 'executions', 'model-versions'];

const p50 = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = async (fn: () => Promise<unknown>) => {
  const start = performance.now();
  await fn();
  return performance.now() - start;
};

async function backend(
  mlflowUrl: string,
  sagemakerUrl: string,
  modelUrl: string,
) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-factory-bench-'));
  const file = path.join(dir, 'entities.yaml');
  const component = (name: string) =>
    JSON.stringify({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name,
        annotations: {
          'aws.amazon.com/sagemaker-pipeline-arn': ARN.pipeline,
          'aws.amazon.com/sagemaker-model-package-group-arn': ARN.group,
          'aws.amazon.com/sagemaker-endpoint-arns': ARN.endpoint,
          'mlflow.org/registered-model-name': 'demo-model',
          'mlflow.org/experiment-name': 'demo-model',
        },
      },
      spec: {
        type: 'ml-model',
        lifecycle: 'experimental',
        owner: 'group:default/ml-platform',
      },
    });
  fs.writeFileSync(
    file,
    [component('demo-model'), component('warm-up-model')].join('\n---\n'),
  );
  const { server } = await startTestBackend({
    features: [
      mockServices.rootConfig.factory({
        data: {
          catalog: fileCatalogConfig(file, ['Component']),
          aws: emulatorAwsConfig,
          sagemakerMlflow: {
            sagemaker: { endpoint: sagemakerUrl },
            mlflow: { servers: [{ name: 'default', baseUrl: mlflowUrl }] },
            endpointRoutes: [{ endpointArn: ARN.endpoint, url: modelUrl }],
            cache: { ttlSeconds: 300 },
          },
        },
      }),
      mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
      catalogPlugin,
      sagemakerMlflowPlugin,
    ],
  });
  for (let i = 0; i < 200; i++) {
    const res = await request(server)
      .get('/api/catalog/entities/by-name/component/default/warm-up-model')
      .set('Authorization', auth);
    if (res.status !== 404) break;
    await new Promise(r => setTimeout(r, 100));
  }
  // "Cold" means nothing cached for demo-model, not a process that has never served: the first request after
  // start also pays for one-time work (service token keys, SDK clients, JIT). Another entity pays it here.
  await Promise.all(
    TAB.map(route =>
      request(server)
        .get(`${base.replace('demo-model', 'warm-up-model')}/${route}`)
        .set('Authorization', auth),
    ),
  );
  return server;
}

describe('backend benchmark', () => {
  it('measures cold and warm latency, call fan-in and invoke overhead', async () => {
    const mlflow = await startDelayProxy(stack.mlflowUrl, DELAY_MS);
    const sagemaker = await startDelayProxy(stack.sagemakerEndpoint, DELAY_MS);
    const get = (server: any, route: string) =>
      request(server)
        .get(`${base}/${route}`)
        .set('Authorization', auth)
        .expect(200);

    // Cold: the tab's three requests in parallel, nothing cached.
    const server = await backend(mlflow.url, sagemaker.url, stack.modelUrl);
    mlflow.reset();
    sagemaker.reset();
    const coldStart = performance.now();
    const cold = await time(() =>
      Promise.all(TAB.map(route => get(server, route))),
    );
    const coldCalls = mlflow.total() + sagemaker.total();
    const coldTimeline = [...mlflow.timeline, ...sagemaker.timeline]
      .sort((a, b) => a.start - b.start)
      .map(
        c =>
          `    ${(c.start - coldStart).toFixed(0).padStart(4)}-${(
            (c.end ?? NaN) - coldStart
          )
            .toFixed(0)
            .padEnd(4)} ms ${c.key}`,
      );
    // One upstream round trip as the backend sees it: the added delay plus the server's own time.
    const rtt: number[] = [];
    for (let i = 0; i < 5; i++) {
      rtt.push(
        await time(() =>
          fetch(
            `${mlflow.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=demo-model`,
          ).then(r => r.text()),
        ),
      );
    }
    // Each request alone, on a fresh instance: which one bounds the tab.
    const alone: Record<string, number> = {};
    for (const route of TAB) {
      const own = await backend(mlflow.url, sagemaker.url, stack.modelUrl);
      alone[route] = await time(() => get(own, route));
    }

    // Warm: the same requests again, answered from the cache.
    const warm: Record<string, number[]> = {};
    for (const route of TAB) {
      warm[route] = [];
      for (let i = 0; i < 50; i++)
        warm[route].push(await time(() => get(server, route)));
    }

    // Fan-in: 100 concurrent identical cold requests on a fresh instance.
    const fresh = await backend(mlflow.url, sagemaker.url, stack.modelUrl);
    mlflow.reset();
    sagemaker.reset();
    await Promise.all(
      Array.from({ length: 100 }, () => get(fresh, 'model-versions')),
    );
    const fanIn = [...mlflow.calls, ...sagemaker.calls];

    // Invoke: through the backend vs straight to the model server (no added delay on either path).
    const champion = await fetch(
      `${stack.mlflowUrl}/api/2.0/mlflow/registered-models/alias?name=demo-model&alias=champion`,
    ).then(r => r.json());
    const sample = await fetch(
      `${stack.mlflowUrl}/get-artifact?run_uuid=${champion.model_version.run_id}&path=validation/validation_sample.json`,
    ).then(r => r.json());
    const payload = JSON.stringify({
      dataframe_split: {
        columns: sample.columns,
        data: sample.data.slice(0, 5),
      },
    });
    const direct: number[] = [];
    const viaBackend: number[] = [];
    for (let i = 0; i < 60; i++) {
      direct.push(
        await time(() =>
          fetch(`${stack.modelUrl}/invocations`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: payload,
          }).then(r => r.text()),
        ),
      );
      viaBackend.push(
        await time(() =>
          request(server)
            .post(`${base}/endpoints/demo-model-staging/invocations`)
            .set('Authorization', auth)
            .set('Content-Type', 'application/json')
            .send(payload)
            .expect(200),
        ),
      );
    }
    await mlflow.close();
    await sagemaker.close();

    const lines = [
      `upstream delay per call: ${DELAY_MS} ms`,
      `cold tab (summary + executions + model-versions in parallel): ${cold.toFixed(
        0,
      )} ms = ${(cold / DELAY_MS).toFixed(2)} x the added delay, ${(
        cold / p50(rtt)
      ).toFixed(2)} x one measured upstream RTT of ${p50(rtt).toFixed(
        0,
      )} ms (goal <= 2.5)`,
      `  cold tab timeline (upstream call start-end, from the tab's first request):`,
      ...coldTimeline,
      `  upstream calls of the cold tab: ${coldCalls}; each request alone, cold: ${TAB.map(
        r => `${r} ${alone[r].toFixed(0)} ms`,
      ).join(', ')}`,
      ...TAB.map(
        route =>
          `warm p50 ${route}: ${p50(warm[route]).toFixed(2)} ms (goal <= 10)`,
      ),
      `upstream calls for 100 concurrent identical model-versions requests: ${
        fanIn.length === 0 ? 0 : fanIn.map(([k, n]) => `${k} x${n}`).join(', ')
      } (goal: 1 per resource)`,
      `invoke p50 direct ${p50(direct).toFixed(2)} ms, via backend ${p50(
        viaBackend,
      ).toFixed(2)} ms, overhead ${(p50(viaBackend) - p50(direct)).toFixed(
        2,
      )} ms (goal <= 5)`,
    ];
    // eslint-disable-next-line no-console
    console.log(`\n${lines.join('\n')}\n`);
    if (process.env.MODEL_FACTORY_BENCH_DIR) {
      fs.writeFileSync(
        `${process.env.MODEL_FACTORY_BENCH_DIR}/bench-backend.txt`,
        `${lines.join('\n')}\n`,
      );
    }
  }, 600_000);
});
