import {
  ListModelPackagesCommand,
  ModelPackageSummary,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { SageMakerArn } from '../arn';
import { awsCall } from './awsErrors';

/** Every model package of one group, by ARN: one call per page of 100. */
export async function listModelPackages(
  sagemaker: SageMakerClient,
  group: SageMakerArn,
): Promise<Map<string, ModelPackageSummary>> {
  const packages = new Map<string, ModelPackageSummary>();
  let nextToken: string | undefined;
  do {
    const request = new ListModelPackagesCommand({
      ModelPackageGroupName: group.resourceName,
      MaxResults: 100,
      NextToken: nextToken,
    });
    const res = await awsCall('SageMaker ListModelPackages', () =>
      sagemaker.send(request),
    );
    for (const p of res.ModelPackageSummaryList ?? [])
      packages.set(p.ModelPackageArn!, p);
    nextToken = res.NextToken;
  } while (nextToken);
  return packages;
}
