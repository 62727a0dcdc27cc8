// A benchmark prints what it measures and asserts nothing (DESIGN §10).
/* eslint-disable jest/expect-expect */
import request from 'supertest';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { createBackendModule } from '@backstage/backend-plugin-api';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { Entity } from '@backstage/catalog-model';
import type { EntityProviderMutation } from '@backstage/plugin-catalog-node';
import { ConfigReader } from '@backstage/config';
import {
  ComponentLookup,
  mlflowSource,
  ModelEntityProvider,
} from '@model-factory/plugin-catalog-backend-module-sagemaker-mlflow';
import { BINDING_TAG } from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  MlflowClients,
  readSageMakerMlflowConfig,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import { testStack } from '../stack';
import { startDelayProxy } from './delayProxy';
import { report } from './measure';

// Run by `yarn bench` (scripts/bench), not by the tests. 5,000 registered models, half of them bound to a
// component; versions per model from MODEL_FACTORY_BENCH_MODEL_VERSIONS (default 1: the provider reads only the
// registered models search, whose latest_versions holds at most one version per stage, so more versions change
// the size of a page but not the number of calls; creating 50,000 versions takes MLflow far longer than the run).
const MODELS = Number(process.env.MODEL_FACTORY_BENCH_MODELS ?? 5000);
const VERSIONS = Number(process.env.MODEL_FACTORY_BENCH_MODEL_VERSIONS ?? 1);
const CONCURRENCY = 8;
const stack = testStack();
const nameOf = (i: number) => `catalog-bench-${String(i).padStart(5, '0')}`;

async function mlflow(path: string, body: object) {
  const res = await fetch(`${stack.mlflowUrl}/api/2.0/mlflow/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  // 400: the model exists from an earlier run of the benchmark on the same stack.
  if (!res.ok && res.status !== 400)
    throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.ok;
}

/** The models over MLflow's REST API, a few requests in flight; the even ones carry a binding tag. */
async function createModels() {
  let next = 0;
  let calls = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < MODELS) {
        const i = next++;
        const name = nameOf(i);
        calls++;
        const created = await mlflow('registered-models/create', {
          name,
          description: `Benchmark model ${i}`,
          tags:
            i % 2 === 0
              ? [{ key: BINDING_TAG, value: `component:default/${name}` }]
              : [{ key: 'team', value: 'bench' }],
        });
        if (!created) continue;
        for (let v = 0; v < VERSIONS; v++) {
          calls++;
          await mlflow('model-versions/create', {
            name,
            source: `s3://bench/${name}/${v}`,
          });
        }
        calls++;
        await mlflow('registered-models/alias', {
          name,
          alias: 'champion',
          version: '1',
        });
      }
    }),
  );
  return calls;
}

describe('catalog models benchmark', () => {
  it(`ingests ${MODELS} registered models in one provider run`, async () => {
    let started = performance.now();
    const createCalls = await createModels();
    const createSeconds = (performance.now() - started) / 1000;

    const proxy = await startDelayProxy(stack.mlflowUrl, 0); // no delay: it only counts calls
    const config = readSageMakerMlflowConfig(
      new ConfigReader({
        sagemakerMlflow: {
          mlflow: { servers: [{ name: 'default', baseUrl: proxy.url }] },
        },
      }),
    );
    // The even models' components, naming them back: half the models are owned, half unowned.
    const components: Entity[] = Array.from(
      { length: Math.ceil(MODELS / 2) },
      (_, k) => ({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: nameOf(2 * k),
          annotations: { 'mlflow.org/registered-model-name': nameOf(2 * k) },
        },
        spec: { type: 'ml-model', owner: 'group:default/ml-platform' },
      }),
    );
    const catalog = catalogServiceMock({ entities: components });
    const clients = new MlflowClients(config);
    const server = { name: 'default', uiUrl: stack.mlflowUrl };
    const provider = new ModelEntityProvider({
      logger: mockServices.logger.mock(),
      sources: () => [
        mlflowSource({
          server,
          client: clients.forServer('default'),
          components: new ComponentLookup(catalog, mockServices.auth()),
          defaultOwner: 'group:default/ml-platform',
          pageSize: 200,
        }),
      ],
    });
    const mutations: EntityProviderMutation[] = [];
    await provider.connect({
      applyMutation: async m => {
        mutations.push(m);
      },
      refresh: async () => {},
    });

    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 20);
    started = performance.now();
    const full = await provider.run();
    const fullSeconds = (performance.now() - started) / 1000;
    const fullCalls = proxy.total();
    started = performance.now();
    const delta = await provider.run();
    const deltaSeconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    await proxy.close();

    const owned =
      mutations[0].type === 'full'
        ? mutations[0].entities.filter(e => e.entity.spec?.dependencyOf).length
        : 0;
    // What the catalog does with the full mutation: the real catalog (SQLite in memory) processes every entity.
    const fullMutation = mutations[0];
    const replay = createBackendModule({
      pluginId: 'catalog',
      moduleId: 'bench-replay',
      register(reg) {
        reg.registerInit({
          deps: { processing: catalogProcessingExtensionPoint },
          async init({ processing }) {
            processing.addEntityProvider({
              getProviderName: () => 'bench-replay',
              connect: async connection => {
                await connection.applyMutation(fullMutation);
              },
            });
          },
        });
      },
    });
    started = performance.now();
    const { server: backend } = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({ data: {} }),
        mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
        catalogPlugin,
        replay,
      ],
    });
    let processed = 0;
    const expected =
      fullMutation.type === 'full' ? fullMutation.entities.length : 0;
    while (processed < expected && performance.now() - started < 1_800_000) {
      await new Promise(r => setTimeout(r, 1000));
      const res = await request(backend)
        .get('/api/catalog/entities/by-query?filter=kind=resource&limit=1')
        .set('Authorization', mockCredentials.user.header());
      processed = res.body.totalItems ?? 0;
    }
    const catalogSeconds = (performance.now() - started) / 1000;
    const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
    report('catalog-models', [
      `catalog models: created ${MODELS} registered models x ${VERSIONS} version(s) (+ champion alias) in ${createSeconds.toFixed(
        1,
      )} s (${createCalls} MLflow calls, ${Math.round(
        createCalls / createSeconds,
      )} calls/s; skipped when they exist)`,
      `  full run: ${
        full.total
      } models (all models on the server), ${owned} owned through two-way binding, in ${fullSeconds.toFixed(
        1,
      )} s (${((fullSeconds * 1000) / full.total).toFixed(2)} ms/model)`,
      `  MLflow calls ${fullCalls} for ${full.total} models (${(
        full.total / fullCalls
      ).toFixed(0)} models per call; goal: one search per page of 200)`,
      `  unchanged delta run: ${delta.emitted} emitted, ${
        delta.removed
      } removed in ${deltaSeconds.toFixed(1)} s (${(
        deltaSeconds / fullSeconds
      ).toFixed(2)}x the full run)`,
      `  the catalog (SQLite in memory, this process) served ${processed} of ${expected} model entities ${catalogSeconds.toFixed(
        1,
      )} s after the full mutation (${(
        (catalogSeconds * 1000) /
        Math.max(processed, 1)
      ).toFixed(1)} ms/entity; schedule: every 30 minutes)`,
      `  peak RSS ${mb(peakRss)} (${mb(
        peakRss - rssBefore,
      )} above the start of the runs; ${(
        (peakRss - rssBefore) /
        1024 /
        full.total
      ).toFixed(1)} KB per model)`,
    ]);
  }, 3_600_000);
});
