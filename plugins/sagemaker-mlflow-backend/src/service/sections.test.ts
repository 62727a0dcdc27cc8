import { NotFoundError } from '@backstage/errors';
import {
  UpstreamError,
  withLoggedDetail,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import { mockServices } from '@backstage/backend-test-utils';
import { settle } from './sections';

describe('settle', () => {
  it('shows an upstream failure by name and message, and logs it whole with its cause', async () => {
    const logger = mockServices.logger.mock();
    const failure = withLoggedDetail(
      new UpstreamError('SageMaker ListTags', "the portal's AWS role may not"),
      { name: 'AccessDeniedException', message: 'User: arn:aws:sts::1:role/R' },
    );
    const section = await settle(() => Promise.reject(failure), logger);
    expect(section).toEqual({
      error: {
        name: 'UpstreamError',
        message: "SageMaker ListTags: the portal's AWS role may not",
      },
    });
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
    expect(section.error?.name).toBe('NotFoundError');
    expect(logger.warn).not.toHaveBeenCalled();
  });
});
