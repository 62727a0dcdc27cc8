import { parseSageMakerArn } from '@model-factory/plugin-sagemaker-mlflow-node';
import { toExecution } from './executionMapping';

const pipeline = parseSageMakerArn(
  'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn',
  'pipeline',
);
const summary = {
  PipelineExecutionArn: `${pipeline.arn}/execution/abc123`,
  StartTime: new Date('2026-11-26T10:00:00Z'),
  LastModifiedTime: '2026-11-26T10:12:30.000Z',
};

describe('toExecution', () => {
  it('names who started an execution: the Studio user, else the IAM session without its ARN prefix', () => {
    expect(
      toExecution(pipeline, {
        ...summary,
        CreatedBy: {
          UserProfileName: 'ana',
          IamIdentity: { Arn: 'arn:aws:sts::123456789012:assumed-role/x/y' },
        },
      }).startedBy,
    ).toBe('ana');
    expect(
      toExecution(pipeline, {
        ...summary,
        CreatedBy: {
          IamIdentity: {
            Arn: 'arn:aws:sts::123456789012:assumed-role/model-factory-ci/codebuild-42',
          },
        },
      }).startedBy,
    ).toBe('assumed-role/model-factory-ci/codebuild-42');
    expect(toExecution(pipeline, { ...summary, CreatedBy: {} }).startedBy).toBe(
      undefined,
    );
  });

  it('gives a duration only once the execution has ended', () => {
    const ended = toExecution(pipeline, {
      ...summary,
      PipelineExecutionStatus: 'Failed',
    });
    expect(ended.durationMs).toBe(750_000);
    const running = toExecution(pipeline, {
      ...summary,
      PipelineExecutionStatus: 'Executing',
    });
    expect(running.durationMs).toBeUndefined();
  });
});
