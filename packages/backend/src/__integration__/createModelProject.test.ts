import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import { DescribeModelPackageGroupCommand } from '@aws-sdk/client-sagemaker';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import sagemakerMlflowPlugin from '@model-factory/plugin-sagemaker-mlflow-backend';
import scaffolderModule, {
  localRepositoryUrlReader,
} from '@model-factory/plugin-scaffolder-backend-module-sagemaker-mlflow';
import { emulatorAwsConfig, testStack } from '../__testUtils__/stack';

// The create-model-project template run by the real scaffolder (its fetch:template, fs:delete and
// catalog:register, our actions), against the real MLflow server and the SageMaker emulator. ./scripts/test
// then runs the published repository's own pytest (MODEL_FACTORY_TEST_REPOSITORIES names where it goes).
const stack = testStack();
const repoRoot = path.resolve(__dirname, '../../../..');
const repositories =
  process.env.MODEL_FACTORY_TEST_REPOSITORIES ??
  fs.mkdtempSync(path.join(os.tmpdir(), 'model-factory-repositories-'));
const NAME = 'churn-model';
const GUEST = mockCredentials.user.header('user:default/guest');

const values = {
  name: NAME,
  description: 'Predicts churn: created by the template test',
  owner: 'group:default/ml-platform',
  trackingServer: 'default',
  gateMetric: 'accuracy',
  gateThreshold: 0.9,
  accountId: '123456789012',
  region: 'us-east-1',
  roleArn: 'arn:aws:iam::123456789012:role/churn-model-pipeline',
  artifactBucket: 'churn-model-artifacts',
  ciSystem: 'codebuild',
};

async function runTemplate(server: any, input: object) {
  const created = await request(server)
    .post('/api/scaffolder/v2/tasks')
    .set('Authorization', GUEST)
    .send({
      templateRef: 'template:default/create-model-project',
      values: input,
    });
  expect(created.status).toBe(201);
  for (let i = 0; i < 240; i++) {
    const task = await request(server)
      .get(`/api/scaffolder/v2/tasks/${created.body.id}`)
      .set('Authorization', GUEST);
    if (['completed', 'failed', 'cancelled'].includes(task.body.status)) {
      const events = await request(server)
        .get(`/api/scaffolder/v2/tasks/${created.body.id}/events`)
        .set('Authorization', GUEST);
      const log = events.body
        .map((e: any) => e.body?.message)
        .filter(Boolean)
        .join('\n');
      return { status: task.body.status as string, output: task.body, log };
    }
    await new Promise(r => setTimeout(r, 500));
  }
  throw new Error('the scaffolder task did not finish in 2 minutes');
}

async function waitForEntity(server: any, ref: string) {
  let res = await request(server)
    .get(`/api/catalog/entities/by-name/${ref}`)
    .set('Authorization', GUEST);
  for (let i = 0; i < 120 && res.status === 404; i++) {
    await new Promise(r => setTimeout(r, 500));
    res = await request(server)
      .get(`/api/catalog/entities/by-name/${ref}`)
      .set('Authorization', GUEST);
  }
  return res;
}

describe('template create-model-project', () => {
  let server: any;
  const target = path.join(repositories, NAME);

  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({
          data: {
            backend: { baseUrl: 'http://localhost:7007' },
            aws: emulatorAwsConfig,
            catalog: {
              rules: [{ allow: ['Component', 'Location', 'Template'] }],
              locations: [
                {
                  type: 'file',
                  target: path.join(
                    repoRoot,
                    'templates/create-model-project/template.yaml',
                  ),
                },
                {
                  type: 'file',
                  target: path.join(repoRoot, 'dev/catalog/org.yaml'),
                  rules: [{ allow: ['User', 'Group'] }],
                },
              ],
            },
            sagemakerMlflow: {
              sagemaker: { endpoint: stack.sagemakerEndpoint },
              mlflow: {
                servers: [{ name: 'default', baseUrl: stack.mlflowUrl }],
              },
              localRepositories: { root: repositories },
            },
          },
        }),
        // Permissions are not what this test is about; the shipped policy has its own tests.
        mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
        catalogPlugin,
        catalogScaffolderEntityModel,
        scaffolderPlugin,
        scaffolderModule,
        localRepositoryUrlReader,
        sagemakerMlflowPlugin,
      ],
    }));
    const template = await waitForEntity(
      server,
      'template/default/create-model-project',
    );
    if (template.status !== 200) {
      throw new Error(
        `the catalog did not ingest the template: ${template.status}`,
      );
    }
  }, 120_000);

  it('provisions MLflow and SageMaker, publishes a git repository and registers the component', async () => {
    const run = await runTemplate(server, values);
    expect({ status: run.status, log: run.log }).toMatchObject({
      status: 'completed',
    });

    const experiment = await fetch(
      `${stack.mlflowUrl}/api/2.0/mlflow/experiments/get-by-name?experiment_name=${NAME}`,
    );
    expect(experiment.status).toBe(200);
    const model = await fetch(
      `${stack.mlflowUrl}/api/2.0/mlflow/registered-models/get?name=${NAME}`,
    );
    expect((await model.json()).registered_model.description).toBe(
      values.description,
    );
    const group = await stack.sagemaker.send(
      new DescribeModelPackageGroupCommand({ ModelPackageGroupName: NAME }),
    );
    expect(group.ModelPackageGroupDescription).toBe(values.description);

    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: target }).toString().trim();
    expect(git('branch', '--show-current')).toBe('main');
    expect(git('log', '--format=%s')).toBe(
      'Create churn-model from the create-model-project template',
    );
    expect(fs.existsSync(path.join(target, 'codebuild-buildspec.yml'))).toBe(
      true,
    );
    expect(fs.existsSync(path.join(target, '.github'))).toBe(false);
    expect(
      fs.existsSync(path.join(target, 'pipelines/churn_model/pipeline.py')),
    ).toBe(true);

    const entity = await waitForEntity(server, 'component/default/churn-model');
    expect(entity.status).toBe(200);
    expect(entity.body.spec.owner).toBe('group:default/ml-platform');
    expect(entity.body.metadata.annotations).toMatchObject({
      'aws.amazon.com/sagemaker-pipeline-arn':
        'arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-model-pipeline',
      'aws.amazon.com/sagemaker-model-package-group-arn':
        'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churn-model',
      'aws.amazon.com/sagemaker-endpoint-arns':
        'arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn-model-staging',
      'mlflow.org/registered-model-name': NAME,
      'mlflow.org/experiment-name': NAME,
    });
  }, 180_000);

  it('writes valid YAML with the values filled in', () => {
    const buildspec = parseYaml(
      fs.readFileSync(path.join(target, 'codebuild-buildspec.yml'), 'utf8'),
    );
    expect(buildspec.env.variables).toMatchObject({
      PIPELINE_NAME: 'churn-model-pipeline',
      MLFLOW_TRACKING_URI: stack.mlflowUrl,
      PIPELINE_ROLE_ARN: values.roleArn,
    });
    expect(Object.keys(buildspec.phases)).toEqual([
      'install',
      'pre_build',
      'build',
    ]);
    const settings = fs.readFileSync(
      path.join(target, 'pipelines/churn_model/settings.py'),
      'utf8',
    );
    expect(settings).toContain(
      'GATE_THRESHOLD = float(_env("GATE_THRESHOLD", "0.9"))',
    );
    expect(settings).not.toContain('${{');
  });

  it("the new component's model versions section answers from MLflow", async () => {
    const res = await request(server)
      .get(
        '/api/sagemaker-mlflow/v1/entities/default/component/churn-model/model-versions',
      )
      .set('Authorization', GUEST);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ modelName: NAME, items: [] });
    expect(res.body.sagemakerError).toBeUndefined();
  });

  it('refuses to publish over an existing repository and changes nothing', async () => {
    const before = fs.readFileSync(path.join(target, 'README.md'), 'utf8');
    const run = await runTemplate(server, values);
    expect(run.status).toBe('failed');
    expect(run.log).toMatch(
      /already exists in the local repositories directory/,
    );
    expect(fs.readFileSync(path.join(target, 'README.md'), 'utf8')).toBe(
      before,
    );
  }, 180_000);

  it('keeps the GitHub Actions workflow instead of the buildspec when asked', async () => {
    const run = await runTemplate(server, {
      ...values,
      ciSystem: 'github-actions',
      repoName: 'churn-model-gha',
    });
    expect({ status: run.status, log: run.log }).toMatchObject({
      status: 'completed',
    });
    const repo = path.join(repositories, 'churn-model-gha');
    expect(fs.existsSync(path.join(repo, 'codebuild-buildspec.yml'))).toBe(
      false,
    );
    const workflow = parseYaml(
      fs.readFileSync(
        path.join(repo, '.github/workflows/model-build.yml'),
        'utf8',
      ),
    );
    expect(workflow.env.PIPELINE_ROLE_ARN).toBe(
      `\${{ vars.PIPELINE_ROLE_ARN || '${values.roleArn}' }}`,
    );
    expect(workflow.jobs['run-pipeline'].steps.at(-1).run).toBe(
      'run-pipeline --description "GitHub ${{ github.sha }}"',
    );
  }, 180_000);

  it('answers a bad name or an over-long description with a 400 that names the field, and creates nothing', async () => {
    const res = await request(server)
      .post('/api/scaffolder/v2/tasks')
      .set('Authorization', GUEST)
      .send({
        templateRef: 'template:default/create-model-project',
        values: {
          ...values,
          name: 'Churn Model',
          description: 'x'.repeat(1025),
        },
      });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: any) => e.stack)).toEqual([
      'instance.name does not match pattern "^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$"',
      'instance.description does not meet maximum length of 1024',
    ]);
    expect(
      (
        await fetch(
          `${
            stack.mlflowUrl
          }/api/2.0/mlflow/registered-models/get?name=${encodeURIComponent(
            'Churn Model',
          )}`,
        )
      ).status,
    ).toBe(404);
  });
});
