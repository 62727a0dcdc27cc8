import { KubernetesValidatorFunctions } from '@backstage/catalog-model';
import {
  mlflowModelEntityName,
  modelEntityPath,
  normalisedEntityName,
  sagemakerModelEntityName,
} from './modelEntities';

const valid = (name: string) =>
  KubernetesValidatorFunctions.isValidObjectName(name);

describe('model entity names', () => {
  it('keeps a name that is already valid, so it stays readable', () => {
    expect(mlflowModelEntityName('default', 'demo-model')).toBe(
      'mlflow-default-demo-model',
    );
    expect(
      sagemakerModelEntityName('123456789012', 'us-east-1', 'demo-model'),
    ).toBe('sagemaker-123456789012-us-east-1-demo-model');
  });

  it.each([
    ['unicode', 'Modèle de prévision 🚀 客户流失'],
    ['300 characters', 'x'.repeat(300)],
    ['300 characters of symbols', '/'.repeat(300)],
    ['only symbols', '!!!'],
    ['path and quotes', `../../etc/passwd'"\\`],
    ['leading and trailing separators', '-_.model._-'],
    ['control characters', 'a\u0000b\nc'],
  ])('makes a valid name of a hostile model name (%s)', (_, modelName) => {
    const name = mlflowModelEntityName('default', modelName);
    expect(valid(name)).toBe(true);
    expect(name.length).toBeLessThanOrEqual(63);
    // Same input, same name: the frontend computes the provider's name.
    expect(mlflowModelEntityName('default', modelName)).toBe(name);
  });

  it('keeps names apart that normalise alike or share a long prefix', () => {
    const names = [
      mlflowModelEntityName('default', 'a b'),
      mlflowModelEntityName('default', 'a/b'),
      mlflowModelEntityName('default', 'a-b'),
      mlflowModelEntityName('default', 'á-b'),
      mlflowModelEntityName('default', `${'y'.repeat(100)}1`),
      mlflowModelEntityName('default', `${'y'.repeat(100)}2`),
      // The same model name on another server or account is another entity.
      mlflowModelEntityName('other', 'a b'),
      sagemakerModelEntityName('123456789012', 'us-east-1', 'a-b'),
      sagemakerModelEntityName('210987654321', 'us-east-1', 'a-b'),
    ];
    expect(new Set(names).size).toBe(names.length);
    names.forEach(n => expect(valid(n)).toBe(true));
  });

  it('does not let a separator in a part make two sources one name', () => {
    // ['mlflow','a-b','c'] and ['mlflow','a','b-c'] join alike; the kept-as-is join is the only shared form.
    expect(normalisedEntityName(['mlflow', 'a', 'b c'])).not.toBe(
      normalisedEntityName(['mlflow', 'a b', 'c']),
    );
  });

  it('gives a name whose case differs a hashed lowercase name of its own (entity refs ignore case)', () => {
    // MLflow tells Churn from churn; the catalog does not: the refs must differ in more than case.
    const lower = mlflowModelEntityName('default', 'churn');
    const upper = mlflowModelEntityName('default', 'Churn');
    const shout = mlflowModelEntityName('default', 'CHURN');
    expect(lower).toBe('mlflow-default-churn');
    expect(upper).toMatch(/^mlflow-default-churn-[0-9a-z]{11}$/);
    expect(shout).toMatch(/^mlflow-default-churn-[0-9a-z]{11}$/);
    expect(new Set([lower, upper, shout].map(n => n.toLowerCase())).size).toBe(
      3,
    );
    // A server or group name with capitals too.
    expect(mlflowModelEntityName('Prod', 'churn')).toMatch(
      /^mlflow-prod-churn-[0-9a-z]{11}$/,
    );
    expect(
      sagemakerModelEntityName('123456789012', 'us-east-1', 'Churn'),
    ).toMatch(/^sagemaker-123456789012-us-east-1-churn-[0-9a-z]{11}$/);
    for (const name of [
      upper,
      shout,
      mlflowModelEntityName('default', 'Modèle X'),
    ])
      expect(name).toBe(name.toLowerCase());
  });

  it('gives distinct names to 20,000 similar hostile names', () => {
    const names = new Set<string>();
    for (let i = 0; i < 20_000; i++)
      names.add(mlflowModelEntityName('default', `model ${i} ✓`));
    expect(names.size).toBe(20_000);
  });

  it('links to the entity page', () => {
    expect(modelEntityPath('mlflow-default-demo-model')).toBe(
      '/catalog/default/resource/mlflow-default-demo-model',
    );
  });
});
