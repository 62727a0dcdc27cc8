import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  CreatePipelineCommand,
  DeletePipelineCommand,
  DescribePipelineExecutionCommand,
  StartPipelineExecutionCommand,
} from '@aws-sdk/client-sagemaker';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import sagemakerMlflowPlugin from '@model-factory/plugin-sagemaker-mlflow-backend';
import { startDelayProxy } from '../__testUtils__/bench/delayProxy';
import { expectMatchesSpec } from '../__testUtils__/openapi';
import {
  emulatorAwsConfig,
  fileCatalogConfig,
  testStack,
} from '../__testUtils__/stack';

const stack = testStack();
const ACCOUNT = '123456789012';
// Names of their own: the demo data and the other suites' resources are left alone.
const PIPELINE = 'paging-150-steps';
const GROUP = `paging-group-${Date.now()}`;
const MODEL = `paging-model-${Date.now()}`;
const STEPS = 150;
const PARAMETERS = 120;
const LINKED = 25;
const base = '/api/sagemaker-mlflow/v1/entities/default/component/paging-model';
const auth = mockCredentials.user.header('user:default/guest');

async function mlflow(api: string, body: object) {
  const res = await fetch(`${stack.mlflowUrl}/api/2.0/mlflow/${api}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${api}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** 150 steps in a chain, and 120 parameters: more than one page of either (100 at most per page in AWS). */
function longDefinition() {
  const name = (i: number) => `Step${String(i).padStart(3, '0')}`;
  return JSON.stringify({
    Version: '2020-12-01',
    Parameters: Array.from({ length: PARAMETERS }, (_, i) => ({
      Name: `Param${i}`,
      Type: 'String',
      DefaultValue: `default-${i}`,
    })),
    // Condition steps with nothing to check: they succeed without a job, in an emulator that runs pipelines too.
    Steps: Array.from({ length: STEPS }, (_, i) => ({
      Name: name(i),
      Type: 'Condition',
      Arguments: { Conditions: [], IfSteps: [], ElseSteps: [] },
      ...(i > 0 ? { DependsOn: [name(i - 1)] } : {}),
    })),
  });
}

describe('long lists against the SageMaker emulator: every page, and only what a page shows', () => {
  let server: any;
  let sagemaker: Awaited<ReturnType<typeof startDelayProxy>>;
  let executionId: string;
  let sagemakerOnlyArn: string;

  async function get(url: string) {
    const res = await request(server)
      .get(`${base}/${url}`)
      .set('Authorization', auth);
    expectMatchesSpec('GET', `${base}/${url}`, res.status, res.body);
    return res;
  }

  /** The backend's SageMaker calls of one operation since the last reset, counted on the wire. */
  const calls = (operation: string) =>
    sagemaker.calls.get(`POST / SageMaker.${operation}`) ?? 0;

  beforeAll(async () => {
    // The pipeline and an execution with 120 parameters.
    await stack.sagemaker.send(
      new CreatePipelineCommand({
        PipelineName: PIPELINE,
        PipelineDefinition: longDefinition(),
        RoleArn: `arn:aws:iam::${ACCOUNT}:role/pipeline`,
      }),
    );
    const started = await stack.sagemaker.send(
      new StartPipelineExecutionCommand({
        PipelineName: PIPELINE,
        PipelineParameters: Array.from({ length: PARAMETERS }, (_, i) => ({
          Name: `Param${i}`,
          Value: `value-${i}`,
        })),
      }),
    );
    executionId = started.PipelineExecutionArn!.split('/').pop()!;
    // An emulator that runs pipelines finishes it in moments: its detail is then whole (and cached so).
    for (let i = 0; i < 120; i++) {
      const described = await stack.sagemaker.send(
        new DescribePipelineExecutionCommand({
          PipelineExecutionArn: started.PipelineExecutionArn,
        }),
      );
      if (described.PipelineExecutionStatus !== 'Executing') break;
      await new Promise(r => setTimeout(r, 250));
    }

    // A group with 25 packages registered as the template does (metadata naming their MLflow version, the version
    // tagged with the package), and one in the middle registered by another pipeline, with no MLflow metadata.
    await stack.sagemaker.send(
      new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP }),
    );
    await mlflow('registered-models/create', { name: MODEL });
    for (let v = 1; v <= LINKED; v++) {
      if (v === 10) {
        const other = await stack.sagemaker.send(
          new CreateModelPackageCommand({
            ModelPackageGroupName: GROUP,
            ModelPackageDescription: 'abalone RegisterModel',
            ModelApprovalStatus: 'Approved',
          }),
        );
        sagemakerOnlyArn = other.ModelPackageArn!;
      }
      const pkg = await stack.sagemaker.send(
        new CreateModelPackageCommand({
          ModelPackageGroupName: GROUP,
          ModelApprovalStatus: 'PendingManualApproval',
          CustomerMetadataProperties: {
            'mlflow.registered_model_name': MODEL,
            'mlflow.model_version': String(v),
          },
        }),
      );
      await mlflow('model-versions/create', {
        name: MODEL,
        source: `s3://paging/${v}`,
      });
      await mlflow('model-versions/set-tag', {
        name: MODEL,
        version: String(v),
        key: 'sagemaker.model_package_arn',
        value: pkg.ModelPackageArn,
      });
    }
    // The newest version's tag names a package of another account: never looked up.
    await mlflow('model-versions/create', {
      name: MODEL,
      source: `s3://paging/${LINKED + 1}`,
    });
    await mlflow('model-versions/set-tag', {
      name: MODEL,
      version: String(LINKED + 1),
      key: 'sagemaker.model_package_arn',
      value: `arn:aws:sagemaker:us-east-1:999999999999:model-package/${GROUP}/1`,
    });

    // The backend's SageMaker calls go through a proxy that only counts them.
    sagemaker = await startDelayProxy(stack.sagemakerEndpoint, 0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-factory-paging-'));
    const file = path.join(dir, 'entities.yaml');
    fs.writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: 'paging-model',
          annotations: {
            'aws.amazon.com/sagemaker-pipeline-arn': `arn:aws:sagemaker:us-east-1:${ACCOUNT}:pipeline/${PIPELINE}`,
            'aws.amazon.com/sagemaker-model-package-group-arn': `arn:aws:sagemaker:us-east-1:${ACCOUNT}:model-package-group/${GROUP}`,
            'mlflow.org/registered-model-name': MODEL,
          },
        },
        spec: {
          type: 'ml-model',
          lifecycle: 'experimental',
          owner: 'group:default/ml-platform',
        },
      }),
    );
    const backend = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({
          data: {
            catalog: fileCatalogConfig(file, ['Component']),
            aws: emulatorAwsConfig,
            sagemakerMlflow: {
              sagemaker: { endpoint: sagemaker.url },
              mlflow: {
                servers: [{ name: 'default', baseUrl: stack.mlflowUrl }],
              },
            },
          },
        }),
        mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
        catalogPlugin,
        sagemakerMlflowPlugin,
      ],
    });
    server = backend.server;
    for (let i = 0; i < 120; i++) {
      const res = await request(server)
        .get('/api/catalog/entities/by-name/component/default/paging-model')
        .set('Authorization', auth);
      if (res.status !== 404) break;
      await new Promise(r => setTimeout(r, 250));
    }
  }, 120_000);

  afterAll(async () => {
    await sagemaker?.close();
    await stack.sagemaker
      .send(new DeletePipelineCommand({ PipelineName: PIPELINE }))
      .catch(() => undefined);
  });

  describe('an execution of a 150-step pipeline', () => {
    it('comes back with every parameter it ran with', async () => {
      const res = await get(`executions/${executionId}`);
      expect(res.status).toBe(200);
      expect(res.body.execution.parameters).toEqual(
        Object.fromEntries(
          Array.from({ length: PARAMETERS }, (_, i) => [
            `Param${i}`,
            `value-${i}`,
          ]),
        ),
      );
      expect(res.body.definition.data).toHaveLength(STEPS);
    });

    // Needs the local emulator's ListPipelineExecutionSteps (issue 11, the dev/ extension of moto that pages it with
    // NextToken/MaxResults as AWS does): plain moto answers it with HTTP 500.
    it('comes back with every step', async () => {
      sagemaker.reset();
      const res = await get(`executions/${executionId}`);
      expect(res.body.steps.error).toBeUndefined();
      expect(res.body.steps.data.map((s: any) => s.name).sort()).toEqual(
        res.body.definition.data.map((s: any) => s.name).sort(),
      );
      expect(res.body.steps.data).toHaveLength(STEPS);
    });
  });

  describe('model versions of a group with packages another pipeline registered', () => {
    it('looks up only the packages of the versions a page shows, never listing the group', async () => {
      sagemaker.reset();
      const first = await get('model-versions?pageSize=20');
      expect(first.status).toBe(200);
      const shown = first.body.versions.data.items.map((v: any) => v.version);
      expect(shown).toEqual(
        Array.from({ length: 20 }, (_, i) => String(LINKED + 1 - i)),
      );
      // The newest version's package is in another account: shown without one, and not looked up.
      expect(Object.keys(first.body.modelPackages.data).sort()).toEqual(
        shown.slice(1).sort(),
      );
      expect(first.body.modelPackages.data['25']).toMatchObject({
        approvalStatus: 'PendingManualApproval',
        version: 26, // the other pipeline's package took one number
      });
      expect(calls('DescribeModelPackage')).toBe(19);
      expect(calls('ListModelPackages')).toBe(0);

      sagemaker.reset();
      const second = await get(
        `model-versions?pageSize=20&pageToken=${encodeURIComponent(
          first.body.versions.data.nextPageToken,
        )}`,
      );
      expect(Object.keys(second.body.modelPackages.data).sort()).toEqual(
        ['1', '2', '3', '4', '5', '6'].sort(),
      );
      expect(calls('DescribeModelPackage')).toBe(6);
      expect(calls('ListModelPackages')).toBe(0);
    });

    it('lists the package registered without MLflow metadata as SageMaker-only, with its approval', async () => {
      sagemaker.reset();
      const res = await get('sagemaker-only-versions?pageSize=100');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        items: [
          {
            arn: sagemakerOnlyArn,
            approvalStatus: 'Approved',
            version: 10,
            createdAt: expect.any(String),
            description: 'abalone RegisterModel',
            consoleUrl: expect.stringContaining(`#/model-packages/${GROUP}/10`),
          },
        ],
        scanned: LINKED + 1,
      });
      expect(calls('ListModelPackages')).toBe(1);
      expect(calls('DescribeModelPackage')).toBe(LINKED + 1);
    });

    it('pages the group newest first, a page of packages at a time; metadata once known is not described again', async () => {
      sagemaker.reset();
      const seen: string[] = [];
      let scanned = 0;
      let token: string | undefined;
      let pages = 0;
      do {
        const res = await get(
          `sagemaker-only-versions?pageSize=7${
            token ? `&pageToken=${encodeURIComponent(token)}` : ''
          }`,
        );
        expect(res.status).toBe(200);
        expect(res.body.scanned).toBeLessThanOrEqual(7);
        scanned += res.body.scanned;
        seen.push(...res.body.items.map((p: any) => p.arn));
        token = res.body.nextPageToken;
        pages++;
      } while (token && pages < 10);
      expect(pages).toBe(4);
      expect(scanned).toBe(LINKED + 1);
      expect(seen).toEqual([sagemakerOnlyArn]);
      expect(calls('ListModelPackages')).toBe(4);
      expect(calls('DescribeModelPackage')).toBe(0);
    });

    it('refuses a page token it did not give out', async () => {
      const res = await get('sagemaker-only-versions?pageToken=bogus');
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe(
        'pageToken is not a token this API returned',
      );
    });

    it('refuses a token of our shape carrying an upstream token SageMaker never gave out: 400, not 502', async () => {
      const forged = Buffer.from(
        JSON.stringify({ upstream: 'forged-next-token', skip: 0 }),
      ).toString('base64url');
      const res = await get(`sagemaker-only-versions?pageToken=${forged}`);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe(
        'pageToken is not a token this API returned',
      );
    });
  });
});
