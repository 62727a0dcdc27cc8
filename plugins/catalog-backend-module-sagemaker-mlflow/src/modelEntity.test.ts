import { Entity } from '@backstage/catalog-model';
import {
  mlflowModelEntity,
  ownershipOf,
  sagemakerModelEntity,
  namesMlflowModel,
  namesModelPackageGroup,
} from './modelEntity';

const GROUP_ARN =
  'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churn';

const component = (
  annotations: Record<string, string>,
  owner = 'team-a',
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'churn', namespace: 'ml', annotations },
  spec: { type: 'ml-model', owner, lifecycle: 'production' },
});

const server = { name: 'default', uiUrl: 'https://mlflow.example.com' };

describe('ownership of a model', () => {
  const namesChurn = namesMlflowModel('default', 'churn');
  const bound = component({ 'mlflow.org/registered-model-name': 'churn' });

  it('takes the owner of the component that binds it both ways, resolved in the component namespace', () => {
    expect(ownershipOf(['component:ml/churn'], bound, namesChurn)).toEqual({
      componentRef: 'component:ml/churn',
      owner: 'group:ml/team-a',
    });
  });

  it('refuses a tag that names a component which does not name the model back', () => {
    const other = component({ 'mlflow.org/registered-model-name': 'other' });
    expect(ownershipOf(['component:ml/churn'], other, namesChurn)).toEqual({
      reason: 'component:ml/churn does not name this model in its annotations',
    });
    // The same model name on another tracking server is another model.
    const otherServer = component({
      'mlflow.org/registered-model-name': 'churn',
      'mlflow.org/tracking-server': 'other',
    });
    expect(
      ownershipOf(['component:ml/churn'], otherServer, namesChurn),
    ).toHaveProperty('reason');
  });

  it('refuses no tag, two different tags, and a tag the catalog does not know', () => {
    expect(ownershipOf([], bound, namesChurn)).toHaveProperty('reason');
    expect(
      ownershipOf(['component:ml/churn', 'component:ml/x'], bound, namesChurn),
    ).toHaveProperty('reason');
    expect(
      ownershipOf(['component:ml/churn'], undefined, namesChurn),
    ).toHaveProperty('reason');
  });

  it('refuses a tag that names an entity other than a component, even the model entity itself', () => {
    // The previous run's entity of this very model names it back in its annotations: it must not own itself.
    const self = mlflowModelEntity({
      server,
      model: { name: 'churn' },
      ownership: { reason: 'no backstage.io/entity-ref tag' },
      defaultOwner: 'group:default/ml-platform',
    });
    expect(namesChurn(self)).toBe(true);
    expect(
      ownershipOf(['resource:default/mlflow-default-churn'], self, namesChurn),
    ).toEqual({
      reason:
        'resource:default/mlflow-default-churn is not a component (only a component can own a model)',
    });
    // Another kind that names the model back, e.g. a system or an API.
    const system = { ...bound, kind: 'System' };
    expect(ownershipOf(['system:ml/churn'], system, namesChurn)).toHaveProperty(
      'reason',
    );
  });

  it('binds a model package group only by its full ARN', () => {
    const c = component({
      'aws.amazon.com/sagemaker-model-package-group-arn': GROUP_ARN,
    });
    expect(namesModelPackageGroup(GROUP_ARN)(c)).toBe(true);
    expect(
      namesModelPackageGroup(GROUP_ARN.replace('123456789012', '210987654321'))(
        c,
      ),
    ).toBe(false);
  });
});

describe('model entities', () => {
  it('maps an MLflow registered model: name, tags, versions, links, owner and relation', () => {
    const entity = mlflowModelEntity({
      server,
      model: {
        name: 'churn',
        description: 'Predicts churn',
        tags: [
          { key: 'team', value: 'growth' },
          { key: 'pii', value: 'true' },
          { key: 'mlflow.source.git', value: 'abc' },
          { key: 'backstage.io/entity-ref', value: 'component:ml/churn' },
        ],
        aliases: [{ alias: 'champion', version: '3' }],
        latest_versions: [
          { name: 'churn', version: '4', current_stage: 'None' },
          { name: 'churn', version: '2', current_stage: 'Production' },
        ],
      },
      ownership: {
        componentRef: 'component:ml/churn',
        owner: 'group:ml/team-a',
      },
      defaultOwner: 'group:default/ml-platform',
    });
    expect(entity).toEqual({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: 'mlflow-default-churn',
        namespace: 'default',
        title: 'churn',
        description: 'Predicts churn',
        tags: ['pii', 'team:growth'],
        annotations: {
          'backstage.io/managed-by-location':
            'url:https://mlflow.example.com/#/models/churn',
          'backstage.io/managed-by-origin-location':
            'url:https://mlflow.example.com/#/models/churn',
          'mlflow.org/registered-model-name': 'churn',
          'mlflow.org/tracking-server': 'default',
          'model-factory.io/latest-version': '4',
          'model-factory.io/champion-version': '3',
          'mlflow.org/tags': JSON.stringify({
            'mlflow.source.git': 'abc',
            'backstage.io/entity-ref': 'component:ml/churn',
          }),
        },
        links: [
          {
            url: 'https://mlflow.example.com/#/models/churn',
            title: 'MLflow registered model',
            icon: 'dashboard',
          },
        ],
      },
      spec: {
        type: 'ml-model',
        owner: 'group:ml/team-a',
        dependencyOf: ['component:ml/churn'],
      },
    });
  });

  it('gives an unbound model the default owner, the unowned label and the reason, and no relation', () => {
    const entity = mlflowModelEntity({
      server,
      model: { name: 'Modèle / 客户' },
      ownership: { reason: 'no backstage.io/entity-ref tag' },
      defaultOwner: 'group:default/ml-platform',
    });
    expect(entity.metadata.name).toMatch(
      /^mlflow-default-modele-[0-9a-z]{11}$/,
    );
    expect(entity.metadata.labels).toEqual({
      'model-factory.io/unowned': 'true',
    });
    expect(
      entity.metadata.annotations!['model-factory.io/unowned-reason'],
    ).toBe('no backstage.io/entity-ref tag');
    expect(entity.spec).toEqual({
      type: 'ml-model',
      owner: 'group:default/ml-platform',
    });
    expect(entity.metadata.annotations).not.toHaveProperty(
      'model-factory.io/champion-version',
    );
    expect(entity.metadata.links![0].url).toBe(
      `https://mlflow.example.com/#/models/${encodeURIComponent(
        'Modèle / 客户',
      )}`,
    );
  });

  it('keeps the annotation of non-tag tags valid JSON and bounded, however many there are', () => {
    const entity = mlflowModelEntity({
      server,
      model: {
        name: 'big',
        tags: Array.from({ length: 500 }, (_, i) => ({
          key: `Key ${i}`,
          value: 'v'.repeat(100),
        })),
      },
      ownership: { reason: 'no backstage.io/entity-ref tag' },
      defaultOwner: 'group:default/ml-platform',
    });
    const json = entity.metadata.annotations!['mlflow.org/tags'];
    expect(json.length).toBeLessThanOrEqual(8192);
    expect(Object.keys(JSON.parse(json)).length).toBeGreaterThan(10);
  });

  it('maps a SageMaker model package group with its newest and newest approved version', () => {
    const entity = sagemakerModelEntity({
      accountId: '123456789012',
      region: 'us-east-1',
      group: {
        arn: GROUP_ARN,
        name: 'churn',
        description: 'Churn',
        tags: [{ Key: 'env', Value: 'prod' }],
      },
      latestVersion: 7,
      approvedVersion: 5,
      ownership: { reason: 'no backstage.io/entity-ref tag' },
      defaultOwner: 'group:default/ml-platform',
    });
    expect(entity.metadata.name).toBe('sagemaker-123456789012-us-east-1-churn');
    expect(entity.metadata.tags).toEqual(['env:prod']);
    expect(entity.metadata.annotations).toMatchObject({
      'aws.amazon.com/sagemaker-model-package-group-arn': GROUP_ARN,
      'model-factory.io/latest-version': '7',
      'model-factory.io/champion-version': '5',
    });
    expect(entity.metadata.links![0].url).toBe(
      'https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/model-packages/churn',
    );
  });
});
