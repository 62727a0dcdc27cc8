import type { Entity } from '@backstage/catalog-model';
import { readEntityBinding } from './entityBinding';

const entity = (annotations: Record<string, string>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'churn-model', annotations },
  spec: {},
});

describe('readEntityBinding', () => {
  it('binds every annotated resource', () => {
    const binding = readEntityBinding(
      entity({
        'aws.amazon.com/sagemaker-pipeline-arn':
          'arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn',
        'aws.amazon.com/sagemaker-model-package-group-arn':
          'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churn',
        'aws.amazon.com/sagemaker-endpoint-arns':
          'arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn-staging, arn:aws:sagemaker:us-east-1:210987654321:endpoint/churn-prod',
        'mlflow.org/registered-model-name': 'churn',
        'mlflow.org/experiment-name': '/ml/churn',
        'mlflow.org/tracking-server': 'shared',
      }),
    );
    expect(binding.pipeline).toMatchObject({
      state: 'bound',
      value: { resourceName: 'churn' },
    });
    expect(
      binding.endpoints.state === 'bound' &&
        binding.endpoints.value.map(e => e.accountId),
    ).toEqual(['123456789012', '210987654321']);
    expect(binding.registeredModelName).toEqual({
      state: 'bound',
      value: 'churn',
    });
    expect(binding.experimentName).toEqual({
      state: 'bound',
      value: '/ml/churn',
    });
    expect(binding.trackingServer).toBe('shared');
  });

  it('reports a malformed annotation by name and keeps the others', () => {
    const binding = readEntityBinding(
      entity({
        'aws.amazon.com/sagemaker-pipeline-arn': 'not-an-arn',
        'mlflow.org/registered-model-name': 'churn',
      }),
    );
    expect(binding.pipeline).toMatchObject({
      state: 'invalid',
      annotation: 'aws.amazon.com/sagemaker-pipeline-arn',
      message: expect.stringContaining('aws.amazon.com/sagemaker-pipeline-arn'),
    });
    expect(binding.registeredModelName).toEqual({
      state: 'bound',
      value: 'churn',
    });
    expect(binding.modelPackageGroup).toEqual({ state: 'absent' });
    expect(binding.trackingServer).toBe('default');
  });

  it('rejects one bad ARN in the endpoint list', () => {
    const binding = readEntityBinding(
      entity({
        'aws.amazon.com/sagemaker-endpoint-arns':
          'arn:aws:sagemaker:us-east-1:123456789012:endpoint/ok, arn:aws:sagemaker:us-east-1:123456789012:pipeline/wrong',
      }),
    );
    expect(binding.endpoints).toMatchObject({ state: 'invalid' });
  });

  it("refuses an MLflow name MLflow's search filters cannot express (a quote, a backslash), naming the annotation", () => {
    for (const name of ["churn'model", 'churn\\model']) {
      const binding = readEntityBinding(
        entity({ 'mlflow.org/registered-model-name': name }),
      );
      expect(binding.registeredModelName).toMatchObject({
        state: 'invalid',
        annotation: 'mlflow.org/registered-model-name',
      });
    }
  });
});
