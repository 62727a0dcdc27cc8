import path from 'path';
import request from 'supertest';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import {
  catalogProcessingExtensionPoint,
  catalogServiceRef,
  EntityProviderMutation,
} from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import catalogModelsModule, {
  createModelEntityProvider,
  ModelEntityProvider,
} from '@model-factory/plugin-catalog-backend-module-sagemaker-mlflow';
import {
  BINDING_TAG,
  mlflowModelEntityName,
  sagemakerModelEntityName,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import { sagemakerMlflowClientsServiceRef } from '@model-factory/plugin-sagemaker-mlflow-node';
import { emulatorAwsConfig, testStack } from '../__testUtils__/stack';

const stack = testStack();
const RUN = Date.now().toString(36);
// Created here: a model nobody binds, and one whose binding tag claims the demo component, which does not name it.
const ORPHAN = `catalog-orphan-${RUN}`;
const CLAIM = `catalog-claim-${RUN}`;
const DEFAULT_OWNER = 'group:default/data-analysts';
const USER = mockCredentials.user.header('user:default/guest');
const DEMO_CATALOG = path.resolve(__dirname, '../../../../dev/catalog');

async function mlflow(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  endpoint: string,
  body?: object,
) {
  const res = await fetch(`${stack.mlflowUrl}/api/2.0/mlflow/${endpoint}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`MLflow ${endpoint}: ${JSON.stringify(json)}`);
  return json;
}

const config = {
  catalog: {
    rules: [{ allow: ['Component', 'System', 'Group', 'User'] }],
    locations: [
      { type: 'file', target: `${DEMO_CATALOG}/org.yaml` },
      { type: 'file', target: `${DEMO_CATALOG}/demo-model.yaml` },
    ],
  },
  aws: emulatorAwsConfig,
  sagemakerMlflow: {
    sagemaker: { endpoint: stack.sagemakerEndpoint },
    mlflow: { servers: [{ name: 'default', baseUrl: stack.mlflowUrl }] },
    catalog: {
      defaultOwner: DEFAULT_OWNER,
      sagemaker: [{ accountId: '123456789012', region: 'us-east-1' }],
      // Small pages: the run reads several pages of the test server's models.
      pageSize: 10,
    },
  },
};

async function entity(server: any, ref: string): Promise<Entity | undefined> {
  const [kind, rest] = ref.split(':');
  const [namespace, name] = rest.split('/');
  const res = await request(server)
    .get(
      `/api/catalog/entities/by-name/${kind}/${namespace}/${encodeURIComponent(
        name,
      )}`,
    )
    .set('Authorization', USER);
  return res.status === 200 ? res.body : undefined;
}

/** Polls until the entity is in the catalog and `ready` holds: the catalog processes provider entities later. */
async function eventually(
  server: any,
  ref: string,
  ready: (e: Entity) => boolean = () => true,
) {
  let found: Entity | undefined;
  for (let i = 0; i < 240; i++) {
    found = await entity(server, ref);
    if (found && ready(found)) return found;
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error(`${ref} never became ready: ${JSON.stringify(found)}`);
}

const targets = (e: Entity, type: string) =>
  (e.relations ?? []).filter(r => r.type === type).map(r => r.targetRef);

const demoRef = `resource:default/${mlflowModelEntityName(
  'default',
  'demo-model',
)}`;
const groupRef = `resource:default/${sagemakerModelEntityName(
  '123456789012',
  'us-east-1',
  'demo-model',
)}`;
const orphanRef = `resource:default/${mlflowModelEntityName(
  'default',
  ORPHAN,
)}`;
const claimRef = `resource:default/${mlflowModelEntityName('default', CLAIM)}`;

beforeAll(async () => {
  await mlflow('POST', 'registered-models/create', {
    name: ORPHAN,
    description: 'Nobody binds me',
  });
  await mlflow('POST', 'registered-models/create', {
    name: CLAIM,
    tags: [{ key: BINDING_TAG, value: 'component:default/demo-model' }],
  });
});

describe('models in the catalog', () => {
  it('ingests bound models with the component owner and relations, and the others as unowned', async () => {
    const scheduler = mockServices.scheduler() as ReturnType<
      typeof mockServices.scheduler
    > & {
      factory(options: { skipTaskRunOnStartup: boolean }): any;
      triggerTask(id: string): Promise<void>;
    };
    const { server } = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({ data: config }),
        scheduler.factory({ skipTaskRunOnStartup: true }),
        mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
        catalogPlugin,
        catalogModelsModule,
      ],
    });
    // Run once the catalog holds the component the models' tags name.
    await eventually(server, 'component:default/demo-model');
    await scheduler.triggerTask('sagemaker-mlflow-models');

    const { aliases } = (
      await mlflow('GET', 'registered-models/get?name=demo-model')
    ).registered_model;
    const demo = await eventually(
      server,
      demoRef,
      e => targets(e, 'dependencyOf').length > 0,
    );
    expect(demo.spec).toEqual({
      type: 'ml-model',
      owner: 'group:default/ml-platform',
      dependencyOf: ['component:default/demo-model'],
    });
    expect(targets(demo, 'ownedBy')).toEqual(['group:default/ml-platform']);
    expect(targets(demo, 'dependencyOf')).toEqual([
      'component:default/demo-model',
    ]);
    expect(demo.metadata.labels ?? {}).not.toHaveProperty(
      'model-factory.io/unowned',
    );
    expect(demo.metadata.annotations).toMatchObject({
      'mlflow.org/registered-model-name': 'demo-model',
      'mlflow.org/tracking-server': 'default',
      'model-factory.io/champion-version': aliases.find(
        (a: any) => a.alias === 'champion',
      ).version,
    });
    expect(demo.metadata.links?.[0].url).toBe(
      `${stack.mlflowUrl}/#/models/demo-model`,
    );
    // The catalog derives the other side of the relation on the component.
    const component = await eventually(
      server,
      'component:default/demo-model',
      e => targets(e, 'dependsOn').includes(demoRef),
    );
    expect(targets(component, 'dependsOn')).toContain(groupRef);

    // The demo's SageMaker model package group, bound by its tag and the component's annotation.
    const group = await eventually(
      server,
      groupRef,
      e => targets(e, 'dependencyOf').length > 0,
    );
    expect(group.spec).toMatchObject({ owner: 'group:default/ml-platform' });
    expect(group.metadata.annotations).toMatchObject({
      'aws.amazon.com/sagemaker-model-package-group-arn':
        'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/demo-model',
    });
    expect(group.metadata.annotations).toMatchObject({
      'model-factory.io/latest-version': expect.stringMatching(/^[0-9]+$/),
    });

    const orphan = await eventually(server, orphanRef);
    expect(orphan.spec).toEqual({ type: 'ml-model', owner: DEFAULT_OWNER });
    expect(orphan.metadata.labels).toEqual({
      'model-factory.io/unowned': 'true',
    });
    expect(orphan.metadata.description).toBe('Nobody binds me');
    expect(targets(orphan, 'dependencyOf')).toEqual([]);

    // An attacker tags their model with the demo component's ref: the component does not name it back.
    const claim = await eventually(server, claimRef);
    expect(claim.spec).toEqual({ type: 'ml-model', owner: DEFAULT_OWNER });
    expect(claim.metadata.labels).toEqual({
      'model-factory.io/unowned': 'true',
    });
    expect(targets(claim, 'dependencyOf')).toEqual([]);
    expect(targets(component, 'dependsOn')).not.toContain(claimRef);
  }, 120_000);

  it('re-emits only the model that changed, and removes a deleted one', async () => {
    // The module's own provider, built from the same config, with its catalog connection wrapped to see mutations.
    const mutations: EntityProviderMutation[] = [];
    let provider: ModelEntityProvider | undefined;
    const spyModule = createBackendModule({
      pluginId: 'catalog',
      moduleId: 'models-spy',
      register(reg) {
        reg.registerInit({
          deps: {
            config: coreServices.rootConfig,
            auth: coreServices.auth,
            logger: coreServices.logger,
            cache: coreServices.cache,
            catalog: catalogServiceRef,
            processing: catalogProcessingExtensionPoint,
            clients: sagemakerMlflowClientsServiceRef,
          },
          async init({ processing, ...deps }) {
            const created = createModelEntityProvider(deps).provider;
            provider = created;
            processing.addEntityProvider({
              getProviderName: () => created.getProviderName(),
              connect: connection =>
                created.connect({
                  applyMutation: async mutation => {
                    mutations.push(mutation);
                    await connection.applyMutation(mutation);
                  },
                  refresh: options => connection.refresh(options),
                }),
            });
          },
        });
      },
    });
    const { server } = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({ data: config }),
        mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
        catalogPlugin,
        spyModule,
      ],
    });
    await eventually(server, 'component:default/demo-model');
    for (let i = 0; i < 100 && !provider; i++)
      await new Promise(r => setTimeout(r, 100));

    const first = await provider!.run();
    expect(first.type).toBe('full');
    expect(mutations[0]).toMatchObject({ type: 'full' });
    expect(mutations[0].type === 'full' && mutations[0].entities.length).toBe(
      first.total,
    );
    await eventually(server, orphanRef);

    // Nothing changed: no mutation at all.
    expect(await provider!.run()).toMatchObject({
      type: 'delta',
      emitted: 0,
      removed: 0,
    });
    expect(mutations).toHaveLength(1);

    await mlflow('PATCH', 'registered-models/update', {
      name: ORPHAN,
      description: 'Changed',
    });
    expect(await provider!.run()).toMatchObject({
      type: 'delta',
      emitted: 1,
      removed: 0,
    });
    const delta = mutations[1];
    expect(delta.type).toBe('delta');
    if (delta.type !== 'delta') return;
    expect(delta.added.map(d => d.entity.metadata.name)).toEqual([
      orphanRef.split('/')[1],
    ]);
    expect(delta.removed).toEqual([]);
    await eventually(
      server,
      orphanRef,
      e => e.metadata.description === 'Changed',
    );

    await mlflow('DELETE', 'registered-models/delete', { name: ORPHAN });
    expect(await provider!.run()).toMatchObject({
      type: 'delta',
      emitted: 0,
      removed: 1,
    });
    expect(mutations[2]).toEqual({
      type: 'delta',
      added: [],
      removed: [
        { entityRef: orphanRef, locationKey: 'sagemaker-mlflow-models' },
      ],
    });
    for (let i = 0; i < 120 && (await entity(server, orphanRef)); i++)
      await new Promise(r => setTimeout(r, 250));
    expect(await entity(server, orphanRef)).toBeUndefined();
  }, 120_000);
});
