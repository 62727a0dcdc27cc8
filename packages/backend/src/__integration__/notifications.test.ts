import path from 'path';
import request from 'supertest';
import {
  ListModelPackagesCommand,
  ModelPackageSummary,
} from '@aws-sdk/client-sagemaker';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import eventsPlugin from '@backstage/plugin-events-backend';
import { eventsServiceFactory } from '@backstage/plugin-events-node';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import sagemakerMlflowPlugin from '@model-factory/plugin-sagemaker-mlflow-backend';
import { emulatorAwsConfig, testStack } from '../__testUtils__/stack';

jest.setTimeout(60_000);

const stack = testStack();
const GUEST = 'user:default/guest'; // member of ml-platform, which owns demo-model
const TASK = 'sagemaker-mlflow-notifications';
const repo = path.resolve(__dirname, '../../../..');

/**
 * One database per plugin, shared by both backend instances, as two replicas share a PostgreSQL server: each
 * plugin's tables (the catalog's, the scheduler's locks, the notifications, Model Factory's ledger) are the same
 * for both.
 */
function sharedDatabases(databases: TestDatabases) {
  const byPlugin = new Map<string, ReturnType<TestDatabases['init']>>();
  return createServiceFactory({
    service: coreServices.database,
    deps: { plugin: coreServices.pluginMetadata },
    factory({ plugin }) {
      const id = plugin.getId();
      if (!byPlugin.has(id)) byPlugin.set(id, databases.init('SQLITE_3'));
      return { getClient: () => byPlugin.get(id)! };
    },
  });
}

/** A schedule that never runs by itself during the test (its worker sleeps the initial delay, even when triggered). */
const NEVER = {
  frequency: { hours: 24 },
  timeout: { minutes: 5 },
  initialDelay: { hours: 24 },
};
/** A schedule whose worker is ready at once: it runs at start-up (before the catalog has the entity) and when triggered. */
const ON_TRIGGER = { frequency: { hours: 24 }, timeout: { minutes: 5 } };

function startInstance(
  databases: ReturnType<typeof sharedDatabases>,
  schedule: object,
) {
  return startTestBackend({
    features: [
      mockServices.rootConfig.factory({
        data: {
          // The notifications backend links notifications into the app.
          app: { baseUrl: 'http://localhost:3000' },
          aws: emulatorAwsConfig,
          catalog: {
            rules: [{ allow: ['Component', 'System', 'Group', 'User'] }],
            locations: [
              { type: 'file', target: path.join(repo, 'dev/catalog/org.yaml') },
              {
                type: 'file',
                target: path.join(repo, 'dev/catalog/demo-model.yaml'),
              },
            ],
          },
          // Short long-polls of the event bus: the backends stop without waiting out the default 55 s.
          events: {
            http: { topics: ['aws.sagemaker'] },
            notifyTimeoutMs: 1000,
          },
          sagemakerMlflow: {
            sagemaker: { endpoint: stack.sagemakerEndpoint },
            mlflow: {
              servers: [{ name: 'default', baseUrl: stack.mlflowUrl }],
            },
            notifications: { schedule },
          },
        },
      }),
      databases,
      // The real events service (backend-test-utils' mock gives each plugin a bus of its own).
      eventsServiceFactory,
      // The real scheduler: global tasks locked in the shared database, and its trigger route.
      schedulerServiceFactory,
      // Reading is not what this test is about; the shipped policy has its own tests.
      mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
      catalogPlugin,
      eventsPlugin,
      // Not the signals backend: it needs httpRouter.addWebSocketHandler, which backend-test-utils 1.11 (the newest
      // the registry mirror has) does not provide. The notifications backend publishes its signals without it.
      notificationsPlugin,
      sagemakerMlflowPlugin,
    ],
  });
}

type Server = Awaited<ReturnType<typeof startInstance>>['server'];

/** The guest's notifications (the notifications backend resolves the owner group to its members). */
async function notificationsOfGuest(server: Server) {
  const res = await request(server)
    .get('/api/notifications/notifications')
    .set('Authorization', mockCredentials.user.header(GUEST));
  expect(res.status).toBe(200);
  return res.body.notifications as Array<{
    payload: { title: string; link?: string; topic?: string };
    /** Set when the same scope was sent again (the notifications backend then updates the one it has). */
    updated: string | null;
  }>;
}

async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < until) {
    await new Promise(r => setTimeout(r, 250));
    value = await read();
  }
  return value;
}

/** An event as an EventBridge API destination posts it (AWS docs: "SageMaker Model Package State Change"). */
function modelPackageEvent(pkg: ModelPackageSummary, status: string) {
  return {
    version: '0',
    id: 'b7ed4b6e-7d1c-4d43-8c4e-2a2f5a9f7d11',
    'detail-type': 'SageMaker Model Package State Change',
    source: 'aws.sagemaker',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [pkg.ModelPackageArn],
    detail: {
      ModelPackageGroupName: 'demo-model',
      ModelPackageVersion: pkg.ModelPackageVersion,
      ModelPackageArn: pkg.ModelPackageArn,
      ModelApprovalStatus: status,
      ModelPackageStatus: 'Completed',
    },
  };
}

const postEvent = (server: Server, event: object) =>
  request(server)
    .post('/api/events/http/aws.sagemaker')
    .set('Content-Type', 'application/json')
    .send(event);

/** Two backend instances on one set of databases, started one after the other as a rollout starts replicas. */
async function startPair(testDatabases: TestDatabases, schedule: object) {
  const databases = sharedDatabases(testDatabases);
  const a = (await startInstance(databases, schedule)).server;
  const b = (await startInstance(databases, schedule)).server;
  // The watcher finds the entity in the catalog, which reads its files asynchronously after start-up.
  await eventually(
    () =>
      request(a)
        .get('/api/catalog/entities/by-name/component/default/demo-model')
        .set('Authorization', mockCredentials.user.header(GUEST)),
    res => res.status === 200,
    60_000,
  );
  return { a, b };
}

const awaiting = <T extends { payload: { title: string } }>(n: T[]) =>
  n.filter(x => x.payload.title.endsWith('awaits approval'));

let packages: ModelPackageSummary[] = [];
const pending = () =>
  packages.find(p => p.ModelApprovalStatus === 'PendingManualApproval')!;
const approved = () =>
  packages.find(p => p.ModelApprovalStatus === 'Approved')!;

beforeAll(async () => {
  packages =
    (
      await stack.sagemaker.send(
        new ListModelPackagesCommand({ ModelPackageGroupName: 'demo-model' }),
      )
    ).ModelPackageSummaryList ?? [];
});

it('has the demo data these tests need: a pending and an approved package', () => {
  expect(pending()).toBeDefined();
  expect(approved()).toBeDefined();
});

describe('SageMaker events through the events backend (two instances, one database per plugin)', () => {
  const testDatabases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let a: Server;
  let b: Server;
  beforeAll(async () => {
    ({ a, b } = await startPair(testDatabases, NEVER));
  }, 120_000);

  it('an event for the pending version notifies its owner at once (no schedule run), once, though both instances got it', async () => {
    const event = modelPackageEvent(pending(), 'PendingManualApproval');
    const [ra, rb] = await Promise.all([
      postEvent(a, event),
      postEvent(b, event),
    ]);
    expect([ra.status, rb.status]).toEqual([202, 202]);
    const got = await eventually(
      () => notificationsOfGuest(b),
      n => awaiting(n).length > 0,
    );
    // Both instances checked; a second notification would have been sent by now.
    await new Promise(r => setTimeout(r, 2_000));
    const once = awaiting(await notificationsOfGuest(a));
    expect(once).toHaveLength(1);
    // Sent once: a second send of its scope would have updated it.
    expect(once[0].updated).toBeNull();
    expect(awaiting(got)[0].payload).toMatchObject({
      title: expect.stringMatching(
        /^Version \d+ of Demo breast-cancer classifier awaits approval$/,
      ),
      link: expect.stringMatching(
        /^\/catalog\/default\/component\/demo-model\/sagemaker-mlflow\?version=\d+$/,
      ),
      topic: 'Model approvals',
    });
  });
  it('a forged event then produces nothing: a status SageMaker does not have, or a resource no entity names', async () => {
    // The approved package, said to be pending; and a pipeline no entity's annotations name.
    expect(
      (
        await postEvent(
          a,
          modelPackageEvent(approved(), 'PendingManualApproval'),
        )
      ).status,
    ).toBe(202);
    const stranger = {
      ...modelPackageEvent(approved(), 'Failed'),
      'detail-type':
        'SageMaker Model Building Pipeline Execution Status Change',
      resources: [
        'arn:aws:sagemaker:us-east-1:123456789012:pipeline/someone-elses',
        'arn:aws:sagemaker:us-east-1:123456789012:pipeline/someone-elses/execution/abc123',
      ],
      detail: {
        currentPipelineExecutionStatus: 'Failed',
        pipelineArn:
          'arn:aws:sagemaker:us-east-1:123456789012:pipeline/someone-elses',
      },
    };
    expect((await postEvent(b, stranger)).status).toBe(202);
    // Nothing new may arrive (the entity's re-check finds only the pending version, already notified above); give
    // a real one ample time to.
    await new Promise(r => setTimeout(r, 5_000));
    const got = await notificationsOfGuest(a);
    expect(got.map(n => n.payload.title)).toEqual([
      expect.stringMatching(/awaits approval$/),
    ]);
  });
});

describe('the scheduled watcher (two instances, one database per plugin)', () => {
  const testDatabases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let a: Server;
  let b: Server;
  beforeAll(async () => {
    ({ a, b } = await startPair(testDatabases, ON_TRIGGER));
  }, 120_000);

  const trigger = (server: Server) =>
    request(server)
      .post(
        `/api/sagemaker-mlflow/.backstage/scheduler/v1/tasks/${TASK}/trigger`,
      )
      .set('Authorization', mockCredentials.service.header());

  it('tells the owner group of the pending version once, run on both instances at once and again', async () => {
    const runs = await Promise.all([trigger(a), trigger(b)]);
    // A trigger while the task is already due or running is refused (409): the scheduler's own once-at-a-time.
    expect(runs.map(r => r.status)).toContain(200);
    const got = await eventually(
      () => notificationsOfGuest(a),
      n => awaiting(n).length > 0,
    );
    expect(awaiting(got)).toHaveLength(1);
    await eventually(
      () => trigger(b),
      res => res.status === 200,
    );
    await new Promise(r => setTimeout(r, 8_000));
    const after = await notificationsOfGuest(b);
    expect(awaiting(after)).toHaveLength(1);
    expect(awaiting(after)[0].updated).toBeNull();
    // The history before the watcher first looked (the approved and rejected versions) is recorded, not notified.
    expect(after).toHaveLength(1);
  });
});
