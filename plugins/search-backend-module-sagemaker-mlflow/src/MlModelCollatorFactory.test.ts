import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { Entity } from '@backstage/catalog-model';
import { MlModelCollatorFactory } from './MlModelCollatorFactory';

const component = (
  name: string,
  annotations: Record<string, string>,
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, description: `${name} classifier`, annotations },
  spec: { type: 'service', owner: 'group:default/ml-platform' },
});

async function collect(factory: MlModelCollatorFactory) {
  const docs = [];
  for await (const doc of await factory.getCollator()) docs.push(doc);
  return docs;
}

describe('MlModelCollatorFactory', () => {
  it('indexes the registered model of each annotated entity, linked to its tab', async () => {
    const catalog = catalogServiceMock({
      entities: [
        component('demo-model', {
          'mlflow.org/registered-model-name': 'demo-model',
        }),
        component('web-shop', {}),
      ],
    });
    const factory = new MlModelCollatorFactory({
      catalog,
      auth: mockServices.auth(),
    });

    expect(factory.type).toBe('ml-model');
    expect(await collect(factory)).toEqual([
      {
        title: 'demo-model',
        text: 'demo-model classifier',
        location: '/catalog/default/component/demo-model/sagemaker-mlflow',
        modelName: 'demo-model',
        entityRef: 'component:default/demo-model',
        owner: 'group:default/ml-platform',
        authorization: { resourceRef: 'component:default/demo-model' },
      },
    ]);
  });
});
