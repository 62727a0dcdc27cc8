import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import request from 'supertest';
import {
  CreatePipelineCommand,
  DeletePipelineCommand,
  DescribeModelPackageCommand,
  DescribePipelineExecutionCommand,
  ListModelPackagesCommand,
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
  OUTSIDER,
  testPolicyModule,
  userInfoFromOrgFactory,
  recordingAuditorFactory,
  AuditRecord,
} from '../__testUtils__/testServices';

const stack = testStack();

const audited: AuditRecord[] = [];
const recordingAuditor = recordingAuditorFactory(audited);
/** A pipeline in the shape of AWS's abalone example: its steps depend on each other by property references only. */
const ABALONE_PIPELINE = 'abalone-example-pipeline';
const abaloneDefinition = fs.readFileSync(
  path.join(
    path.dirname(
      require.resolve(
        '@model-factory/plugin-sagemaker-mlflow-backend/package.json',
      ),
    ),
    'src/service/pipelines/__fixtures__/abalonePipelineDefinition.json',
  ),
  'utf8',
);
const GUEST = 'user:default/guest'; // member of ml-platform, which owns demo-model
const VIEWER = 'user:default/viewer'; // reads, owns nothing
const as = (user: string) => mockCredentials.user.header(user);
const base = '/api/sagemaker-mlflow/v1/entities/default/component';

/** A TCP forwarder to MLflow that the test can stop, as if the MLflow server went down. */
function stoppableProxy(
  target: URL,
): Promise<{ url: string; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer(client => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise(resolve =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        stop: () =>
          new Promise(done => {
            sockets.forEach(s => s.destroy());
            server.close(() => done());
          }),
      }),
    ),
  );
}

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
  const demo = {
    'aws.amazon.com/sagemaker-pipeline-arn': ARN.pipeline,
    'aws.amazon.com/sagemaker-model-package-group-arn': ARN.group,
    'aws.amazon.com/sagemaker-endpoint-arns': ARN.endpoint,
    'mlflow.org/registered-model-name': 'demo-model',
    'mlflow.org/experiment-name': 'demo-model',
  };
  const entities = [
    component('demo-model', 'group:default/ml-platform', demo),
    component('abalone-model', 'group:default/ml-platform', {
      'aws.amazon.com/sagemaker-pipeline-arn': ARN.pipeline.replace(
        'demo-model-pipeline',
        ABALONE_PIPELINE,
      ),
    }),
    component('broken-model', 'group:default/ml-platform', {
      ...demo,
      'aws.amazon.com/sagemaker-pipeline-arn': 'demo-model-pipeline',
    }),
    component('flaky-mlflow-model', 'group:default/ml-platform', {
      ...demo,
      'mlflow.org/tracking-server': 'via-proxy',
    }),
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: 'ml-platform' },
      spec: { type: 'team', children: [] },
    },
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: 'data-analysts' },
      spec: { type: 'team', children: [] },
    },
  ];
  const file = path.join(dir, 'entities.yaml');
  fs.writeFileSync(file, entities.map(e => JSON.stringify(e)).join('\n---\n'));
  return file;
}

describe('sagemaker-mlflow routes against the real catalog, MLflow and the SageMaker emulator', () => {
  let server: any;
  let proxy: Awaited<ReturnType<typeof stoppableProxy>>;
  let pendingPackageArn: string;
  /** The MLflow version of that package (the seed's reviewer leaves the newest version that is not champion). */
  let pendingVersion: string;

  /** GET as a user; every answer must match the schema openapi.yaml gives for its status. */
  async function get(url: string, user = GUEST) {
    const res = await request(server)
      .get(`${base}/${url}`)
      .set('Authorization', as(user));
    expectMatchesSpec('GET', `${base}/${url}`, res.status, res.body);
    return res;
  }

  /** POST as a user; like GETs, every answer must match openapi.yaml. Chain `.send()` or `.set()` for the body. */
  function post(url: string, user: string) {
    return request(server)
      .post(`${base}/${url}`)
      .set('Authorization', as(user))
      .expect(res =>
        expectMatchesSpec('POST', `${base}/${url}`, res.status, res.body),
      );
  }

  beforeAll(async () => {
    const dir = fs.mkdtempSync(
      path.join(os.tmpdir(), 'model-factory-catalog-'),
    );
    proxy = await stoppableProxy(new URL(stack.mlflowUrl));
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
                servers: [
                  { name: 'default', baseUrl: stack.mlflowUrl },
                  { name: 'via-proxy', baseUrl: proxy.url },
                ],
              },
              endpointRoutes: [
                { endpointArn: ARN.endpoint, url: stack.modelUrl },
              ],
              invoke: { maxPayloadBytes: 64 * 1024, timeoutMs: 30000 },
              upstreamTimeoutMs: 5000,
            },
          },
        }),
        authWithActorsFactory,
        httpAuthServiceFactory,
        userInfoFromOrgFactory({
          [GUEST]: ['group:default/ml-platform'],
          [VIEWER]: ['group:default/data-analysts'],
        }),
        catalogPlugin,
        permissionPlugin,
        testPolicyModule,
        recordingAuditor,
        sagemakerMlflowPlugin,
      ],
    });
    server = backend.server;
    // Wait until the catalog has ingested the test entities.
    for (let i = 0; i < 120; i++) {
      const res = await get('flaky-mlflow-model/endpoints');
      if (res.status !== 404) break;
      await new Promise(r => setTimeout(r, 250));
    }
    const packages = await stack.sagemaker.send(
      new ListModelPackagesCommand({ ModelPackageGroupName: 'demo-model' }),
    );
    pendingPackageArn = packages.ModelPackageSummaryList!.find(
      p => p.ModelApprovalStatus === 'PendingManualApproval',
    )!.ModelPackageArn!;
    const versions = await get('demo-model/model-versions');
    pendingVersion = Object.entries(
      versions.body.modelPackages.data as Record<string, { arn: string }>,
    ).find(([, pkg]) => pkg.arn === pendingPackageArn)![0];
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop();
    await stack.sagemaker
      .send(new DeletePipelineCommand({ PipelineName: ABALONE_PIPELINE }))
      .catch(() => undefined); // not created when an earlier step failed
    // Leave the shared stack as seeded for the layers that run after this one.
    if (pendingPackageArn) {
      await stack.sagemaker.send(
        new UpdateModelPackageCommand({
          ModelPackageArn: pendingPackageArn,
          ModelApprovalStatus: 'PendingManualApproval',
        }),
      );
    }
  });

  describe('reads', () => {
    it('lists the pipeline executions from the emulator, with the metrics of their MLflow runs', async () => {
      const upstream = await stack.sagemaker.send(
        new ListPipelineExecutionsCommand({
          PipelineName: 'demo-model-pipeline',
        }),
      );
      const res = await get('demo-model/executions?pageSize=100');
      expect(res.status).toBe(200);
      expect(res.body.pipelineArn).toBe(ARN.pipeline);
      expect(
        res.body.executions.data.items.map((e: any) => e.arn).sort(),
      ).toEqual(
        upstream
          .PipelineExecutionSummaries!.map(e => e.PipelineExecutionArn)
          .sort(),
      );
      const withMetrics = res.body.executions.data.items.filter(
        (e: any) => res.body.runMetrics.data[e.arn]?.accuracy !== undefined,
      );
      expect(withMetrics.length).toBeGreaterThanOrEqual(3);
      // The list answer has no end time or starter: each row is described for its duration and who started it.
      const first = upstream.PipelineExecutionSummaries![0];
      const described = await stack.sagemaker.send(
        new DescribePipelineExecutionCommand({
          PipelineExecutionArn: first.PipelineExecutionArn,
        }),
      );
      expect(
        res.body.executions.data.items.find(
          (e: any) => e.arn === first.PipelineExecutionArn,
        ),
      ).toMatchObject({
        status: described.PipelineExecutionStatus,
        // The emulator names the caller as SageMaker does: its IAM identity (here the stack's access key).
        startedBy: 'user/model-factory-local',
        durationMs:
          described.LastModifiedTime!.getTime() -
          described.CreationTime!.getTime(),
      });
    });

    it('describes a succeeded execution once: the same executions on another page are not described again', async () => {
      // A spy that calls through to the emulator: it only counts what the backend asks SageMaker.
      const send = jest.spyOn(SageMakerClient.prototype, 'send');
      const described = () =>
        send.mock.calls.filter(
          ([command]) => command instanceof DescribePipelineExecutionCommand,
        ).length;
      try {
        // Every execution once (a stack many test runs used has more stopped ones than a page of 9 shows).
        await get('demo-model/executions?pageSize=100');
        const before = described();
        const page = await get('demo-model/executions?pageSize=99');
        const notSucceeded = page.body.executions.data.items.filter(
          (e: any) => e.status !== 'Succeeded',
        ).length;
        expect(page.body.executions.data.items.length).toBeGreaterThan(
          notSucceeded,
        );
        expect(described() - before).toBe(notSucceeded);
      } finally {
        send.mockRestore();
      }
    });

    it('walks every execution page by page with no duplicates', async () => {
      const all = (
        await get('demo-model/executions?pageSize=100')
      ).body.executions.data.items.map((e: any) => e.arn);
      const walked: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const res = await get(
          `demo-model/executions?pageSize=2${
            token ? `&pageToken=${token}` : ''
          }`,
        );
        expect(res.status).toBe(200);
        expect(res.body.executions.data.items.length).toBeLessThanOrEqual(2);
        walked.push(...res.body.executions.data.items.map((e: any) => e.arn));
        token = res.body.executions.data.nextPageToken;
        pages++;
      } while (token && pages < 50);
      expect(pages).toBe(Math.ceil(all.length / 2));
      expect(walked).toEqual(all);
    });

    it('shows one execution with its parameters, the steps the emulator ran and its MLflow run', async () => {
      const list = await get('demo-model/executions?pageSize=100');
      const execution = list.body.executions.data.items.find(
        (e: any) => list.body.runMetrics.data[e.arn],
      );
      const res = await get(`demo-model/executions/${execution.id}`);
      expect(res.status).toBe(200);
      expect(res.body.execution.arn).toBe(execution.arn);
      expect(res.body.execution.parameters).toHaveProperty('RegularizationC');
      expect(res.body.mlflowRuns.data).toHaveLength(1);
      expect(res.body.mlflowRuns.data[0].metrics.accuracy).toBeGreaterThan(0.5);
      expect(res.body.mlflowRuns.data[0].url).toContain(
        `/runs/${res.body.mlflowRuns.data[0].runId}`,
      );
      // The generated pipeline's graph, with the steps its metric gate runs (nested in the condition step).
      const definition = res.body.definition.data;
      expect(definition.map((s: any) => s.name).sort()).toEqual([
        'BelowGate',
        'Evaluate',
        'MetricGate',
        'Preprocess',
        'Register',
        'Train',
      ]);
      expect(definition.find((s: any) => s.name === 'BelowGate')).toEqual({
        name: 'BelowGate',
        type: 'Fail',
        dependsOn: ['MetricGate'],
        branch: { condition: 'MetricGate', outcome: 'else' },
      });
      expect(definition.find((s: any) => s.name === 'Register').branch).toEqual(
        { condition: 'MetricGate', outcome: 'if' },
      );
      // The steps as the emulator ran them (dev/emulator), in the order they started.
      const steps = res.body.steps.data as Array<{
        name: string;
        status: string;
      }>;
      expect(steps.slice(0, 4).map(s => s.name)).toEqual([
        'Preprocess',
        'Train',
        'Evaluate',
        'MetricGate',
      ]);
      expect(steps.slice(0, 4).every(s => s.status === 'Succeeded')).toBe(true);
    });

    it("draws a classic pipeline's graph from its property references: the abalone example, created in the emulator", async () => {
      await stack.sagemaker.send(
        new CreatePipelineCommand({
          PipelineName: ABALONE_PIPELINE,
          PipelineDefinition: abaloneDefinition,
          RoleArn: 'arn:aws:iam::123456789012:role/abalone-pipeline',
        }),
      );
      const started = await stack.sagemaker.send(
        new StartPipelineExecutionCommand({
          PipelineName: ABALONE_PIPELINE,
        }),
      );
      const list = await get('abalone-model/executions');
      const execution = list.body.executions.data.items.find(
        (e: any) => e.arn === started.PipelineExecutionArn,
      );
      const res = await get(`abalone-model/executions/${execution.id}`);
      expect(res.status).toBe(200);
      const steps = res.body.definition.data as Array<{
        name: string;
        type: string;
        dependsOn: string[];
      }>;
      const edges = steps.flatMap(s =>
        s.dependsOn.map(d => `${d} -> ${s.name}`),
      );
      expect(edges.sort()).toEqual(
        [
          'PreprocessAbaloneData -> TrainAbaloneModel',
          'TrainAbaloneModel -> EvaluateAbaloneModel',
          'PreprocessAbaloneData -> EvaluateAbaloneModel',
          'EvaluateAbaloneModel -> CheckMSEAbaloneEvaluation',
          'CheckMSEAbaloneEvaluation -> RegisterAbaloneModel-RegisterModel',
          'TrainAbaloneModel -> RegisterAbaloneModel-RegisterModel',
          'EvaluateAbaloneModel -> RegisterAbaloneModel-RegisterModel',
          'CheckMSEAbaloneEvaluation -> CreateAbaloneModel-CreateModel',
          'TrainAbaloneModel -> CreateAbaloneModel-CreateModel',
          'CheckMSEAbaloneEvaluation -> AbaloneMSEFail',
        ].sort(),
      );
      expect(Object.fromEntries(steps.map(s => [s.name, s.type]))).toEqual({
        PreprocessAbaloneData: 'Processing',
        TrainAbaloneModel: 'Training',
        EvaluateAbaloneModel: 'Processing',
        CheckMSEAbaloneEvaluation: 'Condition',
        'RegisterAbaloneModel-RegisterModel': 'RegisterModel',
        'CreateAbaloneModel-CreateModel': 'Model',
        AbaloneMSEFail: 'Fail',
      });
    });

    it('lists the MLflow versions joined with their model packages, and walks them page by page', async () => {
      const res = await get('demo-model/model-versions');
      expect(res.status).toBe(200);
      const versions = res.body.versions.data;
      const packages = res.body.modelPackages.data;
      expect(versions.items.map((v: any) => v.version)).toEqual([
        '3',
        '2',
        '1',
      ]);
      const champion = versions.items.find((v: any) =>
        v.aliases.includes('champion'),
      );
      expect(versions.aliases.champion).toBe(champion.version);
      expect(packages[champion.version].approvalStatus).toBe('Approved');
      expect(
        new Set(Object.values(packages).map((p: any) => p.approvalStatus)),
      ).toEqual(new Set(['Approved', 'Rejected', 'PendingManualApproval']));
      expect(champion.metrics.accuracy).toBeGreaterThan(0.9);

      const walked: string[] = [];
      let token: string | undefined;
      do {
        const page = await get(
          `demo-model/model-versions?pageSize=1${
            token ? `&pageToken=${encodeURIComponent(token)}` : ''
          }`,
        );
        walked.push(
          ...page.body.versions.data.items.map((v: any) => v.version),
        );
        token = page.body.versions.data.nextPageToken;
      } while (token && walked.length < 10);
      expect(walked).toEqual(['3', '2', '1']);
    });

    it('answers a page token it did not give out with a 400 that says so, for both lists', async () => {
      for (const route of [
        'demo-model/executions?pageToken=not-a-token',
        'demo-model/model-versions?pageToken=not-a-token',
      ]) {
        const res = await get(route);
        expect({ route, status: res.status }).toEqual({ route, status: 400 });
        expect(res.body.error.message).toContain(
          'pageToken is not a token this API returned',
        );
      }
    });

    it('offers a JSON and CSV example request from the served version’s validation sample', async () => {
      const res = await get('demo-model/endpoints/demo-model-staging/example');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body.json).dataframe_split.data).toHaveLength(3);
      expect(res.body.csv.split('\n')).toHaveLength(4);
      expect(res.body.labels).toHaveLength(3);
      expect((await get('demo-model/endpoints/not-ours/example')).status).toBe(
        404,
      );
    });

    it('describes the endpoint and the version it serves', async () => {
      const res = await get('demo-model/endpoints');
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([
        expect.objectContaining({
          name: 'demo-model-staging',
          endpoint: {
            data: expect.objectContaining({
              status: 'InService',
              deployedVersion: {
                modelName: 'demo-model',
                version: expect.stringMatching(/^\d+$/),
              },
              variants: [
                expect.objectContaining({
                  name: 'AllTraffic',
                  instanceType: 'ml.m5.large',
                }),
              ],
            }),
          },
        }),
      ]);
    });

    it('summarises the latest execution, champion, latest version and endpoint health', async () => {
      const res = await get('demo-model/summary');
      expect(res.status).toBe(200);
      expect(res.body.latestExecution.data.arn).toContain(
        `${ARN.pipeline}/execution/`,
      );
      expect(res.body.champion.data.aliases).toContain('champion');
      expect(res.body.champion.data.modelPackage.approvalStatus).toBe(
        'Approved',
      );
      expect(res.body.latestVersion.data.version).toBe('3');
      expect(res.body.endpoints.data).toEqual([
        { name: 'demo-model-staging', status: 'InService' },
      ]);
    });
  });

  describe('what the caller may see', () => {
    it('answers 404 for an entity the caller cannot read, exactly as for one that does not exist', async () => {
      expect((await get('demo-model/summary')).status).toBe(200);
      const hidden = await get('demo-model/summary', OUTSIDER);
      const absent = await get('no-such-model/summary', OUTSIDER);
      expect(hidden.status).toBe(404);
      expect(absent.status).toBe(404);
    });

    it('answers 401 without credentials', async () => {
      const res = await request(server).get(`${base}/demo-model/summary`);
      expect(res.status).toBe(401);
    });

    it('reaches no resource the annotations do not name, whatever the path or body', async () => {
      const foreign = await get(
        'demo-model/executions/..%2F..%2Fother-pipeline%2Fexecution%2Fabc',
      );
      expect(foreign.status).toBe(400);
      expect((await get('demo-model/executions/zzzzzzzzzzzz')).status).toBe(
        404,
      );
      const otherEndpoint = await post(
        `demo-model/endpoints/some-other-endpoint/invocations`,
        GUEST,
      )
        .set('Content-Type', 'application/json')
        .send('{"inputs": [[1]]}');
      expect(otherEndpoint.status).toBe(404);
      const byArn = await post(
        `demo-model/endpoints/${encodeURIComponent(
          'arn:aws:sagemaker:us-east-1:123456789012:endpoint/x',
        )}/validation`,
        GUEST,
      );
      expect(byArn.status).toBe(404);
      const extraField = await post(`demo-model/executions`, GUEST).send({
        pipelineArn: 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/other',
      });
      expect(extraField.status).toBe(400);
      expect(extraField.body.error.message).toContain('pipelineArn');
    });
  });

  describe('actions for AI assistants', () => {
    const invokeAction = (action: string, input: object, user = GUEST) =>
      request(server)
        .post(
          `/api/sagemaker-mlflow/.backstage/actions/v1/actions/sagemaker-mlflow:${action}/invoke`,
        )
        .set('Authorization', as(user))
        .send(input);

    it('lists executions and model versions through the actions registry, read-only', async () => {
      const list = await request(server)
        .get('/api/sagemaker-mlflow/.backstage/actions/v1/actions')
        .set('Authorization', as(GUEST));
      const actions = list.body.actions.filter((a: any) =>
        a.id.startsWith('sagemaker-mlflow:'),
      );
      expect(actions.map((a: any) => [a.id, a.attributes.readOnly])).toEqual([
        ['sagemaker-mlflow:get-pipeline-executions', true],
        ['sagemaker-mlflow:get-model-versions', true],
      ]);
      const versions = await invokeAction('get-model-versions', {
        entityRef: 'component:default/demo-model',
      });
      expect(versions.status).toBe(200);
      expect(
        versions.body.output.page.versions.data.items.map(
          (v: any) => v.version,
        ),
      ).toEqual(['3', '2', '1']);
      const executions = await invokeAction('get-pipeline-executions', {
        entityRef: 'component:default/demo-model',
        pageSize: 2,
      });
      expect(executions.body.output.page.executions.data.items).toHaveLength(2);
    });

    it('gives an assistant acting for a user only what that user may read', async () => {
      const res = await invokeAction(
        'get-model-versions',
        { entityRef: 'component:default/demo-model' },
        OUTSIDER,
      );
      expect(res.status).toBe(404);
    });

    it('takes a short entity ref and answers a malformed one with 400', async () => {
      const short = await invokeAction('get-model-versions', {
        entityRef: 'demo-model',
      });
      expect(short.status).toBe(200);
      const bad = await invokeAction('get-model-versions', {
        entityRef: 'component:',
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain('is not an entity ref');
    });
  });

  describe('sections fail on their own', () => {
    it('names a malformed annotation in the section that needs it', async () => {
      const executions = await get('broken-model/executions');
      expect(executions.status).toBe(400);
      expect(executions.body.error.message).toContain(
        'aws.amazon.com/sagemaker-pipeline-arn',
      );
      const summary = await get('broken-model/summary');
      expect(summary.status).toBe(200);
      expect(summary.body.latestExecution.error.annotation).toBe(
        'aws.amazon.com/sagemaker-pipeline-arn',
      );
      expect(summary.body.champion.data.aliases).toContain('champion');
    });

    it('keeps serving SageMaker sections with an MLflow error when MLflow stops mid-test', async () => {
      // Through the proxy MLflow answers (a page size no later request uses, so nothing below is cached).
      const before = await get('flaky-mlflow-model/model-versions?pageSize=7');
      expect(before.status).toBe(200);
      await proxy.stop();
      const summary = await get('flaky-mlflow-model/summary');
      expect(summary.status).toBe(200);
      expect(summary.body.endpoints.data).toEqual([
        { name: 'demo-model-staging', status: 'InService' },
      ]);
      expect(summary.body.latestExecution.data.arn).toContain(ARN.pipeline);
      expect(summary.body.champion.error.message).toMatch(
        /MLflow server 'via-proxy'.*cannot be reached/,
      );
      const executions = await get('flaky-mlflow-model/executions');
      expect(executions.status).toBe(200);
      expect(executions.body.executions.data.items.length).toBeGreaterThan(0);
      expect(executions.body.runMetrics.error).toMatchObject({
        code: 'unavailable',
        message: expect.stringContaining("MLflow server 'via-proxy'"),
      });
      // The versions come from MLflow alone: their section fails, the model packages still come from SageMaker.
      const versions = await get(
        'flaky-mlflow-model/model-versions?pageSize=5',
      );
      expect(versions.status).toBe(200);
      expect(versions.body.versions.error.code).toBe('unavailable');
      expect(versions.body.modelPackages.data).toEqual({});
    });
  });

  describe('writes', () => {
    it('refuses a non-owner every write with 403 and changes nothing upstream', async () => {
      const before = await stack.sagemaker.send(
        new ListPipelineExecutionsCommand({
          PipelineName: 'demo-model-pipeline',
        }),
      );
      expect(
        (await post('demo-model/executions', VIEWER).send({})).status,
      ).toBe(403);
      const after = await stack.sagemaker.send(
        new ListPipelineExecutionsCommand({
          PipelineName: 'demo-model-pipeline',
        }),
      );
      expect(after.PipelineExecutionSummaries).toHaveLength(
        before.PipelineExecutionSummaries!.length,
      );

      const approval = await post(
        'demo-model/model-versions/3/approval',
        VIEWER,
      ).send({ status: 'Approved' });
      expect(approval.status).toBe(403);
      const pkg = await stack.sagemaker.send(
        new DescribeModelPackageCommand({
          ModelPackageName: pendingPackageArn,
        }),
      );
      expect(pkg.ModelApprovalStatus).toBe('PendingManualApproval');

      const invoke = await post(
        'demo-model/endpoints/demo-model-staging/invocations',
        VIEWER,
      )
        .set('Content-Type', 'text/csv')
        .send('1,2,3');
      expect(invoke.status).toBe(403);
      expect(
        (
          await post(
            'demo-model/endpoints/demo-model-staging/validation',
            VIEWER,
          )
        ).status,
      ).toBe(403);
      const execution = before.PipelineExecutionSummaries![0];
      const stop = await post(
        `demo-model/executions/${execution
          .PipelineExecutionArn!.split('/')
          .pop()}/stop`,
        VIEWER,
      );
      expect(stop.status).toBe(403);
    });

    it('refuses a start whose body is not JSON (415), instead of starting with default parameters', async () => {
      const before = await stack.sagemaker.send(
        new ListPipelineExecutionsCommand({
          PipelineName: 'demo-model-pipeline',
        }),
      );
      const res = await post('demo-model/executions', GUEST)
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify({ parameters: { RegularizationC: '0.5' } }));
      expect(res.status).toBe(415);
      expect(res.body.error.message).toContain('application/json');
      const after = await stack.sagemaker.send(
        new ListPipelineExecutionsCommand({
          PipelineName: 'demo-model-pipeline',
        }),
      );
      expect(after.PipelineExecutionSummaries).toHaveLength(
        before.PipelineExecutionSummaries!.length,
      );
    });

    it('lets an owner approve a version: the model package changes in the emulator', async () => {
      // Cached just before the write (TTL 30 s), so only the write's invalidation can make the list change.
      const before = await get('demo-model/model-versions');
      expect(
        before.body.modelPackages.data[pendingVersion].approvalStatus,
      ).toBe('PendingManualApproval');
      const res = await post(
        `demo-model/model-versions/${pendingVersion}/approval`,
        GUEST,
      ).send({ status: 'Approved', comment: 'passes the gate' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        version: pendingVersion,
        modelPackageArn: pendingPackageArn,
        approvalStatus: 'Approved',
      });
      const pkg = await stack.sagemaker.send(
        new DescribeModelPackageCommand({
          ModelPackageName: pendingPackageArn,
        }),
      );
      expect(pkg.ModelApprovalStatus).toBe('Approved');
      // The write retired the cached list.
      const versions = await get('demo-model/model-versions');
      expect(
        versions.body.modelPackages.data[pendingVersion].approvalStatus,
      ).toBe('Approved');
    });

    it('rejects a bad approval body and an unknown version with a message', async () => {
      const bad = await post(
        'demo-model/model-versions/3/approval',
        GUEST,
      ).send({ status: 'Maybe' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain('status');
      expect(
        (
          await post('demo-model/model-versions/99/approval', GUEST).send({
            status: 'Approved',
          })
        ).status,
      ).toBe(404);
      expect(
        (
          await post('demo-model/model-versions/abc/approval', GUEST).send({
            status: 'Approved',
          })
        ).status,
      ).toBe(400);
    });

    it('lets an owner start an execution, and refuses unknown parameters by name', async () => {
      const unknown = await post('demo-model/executions', GUEST).send({
        parameters: { LearningRate: '0.1' },
      });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.message).toContain('LearningRate');
      const res = await post('demo-model/executions', GUEST).send({
        displayName: 'from-test',
        parameters: { RegularizationC: '0.5' },
      });
      expect(res.status).toBe(201);
      expect(res.body.executionArn).toContain(`${ARN.pipeline}/execution/`);
      const list = await get('demo-model/executions?pageSize=100');
      expect(list.body.executions.data.items.map((e: any) => e.arn)).toContain(
        res.body.executionArn,
      );
      // Stopped at once: run to its end it would register a version while other tests read the versions.
      await stack.sagemaker.send(
        new StopPipelineExecutionCommand({
          PipelineExecutionArn: res.body.executionArn,
        }),
      );
    });

    it('stops a running execution, and refuses to stop one that has ended with a 409 saying why', async () => {
      const started = await post('demo-model/executions', GUEST).send({
        displayName: 'stopped-by-test',
      });
      expect(started.status).toBe(201);
      const id = started.body.executionArn.split('/').pop();
      const stop = await post(`demo-model/executions/${id}/stop`, GUEST);
      expect(stop.status).toBe(200);
      // The emulator runs the pipeline (dev/emulator): the stopped execution ends Stopped, its job killed.
      let status = '';
      for (let i = 0; i < 60 && status !== 'Stopped'; i++) {
        await new Promise(r => setTimeout(r, 500));
        const detail = await get(`demo-model/executions/${id}`);
        status = detail.body.execution.status;
      }
      expect(status).toBe('Stopped');
      const again = await post(`demo-model/executions/${id}/stop`, GUEST);
      expect(again.status).toBe(409);
      expect(again.body.error.message).toContain(
        'only an executing one can be stopped',
      );
    }, 60_000);
  });

  describe('endpoint invocations', () => {
    const invoke = (body: string | Buffer, type: string) =>
      post(`demo-model/endpoints/demo-model-staging/invocations`, GUEST)
        .set('Content-Type', type)
        .send(body);

    it('returns the real model server predictions with their latency', async () => {
      const sample = await post(
        `demo-model/endpoints/demo-model-staging/validation`,
        GUEST,
      );
      expect(sample.status).toBe(200);
      expect(sample.body.rows).toBe(sample.body.predictions.length);
      expect(sample.body.accuracy).toBeGreaterThan(0.8);
      expect(
        sample.body.predictions.every((p: number) => p === 0 || p === 1),
      ).toBe(true);
    });

    it('answers 413 over the payload limit, 415 for a wrong content type, 400 for an empty body', async () => {
      const big = await invoke(Buffer.alloc(65 * 1024, 'a'), 'text/csv');
      expect(big.status).toBe(413);
      expect(big.body.error.message).toContain('maxPayloadBytes');
      const xml = await invoke('<x/>', 'application/xml');
      expect(xml.status).toBe(415);
      expect(xml.body.error.message).toContain('application/json, text/csv');
      expect((await invoke('', 'application/json')).status).toBe(400);
    });

    it("answers 502 with the endpoint's own message when the model rejects the payload", async () => {
      const res = await invoke(
        JSON.stringify({ inputs: [[1, 2]] }),
        'application/json',
      );
      expect(res.status).toBe(502);
      expect(res.body.error.message).toMatch(
        /endpoint demo-model-staging: HTTP 400/,
      );
    });

    it('invokes with JSON and with CSV and returns the predictions', async () => {
      const mlflow = (p: string) =>
        fetch(`${stack.mlflowUrl}${p}`).then(r => r.json());
      const champion = await mlflow(
        '/api/2.0/mlflow/registered-models/alias?name=demo-model&alias=champion',
      );
      const sample = await mlflow(
        `/get-artifact?run_uuid=${champion.model_version.run_id}&path=validation/validation_sample.json`,
      );
      const rows = sample.data.slice(0, 3);

      const json = await invoke(
        JSON.stringify({
          dataframe_split: { columns: sample.columns, data: rows },
        }),
        'application/json',
      );
      expect(json.status).toBe(200);
      expect(json.body.body.predictions).toEqual(
        sample.labels.slice(0, 3).map(() => expect.any(Number)),
      );
      expect(json.body.latencyMs).toBeGreaterThan(0);

      const csv = [
        sample.columns.join(','),
        ...rows.map((r: number[]) => r.join(',')),
      ].join('\n');
      const res = await invoke(csv, 'text/csv');
      expect(res.status).toBe(200);
      expect(res.body.body.predictions).toEqual(json.body.body.predictions);
    });

    it("records invocations and validations with the auditor, without the model's answer", async () => {
      const example = await get(
        'demo-model/endpoints/demo-model-staging/example',
      );
      audited.length = 0;
      expect((await invoke(example.body.csv, 'text/csv')).status).toBe(200);
      const wrongShape = JSON.stringify({ inputs: [[1, 2]] });
      expect((await invoke(wrongShape, 'application/json')).status).toBe(502);
      await post(`demo-model/endpoints/demo-model-staging/validation`, GUEST);

      const meta = {
        entityRef: 'component:default/demo-model',
        endpointName: 'demo-model-staging',
      };
      // Other plugins (the catalog) audit too: keep this plugin's events.
      expect(audited.filter(e => e.eventId.startsWith('endpoint-'))).toEqual([
        {
          eventId: 'endpoint-invoke',
          meta: { ...meta, bytes: String(example.body.csv.length) },
          succeeded: {
            statusCode: 200,
            contentType: expect.stringContaining('json'),
            latencyMs: expect.any(Number),
          },
        },
        {
          eventId: 'endpoint-invoke',
          meta: { ...meta, bytes: String(wrongShape.length) },
          failed: expect.stringContaining('HTTP 400'),
        },
        {
          eventId: 'endpoint-validate',
          meta,
          succeeded: {
            modelVersion: expect.any(String),
            rows: expect.any(Number),
            accuracy: expect.any(Number),
            latencyMs: expect.any(Number),
          },
        },
      ]);
    });
  });
});
