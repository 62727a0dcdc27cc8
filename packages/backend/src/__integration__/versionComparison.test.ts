import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import request from 'supertest';
import {
  DescribeModelPackageCommand,
  ModelApprovalStatus,
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
  recordingAuditorFactory,
  AuditRecord,
} from '../__testUtils__/testServices';

/**
 * The approval dialog's evidence against the seeded demo (real catalog, MLflow, emulator and the model server that
 * serves the champion on the staging endpoint's route): a version beside the champion, and the approval's audit
 * record keeping the comparison the server computed.
 */
const stack = testStack();

const audited: AuditRecord[] = [];
const recordingAuditor = recordingAuditorFactory(audited);

const GUEST = 'user:default/guest'; // member of ml-platform, which owns demo-model
const VIEWER = 'user:default/viewer'; // reads, owns nothing: may not invoke
const as = (user: string) => mockCredentials.user.header(user);
const base = '/api/sagemaker-mlflow/v1/entities/default/component';

async function mlflow(endpoint: string) {
  const res = await fetch(`${stack.mlflowUrl}/api/2.0/mlflow/${endpoint}`);
  const json = await res.json();
  if (!res.ok) throw new Error(`MLflow ${endpoint}: ${JSON.stringify(json)}`);
  return json;
}

function writeCatalog(dir: string) {
  const entities = [
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'demo-model',
        annotations: DEMO_ANNOTATIONS,
      },
      spec: {
        type: 'ml-model',
        lifecycle: 'experimental',
        owner: 'group:default/ml-platform',
      },
    },
    ...['ml-platform', 'data-analysts'].map(name => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name },
      spec: { type: 'team', children: [] },
    })),
  ];
  const file = path.join(dir, 'entities.yaml');
  fs.writeFileSync(file, entities.map(e => JSON.stringify(e)).join('\n---\n'));
  return file;
}

/** The plugin with the real catalog; the staging endpoint's route goes to `modelUrl`. */
async function startBackend(modelUrl: string, requestTimeoutMs?: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-factory-cmp-'));
  const backend = await startTestBackend({
    features: [
      mockServices.rootConfig.factory({
        data: {
          catalog: fileCatalogConfig(writeCatalog(dir), ['Component', 'Group']),
          permission: { enabled: true },
          aws: emulatorAwsConfig,
          sagemakerMlflow: {
            sagemaker: { endpoint: stack.sagemakerEndpoint },
            mlflow: {
              servers: [{ name: 'default', baseUrl: stack.mlflowUrl }],
            },
            endpointRoutes: [{ endpointArn: ARN.endpoint, url: modelUrl }],
            ...(requestTimeoutMs ? { requestTimeoutMs } : {}),
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
  const server = backend.server;
  for (let i = 0; i < 120; i++) {
    const res = await request(server)
      .get(`${base}/demo-model/model-versions`)
      .set('Authorization', as(GUEST));
    if (res.status !== 404) break;
    await new Promise(r => setTimeout(r, 250));
  }
  return server;
}

describe('version comparison against the real catalog, MLflow, emulator and model server', () => {
  let server: any;
  let champion: string;
  /** A version that is not the champion, and the model package registered for it (put back as it was after). */
  let candidate: string;
  let candidatePackage: string;
  let candidatePackageStatus: ModelApprovalStatus;
  /** The runs' metrics as MLflow has them. */
  let metrics: Record<string, Record<string, number>>;

  async function get(url: string, user = GUEST) {
    const res = await request(server)
      .get(`${base}/${url}`)
      .set('Authorization', as(user));
    expectMatchesSpec('GET', `${base}/${url}`, res.status, res.body);
    return res;
  }

  beforeAll(async () => {
    server = await startBackend(stack.modelUrl);
    const { model_version: championMv } = await mlflow(
      'registered-models/alias?name=demo-model&alias=champion',
    );
    champion = championMv.version;
    const { model_versions: all } = await mlflow(
      `model-versions/search?filter=${encodeURIComponent("name='demo-model'")}`,
    );
    const other = all.find((v: any) => v.version !== champion);
    candidate = other.version;
    candidatePackage = other.tags.find(
      (t: any) => t.key === 'sagemaker.model_package_arn',
    ).value;
    candidatePackageStatus = (
      await stack.sagemaker.send(
        new DescribeModelPackageCommand({ ModelPackageName: candidatePackage }),
      )
    ).ModelApprovalStatus!;
    metrics = {};
    for (const v of [championMv, other]) {
      const { run } = await mlflow(`runs/get?run_id=${v.run_id}`);
      metrics[v.version] = Object.fromEntries(
        run.data.metrics.map((m: any) => [m.key, m.value]),
      );
    }
  }, 60_000);

  afterAll(async () => {
    if (candidatePackage) {
      await stack.sagemaker.send(
        new UpdateModelPackageCommand({
          ModelPackageArn: candidatePackage,
          ModelApprovalStatus: candidatePackageStatus,
        }),
      );
    }
  });

  it("shows a version beside the champion: every metric, the gate, and the champion's validation through its endpoint", async () => {
    const res = await get(`demo-model/model-versions/${candidate}/comparison`);
    expect(res.status).toBe(200);
    const body = res.body;
    expect(body.candidate.version).toBe(candidate);
    expect(body.champion.data).toMatchObject({
      state: 'champion',
      version: champion,
      by: 'alias',
    });
    const names = Object.keys({ ...metrics[candidate], ...metrics[champion] });
    expect(body.metrics.data.map((m: any) => m.name).sort()).toEqual(
      names.sort(),
    );
    const accuracy = body.metrics.data.find((m: any) => m.name === 'accuracy');
    expect(accuracy).toEqual({
      name: 'accuracy',
      candidate: metrics[candidate].accuracy,
      champion: metrics[champion].accuracy,
      delta: metrics[candidate].accuracy - metrics[champion].accuracy,
    });
    // The threshold the emulator's execution that ran the candidate was given (its register step wrote the same
    // into the version's tag: no disagreement to name); the metric from the tag.
    expect(body.gate.data).toMatchObject({
      source: 'execution-parameters',
      metric: 'accuracy',
      threshold: Number(body.gate.data.executionParameters.GateThreshold),
      candidateValue: metrics[candidate].accuracy,
    });
    expect(body.gate.data.message).toBeUndefined();
    expect(body.gate.data.passed).toBe(
      metrics[candidate].accuracy >= body.gate.data.threshold,
    );
    expect(body.gate.data.executionArn).toMatch(
      new RegExp(`^${ARN.pipeline}/execution/`),
    );
    // The champion is served by the staging endpoint (its route is the local model server); the candidate by none.
    expect(body.validation.champion.data).toMatchObject({
      version: champion,
      endpointName: 'demo-model-staging',
    });
    expect(body.validation.champion.data.rows).toBeGreaterThan(0);
    expect(body.validation.champion.data.accuracy).toBeGreaterThan(0.5);
    expect(body.validation.candidate.error.message).toContain(
      'No serving endpoint for the candidate',
    );
  });

  it('says so when the candidate is the champion, and validates it through its endpoint', async () => {
    const res = await get(`demo-model/model-versions/${champion}/comparison`);
    expect(res.status).toBe(200);
    expect(res.body.champion.data.state).toBe('is-candidate');
    expect(
      res.body.metrics.data.every((m: any) => m.champion === undefined),
    ).toBe(true);
    expect(res.body.validation.candidate.data.endpointName).toBe(
      'demo-model-staging',
    );
    expect(res.body.validation.champion.error.message).toContain(
      'is the champion itself',
    );
  });

  it('sends no sample for a caller who may not invoke the endpoints, and still shows the metrics', async () => {
    const res = await get(
      `demo-model/model-versions/${candidate}/comparison`,
      VIEWER,
    );
    expect(res.status).toBe(200);
    expect(res.body.metrics.data.length).toBeGreaterThan(0);
    for (const side of ['candidate', 'champion'])
      expect(res.body.validation[side].error.message).toContain(
        'sagemaker-mlflow.endpoint.invoke',
      );
  });

  it("reads no validation sample from a run outside the entity's experiment, whatever the version's run id says", async () => {
    // Another team's run holding a sample (the champion's own, so the champion's model would score it), and a version
    // of demo-model whose creator set its run id to that run.
    const post = async (endpoint: string, body: object, prefix = 'api') => {
      const res = await fetch(
        `${stack.mlflowUrl}/${prefix}/2.0/mlflow/${endpoint}`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        },
      );
      const json = await res.json();
      if (!res.ok)
        throw new Error(`MLflow ${endpoint}: ${JSON.stringify(json)}`);
      return json;
    };
    const name = `other-team-${Date.now()}`;
    const { experiment_id: otherExperiment } = await post(
      'experiments/create',
      { name },
    );
    const { run } = await post('runs/create', {
      experiment_id: otherExperiment,
    });
    const { model_version: championMv } = await mlflow(
      'registered-models/alias?name=demo-model&alias=champion',
    );
    const sample = await fetch(
      `${stack.mlflowUrl}/get-artifact?run_uuid=${championMv.run_id}&path=validation/validation_sample.json`,
    );
    expect(sample.ok).toBe(true);
    const put = await fetch(
      `${stack.mlflowUrl}/api/2.0/mlflow-artifacts/artifacts/${otherExperiment}/${run.info.run_id}/artifacts/validation/validation_sample.json`,
      { method: 'PUT', body: Buffer.from(await sample.arrayBuffer()) },
    );
    expect(put.ok).toBe(true);
    const { model_version: foreign } = await post('model-versions/create', {
      name: 'demo-model',
      source: `${run.info.artifact_uri}/model`,
      run_id: run.info.run_id,
    });
    try {
      const res = await get(
        `demo-model/model-versions/${foreign.version}/comparison`,
      );
      expect(res.status).toBe(200);
      // The champion's endpoint would have scored the other run's sample; it is not read, and the dialog says why.
      expect(res.body.validation.champion.error.message).toContain(
        "not in this entity's experiment: its validation sample is not read",
      );
      expect(res.body.metrics.error.message).toContain(
        "not in this entity's experiment",
      );
    } finally {
      await fetch(`${stack.mlflowUrl}/api/2.0/mlflow/model-versions/delete`, {
        method: 'DELETE',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'demo-model', version: foreign.version }),
      });
    }
  });

  it('refuses an unknown or malformed version', async () => {
    expect(
      (await get('demo-model/model-versions/9999/comparison')).status,
    ).toBe(404);
    expect((await get('demo-model/model-versions/abc/comparison')).status).toBe(
      400,
    );
  });

  it('refuses an approval body that carries comparison values, and changes nothing', async () => {
    audited.length = 0;
    const res = await request(server)
      .post(`${base}/demo-model/model-versions/${candidate}/approval`)
      .set('Authorization', as(GUEST))
      .send({
        status: 'Approved',
        comparison: { championVersion: '1', metrics: { accuracy: 1 } },
      });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('comparison');
    const pkg = await stack.sagemaker.send(
      new DescribeModelPackageCommand({ ModelPackageName: candidatePackage }),
    );
    expect(pkg.ModelApprovalStatus).toBe(candidatePackageStatus);
    expect(audited.filter(e => e.eventId === 'model-version-approval')).toEqual(
      [],
    );
  });

  it("records the server's comparison in the approval's audit record", async () => {
    audited.length = 0;
    const res = await request(server)
      .post(`${base}/demo-model/model-versions/${candidate}/approval`)
      .set('Authorization', as(GUEST))
      .send({ status: 'Rejected', comment: 'below the champion' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      version: candidate,
      modelPackageArn: candidatePackage,
      approvalStatus: 'Rejected',
    });
    const [event] = audited.filter(e => e.eventId === 'model-version-approval');
    expect(event.failed).toBeUndefined();
    const { comparison } = event.succeeded;
    expect(comparison).toMatchObject({
      candidateVersion: candidate,
      championVersion: champion,
      champion: 'champion',
      gate: { source: 'execution-parameters', metric: 'accuracy' },
      validation: {
        candidate: expect.stringContaining('No serving endpoint'),
      },
    });
    // Bounded, and no execution parameters (they may hold URIs or secrets): the key metrics and the gate's.
    expect(comparison.gate.executionParameters).toBeUndefined();
    expect(
      Object.keys(comparison.metrics).every(m =>
        ['accuracy', 'f1', 'roc_auc'].includes(m),
      ),
    ).toBe(true);
    expect(comparison.metrics.accuracy).toEqual({
      candidate: metrics[candidate].accuracy,
      champion: metrics[champion].accuracy,
      delta: metrics[candidate].accuracy - metrics[champion].accuracy,
    });
    expect(typeof comparison.validation.champion).toBe('number');
  });
});

describe('version comparison with a hung model server', () => {
  const DEADLINE_MS = 2000;
  let hung: net.Server;
  const sockets = new Set<net.Socket>();

  afterAll(() => {
    sockets.forEach(s => s.destroy());
    hung?.close();
  });

  it("answers by the request's deadline: the champion's validation timed out, the metrics and gate are there", async () => {
    // A model server as a stopped process looks from outside: connections accepted, never answered.
    hung = net.createServer(socket => {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
    });
    await new Promise<void>(r => hung.listen(0, '127.0.0.1', () => r()));
    const server = await startBackend(
      `http://127.0.0.1:${(hung.address() as net.AddressInfo).port}`,
      DEADLINE_MS,
    );
    const { model_version: champion } = await mlflow(
      'registered-models/alias?name=demo-model&alias=champion',
    );
    const candidate = Number(champion.version) === 1 ? '2' : '1';
    const started = Date.now();
    const res = await request(server)
      .get(`${base}/demo-model/model-versions/${candidate}/comparison`)
      .set('Authorization', as(GUEST));
    const took = Date.now() - started;
    expect(res.status).toBe(200);
    expect(took).toBeLessThan(DEADLINE_MS + 1500);
    expect(res.body.metrics.data.length).toBeGreaterThan(0);
    expect(res.body.gate.data.metric).toBe('accuracy');
    expect(res.body.validation.champion.error.code).toBe('timeout');

    // The decision goes through by the deadline too; its record says why it has no comparison.
    const { model_version: mv } = await mlflow(
      `model-versions/get?name=demo-model&version=${candidate}`,
    );
    const packageArn = mv.tags.find(
      (t: any) => t.key === 'sagemaker.model_package_arn',
    ).value;
    const before = (
      await stack.sagemaker.send(
        new DescribeModelPackageCommand({ ModelPackageName: packageArn }),
      )
    ).ModelApprovalStatus!;
    audited.length = 0;
    try {
      const approvalStarted = Date.now();
      const approval = await request(server)
        .post(`${base}/demo-model/model-versions/${candidate}/approval`)
        .set('Authorization', as(GUEST))
        .send({ status: 'Rejected' });
      expect(approval.status).toBe(200);
      expect(Date.now() - approvalStarted).toBeLessThan(DEADLINE_MS + 1000);
      const [event] = audited.filter(
        e => e.eventId === 'model-version-approval',
      );
      expect(event.succeeded.approvalStatus).toBe('Rejected');
      expect(event.succeeded.comparison.unavailable[0]).toContain(
        'not computed within 1000 ms',
      );
    } finally {
      await stack.sagemaker.send(
        new UpdateModelPackageCommand({
          ModelPackageArn: packageArn,
          ModelApprovalStatus: before,
        }),
      );
    }
  }, 60_000);
});
