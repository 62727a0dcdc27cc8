// A benchmark prints what it measures and asserts nothing (DESIGN §10).
/* eslint-disable jest/expect-expect */
import fs from 'fs';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { Entity } from '@backstage/catalog-model';
import {
  MlflowClients,
  readSageMakerMlflowConfig,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import { MlModelCollatorFactory } from '@model-factory/plugin-search-backend-module-sagemaker-mlflow';
import { ConfigReader } from '@backstage/config';
import { testStack } from '../stack';
import { startDelayProxy } from './delayProxy';

// Run by `yarn bench` (scripts/bench), not by the tests: prints numbers, asserts nothing (issue 6).
const MODELS = 500;
const VERSIONS_PER_MODEL = 20;
const CONCURRENCY = 8;
const stack = testStack();

async function mlflow(path: string, body: object) {
  const res = await fetch(`${stack.mlflowUrl}/api/2.0/mlflow/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok && res.status !== 400)
    throw new Error(`${path}: ${res.status} ${await res.text()}`);
}

/** 500 registered models with 20 versions each, created over MLflow's REST API with a few requests in flight. */
async function createModels() {
  const names = Array.from(
    { length: MODELS },
    (_, i) => `bench-model-${String(i).padStart(3, '0')}`,
  );
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < names.length) {
        const name = names[next++];
        await mlflow('registered-models/create', {
          name,
          description: `Benchmark model ${name}`,
        });
        for (let v = 0; v < VERSIONS_PER_MODEL; v++) {
          await mlflow('model-versions/create', {
            name,
            source: `s3://bench/${name}/${v}`,
            description: `version ${v + 1}`,
          });
        }
      }
    }),
  );
  return names;
}

describe('collator benchmark', () => {
  it('indexes 10,000 versions across 500 models', async () => {
    const names = await createModels();
    const proxy = await startDelayProxy(stack.mlflowUrl, 0); // no delay: it only counts calls
    const entities: Entity[] = names.map(name => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name,
        annotations: { 'mlflow.org/registered-model-name': name },
      },
      spec: { type: 'ml-model', owner: 'group:default/ml-platform' },
    }));
    const config = readSageMakerMlflowConfig(
      new ConfigReader({
        sagemakerMlflow: {
          mlflow: { servers: [{ name: 'default', baseUrl: proxy.url }] },
        },
      }),
    );
    const factory = new MlModelCollatorFactory({
      catalog: catalogServiceMock({ entities }),
      auth: mockServices.auth(),
      logger: mockServices.logger.mock(),
      mlflow: new MlflowClients(config),
    });

    global.gc?.();
    const baseline = process.memoryUsage().heapUsed;
    const samples: Array<[number, number]> = [];
    let documents = 0;
    const started = performance.now();
    for await (const _doc of await factory.getCollator()) {
      documents++;
      if (documents % 1000 === 0)
        samples.push([documents, process.memoryUsage().heapUsed - baseline]);
    }
    const seconds = (performance.now() - started) / 1000;
    await proxy.close();

    const calls = [...proxy.calls].map(([k, n]) => `${k} x${n}`).join(', ');
    const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
    const lines = [
      `collator: ${documents} documents (${MODELS} models, ${
        MODELS * VERSIONS_PER_MODEL
      } versions) in ${seconds.toFixed(1)} s (${Math.round(
        documents / seconds,
      )} docs/s)`,
      `  upstream calls ${proxy.total()}: ${calls} (goal: one per page; one model's 20 versions are one page)`,
      `  heap above baseline while streaming (docs: growth): ${samples
        .filter((_, i) => i % 2 === 1)
        .map(([d, b]) => `${d}: ${mb(b)}`)
        .join(', ')}`,
      `  peak heap growth ${mb(
        Math.max(...samples.map(([, b]) => b)),
      )} (goal: flat, not proportional to versions)`,
    ];
    // eslint-disable-next-line no-console
    console.log(`\n${lines.join('\n')}\n`);
    if (process.env.MODEL_FACTORY_BENCH_DIR) {
      fs.writeFileSync(
        `${process.env.MODEL_FACTORY_BENCH_DIR}/bench-collator.txt`,
        `${lines.join('\n')}\n`,
      );
    }
  }, 900_000);
});
