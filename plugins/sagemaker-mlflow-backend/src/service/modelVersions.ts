import { UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import type {
  ApprovalResult,
  ModelVersion,
  ModelVersionsPage,
  SageMakerOnlyVersionsPage,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  ANNOTATION_MODEL_PACKAGE_GROUP_ARN,
  ANNOTATION_REGISTERED_MODEL_NAME,
  TAG_MODEL_PACKAGE_ARN,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  aliasesByVersion,
  awsCall,
  championOf,
  MlflowClient,
  MlflowModelVersion,
  SourceRun,
  sourceRunsOf,
  stageOf,
  tagsOf,
  versionsOf,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import { mlflowModelUrl, mlflowRunUrl } from './consoleUrls';
import { EntityContext, required } from './EntityContext';
import { experimentIdOf } from './experiments';
import { belongsToGroup, packagesOfVersions } from './modelPackages';
import { sageMakerOnlyPage } from './sagemakerOnlyVersions';
import { mayCache, settle } from './sections';
import { checkVersion } from './modelVersionAccess';
import type { ServiceDeps } from './types';

const MAX_PAGE_SIZE = 200;
const SOURCE_RUN_TTL_MS = 3600_000;

/**
 * The MLflow versions of one entity's registered model, and the SageMaker model packages registered for them: two
 * sections, each from its own upstream.
 */
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
    const { logger } = this.deps;
    // Versions shown without their runs' metrics (the experiment could not be looked up) are served, not kept.
    let whole = true;
    return this.deps.cache.getPage(
      ctx.entityRef,
      `versions:${ctx.binding.trackingServer}:${modelName}:${size}:${
        pageToken ?? ''
      }`,
      pageToken,
      async () => {
        const search = client
          .searchModelVersions({
            filter: versionsOf(modelName),
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
          });
        // The SageMaker side looks up only the packages of the page's versions, as soon as the versions are known,
        // beside the rest of the MLflow side (runs, aliases). Without versions there is nothing to join.
        const [mlflow, packages, groupBinding] = await Promise.all([
          settle(async () => {
            const [page, model, experiments] = await Promise.all([
              search,
              client.getRegisteredModel(modelName),
              this.experimentIds(ctx),
            ]);
            const runs = await this.sourceRuns(
              ctx,
              client,
              page.items,
              experiments.ids,
            );
            whole = experiments.whole;
            const aliases = aliasesByVersion(model.aliases);
            const champion = championOf(model);
            return {
              model,
              champion,
              items: page.items.map(v =>
                this.toVersion(
                  client,
                  { ...v, aliases: aliases.get(v.version) ?? v.aliases },
                  runs,
                ),
              ),
              aliases: Object.fromEntries(
                (model.aliases ?? []).map(a => [a.alias, a.version]),
              ),
              ...(page.nextPageToken
                ? { nextPageToken: page.nextPageToken }
                : {}),
            };
          }, logger),
          settle(
            () =>
              packagesOfVersions(
                this.deps,
                ctx,
                search.then(
                  page => page.items,
                  () => [],
                ),
              ),
            logger,
          ),
          this.groupBinding(ctx),
        ]);
        // A page token MLflow refused is the caller's mistake, not a section's failure.
        if (mlflow.error?.code === 'invalid-request') {
          throw new InputError(mlflow.error.message);
        }
        const model = mlflow.data?.model;
        const versions: ModelVersionsPage['versions'] = mlflow.data
          ? {
              data: {
                items: mlflow.data.items,
                aliases: mlflow.data.aliases,
                ...(mlflow.data.champion
                  ? { champion: mlflow.data.champion }
                  : {}),
                ...(mlflow.data.nextPageToken
                  ? { nextPageToken: mlflow.data.nextPageToken }
                  : {}),
              },
            }
          : { error: mlflow.error! };
        const modelBinding = model
          ? this.deps.bindings.fromMlflowTags(ctx, modelName, model.tags)
          : await this.deps.bindings.read(ctx, {
              kind: 'registered-model',
              name: modelName,
            });
        return {
          page: {
            modelName,
            modelUrl: mlflowModelUrl(client.server.uiUrl, modelName),
            versions,
            modelPackages: packages,
            bindings: [modelBinding, ...(groupBinding ? [groupBinding] : [])],
          },
          nextPageToken: mlflow.data?.nextPageToken,
        };
      },
      p =>
        whole &&
        mayCache(p.versions, p.modelPackages) &&
        p.bindings.every(b => b.state !== 'unknown'),
    );
  }

  /** One page of the group's packages that match no MLflow version (see sageMakerOnlyPage). */
  sageMakerOnly(
    ctx: EntityContext,
    pageSize: number,
    pageToken?: string,
  ): Promise<SageMakerOnlyVersionsPage> {
    return sageMakerOnlyPage(this.deps, ctx, pageSize, pageToken);
  }

  /**
   * The version with this number (e.g. the champion the versions page resolved, by alias or by stage), or the newest
   * when number is undefined; null when none.
   */
  async one(ctx: EntityContext, number?: string): Promise<ModelVersion | null> {
    const { client, modelName } = await this.readableModel(ctx);
    let whole = true;
    return this.deps.cache.get(
      ctx.entityRef,
      `version:${ctx.binding.trackingServer}:${modelName}:${
        number ?? 'latest'
      }`,
      async () => {
        let version: MlflowModelVersion | undefined;
        const experimentIds = this.experimentIds(ctx);
        if (number) {
          version = await client
            .getModelVersion(modelName, number)
            .catch(error => {
              if (error.name === 'NotFoundError') return undefined;
              throw error;
            });
        } else {
          [version] = (
            await client.searchModelVersions({
              filter: versionsOf(modelName),
              orderBy: ['version_number DESC'],
              maxResults: 1,
            })
          ).items;
        }
        if (!version) return null;
        const experiments = await experimentIds;
        whole = experiments.whole;
        const runs = await this.sourceRuns(
          ctx,
          client,
          [version],
          experiments.ids,
        );
        return this.toVersion(client, version, runs);
      },
      { cacheable: () => whole },
    );
  }

  /**
   * The versions' source runs. A finished run's metrics are facts (kept an hour across entities and writes: a
   * version's run never changes, and a finished run is rarely logged to again), so a page whose versions were seen
   * before needs no run search after the version search.
   */
  private async sourceRuns(
    ctx: EntityContext,
    client: MlflowClient,
    versions: MlflowModelVersion[],
    experimentIds: string[],
  ): Promise<Map<string, SourceRun>> {
    const factKey = (runId: string) =>
      `source-run:${ctx.binding.trackingServer}:${runId}`;
    const runIds = versions
      .map(v => v.run_id)
      .filter((id): id is string => Boolean(id));
    const known = await this.deps.cache.knownFacts<SourceRun>(
      runIds.map(factKey),
    );
    const runs = new Map<string, SourceRun>();
    for (const id of runIds) {
      const run = known.get(factKey(id));
      // Only a run in the entity's own experiment, as the search would find it: a version's run id is its claim.
      if (run && experimentIds.includes(run.experimentId)) runs.set(id, run);
    }
    const unknown = versions.filter(v => v.run_id && !runs.has(v.run_id));
    const found = await sourceRunsOf(client, unknown, experimentIds);
    for (const [id, run] of found) {
      runs.set(id, run);
      if (run.finished)
        await this.deps.cache.recordFact(factKey(id), run, SOURCE_RUN_TTL_MS);
    }
    return runs;
  }

  /**
   * The entity's experiment, where its versions' source runs are; none when it names no experiment, or when it
   * could not be looked up (then the versions are shown without metrics, and `whole` is false: not kept).
   */
  private async experimentIds(
    ctx: EntityContext,
  ): Promise<{ ids: string[]; whole: boolean }> {
    if (ctx.binding.experimentName.state !== 'bound')
      return { ids: [], whole: true };
    const id = await experimentIdOf(this.deps, ctx).catch(() => undefined);
    return id ? { ids: [id], whole: true } : { ids: [], whole: false };
  }

  private toVersion(
    client: MlflowClient,
    v: MlflowModelVersion,
    runs: Map<string, SourceRun>,
  ): ModelVersion {
    const run = v.run_id ? runs.get(v.run_id) : undefined;
    return {
      version: v.version,
      status: v.status,
      description: v.description || undefined,
      createdAt: v.creation_timestamp
        ? new Date(v.creation_timestamp).toISOString()
        : undefined,
      aliases: v.aliases ?? [],
      currentStage: stageOf(v),
      tags: tagsOf(v.tags),
      runId: v.run_id || undefined,
      runUrl:
        v.run_id && run
          ? mlflowRunUrl(client.server.uiUrl, run.experimentId, v.run_id)
          : undefined,
      metrics: run?.metrics ?? {},
    };
  }

  /** Approves or rejects the SageMaker model package of one of the entity's MLflow versions. */
  async setApproval(
    ctx: EntityContext,
    version: string,
    status: 'Approved' | 'Rejected',
    comment?: string,
  ): Promise<ApprovalResult> {
    checkVersion(version);
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
      t => t.key === TAG_MODEL_PACKAGE_ARN,
    )?.value;
    if (!packageArn) {
      throw new ConflictError(
        `Version ${version} of ${modelName} has no ${TAG_MODEL_PACKAGE_ARN} tag: it was not registered in SageMaker`,
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
