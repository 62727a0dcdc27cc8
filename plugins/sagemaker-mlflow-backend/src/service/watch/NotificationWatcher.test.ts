import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import type { SignalPayload } from '@backstage/plugin-signals-node';
import type { Observation } from './detect';
import { NotificationLedger } from './NotificationLedger';
import { NotificationWatcher, ownerOf } from './NotificationWatcher';

jest.setTimeout(60_000);

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'demo-model', namespace: 'default' },
  spec: { owner: 'ml-platform' },
};
const PENDING = {
  arn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/demo-model/3',
  status: 'PendingManualApproval',
  mlflowVersion: '3',
};
const FAILED = { arn: 'exec/old', status: 'Failed', failureReason: 'boom' };

describe('NotificationWatcher', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  /** Watchers as separate backend instances would have them: each its own ledger object, one database. */
  async function setup(observation: () => Observation) {
    const knex = await databases.init('SQLITE_3');
    const database = mockServices.database.mock({
      getClient: async () => knex,
    });
    // What the notifications backend would be asked to send (it is started for real in the backend's integration test).
    const sent: NotificationSendOptions[] = [];
    const signals: SignalPayload[] = [];
    const invalidated: string[] = [];
    let failSends = false;
    const watcher = async () =>
      new NotificationWatcher({
        catalog: catalogServiceMock({ entities: [entity] }),
        auth: mockServices.auth(),
        logger: mockServices.logger.mock(),
        ledger: await NotificationLedger.create(database),
        notifications: {
          async send(options) {
            // Another instance's insert could land while this one waits on the network.
            await new Promise(r => setTimeout(r, 5));
            if (failSends) throw new Error('notifications backend down');
            sent.push(options);
          },
        },
        signals: {
          async publish(signal) {
            signals.push(signal as SignalPayload);
          },
        },
        observe: async () => observation(),
        invalidate: async entityRef => {
          invalidated.push(entityRef);
        },
      });
    return {
      sent,
      signals,
      invalidated,
      watcher,
      failSends: (fail: boolean) => {
        failSends = fail;
      },
    };
  }

  it('tells the owner of a pending version once, however many instances check it, however often', async () => {
    const { sent, watcher } = await setup(() => ({ packages: [PENDING] }));
    const a = await watcher();
    const b = await watcher();
    await Promise.all([
      a.checkEntities([entity]),
      b.checkEntities([entity]),
      a.checkEntities([entity]),
      b.checkEntities([entity]),
    ]);
    await a.checkEntities([entity]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      recipients: { type: 'entity', entityRef: 'group:default/ml-platform' },
      payload: { title: 'Version 3 of demo-model awaits approval' },
    });
  });

  it("does not tell a mirrored model's owner what the component that binds it is told", async () => {
    const { sent, signals, watcher } = await setup(() => ({
      packages: [PENDING],
    }));
    const model: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: 'sagemaker-123456789012-us-east-1-demo-model',
        namespace: 'default',
      },
      spec: { type: 'ml-model', owner: 'ml-platform' },
    };
    const w = await watcher();
    await w.checkEntities([model, entity]);
    expect(sent.map(s => s.payload.title)).toEqual([
      'Version 3 of demo-model awaits approval',
    ]);
    // Nor read at all: there are thousands, each naming what its component names.
    expect(signals.map(s => s.channel)).toEqual([
      'sagemaker-mlflow:component:default/demo-model',
    ]);
  });

  it('records what had already failed when it first looks at an entity, and tells of what fails afterwards', async () => {
    let observation: Observation = { executions: [FAILED] };
    const { sent, watcher } = await setup(() => observation);
    const w = await watcher();
    await w.checkEntities([entity]);
    expect(sent).toHaveLength(0);
    observation = {
      executions: [{ arn: 'exec/new', status: 'Failed' }, FAILED],
    };
    await w.checkEntities([entity]);
    await w.checkEntities([entity]);
    expect(sent.map(s => s.payload.title)).toEqual([
      'Pipeline execution new of demo-model failed',
    ]);
  });

  it('looks at each section for the first time on its own: one it cannot read keeps neither the others silent nor its own history loud', async () => {
    const ENDPOINT = {
      arn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/demo-model-staging',
      name: 'demo-model-staging',
      status: 'Failed',
      failureReason: 'old',
    };
    let observation: Observation = { executions: [FAILED] }; // endpoints unreadable (no access yet)
    const { sent, watcher } = await setup(() => observation);
    const w = await watcher();
    await w.checkEntities([entity]);
    observation = {
      executions: [{ arn: 'exec/new', status: 'Failed' }, FAILED],
    };
    await w.checkEntities([entity]);
    // The new failure is told although the endpoints still cannot be read.
    expect(sent.map(s => s.payload.title)).toEqual([
      'Pipeline execution new of demo-model failed',
    ]);
    // The endpoints become readable: their old failure is history, not news.
    observation = { ...observation, endpoints: [ENDPOINT] };
    await w.checkEntities([entity]);
    expect(sent).toHaveLength(1);
  });

  it('sends on a later run what it could not send', async () => {
    const { sent, watcher, failSends } = await setup(() => ({
      packages: [PENDING],
    }));
    const w = await watcher();
    failSends(true);
    await w.checkEntities([entity]);
    expect(sent).toHaveLength(0);
    failSends(false);
    await w.checkEntities([entity]);
    await w.checkEntities([entity]);
    expect(sent).toHaveLength(1);
  });

  it('signals the sections that changed since it last looked; on an event, every section when it had not looked yet', async () => {
    let observation: Observation = {
      executions: [{ arn: 'e1', status: 'Executing' }],
      packages: [PENDING],
    };
    const { signals, invalidated, watcher } = await setup(() => observation);
    const w = await watcher();
    const channel = 'sagemaker-mlflow:component:default/demo-model';
    await w.checkEntities([entity]);
    expect(signals).toEqual([
      {
        recipients: { type: 'broadcast' },
        channel,
        message: { sections: ['executions', 'versions'] },
      },
    ]);
    await w.checkEntities([entity]);
    expect(signals).toHaveLength(1);
    observation = {
      ...observation,
      executions: [{ arn: 'e1', status: 'Succeeded' }],
    };
    await w.checkEntities([entity]);
    expect(signals).toHaveLength(2);
    expect(signals[1].message).toEqual({ sections: ['executions'] });
    // Each change also dropped the routes' cache, so the reloading tab reads it.
    expect(invalidated).toEqual([
      'component:default/demo-model',
      'component:default/demo-model',
    ]);
  });
});

describe('ownerOf', () => {
  it('reads the owner relation, else spec.owner as a group of the entity namespace', () => {
    expect(ownerOf(entity)).toBe('group:default/ml-platform');
    expect(
      ownerOf({
        ...entity,
        relations: [{ type: 'ownedBy', targetRef: 'user:default/jane' }],
      }),
    ).toBe('user:default/jane');
    expect(ownerOf({ ...entity, spec: {} })).toBeUndefined();
  });
});
