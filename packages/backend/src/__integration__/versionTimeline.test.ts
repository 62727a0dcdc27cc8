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
import permissionPlugin from '@backstage/plugin-permission-backend';
import sagemakerMlflowPlugin from '@model-factory/plugin-sagemaker-mlflow-backend';
import { expectMatchesSpec } from '../__testUtils__/openapi';
import {
  ARN,
  DEMO_ANNOTATIONS,
  emulatorAwsConfig,
  fileCatalogConfig,
  testStack,
} from '../__testUtils__/stack';
import {
  authWithActorsFactory,
  httpAuthServiceFactory,
  testPolicyModule,
  userInfoFromOrgFactory,
} from '../__testUtils__/testServices';

const stack = testStack();
const GUEST = 'user:default/guest'; // member of ml-platform, which owns the components
const base = '/api/sagemaker-mlflow/v1/entities/default/component';
const ATTACK_MODEL = 'timeline-attack-model';
const ATTACK_PIPELINE = ARN.pipeline.replace(
  'demo-model-pipeline',
  'timeline-attack-pipeline',
);
const ATTACK_GROUP = ARN.group.replace('demo-model', 'timeline-attack-group');

/** MLflow's REST API, as the template's code would write to it. */
async function mlflow(method: 'GET' | 'POST', api: string, body?: object) {
  const res = await fetch(`${stack.mlflowUrl}/api/2.0/mlflow/${api}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json: any = await res.json();
  if (!res.ok) throw new Error(`${api}: ${JSON.stringify(json)}`);
  return json;
}

function writeCatalog(dir: string) {
  const component = (name: string, annotations: Record<string, string>) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, annotations },
    spec: {
      type: 'ml-model',
      lifecycle: 'experimental',
      owner: 'group:default/ml-platform',
    },
  });
  const entities = [
    component('demo-model', {
      ...DEMO_ANNOTATIONS,
      'github.com/project-slug': 'acme/demo-model',
    }),
    // Its runs and versions claim the demo model's execution and package: a tag is anyone's to write.
    component('attack-model', {
      'aws.amazon.com/sagemaker-pipeline-arn': ATTACK_PIPELINE,
      'aws.amazon.com/sagemaker-model-package-group-arn': ATTACK_GROUP,
      'mlflow.org/registered-model-name': ATTACK_MODEL,
      'mlflow.org/experiment-name': ATTACK_MODEL,
    }),
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: 'ml-platform' },
      spec: { type: 'team', children: [] },
    },
  ];
  const file = path.join(dir, 'entities.yaml');
  fs.writeFileSync(file, entities.map(e => JSON.stringify(e)).join('\n---\n'));
  return file;
}

describe('the version timeline against the real catalog, MLflow and the SageMaker emulator', () => {
  let server: any;
  /** The version the demo endpoint serves (the seed deploys one). */
  let servedVersion: string;

  async function get(url: string) {
    const res = await request(server)
      .get(`${base}/${url}`)
      .set('Authorization', mockCredentials.user.header(GUEST));
    expectMatchesSpec('GET', `${base}/${url}`, res.status, res.body);
    return res;
  }

  beforeAll(async () => {
    const dir = fs.mkdtempSync(
      path.join(os.tmpdir(), 'model-factory-catalog-'),
    );
    const backend = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({
          data: {
            catalog: fileCatalogConfig(writeCatalog(dir), [
              'Component',
              'Group',
            ]),
            permission: { enabled: true },
            aws: emulatorAwsConfig,
            sagemakerMlflow: {
              sagemaker: { endpoint: stack.sagemakerEndpoint },
              mlflow: {
                servers: [{ name: 'default', baseUrl: stack.mlflowUrl }],
              },
              endpointRoutes: [
                { endpointArn: ARN.endpoint, url: stack.modelUrl },
              ],
              upstreamTimeoutMs: 5000,
            },
          },
        }),
        authWithActorsFactory,
        httpAuthServiceFactory,
        userInfoFromOrgFactory({ [GUEST]: ['group:default/ml-platform'] }),
        catalogPlugin,
        permissionPlugin,
        testPolicyModule,
        sagemakerMlflowPlugin,
      ],
    });
    server = backend.server;
    for (let i = 0; i < 120; i++) {
      if ((await get('attack-model/summary')).status !== 404) break;
      await new Promise(r => setTimeout(r, 250));
    }
    const endpoints = await get('demo-model/endpoints');
    servedVersion =
      endpoints.body.items[0].endpoint.data.deployedVersion.version;
  }, 60_000);

  afterAll(async () => {
    // Leave the shared stack as seeded: the validation below recorded a tag on the served version.
    await mlflow('POST', 'model-versions/delete-tag', {
      name: 'demo-model',
      version: servedVersion,
      key: `validation.demo-model-staging`,
    }).catch(() => undefined);
  });

  it("shows every stage of the served demo version, each linking to its source system, and the portal's validation on it", async () => {
    const validation = await request(server)
      .post(`${base}/demo-model/endpoints/demo-model-staging/validation`)
      .set('Authorization', mockCredentials.user.header(GUEST));
    expect(validation.status).toBe(200);

    const res = await get(
      `demo-model/model-versions/${servedVersion}/timeline`,
    );
    expect(res.status).toBe(200);
    const stages: any[] = res.body.stages;
    expect(stages.map(s => s.kind)).toEqual([
      'commit',
      'build',
      'pipeline-execution',
      'mlflow-run',
      'registration',
      'approval',
      'deployment',
      'validation',
    ]);
    const byKind = Object.fromEntries(stages.map(s => [s.kind, s]));
    // The seed trains outside CI: its runs record the commit (MLflow's own tag) but no CI build. The build stage's
    // link is tested below with a run that records one.
    expect(byKind.build.status).toBe('not-recorded');
    for (const s of stages.filter(x => x.kind !== 'build')) {
      expect({ kind: s.kind, url: s.url }).toEqual({
        kind: s.kind,
        url: expect.stringMatching(/^https?:\/\//),
      });
      expect(s.status).not.toBe('unavailable');
    }
    expect(byKind.commit.url).toMatch(
      /^https:\/\/github\.com\/acme\/demo-model\/commit\/[0-9a-f]{40}$/,
    );
    expect(byKind['pipeline-execution'].url).toContain(
      '#/pipelines/demo-model-pipeline/executions/',
    );
    // The emulator cannot list an execution's steps (HTTP 500): the stage says so, and keeps the execution.
    expect(byKind['pipeline-execution'].details).toEqual(
      expect.arrayContaining([{ label: 'status', value: 'Succeeded' }]),
    );
    expect(byKind['mlflow-run'].url).toContain(stack.mlflowUrl);
    expect(byKind['mlflow-run'].details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ label: 'metric accuracy' }),
        expect.objectContaining({
          label: 'artifact folder',
          value: 'validation',
        }),
      ]),
    );
    expect(byKind.registration.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          label: 'SageMaker model package',
          url: expect.stringContaining('#/model-packages/demo-model/'),
        }),
      ]),
    );
    expect(byKind.approval.details).toEqual(
      expect.arrayContaining([{ label: 'status', value: 'Approved' }]),
    );
    expect(byKind.deployment).toMatchObject({
      title: 'Deployment to demo-model-staging',
      status: 'succeeded',
      url: expect.stringContaining('#/endpoints/demo-model-staging'),
    });
    expect(byKind.validation).toMatchObject({
      title: 'Validation on demo-model-staging',
      status: 'succeeded',
    });
    expect(byKind.validation.details).toEqual(
      expect.arrayContaining([
        { label: 'accuracy', value: String(validation.body.accuracy) },
        { label: 'rows', value: String(validation.body.rows) },
      ]),
    );
  });

  it('answers a version that is not a number with 400, and one that does not exist with 404', async () => {
    expect((await get('demo-model/model-versions/0/timeline')).status).toBe(
      400,
    );
    expect(
      (await get('demo-model/model-versions/999999/timeline')).status,
    ).toBe(404);
  });

  it("does not follow a run tag naming another pipeline's execution, nor a version tag naming another group's package", async () => {
    const demoVersion = await mlflow(
      'GET',
      `model-versions/get?name=demo-model&version=${servedVersion}`,
    );
    const demoRun = await mlflow(
      'GET',
      `runs/get?run_id=${demoVersion.model_version.run_id}`,
    );
    const foreignExecution = demoRun.run.data.tags.find(
      (t: any) => t.key === 'sagemaker.pipeline_execution_arn',
    ).value;
    const foreignPackage = demoVersion.model_version.tags.find(
      (t: any) => t.key === 'sagemaker.model_package_arn',
    ).value;

    const experiment = await mlflow(
      'GET',
      `experiments/get-by-name?experiment_name=${ATTACK_MODEL}`,
    ).catch(() =>
      mlflow('POST', 'experiments/create', { name: ATTACK_MODEL }).then(e => ({
        experiment: { experiment_id: e.experiment_id },
      })),
    );
    const run = await mlflow('POST', 'runs/create', {
      experiment_id: experiment.experiment.experiment_id,
      start_time: Date.now(),
      tags: [
        { key: 'sagemaker.pipeline_execution_arn', value: foreignExecution },
        { key: 'lineage.git_sha', value: 'not-a-commit' },
        // eslint-disable-next-line no-script-url -- the hostile tag under test
        { key: 'lineage.ci_build_url', value: 'javascript:alert(1)' },
      ],
    });
    await mlflow('POST', 'registered-models/create', {
      name: ATTACK_MODEL,
    }).catch(() => undefined);
    const created = await mlflow('POST', 'model-versions/create', {
      name: ATTACK_MODEL,
      source: `runs:/${run.run.info.run_id}/model`,
      run_id: run.run.info.run_id,
      tags: [{ key: 'sagemaker.model_package_arn', value: foreignPackage }],
    });

    const res = await get(
      `attack-model/model-versions/${created.model_version.version}/timeline`,
    );
    expect(res.status).toBe(200);
    const byKind = Object.fromEntries(
      res.body.stages.map((s: any) => [s.kind, s]),
    );
    expect(byKind['pipeline-execution']).toMatchObject({
      status: 'not-followed',
      message: expect.stringContaining("not of this entity's pipeline"),
    });
    expect(byKind['pipeline-execution'].url).toBeUndefined();
    expect(byKind.approval).toMatchObject({
      status: 'not-followed',
      message: expect.stringContaining(`not in ${ATTACK_GROUP}`),
    });
    expect(byKind.approval.url).toBeUndefined();
    // Nothing of the demo model's execution or package reached the answer.
    const text = JSON.stringify(res.body);
    expect(text).not.toContain('Approved');
    expect(text).not.toContain('#/pipelines/demo-model-pipeline');
    expect(text).not.toContain('#/model-packages/demo-model');
    // A build "URL" that is not a web page is not a link; a commit id that is not one is not put in a path.
    expect(byKind.build.status).toBe('not-recorded');
    // eslint-disable-next-line no-script-url -- the hostile tag under test
    expect(text).not.toContain('javascript:');
    expect(byKind.commit.url).toBeUndefined();
  });

  it("links a recorded CI build's page", async () => {
    const experiment = await mlflow(
      'GET',
      `experiments/get-by-name?experiment_name=${ATTACK_MODEL}`,
    );
    const build = 'https://github.com/acme/demo-model/actions/runs/4242';
    const run = await mlflow('POST', 'runs/create', {
      experiment_id: experiment.experiment.experiment_id,
      start_time: Date.now(),
      tags: [{ key: 'lineage.ci_build_url', value: build }],
    });
    const created = await mlflow('POST', 'model-versions/create', {
      name: ATTACK_MODEL,
      source: `runs:/${run.run.info.run_id}/model`,
      run_id: run.run.info.run_id,
    });
    const res = await get(
      `attack-model/model-versions/${created.model_version.version}/timeline`,
    );
    expect(res.body.stages[1]).toMatchObject({
      kind: 'build',
      status: 'succeeded',
      url: build,
    });
  });
});
