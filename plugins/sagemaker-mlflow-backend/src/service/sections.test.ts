import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { mockServices } from '@backstage/backend-test-utils';
import {
  AwsCredentialsMissingError,
  DeadlineExceededError,
  UpstreamError,
  UpstreamThrottledError,
  withLoggedDetail,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import { AnnotationError, MissingAnnotationError } from './EntityContext';
import { mayCache, settle, toSectionError } from './sections';

describe('section errors', () => {
  it.each([
    [
      new MissingAnnotationError('mlflow.org/experiment-name'),
      'missing-annotation',
    ],
    [
      new AnnotationError('not an ARN', 'aws.amazon.com/x'),
      'invalid-annotation',
    ],
    [new NotAllowedError('not bound'), 'not-bound'],
    [new NotFoundError('no such pipeline'), 'not-found'],
    [new InputError('bad'), 'invalid-request'],
    [new DeadlineExceededError('SageMaker ListTags', 10000), 'timeout'],
    [new UpstreamThrottledError('SageMaker ListTags', 5), 'throttled'],
    [
      new AwsCredentialsMissingError(
        '999999999999',
        'eu-west-1',
        'no credentials',
      ),
      'missing-credentials',
    ],
  ])('types %p as %s', (error, code) => {
    expect(toSectionError(error).code).toBe(code);
  });

  it('names the account, region and the config to add for missing credentials', () => {
    const error = toSectionError(
      new AwsCredentialsMissingError(
        '999999999999',
        'eu-west-1',
        'no credentials',
      ),
    );
    expect(error).toMatchObject({
      account: '999999999999',
      region: 'eu-west-1',
    });
    expect(error.fix).toContain('aws.accounts');
  });

  it('shows nothing of an unexpected error but that it happened', () => {
    const error = toSectionError(
      new TypeError("Cannot read properties of undefined (reading 'Arn')"),
    );
    expect(error.code).toBe('internal');
    expect(error.message).not.toContain('Arn');
  });

  it('lets an answer be cached only when its errors last as long as the entity', () => {
    const missing = { error: toSectionError(new MissingAnnotationError('a')) };
    const timeout = {
      error: toSectionError(new DeadlineExceededError('MLflow', 1)),
    };
    expect(mayCache({ data: 1 }, missing)).toBe(true);
    expect(mayCache({ data: 1 }, timeout)).toBe(false);
  });
});

describe('settle', () => {
  it('shows an upstream failure by code, name and message, and logs it whole with its cause', async () => {
    const logger = mockServices.logger.mock();
    const failure = withLoggedDetail(
      new UpstreamError('SageMaker ListTags', "the portal's AWS role may not"),
      { name: 'AccessDeniedException', message: 'User: arn:aws:sts::1:role/R' },
    );
    const section = await settle(() => Promise.reject(failure), logger);
    expect(section).toEqual({
      error: {
        code: 'upstream',
        name: 'UpstreamError',
        message: "SageMaker ListTags: the portal's AWS role may not",
      },
    });
    expect(JSON.stringify(section)).not.toContain('role/R');
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('SageMaker ListTags'),
      failure,
    );
    expect((logger.warn as jest.Mock).mock.calls[0][1].cause.message).toBe(
      'User: arn:aws:sts::1:role/R',
    );
  });

  it('does not log what is not an upstream failure (a resource not created yet)', async () => {
    const logger = mockServices.logger.mock();
    const section = await settle(
      () => Promise.reject(new NotFoundError('no pipeline yet')),
      logger,
    );
    expect(section.error?.code).toBe('not-found');
    expect(logger.warn).not.toHaveBeenCalled();
  });
});
