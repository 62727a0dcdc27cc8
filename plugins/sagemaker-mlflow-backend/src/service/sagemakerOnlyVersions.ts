import {
  DescribeModelPackageCommand,
  ListModelPackagesCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { SageMakerOnlyVersionsPage } from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  META_MODEL_VERSION,
  META_REGISTERED_MODEL_NAME,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import { awsCall } from '@model-factory/plugin-sagemaker-mlflow-node';
import pLimit from 'p-limit';
import { modelPackageConsoleUrl } from './consoleUrls';
import type { EntityContext } from './EntityContext';
import { DESCRIBE_CONCURRENCY, readableGroup } from './modelPackages';
import {
  canonicalPageToken,
  decodePageToken,
  pageOf,
  withUpstreamToken,
} from './pageToken';
import type { ServiceDeps } from './types';

/** ListModelPackages' own maximum: a page of the group's packages is one call. */
const MAX_PAGE_SIZE = 100;
/**
 * A package's MLflow metadata is written when it is registered and almost never changed after: kept as a fact, so
 * a page seen before lists again with one call and describes nothing. Not longer, for the rare update.
 */
const METADATA_TTL_MS = 15 * 60_000;

/** The MLflow version a package's customer metadata names, as the template's registration step writes it. */
interface PackageMetadata {
  model?: string;
  version?: string;
}

/**
 * One page of the entity's model package group, newest first, and those of its packages that match no MLflow
 * version of the entity's model (a package matches when its metadata names that model and a version): the
 * packages another pipeline registered. Bounded for groups of any size: one ListModelPackages page per request,
 * each package of it described once (then its metadata is a fact), a few at a time. A page may hold none and
 * still have a next one; `scanned` says how many packages it looked at.
 */
export async function sageMakerOnlyPage(
  deps: ServiceDeps,
  ctx: EntityContext,
  pageSize: number,
  pageToken?: string,
): Promise<SageMakerOnlyVersionsPage> {
  const page = decodePageToken(pageToken);
  const group = await readableGroup(deps, ctx);
  if (!group) return { items: [], scanned: 0 };
  const size = Math.min(Math.max(pageSize, 1), MAX_PAGE_SIZE);
  const model = ctx.binding.registeredModelName;
  const modelName = model.state === 'bound' ? model.value : undefined;
  return deps.cache.getPage(
    ctx.entityRef,
    `sagemaker-only:${group.arn}:${
      modelName ?? ''
    }:${size}:${canonicalPageToken(page)}`,
    pageToken,
    async () => {
      const client = await deps.sagemaker.sagemaker(group);
      const res = await withUpstreamToken(page, () =>
        awsCall('SageMaker ListModelPackages', () =>
          client.send(
            new ListModelPackagesCommand({
              ModelPackageGroupName: group.resourceName,
              SortBy: 'CreationTime',
              SortOrder: 'Descending',
              MaxResults: size,
              NextToken: page.upstream,
            }),
          ),
        ),
      );
      const { items: summaries, nextPageToken } = pageOf(
        res.ModelPackageSummaryList ?? [],
        page,
        size,
        res.NextToken,
      );
      const metadata = await metadataOf(
        deps,
        client,
        summaries.map(s => s.ModelPackageArn!),
      );
      const items = summaries
        .filter(s => {
          const meta = metadata.get(s.ModelPackageArn!);
          return !(modelName && meta?.model === modelName && meta.version);
        })
        .map(s => ({
          arn: s.ModelPackageArn!,
          approvalStatus: s.ModelApprovalStatus ?? 'Unknown',
          version: s.ModelPackageVersion,
          createdAt: s.CreationTime?.toISOString(),
          description: s.ModelPackageDescription || undefined,
          consoleUrl: modelPackageConsoleUrl(group, s.ModelPackageVersion),
        }));
      return {
        page: {
          items,
          scanned: summaries.length,
          ...(nextPageToken ? { nextPageToken } : {}),
        },
        nextPageToken,
      };
    },
  );
}

/** Each package's MLflow metadata: known facts first, the rest described a few at a time (and then known). */
async function metadataOf(
  deps: ServiceDeps,
  client: SageMakerClient,
  arns: string[],
): Promise<Map<string, PackageMetadata>> {
  const key = (arn: string) => `model-package-metadata:${arn}`;
  const known = await deps.cache.knownFacts<PackageMetadata>(arns.map(key));
  const metadata = new Map<string, PackageMetadata>();
  const limit = pLimit(DESCRIBE_CONCURRENCY);
  await Promise.all(
    arns.map(async arn => {
      let meta = known.get(key(arn));
      if (!meta) {
        const described = await limit(() =>
          awsCall('SageMaker DescribeModelPackage', () =>
            client.send(
              new DescribeModelPackageCommand({ ModelPackageName: arn }),
            ),
          ),
        );
        const properties = described.CustomerMetadataProperties ?? {};
        meta = {
          model: properties[META_REGISTERED_MODEL_NAME],
          version: properties[META_MODEL_VERSION],
        };
        await deps.cache.recordFact(key(arn), meta, METADATA_TTL_MS);
      }
      metadata.set(arn, meta);
    }),
  );
  return metadata;
}
