import {
  ModelPackageSummary,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import type {
  ApprovalResult,
  ModelVersion,
  ModelVersionsPage,
  SectionError,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  ANNOTATION_MODEL_PACKAGE_GROUP_ARN,
  ANNOTATION_REGISTERED_MODEL_NAME,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  awsCall,
  listModelPackages,
  MlflowClient,
  mlflowFilterLiteral,
  MlflowModelVersion,
  MODEL_PACKAGE_TAG,
  SageMakerArn,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import {
  mlflowModelUrl,
  mlflowRunUrl,
  modelPackageConsoleUrl,
} from './consoleUrls';
import { EntityContext, required } from './EntityContext';
import { experimentIdOf } from './experiments';
import { settle } from './sections';
import type { ServiceDeps } from './types';

const VERSION = /^[1-9]\d{0,9}$/;
const MAX_PAGE_SIZE = 200;

const quote = mlflowFilterLiteral;

/** The MLflow versions of one entity's registered model, joined with their SageMaker model packages. */
export class ModelVersions {
  constructor(private readonly deps: ServiceDeps) {}

  /** The annotated registered model, once `binding.requireForReads` (when set) has let the caller read it. */
  private async readableModel(ctx: EntityContext) {
    const model = this.mlflow(ctx);
    await this.deps.bindings.requireForRead(ctx, {
      kind: 'registered-model',
      name: model.modelName,
    });
    return model;
  }

  /** The annotated model package group's binding; none when no group is annotated. */
  private groupBinding(ctx: EntityContext) {
    const group = ctx.binding.modelPackageGroup;
    return group.state === 'bound'
      ? this.deps.bindings.read(ctx, {
          kind: 'model-package-group',
          arn: group.value,
        })
      : undefined;
  }

  private mlflow(ctx: EntityContext): {
    client: MlflowClient;
    modelName: string;
  } {
    const modelName = required(
      ctx.binding.registeredModelName,
      ANNOTATION_REGISTERED_MODEL_NAME,
    );
    return {
      client: this.deps.mlflow.forServer(ctx.binding.trackingServer),
      modelName,
    };
  }

  async list(
    ctx: EntityContext,
    pageSize: number,
    pageToken?: string,
  ): Promise<ModelVersionsPage> {
    const { client, modelName } = await this.readableModel(ctx);
    const size = Math.min(Math.max(pageSize, 1), MAX_PAGE_SIZE);
    return this.deps.cache.getPage(
      ctx.entityRef,
      `versions:${ctx.binding.trackingServer}:${modelName}:${size}:${
        pageToken ?? ''
      }`,
      pageToken,
      async () => {
        // The MLflow side and the SageMaker join run side by side: a slow SageMaker never delays the versions.
        const fromMlflow = async () => {
          const [page, model, experimentIds] = await Promise.all([
            client
              .searchModelVersions({
                filter: `name=${quote(modelName)}`,
                orderBy: ['version_number DESC'],
                maxResults: size,
                pageToken,
              })
              .catch(error => {
                // MLflow's own token is passed through; one it rejects was not a token it gave us.
                if (pageToken && error.upstreamStatus === 400) {
                  throw new InputError(
                    'pageToken is not a token this API returned',
                  );
                }
                throw error;
              }),
            // Version search results do not carry aliases; the registered model lists them.
            client.getRegisteredModel(modelName),
            this.experimentIds(ctx),
          ]);
          const metrics = await this.runMetrics(
            client,
            page.items,
            experimentIds,
          );
          return { page, model, metrics };
        };
        const [{ page, model, metrics }, packages, groupBinding] =
          await Promise.all([
            fromMlflow(),
            settle(() => this.packagesByArn(ctx), this.deps.logger),
            this.groupBinding(ctx),
          ]);
        const aliases = aliasesByVersion(model.aliases);
        return {
          modelName,
          modelUrl: mlflowModelUrl(client.server.uiUrl, modelName),
          aliases: Object.fromEntries(
            (model.aliases ?? []).map(a => [a.alias, a.version]),
          ),
          items: page.items.map(v =>
            this.toVersion(
              ctx,
              client,
              { ...v, aliases: aliases.get(v.version) ?? v.aliases },
              metrics,
              packages.data,
            ),
          ),
          nextPageToken: page.nextPageToken,
          ...(packages.error && ctx.binding.modelPackageGroup.state !== 'absent'
            ? { sagemakerError: packages.error as SectionError }
            : {}),
          bindings: [
            this.deps.bindings.fromMlflowTags(ctx, modelName, model.tags),
            ...(groupBinding ? [groupBinding] : []),
          ],
        };
      },
    );
  }

  /** The version with this alias (e.g. champion), or the newest when alias is undefined; null when none. */
  async one(ctx: EntityContext, alias?: string): Promise<ModelVersion | null> {
    const { client, modelName } = await this.readableModel(ctx);
    return this.deps.cache.get(
      ctx.entityRef,
      `version:${ctx.binding.trackingServer}:${modelName}:${alias ?? 'latest'}`,
      async () => {
        let version: MlflowModelVersion | undefined;
        const experimentIds = this.experimentIds(ctx);
        if (alias) {
          version = await client
            .getModelVersionByAlias(modelName, alias)
            .catch(error => {
              if (error.name === 'NotFoundError') return undefined;
              throw error;
            });
        } else {
          [version] = (
            await client.searchModelVersions({
              filter: `name=${quote(modelName)}`,
              orderBy: ['version_number DESC'],
              maxResults: 1,
            })
          ).items;
        }
        if (!version) return null;
        const metrics = await this.runMetrics(
          client,
          [version],
          await experimentIds,
        );
        return this.toVersion(ctx, client, version, metrics, undefined);
      },
    );
  }

  /** The entity's experiment, where its versions' source runs are; none when it names no experiment. */
  private async experimentIds(ctx: EntityContext): Promise<string[]> {
    if (ctx.binding.experimentName.state !== 'bound') return [];
    const id = await experimentIdOf(this.deps, ctx).catch(() => undefined);
    return id ? [id] : [];
  }

  /** Metrics of the versions' source runs with one filtered search, not one call per version. */
  private async runMetrics(
    client: MlflowClient,
    versions: MlflowModelVersion[],
    experimentIds: string[],
  ) {
    const runIds = [
      ...new Set(
        versions.map(v => v.run_id).filter((id): id is string => Boolean(id)),
      ),
    ];
    const byRun = new Map<
      string,
      { experimentId: string; metrics: Record<string, number> }
    >();
    if (runIds.length === 0 || experimentIds.length === 0) return byRun;
    const runs = await client.searchRuns({
      experimentIds,
      filter: `attributes.run_id IN (${runIds.map(quote).join(', ')})`,
      maxResults: runIds.length,
    });
    for (const run of runs.items) {
      byRun.set(run.info.run_id, {
        experimentId: run.info.experiment_id,
        metrics: Object.fromEntries(
          (run.data.metrics ?? []).map(m => [m.key, m.value]),
        ),
      });
    }
    return byRun;
  }

  private async packagesByArn(
    ctx: EntityContext,
  ): Promise<Map<string, ModelPackageSummary>> {
    const group = required(
      ctx.binding.modelPackageGroup,
      ANNOTATION_MODEL_PACKAGE_GROUP_ARN,
    );
    await this.deps.bindings.requireForRead(ctx, {
      kind: 'model-package-group',
      arn: group,
    });
    return listModelPackages(await this.deps.sagemaker.sagemaker(group), group);
  }

  private toVersion(
    ctx: EntityContext,
    client: MlflowClient,
    v: MlflowModelVersion,
    runs: Map<
      string,
      { experimentId: string; metrics: Record<string, number> }
    >,
    packages: Map<string, ModelPackageSummary> | undefined,
  ): ModelVersion {
    const tags = Object.fromEntries((v.tags ?? []).map(t => [t.key, t.value]));
    const run = v.run_id ? runs.get(v.run_id) : undefined;
    const packageArn = tags[MODEL_PACKAGE_TAG];
    const pkg = packageArn ? packages?.get(packageArn) : undefined;
    const group =
      ctx.binding.modelPackageGroup.state === 'bound'
        ? ctx.binding.modelPackageGroup.value
        : undefined;
    return {
      version: v.version,
      status: v.status,
      description: v.description || undefined,
      createdAt: v.creation_timestamp
        ? new Date(v.creation_timestamp).toISOString()
        : undefined,
      aliases: v.aliases ?? [],
      tags,
      runId: v.run_id || undefined,
      runUrl:
        v.run_id && run
          ? mlflowRunUrl(client.server.uiUrl, run.experimentId, v.run_id)
          : undefined,
      metrics: run?.metrics ?? {},
      ...(pkg && group
        ? {
            modelPackage: {
              arn: pkg.ModelPackageArn!,
              approvalStatus: pkg.ModelApprovalStatus ?? 'Unknown',
              version: pkg.ModelPackageVersion,
              consoleUrl: modelPackageConsoleUrl(
                group,
                pkg.ModelPackageVersion,
              ),
            },
          }
        : {}),
    };
  }

  /** Approves or rejects the SageMaker model package of one of the entity's MLflow versions. */
  async setApproval(
    ctx: EntityContext,
    version: string,
    status: 'Approved' | 'Rejected',
    comment?: string,
  ): Promise<ApprovalResult> {
    if (!VERSION.test(version))
      throw new InputError(`'${version}' is not a model version number`);
    const { client, modelName } = this.mlflow(ctx);
    const group = required(
      ctx.binding.modelPackageGroup,
      ANNOTATION_MODEL_PACKAGE_GROUP_ARN,
    );
    // An approval is a governance decision: both the MLflow model and the SageMaker group must name this entity
    // before anything else is read from them.
    await this.deps.bindings.requireForWrite(
      ctx,
      { kind: 'registered-model', name: modelName },
      { kind: 'model-package-group', arn: group },
    );
    const mv = await client.getModelVersion(modelName, version);
    const packageArn = (mv.tags ?? []).find(
      t => t.key === MODEL_PACKAGE_TAG,
    )?.value;
    if (!packageArn) {
      throw new ConflictError(
        `Version ${version} of ${modelName} has no ${MODEL_PACKAGE_TAG} tag: it was not registered in SageMaker`,
      );
    }
    // Only a package of the entity's own group, account and region: a tag cannot point us elsewhere.
    if (!belongsToGroup(packageArn, group)) {
      throw new NotFoundError(
        `Model package ${packageArn} is not in ${group.arn}`,
      );
    }
    const sm = await this.deps.sagemaker.sagemaker(group);
    await awsCall('SageMaker UpdateModelPackage', () =>
      sm.send(
        new UpdateModelPackageCommand({
          ModelPackageArn: packageArn,
          ModelApprovalStatus: status,
          ApprovalDescription: comment,
        }),
      ),
    );
    await this.deps.cache.invalidate(ctx.entityRef);
    return { version, modelPackageArn: packageArn, approvalStatus: status };
  }
}

function aliasesByVersion(
  aliases: Array<{ alias: string; version: string }> = [],
) {
  const byVersion = new Map<string, string[]>();
  for (const { alias, version } of aliases)
    byVersion.set(version, [...(byVersion.get(version) ?? []), alias]);
  return byVersion;
}

function belongsToGroup(packageArn: string, group: SageMakerArn): boolean {
  const prefix = `arn:${group.partition}:sagemaker:${group.region}:${group.accountId}:model-package/${group.resourceName}/`;
  return (
    packageArn.startsWith(prefix) &&
    /^\d+$/.test(packageArn.slice(prefix.length))
  );
}
