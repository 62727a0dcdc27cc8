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
import {
  MlflowClients,
  readSageMakerMlflowConfig,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import { MlModelCollatorFactory } from '@model-factory/plugin-search-backend-module-sagemaker-mlflow';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { waitForEntity } from '../__testUtils__/backendRequests';
import { expectMatchesSpec } from '../__testUtils__/openapi';

/**
 * The same routes against MLflow 2.16 (registry stages beside aliases, as many teams and SageMaker's managed MLflow
 * run) and the project's MLflow 3.x (aliases only), both real servers that ./scripts/test starts. Each test makes
 * the models it reads, under names of its own, and deletes them.
 */
const urls = {
  mlflow2: process.env.MODEL_FACTORY_TEST_MLFLOW2_URL,
  mlflow3: process.env.MODEL_FACTORY_TEST_MLFLOW_URL,
};
const missing = Object.entries({
  MODEL_FACTORY_TEST_MLFLOW2_URL: urls.mlflow2,
  MODEL_FACTORY_TEST_MLFLOW_URL: urls.mlflow3,
})
  .filter(([, url]) => !url)
  .map(([name]) => name);
// In CI a missing server is a broken test stack, never a reason to pass quietly.
if (missing.length > 0 && process.env.CI === 'true') {
  throw new Error(
    `${missing.join(
      ' and ',
    )} not set: run the integration tests through ./scripts/test, which starts MLflow 3 and 2.16`,
  );
}
const describeWithServers = missing.length > 0 ? describe.skip : describe;

const RUN = `${Date.now()}`;
const MODEL2 = `stages-model-${RUN}`; // on MLflow 2.16
const DEEP_MODEL2 = `deep-stages-model-${RUN}`; // on MLflow 2.16, its champion beyond the first page
const MODEL3 = `aliases-model-${RUN}`; // on MLflow 3.x
const USER = mockCredentials.user.header('user:default/guest');
const base = '/api/sagemaker-mlflow/v1/entities/default/component';

/** MLflow's REST API, as a team's own scripts or the MLflow client would call it. */
async function mlflow(
  server: string,
  method: 'GET' | 'POST' | 'DELETE',
  endpoint: string,
  body?: object,
) {
  const res = await fetch(`${server}/api/2.0/mlflow/${endpoint}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`MLflow ${endpoint}: ${JSON.stringify(json)}`);
  return json;
}

/** A registered model with `count` versions, each from a run (with an accuracy) in the model's own experiment. */
async function createModel(server: string, name: string, count: number) {
  const { experiment_id } = await mlflow(server, 'POST', 'experiments/create', {
    name,
  });
  await mlflow(server, 'POST', 'registered-models/create', { name });
  for (let i = 1; i <= count; i++) {
    const { run } = await mlflow(server, 'POST', 'runs/create', {
      experiment_id,
    });
    await mlflow(server, 'POST', 'runs/log-metric', {
      run_id: run.info.run_id,
      key: 'accuracy',
      value: 0.9 + i / 100,
      timestamp: Date.now(),
    });
    await mlflow(server, 'POST', 'model-versions/create', {
      name,
      source: `runs:/${run.info.run_id}/model`,
      run_id: run.info.run_id,
    });
  }
  return experiment_id as string;
}

async function deleteModel(server: string | undefined, name: string) {
  if (!server) return;
  await mlflow(server, 'DELETE', 'registered-models/delete', { name }).catch(
    () => undefined, // not created when an earlier step failed
  );
}

const transition = (version: string, stage: string, name = MODEL2) =>
  mlflow(urls.mlflow2!, 'POST', 'model-versions/transition-stage', {
    name,
    version,
    stage,
    archive_existing_versions: false,
  });

function writeCatalog() {
  const component = (name: string, server: string, model: string) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      annotations: {
        'mlflow.org/registered-model-name': model,
        'mlflow.org/experiment-name': model,
        'mlflow.org/tracking-server': server,
      },
    },
    spec: {
      type: 'ml-model',
      lifecycle: 'experimental',
      owner: 'group:default/ml-platform',
    },
  });
  const entities = [
    component('stages-model', 'mlflow2', MODEL2),
    component('deep-stages-model', 'mlflow2', DEEP_MODEL2),
    component('aliases-model', 'default', MODEL3),
  ];
  const file = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'model-factory-mlflow2-')),
    'entities.yaml',
  );
  fs.writeFileSync(file, entities.map(e => JSON.stringify(e)).join('\n---\n'));
  return { file, entities };
}

const mlflowConfig = {
  mlflow: {
    servers: [
      { name: 'default', baseUrl: urls.mlflow3 },
      { name: 'mlflow2', baseUrl: urls.mlflow2 },
    ],
  },
};

describeWithServers('MLflow 2.16 and 3.x registries', () => {
  let server: any;
  const catalog = writeCatalog();

  async function get(url: string) {
    const res = await request(server)
      .get(`${base}/${url}`)
      .set('Authorization', USER);
    expectMatchesSpec('GET', `${base}/${url}`, res.status, res.body);
    expect(res.status).toBe(200);
    return res.body;
  }

  const stages = (versions: any) =>
    Object.fromEntries(
      versions.data.items.map((v: any) => [v.version, v.currentStage]),
    );

  beforeAll(async () => {
    // v1 stays None; two versions in Production (the newer one is the champion), one in Staging.
    await createModel(urls.mlflow2!, MODEL2, 4);
    await transition('2', 'Production');
    await transition('3', 'Production');
    await transition('4', 'Staging');
    // More versions than the summary's first page (20), the oldest in Production.
    await createModel(urls.mlflow2!, DEEP_MODEL2, 21);
    await transition('1', 'Production', DEEP_MODEL2);
    await createModel(urls.mlflow3!, MODEL3, 2);
    server = (
      await startTestBackend({
        features: [
          mockServices.rootConfig.factory({
            data: {
              catalog: {
                rules: [{ allow: ['Component'] }],
                locations: [{ type: 'file', target: catalog.file }],
              },
              // Each read sees what the test just changed in MLflow.
              sagemakerMlflow: {
                ...mlflowConfig,
                cache: { ttlSeconds: 0.001 },
              },
            },
          }),
          // Permissions are not what this test is about.
          mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
          catalogPlugin,
          sagemakerMlflowPlugin,
        ],
      })
    ).server;
    await waitForEntity(server, 'component/default/aliases-model');
  }, 60_000);

  afterAll(async () => {
    await deleteModel(urls.mlflow2, MODEL2);
    await deleteModel(urls.mlflow2, DEEP_MODEL2);
    await deleteModel(urls.mlflow3, MODEL3);
  });

  it('on MLflow 2.16, shows each version’s stage and makes the newest Production version the champion', async () => {
    const page = await get('stages-model/model-versions');
    expect(stages(page.versions)).toEqual({
      '4': 'Staging',
      '3': 'Production',
      '2': 'Production',
      '1': undefined,
    });
    // None is no stage: the field is left out, not sent as "None".
    expect(page.versions.data.items[3]).not.toHaveProperty('currentStage');
    expect(page.versions.data.aliases).toEqual({});
    expect(page.versions.data.champion).toEqual({ version: '3', by: 'stage' });
    // Runs and metrics are read from 2.16 as from 3.x.
    expect(page.versions.data.items[0].metrics.accuracy).toBeCloseTo(0.94);

    const summary = await get('stages-model/summary');
    expect(summary.champion.data).toMatchObject({
      version: '3',
      currentStage: 'Production',
      championBy: 'stage',
    });
    expect(summary.latestVersion.data).toMatchObject({
      version: '4',
      currentStage: 'Staging',
    });
    expect(summary.latestVersion.data).not.toHaveProperty('championBy');
  });

  it('on MLflow 2.16, finds the champion by stage beyond the first page of versions', async () => {
    const summary = await get('deep-stages-model/summary');
    expect(summary.latestVersion.data.version).toBe('21');
    expect(summary.champion.data).toMatchObject({
      version: '1',
      currentStage: 'Production',
      championBy: 'stage',
      metrics: { accuracy: 0.91 },
    });
  });

  it('on MLflow 2.16, a champion alias wins over the Production stage', async () => {
    await mlflow(urls.mlflow2!, 'POST', 'registered-models/alias', {
      name: MODEL2,
      alias: 'champion',
      version: '1',
    });
    const page = await get('stages-model/model-versions');
    expect(page.versions.data.champion).toEqual({ version: '1', by: 'alias' });
    const summary = await get('stages-model/summary');
    expect(summary.champion.data).toMatchObject({
      version: '1',
      aliases: ['champion'],
      championBy: 'alias',
    });
    expect(summary.champion.data).not.toHaveProperty('currentStage');
  });

  it('on MLflow 3.x, lists the versions without a stage; the champion is the alias only', async () => {
    let page = await get('aliases-model/model-versions');
    expect(page.versions.data.items.map((v: any) => v.version)).toEqual([
      '2',
      '1',
    ]);
    expect(stages(page.versions)).toEqual({ '2': undefined, '1': undefined });
    expect(page.versions.data).not.toHaveProperty('champion');
    expect((await get('aliases-model/summary')).champion).toEqual({
      data: null,
    });

    await mlflow(urls.mlflow3!, 'POST', 'registered-models/alias', {
      name: MODEL3,
      alias: 'champion',
      version: '1',
    });
    page = await get('aliases-model/model-versions');
    expect(page.versions.data.champion).toEqual({ version: '1', by: 'alias' });
    const summary = await get('aliases-model/summary');
    expect(summary.champion.data).toMatchObject({
      version: '1',
      championBy: 'alias',
    });
    expect(summary.champion.data).not.toHaveProperty('currentStage');
  });

  it('indexes each version’s stage for search', async () => {
    const collator = new MlModelCollatorFactory({
      catalog: catalogServiceMock({ entities: [catalog.entities[0]] }),
      auth: mockServices.auth(),
      logger: mockServices.logger.mock(),
      mlflow: new MlflowClients(
        readSageMakerMlflowConfig(
          mockServices.rootConfig({ data: { sagemakerMlflow: mlflowConfig } }),
        ),
      ),
    });
    const stageOf: Record<string, string> = {};
    for await (const doc of await collator.getCollator())
      if (doc.docKind === 'version') stageOf[doc.version] = doc.stage;
    expect(stageOf).toEqual({
      '1': '',
      '2': 'Production',
      '3': 'Production',
      '4': 'Staging',
    });
  });
});
