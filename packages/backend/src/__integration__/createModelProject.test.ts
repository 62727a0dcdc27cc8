import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import { DescribeModelPackageGroupCommand } from '@aws-sdk/client-sagemaker';
import { testStack } from '../__testUtils__/stack';
import {
  GUEST,
  runTemplate,
  startTemplateBackend,
  waitForEntity,
} from '../__testUtils__/templateBackend';

// The create-model-project template run by the real scaffolder (its fetch:template, fs:delete and
// catalog:register, our actions), against the real MLflow server and the SageMaker emulator. ./scripts/test
// then runs the published repository's own pytest (MODEL_FACTORY_TEST_REPOSITORIES names where it goes).
const stack = testStack();
const repositories =
  process.env.MODEL_FACTORY_TEST_REPOSITORIES ??
  fs.mkdtempSync(path.join(os.tmpdir(), 'model-factory-repositories-'));
const NAME = 'churn-model';

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

describe('template create-model-project', () => {
  let server: any;
  const target = path.join(repositories, NAME);

  beforeAll(async () => {
    server = await startTemplateBackend(stack, repositories);
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
        'arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn-model-staging,' +
        'arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn-model-production',
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
    expect(res.body).toMatchObject({
      modelName: NAME,
      versions: { data: { items: [] } },
      modelPackages: { data: {} },
    });
  });

  it('refuses a second run for the same component before creating anything, and changes nothing', async () => {
    const before = fs.readFileSync(path.join(target, 'README.md'), 'utf8');
    const run = await runTemplate(server, values);
    expect(run.status).toBe('failed');
    expect(run.log).toMatch(
      /component:default\/churn-model is already in the catalog \(owned by group:default\/ml-platform\)/,
    );
    expect(fs.readFileSync(path.join(target, 'README.md'), 'utf8')).toBe(
      before,
    );
  }, 180_000);

  it('refuses to publish over an existing repository and changes nothing', async () => {
    const before = fs.readFileSync(path.join(target, 'README.md'), 'utf8');
    const run = await runTemplate(server, {
      ...values,
      name: 'churn-model-again',
      repoName: NAME,
    });
    expect(run.status).toBe('failed');
    expect(run.log).toMatch(
      /already exists in the local repositories directory/,
    );
    expect(fs.readFileSync(path.join(target, 'README.md'), 'utf8')).toBe(
      before,
    );
  }, 180_000);

  it("refuses a name someone registered first, so the new project's resources are never bound to their entity", async () => {
    // Any signed-in user may register a location; one registers the ref a team's next project will have.
    const squatter = path.join(repositories, 'squatter');
    fs.mkdirSync(squatter, { recursive: true });
    fs.writeFileSync(
      path.join(squatter, 'catalog-info.yaml'),
      JSON.stringify({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: { name: 'squatted-model' },
        spec: {
          type: 'ml-model',
          lifecycle: 'x',
          owner: 'user:default/mallory',
        },
      }),
    );
    const registered = await request(server)
      .post('/api/catalog/locations')
      .set('Authorization', GUEST)
      .send({
        type: 'url',
        target: `file://${path.join(squatter, 'catalog-info.yaml')}`,
      });
    expect(registered.status).toBe(201);
    expect(
      (await waitForEntity(server, 'component/default/squatted-model')).status,
    ).toBe(200);

    const run = await runTemplate(server, {
      ...values,
      name: 'squatted-model',
    });
    expect(run.status).toBe('failed');
    expect(run.log).toContain(
      'component:default/squatted-model is already in the catalog (owned by user:default/mallory)',
    );
    const mlflow = (what: string) =>
      fetch(`${stack.mlflowUrl}/api/2.0/mlflow/${what}`).then(r => r.status);
    expect(await mlflow('registered-models/get?name=squatted-model')).toBe(404);
    expect(fs.existsSync(path.join(repositories, 'squatted-model'))).toBe(
      false,
    );
  }, 180_000);

  it('keeps the GitHub Actions workflow instead of the buildspec when asked', async () => {
    const run = await runTemplate(server, {
      ...values,
      name: 'churn-model-gha',
      ciSystem: 'github-actions',
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
      'run-pipeline --wait --description "GitHub ${{ github.sha }}"',
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
