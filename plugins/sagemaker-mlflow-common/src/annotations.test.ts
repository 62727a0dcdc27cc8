import type { Entity } from '@backstage/catalog-model';
import {
  ANNOTATION_PIPELINE_ARN,
  ANNOTATION_REGISTERED_MODEL_NAME,
  ANNOTATION_TRACKING_SERVER,
  isSageMakerMlflowAvailable,
} from './annotations';

const entityWith = (annotations: Record<string, string>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'churn-model', annotations },
  spec: {},
});

describe('isSageMakerMlflowAvailable', () => {
  it('is true when a pipeline or a registered model is named', () => {
    expect(
      isSageMakerMlflowAvailable(
        entityWith({
          [ANNOTATION_PIPELINE_ARN]:
            'arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn',
        }),
      ),
    ).toBe(true);
    expect(
      isSageMakerMlflowAvailable(
        entityWith({ [ANNOTATION_REGISTERED_MODEL_NAME]: 'churn' }),
      ),
    ).toBe(true);
  });

  it('is false for an entity without resource annotations', () => {
    expect(isSageMakerMlflowAvailable(entityWith({}))).toBe(false);
  });

  it('ignores blank values and the server name alone', () => {
    expect(
      isSageMakerMlflowAvailable(
        entityWith({
          [ANNOTATION_REGISTERED_MODEL_NAME]: '  ',
          [ANNOTATION_TRACKING_SERVER]: 'default',
        }),
      ),
    ).toBe(false);
  });
});
