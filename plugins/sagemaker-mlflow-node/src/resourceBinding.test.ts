import { evaluateBinding } from './resourceBinding';

const PIPELINE =
  'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn-model-pipeline';
const REF = 'component:default/churn-model';

describe('evaluateBinding', () => {
  it('binds a resource whose tag names the entity, as the catalog compares refs (case, default namespace)', () => {
    for (const tag of [
      REF,
      'Component:default/Churn-Model',
      'component:churn-model',
    ]) {
      expect(evaluateBinding('pipeline', PIPELINE, REF, tag).state).toBe(
        'bound',
      );
    }
  });

  it('says how to bind a resource without the tag, with the region and ARN it needs', () => {
    const binding = evaluateBinding('pipeline', PIPELINE, REF, undefined);
    expect(binding.state).toBe('unbound');
    expect(binding.command).toBe(
      `aws sagemaker add-tags --region eu-west-1 --resource-arn ${PIPELINE} --tags Key=backstage.io/entity-ref,Value=${REF}`,
    );
  });

  it('names the entity a resource is bound to instead, and never binds a tag that is not a ref', () => {
    const elsewhere = evaluateBinding(
      'registered-model',
      'churn-model',
      REF,
      'component:default/fraud-model',
    );
    expect(elsewhere).toMatchObject({
      state: 'bound-elsewhere',
      boundTo: 'component:default/fraud-model',
    });
    expect(elsewhere.message).toContain(
      "MLflow registered model 'churn-model' is bound to 'component:default/fraud-model'",
    );
    for (const tag of ['', ' ', 'not a ref at all:/', 'churn-model']) {
      expect(evaluateBinding('endpoint', PIPELINE, REF, tag).state).not.toBe(
        'bound',
      );
    }
  });

  it('never binds a resource that carries two different binding tags', () => {
    expect(
      evaluateBinding('endpoint', PIPELINE, REF, [
        REF,
        'component:default/fraud-model',
      ]),
    ).toMatchObject({ state: 'bound-elsewhere' });
    expect(evaluateBinding('endpoint', PIPELINE, REF, [REF, REF]).state).toBe(
      'bound',
    );
  });
});
