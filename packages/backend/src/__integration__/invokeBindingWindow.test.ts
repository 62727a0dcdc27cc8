import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import {
  AddTagsCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteTagsCommand,
  ListTagsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import sagemakerMlflowPlugin from '@model-factory/plugin-sagemaker-mlflow-backend';
import { BINDING_TAG } from '@model-factory/plugin-sagemaker-mlflow-common';
import { GUEST, waitForEntity } from '../__testUtils__/backendRequests';
import {
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
 * Invocations may use an endpoint's binding this backend read as bound within `binding.invokeCacheSeconds`
 * (one SageMaker round trip less per invocation); a refusal is never reused, and a removed tag stops invocations
 * once the window has passed. Real catalog, permission framework and SageMaker emulator; an endpoint of this
 * test's own, so removing its tag disturbs no other test file.
 */
const stack = testStack();
const ENDPOINT = 'invoke-window-endpoint';
const ENDPOINT_ARN = `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${ENDPOINT}`;
const BOUND = 'component:default/invoke-window-model';
const OWNER = 'user:default/guest';
const base = '/api/sagemaker-mlflow/v1/entities/default/component';

function writeCatalog() {
  const component = (name: string) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      annotations: { 'aws.amazon.com/sagemaker-endpoint-arns': ENDPOINT_ARN },
    },
    spec: { type: 'ml-model', lifecycle: 'experimental', owner: OWNER },
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-factory-window-'));
  const file = path.join(dir, 'entities.yaml');
  // The bound entity, and one the caller also owns that names the same endpoint (its tag names the other).
  fs.writeFileSync(
    file,
    [component('invoke-window-model'), component('window-claims-model')]
      .map(e => JSON.stringify(e))
      .join('\n---\n'),
  );
  return file;
}

const bind = () =>
  stack.sagemaker.send(
    new AddTagsCommand({
      ResourceArn: ENDPOINT_ARN,
      Tags: [{ Key: BINDING_TAG, Value: BOUND }],
    }),
  );
const unbind = () =>
  stack.sagemaker.send(
    new DeleteTagsCommand({
      ResourceArn: ENDPOINT_ARN,
      TagKeys: [BINDING_TAG],
    }),
  );

/** The endpoint, bound to invoke-window-model (created once per emulator; re-tagged each run). */
async function createBoundEndpoint() {
  const sm = stack.sagemaker;
  const exists = (error: any) => {
    if (!/already exists|ResourceInUse/i.test(`${error.name} ${error.message}`))
      throw error;
  };
  await sm
    .send(
      new CreateModelCommand({
        ModelName: ENDPOINT,
        ExecutionRoleArn:
          'arn:aws:iam::123456789012:role/model-factory-pipeline',
        PrimaryContainer: { Image: 'serving:1' },
      }),
    )
    .catch(exists);
  await sm
    .send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: ENDPOINT,
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: ENDPOINT,
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
        EndpointName: ENDPOINT,
        EndpointConfigName: ENDPOINT,
      }),
    )
    .catch(exists);
  await bind();
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
          catalog: fileCatalogConfig(catalogFile, ['Component']),
          permission: { enabled: true },
          aws: emulatorAwsConfig,
          sagemakerMlflow: {
            sagemaker: { endpoint: stack.sagemakerEndpoint },
            mlflow: {
              servers: [{ name: 'default', baseUrl: stack.mlflowUrl }],
            },
            endpointRoutes: [{ endpointArn: ENDPOINT_ARN, url: modelUrl }],
            binding,
          },
        },
      }),
      authWithActorsFactory,
      httpAuthServiceFactory,
      userInfoFromOrgFactory({}),
      catalogPlugin,
      permissionPlugin,
      testPolicyModule,
      sagemakerMlflowPlugin,
    ],
  });
  for (const name of ['invoke-window-model', 'window-claims-model']) {
    await waitForEntity(backend.server, `component/default/${name}`);
  }
  return backend.server;
}

describe('binding.invokeCacheSeconds: invocations reuse a recent positive binding', () => {
  let model: Awaited<ReturnType<typeof countingModelServer>>;
  let withDefault: any;
  let oneSecond: any;
  let sent: jest.SpyInstance;

  const invoke = (server: any, entity: string) =>
    request(server)
      .post(`${base}/${entity}/endpoints/${ENDPOINT}/invocations`)
      .set('Authorization', GUEST)
      .set('content-type', 'application/json')
      .send('{"instances": [[1, 2]]}');
  /** What the backends sent SageMaker (a call-through spy: the emulator still answers). */
  const sentToSageMaker = () =>
    sent.mock.calls.map(([command]) => command.constructor.name);
  const tagReads = () =>
    sent.mock.calls.filter(
      ([command]) =>
        command instanceof ListTagsCommand &&
        command.input.ResourceArn === ENDPOINT_ARN,
    ).length;

  beforeAll(async () => {
    await createBoundEndpoint();
    model = await countingModelServer();
    const catalogFile = writeCatalog();
    withDefault = await startBackend(catalogFile, model.url, {});
    oneSecond = await startBackend(catalogFile, model.url, {
      invokeCacheSeconds: 1,
    });
  }, 120_000);
  afterAll(async () => {
    model?.close();
    await bind();
  });
  beforeEach(() => {
    sent = jest.spyOn(SageMakerClient.prototype, 'send');
  });
  afterEach(() => sent.mockRestore());

  it('a second invocation within the (default) window sends nothing to SageMaker', async () => {
    const first = await invoke(withDefault, 'invoke-window-model');
    expect(first.status).toBe(200);
    expect(first.body.body).toEqual({ predictions: [0] });
    expect(tagReads()).toBe(1);
    sent.mockClear();
    const second = await invoke(withDefault, 'invoke-window-model');
    expect(second.status).toBe(200);
    // Not the tag, nor anything else (DescribeEndpoint, say): the catalog and the model are all it needs.
    expect(sentToSageMaker()).toEqual([]);
  });

  it('does not let another entity naming the same endpoint through on that confirmation', async () => {
    const before = model.count();
    const res = await invoke(withDefault, 'window-claims-model');
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain(`is bound to '${BOUND}'`);
    expect(tagReads()).toBe(1);
    expect(model.count()).toBe(before);
  });

  it('stops invocations once the window has passed after the tag is removed, and never remembers a refusal', async () => {
    expect((await invoke(oneSecond, 'invoke-window-model')).status).toBe(200);
    const confirmed = performance.now();
    await unbind();
    try {
      // The documented trade-off: the 30 s backend confirmed the binding moments ago and has not seen the removal.
      expect((await invoke(withDefault, 'invoke-window-model')).status).toBe(
        200,
      );
      await new Promise(r =>
        setTimeout(r, Math.max(0, 1100 - (performance.now() - confirmed))),
      );
      const before = model.count();
      const refused = await invoke(oneSecond, 'invoke-window-model');
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toContain(`has no ${BINDING_TAG} tag`);
      expect(model.count()).toBe(before);
    } finally {
      await bind();
    }
    // The refusal was not kept: the tag is back, and the next invocation reads it and goes through.
    sent.mockClear();
    expect((await invoke(oneSecond, 'invoke-window-model')).status).toBe(200);
    expect(tagReads()).toBe(1);
  });
});
