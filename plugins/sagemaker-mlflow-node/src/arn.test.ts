import { parseSageMakerArn } from './arn';

describe('parseSageMakerArn', () => {
  it('splits a pipeline ARN into account, region and name', () => {
    expect(
      parseSageMakerArn(
        'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn-model',
        'pipeline',
      ),
    ).toEqual({
      arn: 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn-model',
      partition: 'aws',
      region: 'eu-west-1',
      accountId: '123456789012',
      resourceType: 'pipeline',
      resourceName: 'churn-model',
    });
  });

  it('rejects an ARN of another resource type, naming both types', () => {
    expect(() =>
      parseSageMakerArn(
        'arn:aws:sagemaker:eu-west-1:123456789012:endpoint/churn-prod',
        'pipeline',
      ),
    ).toThrow('names a endpoint, expected a pipeline');
  });

  it.each([
    'churn-model',
    'arn:aws:s3:::bucket/key',
    'arn:aws:sagemaker:eu-west-1:1234:pipeline/churn',
    'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/../other',
  ])('rejects %s', arn => {
    expect(() => parseSageMakerArn(arn, 'pipeline')).toThrow(
      /is not a SageMaker ARN/,
    );
  });
});
