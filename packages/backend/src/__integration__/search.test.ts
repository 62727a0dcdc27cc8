import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import searchPlugin from '@backstage/plugin-search-backend';
import mlModelSearchModule from '@model-factory/plugin-search-backend-module-sagemaker-mlflow';
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
} from '../__testUtils__/testServices';

const stack = testStack();
const GUEST = 'user:default/guest';

function writeCatalog() {
  const file = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'model-factory-search-')),
    'entities.yaml',
  );
  const component = (name: string, annotations: Record<string, string>) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, description: 'Breast cancer classifier', annotations },
    spec: {
      type: 'ml-model',
      lifecycle: 'experimental',
      owner: 'group:default/ml-platform',
    },
  });
  fs.writeFileSync(
    file,
    [
      component('demo-model', {
        'aws.amazon.com/sagemaker-model-package-group-arn': ARN.group,
        'mlflow.org/registered-model-name': 'demo-model',
        'mlflow.org/experiment-name': 'demo-model',
      }),
      // A model that MLflow does not have: logged and skipped, the others are still indexed.
      component('ghost-model', {
        'mlflow.org/registered-model-name': 'no-such-model',
      }),
    ]
      .map(e => JSON.stringify(e))
      .join('\n---\n'),
  );
  return file;
}

describe('ml-model search documents', () => {
  it('indexes the demo model and its versions, and shows them only to who may read the entity', async () => {
    // backend-test-utils' scheduler runs tasks when told to: index after the catalog has the entities.
    const scheduler = mockServices.scheduler() as ReturnType<
      typeof mockServices.scheduler
    > & {
      factory(options: { skipTaskRunOnStartup: boolean }): any;
      triggerTask(id: string): Promise<void>;
    };
    const { server } = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({
          data: {
            catalog: fileCatalogConfig(writeCatalog(), ['Component']),
            permission: { enabled: true },
            aws: emulatorAwsConfig,
            sagemakerMlflow: {
              sagemaker: { endpoint: stack.sagemakerEndpoint },
              mlflow: {
                servers: [{ name: 'default', baseUrl: stack.mlflowUrl }],
              },
            },
          },
        }),
        scheduler.factory({ skipTaskRunOnStartup: true }),
        authWithActorsFactory,
        httpAuthServiceFactory,
        userInfoFromOrgFactory({ [GUEST]: ['group:default/ml-platform'] }),
        catalogPlugin,
        permissionPlugin,
        testPolicyModule,
        searchPlugin,
        mlModelSearchModule,
      ],
    });
    // Index once the catalog holds the entities.
    for (let i = 0; i < 120; i++) {
      const res = await request(server)
        .get('/api/catalog/entities/by-name/component/default/ghost-model')
        .set('Authorization', mockCredentials.user.header(GUEST));
      if (res.status === 200) break;
      await new Promise(r => setTimeout(r, 250));
    }
    const task = (await scheduler.getScheduledTasks()).find(
      t => t.id === 'search_index_ml_model',
    );
    expect(task).toBeDefined();
    await scheduler.triggerTask(task!.id);

    const search = (user: string) =>
      request(server)
        .get('/api/search/query?term=demo-model&types[0]=ml-model')
        .set('Authorization', mockCredentials.user.header(user));
    let results: any[] = [];
    for (let i = 0; i < 120 && results.length < 4; i++) {
      results = (await search(GUEST)).body.results ?? [];
      if (results.length < 4) await new Promise(r => setTimeout(r, 250));
    }

    const docs = results.map(r => r.document);
    const model = docs.find(d => d.docKind === 'model');
    expect(model).toMatchObject({
      title: 'demo-model',
      location: '/catalog/default/component/demo-model/sagemaker-mlflow',
      entityRef: 'component:default/demo-model',
      owner: 'group:default/ml-platform',
      aliases: 'champion',
    });
    const versions = docs.filter(d => d.docKind === 'version');
    expect(versions.map(v => v.version).sort()).toEqual(['1', '2', '3']);
    const champion = versions.find(v => v.aliases === 'champion');
    expect(champion).toMatchObject({
      title: `demo-model v${champion.version}`,
      location: `/catalog/default/component/demo-model/sagemaker-mlflow#model-version-${champion.version}`,
      approvalStatus: 'Approved',
      metrics: expect.stringMatching(/accuracy=0\.9\d+/),
    });
    expect(docs.some(d => d.modelName === 'no-such-model')).toBe(false);

    // The outsider may not read demo-model in the catalog, so search returns none of its documents.
    const hidden = await search(OUTSIDER);
    expect(hidden.status).toBe(200);
    expect(hidden.body.results).toEqual([]);
  }, 90_000);
});
