import {
  DescribeModelPackageCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { ModelPackageRef } from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  ANNOTATION_MODEL_PACKAGE_GROUP_ARN,
  TAG_MODEL_PACKAGE_ARN,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  awsCall,
  MlflowModelVersion,
  SageMakerArn,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import pLimit from 'p-limit';
import { modelPackageConsoleUrl } from './consoleUrls';
import { EntityContext, required } from './EntityContext';
import type { ServiceDeps } from './types';

/** Packages described at once: a page of 20 versions is two rounds. */
export const DESCRIBE_CONCURRENCY = 10;

/** Whether an ARN is a package of the entity's own group, account and region: a tag cannot point us elsewhere. */
export function belongsToGroup(
  packageArn: string,
  group: SageMakerArn,
): boolean {
  const prefix = `arn:${group.partition}:sagemaker:${group.region}:${group.accountId}:model-package/${group.resourceName}/`;
  return (
    packageArn.startsWith(prefix) &&
    /^\d+$/.test(packageArn.slice(prefix.length))
  );
}

/**
 * The entity's model package group, once `binding.requireForReads` (when set) has let the caller read it; undefined
 * when the entity names none.
 */
export async function readableGroup(
  deps: ServiceDeps,
  ctx: EntityContext,
): Promise<SageMakerArn | undefined> {
  if (ctx.binding.modelPackageGroup.state === 'absent') return undefined;
  const group = required(
    ctx.binding.modelPackageGroup,
    ANNOTATION_MODEL_PACKAGE_GROUP_ARN,
  );
  await deps.bindings.requireForRead(ctx, {
    kind: 'model-package-group',
    arn: group,
  });
  return group;
}

/**
 * The package each of these versions names in the entity's group (its TAG_MODEL_PACKAGE_ARN tag), by version
 * number, once the versions are known (the group's binding is checked meanwhile): one DescribeModelPackage per
 * package, a few at a time, never a listing of the whole group. A package
 * is the entity's answer for the cache's TTL (approval changes it; an approval here retires it), and one that no
 * longer exists is no package.
 */
export async function packagesOfVersions(
  deps: ServiceDeps,
  ctx: EntityContext,
  versions: Promise<MlflowModelVersion[]>,
): Promise<Record<string, ModelPackageRef>> {
  const [group, shown] = await Promise.all([
    readableGroup(deps, ctx),
    versions,
  ]);
  const byVersion: Record<string, ModelPackageRef> = {};
  if (!group) return byVersion;
  const named = shown.flatMap(v => {
    const arn = v.tags?.find(t => t.key === TAG_MODEL_PACKAGE_ARN)?.value;
    return arn && belongsToGroup(arn, group)
      ? [{ version: v.version, arn }]
      : [];
  });
  // Even with nothing to look up: an account the portal has no credentials for is this section's error.
  const client = await deps.sagemaker.sagemaker(group);
  if (named.length === 0) return byVersion;
  const limit = pLimit(DESCRIBE_CONCURRENCY);
  await Promise.all(
    named.map(async ({ version, arn }) => {
      const pkg = await limit(() =>
        deps.cache.get(ctx.entityRef, `model-package:${arn}`, () =>
          describePackage(client, group, arn),
        ),
      );
      if (pkg) byVersion[version] = pkg;
    }),
  );
  return byVersion;
}

/** One package as a version shows it; null when it does not exist (deleted since the version was tagged). */
async function describePackage(
  client: SageMakerClient,
  group: SageMakerArn,
  arn: string,
): Promise<ModelPackageRef | null> {
  try {
    const pkg = await awsCall('SageMaker DescribeModelPackage', () =>
      client.send(new DescribeModelPackageCommand({ ModelPackageName: arn })),
    );
    return {
      arn: pkg.ModelPackageArn ?? arn,
      approvalStatus: pkg.ModelApprovalStatus ?? 'Unknown',
      version: pkg.ModelPackageVersion,
      consoleUrl: modelPackageConsoleUrl(group, pkg.ModelPackageVersion),
    };
  } catch (error) {
    if ((error as Error).name === 'NotFoundError') return null;
    throw error;
  }
}
