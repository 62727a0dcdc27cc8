import { InputError } from '@backstage/errors';

/** The parts of a SageMaker resource ARN: account and region select credentials, name selects the resource. */
export interface SageMakerArn {
  arn: string;
  partition: string;
  region: string;
  accountId: string;
  resourceType: string;
  resourceName: string;
}

// arn:<partition>:sagemaker:<region>:<12-digit account>:<type>/<name>
const SAGEMAKER_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):sagemaker:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):([a-z-]+)\/([A-Za-z0-9][A-Za-z0-9-]{0,62})$/;

/** Parses a SageMaker ARN of the expected resource type, or throws an InputError that says what is wrong. */
export function parseSageMakerArn(
  arn: string,
  expectedType: string,
): SageMakerArn {
  const match = SAGEMAKER_ARN.exec(arn.trim());
  if (!match) {
    throw new InputError(
      `'${arn}' is not a SageMaker ARN (expected arn:aws:sagemaker:<region>:<account>:${expectedType}/<name>)`,
    );
  }
  const [, partition, region, accountId, resourceType, resourceName] = match;
  if (resourceType !== expectedType) {
    throw new InputError(
      `'${arn}' names a ${resourceType}, expected a ${expectedType}`,
    );
  }
  return {
    arn: arn.trim(),
    partition,
    region,
    accountId,
    resourceType,
    resourceName,
  };
}
