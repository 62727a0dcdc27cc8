import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import {
  AddTagsCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateModelPackageGroupCommand,
  CreatePipelineCommand,
  DeleteTagsCommand,
  ListPipelineExecutionsCommand,
  SageMakerClient,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import sagemakerMlflowPlugin from '@model-factory/plugin-sagemaker-mlflow-backend';
import { BINDING_TAG } from '@model-factory/plugin-sagemaker-mlflow-common';
import { waitForEntity } from '../__testUtils__/backendRequests';
import { expectMatchesSpec } from '../__testUtils__/openapi';
import {
  ARN,
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
import { countingModelServer } from '../__testUtils__/countingModelServer';

/**
 * The trust model, attacked: owning a catalog entity is not enough to act on what its annotations name. The
 * resources must name the entity back (their backstage.io/entity-ref tag). Real catalog, permission framework,
 * MLflow and SageMaker emulator; the "upstream unchanged" checks read the emulator and a counting model server.
 */
const stack = testStack();
const GUEST = 'user:default/guest'; // member of ml-platform, which owns demo-model; owns claims-model itself
const as = (user: string) => mockCredentials.user.header(user);
const base = '/api/sagemaker-mlflow/v1/entities/default/component';

/**
 * The emulator runs the demo pipeline (dev/emulator): a started execution run to its end would register a version
 * while other test files read the versions. The tests here need only the start.
 */
const stopAtOnce = (executionArn: string) =>
  stack.sagemaker.send(
    new StopPipelineExecutionCommand({ PipelineExecutionArn: executionArn }),
  );
const UNBOUND = {
  pipeline: 'sec-unbound-pipeline',
  group: 'sec-unbound-group',
  endpoint: 'sec-unbound-endpoint',
  model: 'sec-unbound-model',
};
/** The test's catalog: every component the tests address. */
const COMPONENTS = [
  'demo-model',
  'claims-model',
  'unbound-model',
  'not-created-model',
  'other-account-model',
  'borrower-model',
];
/** An endpoint bound to borrower-model, whose annotations also name demo-model's registered model. */
const OWN_ENDPOINT = 'sec-borrower-endpoint';
const arn = (type: string, name: string) =>
  `arn:aws:sagemaker:us-east-1:123456789012:${type}/${name}`;

function writeCatalog(dir: string) {
  const component = (
    name: string,
    owner: string,
    annotations: Record<string, string>,
  ) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, annotations },
    spec: { type: 'ml-model', lifecycle: 'experimental', owner },
  });
  const entities = [
    // The demo model's own component: its resources are tagged with its ref by the seed.
    component('demo-model', 'group:default/ml-platform', {
      'aws.amazon.com/sagemaker-pipeline-arn': ARN.pipeline,
      'aws.amazon.com/sagemaker-model-package-group-arn': ARN.group,
      'aws.amazon.com/sagemaker-endpoint-arns': ARN.endpoint,
      'mlflow.org/registered-model-name': 'demo-model',
      'mlflow.org/experiment-name': 'demo-model',
    }),
    // What anyone who can get a catalog file ingested can write: the caller owns it, it names demo-model's resources.
    component('claims-model', GUEST, {
      'aws.amazon.com/sagemaker-pipeline-arn': ARN.pipeline,
      'aws.amazon.com/sagemaker-model-package-group-arn': ARN.group,
      'aws.amazon.com/sagemaker-endpoint-arns': ARN.endpoint,
      'mlflow.org/registered-model-name': 'demo-model',
      'mlflow.org/experiment-name': 'demo-model',
    }),
    // Names resources that exist but carry no binding tag at all.
    component('unbound-model', GUEST, {
      'aws.amazon.com/sagemaker-pipeline-arn': arn(
        'pipeline',
        UNBOUND.pipeline,
      ),
      'aws.amazon.com/sagemaker-model-package-group-arn': arn(
        'model-package-group',
        UNBOUND.group,
      ),
      'aws.amazon.com/sagemaker-endpoint-arns': arn(
        'endpoint',
        UNBOUND.endpoint,
      ),
      'mlflow.org/registered-model-name': UNBOUND.model,
    }),
    // A pipeline its project has not created yet.
    component('not-created-model', GUEST, {
      'aws.amazon.com/sagemaker-pipeline-arn': arn(
        'pipeline',
        'not-created-yet',
      ),
    }),
    // A pipeline in an account the portal has no credentials for.
    component('other-account-model', GUEST, {
      'aws.amazon.com/sagemaker-pipeline-arn':
        'arn:aws:sagemaker:eu-west-1:999999999999:pipeline/elsewhere',
      'aws.amazon.com/sagemaker-model-package-group-arn':
        'arn:aws:sagemaker:eu-west-1:999999999999:model-package-group/elsewhere',
      'aws.amazon.com/sagemaker-endpoint-arns':
        'arn:aws:sagemaker:eu-west-1:999999999999:endpoint/elsewhere',
      'mlflow.org/registered-model-name': 'demo-model',
    }),
    // Its own, bound endpoint, and another team's registered model: the model's data must not reach the endpoint.
    component('borrower-model', GUEST, {
      'aws.amazon.com/sagemaker-endpoint-arns': arn('endpoint', OWN_ENDPOINT),
      'mlflow.org/registered-model-name': 'demo-model',
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

/** Resources like a team's existing ones: created straight in the emulator and MLflow, without a binding tag. */
async function createUnboundResources() {
  const sm = stack.sagemaker;
  const exists = (error: any) => {
    if (!/already exists|ResourceInUse/i.test(`${error.name} ${error.message}`))
      throw error;
  };
  await sm
    .send(
      new CreatePipelineCommand({
        PipelineName: UNBOUND.pipeline,
        RoleArn: 'arn:aws:iam::123456789012:role/model-factory-pipeline',
        PipelineDefinition: JSON.stringify({
          Version: '2020-12-01',
          Parameters: [],
          Steps: [],
        }),
      }),
    )
    .catch(exists);
  await sm
    .send(
      new CreateModelPackageGroupCommand({
        ModelPackageGroupName: UNBOUND.group,
      }),
    )
    .catch(exists);
  await sm
    .send(
      new CreateModelCommand({
        ModelName: UNBOUND.endpoint,
        ExecutionRoleArn:
          'arn:aws:iam::123456789012:role/model-factory-pipeline',
        PrimaryContainer: { Image: 'serving:1' },
      }),
    )
    .catch(exists);
  await sm
    .send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: UNBOUND.endpoint,
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: UNBOUND.endpoint,
            InitialInstanceCount: 1,
            InstanceType: 'ml.m5.large',
          },
        ],
      }),
    )
    .catch(exists);
  await sm
    .send(
      new CreateEndpointCommand({
        EndpointName: UNBOUND.endpoint,
        EndpointConfigName: UNBOUND.endpoint,
      }),
    )
    .catch(exists);
  await sm
    .send(
      new CreateEndpointCommand({
        EndpointName: OWN_ENDPOINT,
        EndpointConfigName: UNBOUND.endpoint,
        Tags: [{ Key: BINDING_TAG, Value: 'component:default/borrower-model' }],
      }),
    )
    .catch(exists);
  const res = await fetch(
    `${stack.mlflowUrl}/api/2.0/mlflow/registered-models/create`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: UNBOUND.model }),
    },
  );
  if (!res.ok && res.status !== 400) throw new Error(await res.text());
}

async function startBackend(
  catalogFile: string,
  modelUrl: string,
  binding: object,
) {
  const backend = await startTestBackend({
    features: [
      mockServices.rootConfig.factory({
        data: {
          catalog: fileCatalogConfig(catalogFile, ['Component', 'Group']),
          permission: { enabled: true },
          aws: emulatorAwsConfig,
          sagemakerMlflow: {
            sagemaker: { endpoint: stack.sagemakerEndpoint },
            mlflow: {
              servers: [{ name: 'default', baseUrl: stack.mlflowUrl }],
            },
            endpointRoutes: [
              { endpointArn: ARN.endpoint, url: modelUrl },
              { endpointArn: arn('endpoint', UNBOUND.endpoint), url: modelUrl },
              { endpointArn: arn('endpoint', OWN_ENDPOINT), url: modelUrl },
            ],
            binding,
            permissions: { servicePrincipals: ['external:ci-bot'] },
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
  for (const name of COMPONENTS) {
    await waitForEntity(backend.server, `component/default/${name}`);
  }
  return backend;
}

describe('two-way binding: an entity acts only on resources that name it back', () => {
  let server: any;
  let strictServer: any;
  let model: Awaited<ReturnType<typeof countingModelServer>>;

  const get = async (target: any, url: string) => {
    const res = await request(target)
      .get(`${base}/${url}`)
      .set('Authorization', as(GUEST));
    expectMatchesSpec('GET', `${base}/${url}`, res.status, res.body);
    return res;
  };
  const post = async (url: string, body?: object) => {
    const res = await request(server)
      .post(`${base}/${url}`)
      .set('Authorization', as(GUEST))
      .send(body ?? {});
    expectMatchesSpec('POST', `${base}/${url}`, res.status, res.body);
    return res;
  };
  const executionCount = async (pipeline: string) =>
    (
      await stack.sagemaker.send(
        new ListPipelineExecutionsCommand({ PipelineName: pipeline }),
      )
    ).PipelineExecutionSummaries!.length;
  /**
   * The writes this test's backends sent SageMaker: a call-through spy (the emulator still answers). Counting the
   * demo pipeline's executions instead would race other test files, which start executions of it too.
   */
  let sent: jest.SpyInstance;
  beforeEach(() => {
    sent = jest.spyOn(SageMakerClient.prototype, 'send');
  });
  afterEach(() => sent.mockRestore());
  const writesSent = () =>
    sent.mock.calls
      .map(([command]) => command)
      .filter(
        command =>
          command instanceof StartPipelineExecutionCommand ||
          command instanceof StopPipelineExecutionCommand ||
          command instanceof UpdateModelPackageCommand,
      ).length;

  beforeAll(async () => {
    await createUnboundResources();
    model = await countingModelServer();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-factory-sec-'));
    const catalogFile = writeCatalog(dir);
    server = (await startBackend(catalogFile, model.url, {})).server;
    strictServer = (
      await startBackend(catalogFile, model.url, { requireForReads: true })
    ).server;
  }, 120_000);

  afterAll(() => model?.close());

  describe("an entity the caller owns, naming another entity's resources", () => {
    it('cannot start or stop its pipeline: 403 naming the binding, and nothing is sent to SageMaker', async () => {
      const start = await post('claims-model/executions');
      expect(start.status).toBe(403);
      expect(start.body.error.message).toContain(
        `is bound to 'component:default/demo-model' by its ${BINDING_TAG} tag`,
      );
      expect(start.body.error.message).toContain(ARN.pipeline);
      const stop = await post('claims-model/executions/abc123/stop');
      expect(stop.status).toBe(403);
      expect(writesSent()).toBe(0);
    });

    it('cannot approve or reject a version: 403, and no package is updated', async () => {
      for (const status of ['Approved', 'Rejected']) {
        const res = await post('claims-model/model-versions/1/approval', {
          status,
        });
        expect(res.status).toBe(403);
        expect(res.body.error.message).toContain(
          "bound to 'component:default/demo-model'",
        );
      }
      expect(writesSent()).toBe(0);
    });

    it('cannot invoke or validate the endpoint: 403 and nothing reaches the model', async () => {
      const invoke = await request(server)
        .post(`${base}/claims-model/endpoints/demo-model-staging/invocations`)
        .set('Authorization', as(GUEST))
        .set('content-type', 'application/json')
        .send('{"instances": [[1]]}');
      expect(invoke.status).toBe(403);
      const validate = await post(
        'claims-model/endpoints/demo-model-staging/validation',
      );
      expect(validate.status).toBe(403);
      expect(model.count()).toBe(0);
    });

    it('can still read what its annotations name (reads follow annotations by default), marked bound elsewhere', async () => {
      const executions = await get(server, 'claims-model/executions');
      expect(executions.status).toBe(200);
      expect(executions.body.executions.data.items.length).toBeGreaterThan(0);
      expect(executions.body.binding).toMatchObject({
        kind: 'pipeline',
        state: 'bound-elsewhere',
        boundTo: 'component:default/demo-model',
      });
      const versions = await get(server, 'claims-model/model-versions');
      expect(versions.status).toBe(200);
      expect(versions.body.bindings.map((b: any) => [b.kind, b.state])).toEqual(
        [
          ['registered-model', 'bound-elsewhere'],
          ['model-package-group', 'bound-elsewhere'],
        ],
      );
      const endpoints = await get(server, 'claims-model/endpoints');
      expect(endpoints.body.items[0].binding.state).toBe('bound-elsewhere');
    });

    it('cannot read them either when the portal sets binding.requireForReads', async () => {
      for (const section of ['executions', 'model-versions']) {
        const res = await get(strictServer, `claims-model/${section}`);
        expect(res.status).toBe(403);
        expect(res.body.error.message).toContain(
          'sagemakerMlflow.binding.requireForReads',
        );
      }
      const endpoints = await get(strictServer, 'claims-model/endpoints');
      expect(endpoints.body.items[0].endpoint.data).toBeUndefined();
      expect(endpoints.body.items[0].endpoint.error).toMatchObject({
        code: 'not-bound',
        name: 'NotAllowedError',
      });
      // What is not there (yet) keeps its own answer (404 on AWS; the emulator's ListTags fails with a 500):
      // requireForReads refuses only what is bound elsewhere or not at all.
      const notCreated = await get(
        strictServer,
        'not-created-model/executions',
      );
      expect([404, 502]).toContain(notCreated.status);
      expect(notCreated.body.error.name).not.toBe('NotAllowedError');
      const summary = await get(strictServer, 'claims-model/summary');
      expect(summary.body.latestExecution.error.name).toBe('NotAllowedError');
      expect(summary.body.champion.error.name).toBe('NotAllowedError');
    });
  });

  describe("an entity with its own bound endpoint naming another team's registered model", () => {
    it("cannot send that model's validation sample to its endpoint, nor read it with requireForReads", async () => {
      const validate = await post(
        `borrower-model/endpoints/${OWN_ENDPOINT}/validation`,
      );
      expect(validate.status).toBe(403);
      expect(validate.body.error.message).toContain(
        "MLflow registered model 'demo-model' is bound to 'component:default/demo-model'",
      );
      expect(model.count()).toBe(0);
      const example = await get(
        strictServer,
        `borrower-model/endpoints/${OWN_ENDPOINT}/example`,
      );
      expect(example.status).toBe(403);
      expect(example.body.error.message).toContain('demo-model');
    });
  });

  describe('an entity naming a resource in an account the portal has no credentials for', () => {
    it('answers every tab route 200 with section errors naming the account, region and config to add', async () => {
      const named = {
        code: 'missing-credentials',
        account: '999999999999',
        region: 'eu-west-1',
        message: expect.stringContaining(
          'The portal has no AWS credentials for account 999999999999',
        ),
        fix: expect.stringContaining('aws.accounts'),
      };
      const executions = await get(server, 'other-account-model/executions');
      expect(executions.status).toBe(200);
      expect(executions.body.executions.error).toMatchObject(named);
      expect(executions.body.binding.state).toBe('unknown');
      const versions = await get(server, 'other-account-model/model-versions');
      expect(versions.status).toBe(200);
      expect(versions.body.versions.data.items.length).toBeGreaterThan(0);
      expect(versions.body.modelPackages.error).toMatchObject(named);
      const endpoints = await get(server, 'other-account-model/endpoints');
      expect(endpoints.status).toBe(200);
      expect(endpoints.body.items[0].endpoint.error).toMatchObject(named);
      const summary = await get(server, 'other-account-model/summary');
      expect(summary.status).toBe(200);
      expect(summary.body.latestExecution.error).toMatchObject(named);
      expect(summary.body.latestVersion.data.version).toMatch(/^\d+$/);
    });

    it('refuses a write with a 400 that names the account and the config to fix', async () => {
      const start = await post('other-account-model/executions');
      expect(start.status).toBe(400);
      expect(start.body.error.message).toContain(
        'The portal has no AWS credentials for account 999999999999',
      );
      expect(start.body.error.message).toContain('aws.accounts');
    });
  });

  describe('an entity naming resources that carry no binding tag', () => {
    it('refuses every write with the tag to add, and sends nothing upstream', async () => {
      const before = await executionCount(UNBOUND.pipeline);
      const start = await post('unbound-model/executions');
      expect(start.status).toBe(403);
      expect(start.body.error.message).toContain(
        `has no ${BINDING_TAG} tag, so it is not bound to component:default/unbound-model`,
      );
      expect(start.body.error.message).toContain(
        `aws sagemaker add-tags --region 'us-east-1' --resource-arn '${arn(
          'pipeline',
          UNBOUND.pipeline,
        )}' --tags 'Key=${BINDING_TAG},Value=component:default/unbound-model'`,
      );
      expect(await executionCount(UNBOUND.pipeline)).toBe(before);
      const approve = await post('unbound-model/model-versions/1/approval', {
        status: 'Approved',
      });
      expect(approve.status).toBe(403);
      // Both resources an approval needs are named, each with its fix.
      expect(approve.body.error.message).toContain(
        `MLflow registered model '${UNBOUND.model}' has no ${BINDING_TAG} tag`,
      );
      expect(approve.body.error.message).toContain(
        `SageMaker model package group ${arn(
          'model-package-group',
          UNBOUND.group,
        )} has no ${BINDING_TAG} tag`,
      );
      const validate = await post(
        `unbound-model/endpoints/${UNBOUND.endpoint}/validation`,
      );
      expect(validate.status).toBe(403);
      expect(model.count()).toBe(0);
    });

    it('shows each resource as unbound, with the fix', async () => {
      const executions = await get(server, 'unbound-model/executions');
      expect(executions.status).toBe(200);
      expect(executions.body.binding).toMatchObject({
        state: 'unbound',
        resource: arn('pipeline', UNBOUND.pipeline),
      });
      expect(executions.body.binding.command).toContain(
        'aws sagemaker add-tags',
      );
      const versions = await get(server, 'unbound-model/model-versions');
      expect(versions.body.bindings.map((b: any) => b.state)).toEqual([
        'unbound',
        'unbound',
      ]);
    });

    it('re-reads the tag for a write: binding the pipeline lets the next start through, unbinding stops the one after', async () => {
      const pipelineArn = arn('pipeline', UNBOUND.pipeline);
      // The tab has read (and cached) the pipeline as unbound.
      expect(
        (await get(server, 'unbound-model/executions')).body.binding.state,
      ).toBe('unbound');
      await stack.sagemaker.send(
        new AddTagsCommand({
          ResourceArn: pipelineArn,
          Tags: [
            { Key: BINDING_TAG, Value: 'component:default/unbound-model' },
          ],
        }),
      );
      try {
        const before = await executionCount(UNBOUND.pipeline);
        expect((await post('unbound-model/executions')).status).toBe(201);
        expect(await executionCount(UNBOUND.pipeline)).toBe(before + 1);
        // Now cached as bound; remove the tag and the next write is refused all the same.
        expect(
          (await get(server, 'unbound-model/executions')).body.binding.state,
        ).toBe('bound');
      } finally {
        await stack.sagemaker.send(
          new DeleteTagsCommand({
            ResourceArn: pipelineArn,
            TagKeys: [BINDING_TAG],
          }),
        );
      }
      expect((await post('unbound-model/executions')).status).toBe(403);
    });
  });

  describe('service principals (the permissions service allows them without asking the policy)', () => {
    const asService = (subject: string) =>
      mockCredentials.service.header({
        onBehalfOf: mockCredentials.service(subject),
        targetPluginId: 'sagemaker-mlflow',
      });

    it('refuses a write by one not listed in sagemakerMlflow.permissions.servicePrincipals, and lets a listed one through', async () => {
      const unlisted = await request(server)
        .post(`${base}/demo-model/executions`)
        .set('Authorization', asService('external:other-bot'))
        .send({});
      expect(unlisted.status).toBe(403);
      expect(unlisted.body.error.message).toContain(
        "Service principal 'external:other-bot' may not use sagemaker-mlflow.pipeline.execute",
      );
      const approve = await request(server)
        .post(`${base}/demo-model/model-versions/1/approval`)
        .set('Authorization', asService('plugin:catalog'))
        .send({ status: 'Rejected' });
      expect(approve.status).toBe(403);
      expect(writesSent()).toBe(0);
      // Reads are not writes: any service may read what the catalog lets it.
      const read = await request(server)
        .get(`${base}/demo-model/executions`)
        .set('Authorization', asService('external:other-bot'));
      expect(read.status).toBe(200);

      const listed = await request(server)
        .post(`${base}/demo-model/executions`)
        .set('Authorization', asService('external:ci-bot'))
        .send({ displayName: 'ci-bot-start' });
      expect(listed.status).toBe(201);
      expect(writesSent()).toBe(1);
      await stopAtOnce(listed.body.executionArn);
    });
  });

  describe("the entity the resources name back (the seed binds demo-model's)", () => {
    it('may start its pipeline, and reads with requireForReads', async () => {
      const res = await request(server)
        .post(`${base}/demo-model/executions`)
        .set('Authorization', as(GUEST))
        .send({ displayName: 'bound-start' });
      expect(res.status).toBe(201);
      expect(writesSent()).toBe(1);
      await stopAtOnce(res.body.executionArn);
      const executions = await get(strictServer, 'demo-model/executions');
      expect(executions.status).toBe(200);
      expect(executions.body.binding.state).toBe('bound');
      const versions = await get(strictServer, 'demo-model/model-versions');
      expect(versions.status).toBe(200);
      expect(versions.body.bindings.map((b: any) => b.state)).toEqual([
        'bound',
        'bound',
      ]);
    });
  });
});
