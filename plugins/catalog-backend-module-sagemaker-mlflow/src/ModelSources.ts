import {
  ListModelPackageGroupsCommand,
  ListModelPackagesCommand,
  ListTagsCommand,
  ModelPackageSummary,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { AuthService } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  awsCall,
  mlflowBindingTags,
  MlflowClient,
  sagemakerBindingTags,
  SageMakerClients,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import pLimit from 'p-limit';
import {
  claimedEntityRef,
  mlflowModelEntity,
  namesMlflowModel,
  namesModelPackageGroup,
  ownershipOf,
  sagemakerModelEntity,
} from './modelEntity';

/** One place models come from: its pages of entities, read one page at a time. */
export interface ModelSource {
  /** Identifies the source across runs (a failed source keeps its entities, see the provider). */
  id: string;
  pages(): AsyncGenerator<Entity[]>;
}

/**
 * The components that binding tags claim, read from the catalog once per page of models (one batched call, not
 * one per model) and remembered for the run.
 */
export class ComponentLookup {
  private readonly known = new Map<string, Entity | undefined>();

  constructor(
    private readonly catalog: CatalogService,
    private readonly auth: AuthService,
  ) {}

  async load(refs: Array<string | undefined>): Promise<void> {
    const missing = [
      ...new Set(refs.filter((r): r is string => !!r && !this.known.has(r))),
    ];
    if (missing.length === 0) return;
    const credentials = await this.auth.getOwnServiceCredentials();
    const { items } = await this.catalog.getEntitiesByRefs(
      { entityRefs: missing },
      { credentials },
    );
    missing.forEach((ref, i) => this.known.set(ref, items[i]));
  }

  get(ref: string | undefined): Entity | undefined {
    return ref ? this.known.get(ref) : undefined;
  }
}

/** Every registered model of one MLflow tracking server, a search page at a time. */
export function mlflowSource(options: {
  server: { name: string; uiUrl: string };
  client: MlflowClient;
  components: ComponentLookup;
  defaultOwner: string;
  pageSize: number;
}): ModelSource {
  const { server, client, components } = options;
  return {
    id: `mlflow:${server.name}`,
    async *pages() {
      let pageToken: string | undefined;
      do {
        const page = await client.searchRegisteredModels({
          maxResults: options.pageSize,
          pageToken,
        });
        const claims = page.items.map(m =>
          claimedEntityRef(mlflowBindingTags(m.tags)),
        );
        await components.load(claims);
        yield page.items.map((model, i) =>
          mlflowModelEntity({
            server,
            model,
            ownership: ownershipOf(
              mlflowBindingTags(model.tags),
              components.get(claims[i]),
              namesMlflowModel(server.name, model.name),
            ),
            defaultOwner: options.defaultOwner,
          }),
        );
        pageToken = page.nextPageToken;
      } while (pageToken);
    },
  };
}

// SageMaker calls per group run this many at a time: three per group, well under the API's rate limits.
const GROUP_CONCURRENCY = 8;

/** The newest package of a group, optionally only among Approved ones (one call: sorted, one result). */
async function newestPackage(
  sagemaker: SageMakerClient,
  group: string,
  approvedOnly: boolean,
): Promise<ModelPackageSummary | undefined> {
  const res = await awsCall('SageMaker ListModelPackages', () =>
    sagemaker.send(
      new ListModelPackagesCommand({
        ModelPackageGroupName: group,
        SortBy: 'CreationTime',
        SortOrder: 'Descending',
        MaxResults: 1,
        ...(approvedOnly ? { ModelApprovalStatus: 'Approved' } : {}),
      }),
    ),
  );
  return res.ModelPackageSummaryList?.[0];
}

/** Every model package group of one account and region, a page of 100 at a time. */
export function sagemakerSource(options: {
  accountId: string;
  region: string;
  clients: SageMakerClients;
  components: ComponentLookup;
  defaultOwner: string;
}): ModelSource {
  const { accountId, region, components } = options;
  return {
    id: `sagemaker:${accountId}:${region}`,
    async *pages() {
      // The clients are per account and region, chosen by an ARN: any ARN of that account and region will do.
      const sagemaker = await options.clients.sagemaker({
        arn: `arn:aws:sagemaker:${region}:${accountId}:model-package-group/*`,
        partition: 'aws',
        region,
        accountId,
        resourceType: 'model-package-group',
        resourceName: '*',
      });
      const limit = pLimit(GROUP_CONCURRENCY);
      let nextToken: string | undefined;
      do {
        const request = new ListModelPackageGroupsCommand({
          MaxResults: 100,
          NextToken: nextToken,
        });
        const page = await awsCall('SageMaker ListModelPackageGroups', () =>
          sagemaker.send(request),
        );
        const groups = await Promise.all(
          (page.ModelPackageGroupSummaryList ?? []).map(g =>
            Promise.all([
              limit(() =>
                awsCall('SageMaker ListTags', () =>
                  sagemaker.send(
                    new ListTagsCommand({
                      ResourceArn: g.ModelPackageGroupArn,
                    }),
                  ),
                ),
              ),
              limit(() =>
                newestPackage(sagemaker, g.ModelPackageGroupName!, false),
              ),
              limit(() =>
                newestPackage(sagemaker, g.ModelPackageGroupName!, true),
              ),
            ]).then(([tags, latest, approved]) => ({
              group: g,
              tags: tags.Tags ?? [],
              latest,
              approved,
            })),
          ),
        );
        const claims = groups.map(g =>
          claimedEntityRef(sagemakerBindingTags(g.tags)),
        );
        await components.load(claims);
        yield groups.map(({ group, tags, latest, approved }, i) =>
          sagemakerModelEntity({
            accountId,
            region,
            group: {
              arn: group.ModelPackageGroupArn!,
              name: group.ModelPackageGroupName!,
              description: group.ModelPackageGroupDescription,
              tags,
            },
            latestVersion: latest?.ModelPackageVersion,
            approvedVersion: approved?.ModelPackageVersion,
            ownership: ownershipOf(
              sagemakerBindingTags(tags),
              components.get(claims[i]),
              namesModelPackageGroup(group.ModelPackageGroupArn!),
            ),
            defaultOwner: options.defaultOwner,
          }),
        );
        nextToken = page.NextToken;
      } while (nextToken);
    },
  };
}
