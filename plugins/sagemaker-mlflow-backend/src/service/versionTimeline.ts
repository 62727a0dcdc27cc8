import {
  DescribeEndpointCommand,
  DescribeEndpointCommandOutput,
  DescribeModelPackageCommand,
  DescribeModelPackageCommandOutput,
  ListTagsCommand,
  UserContext,
} from '@aws-sdk/client-sagemaker';
import type { Entity } from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import type {
  Section,
  TimelineDetail,
  TimelineStage,
  TimelineStageStatus,
  VersionTimeline,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  ANNOTATION_ENDPOINT_ARNS,
  META_MODEL_VERSION,
  META_REGISTERED_MODEL_NAME,
  TAG_CI_BUILD_URL,
  TAG_GIT_SHA,
  TAG_MODEL_PACKAGE_ARN,
  TAG_PIPELINE_EXECUTION_ARN,
  TAG_VALIDATION_PREFIX,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  awsCall,
  Bound,
  MlflowArtifact,
  MlflowClient,
  MlflowModelVersion,
  MlflowRun,
  mlflowFilterLiteral,
  SageMakerArn,
  tagsOf,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import pLimit from 'p-limit';
import {
  endpointConsoleUrl,
  mlflowModelUrl,
  mlflowRunUrl,
  modelPackageConsoleUrl,
} from './consoleUrls';
import { EntityContext, required } from './EntityContext';
import { experimentIdOf } from './experiments';
import { belongsToGroup, readableGroup } from './modelPackages';
import type { Pipelines } from './pipelines/Pipelines';
import { mayCache, settle } from './sections';
import { modelForVersionRead } from './modelVersionAccess';
import type { ServiceDeps } from './types';

const EXECUTION_ID = /^[a-z0-9]{1,64}$/;
const COMMIT = /^[0-9a-f]{7,40}$/i;
/** Endpoints described at once: an entity names a few (staging, prod). */
const ENDPOINT_CONCURRENCY = 4;
/** A run's artifacts listed: its top level, which is what a reader scans for. */
const MAX_ARTIFACTS = 50;
/** Parameters and metrics shown per run; a run logging thousands is read in MLflow, which the stage links to. */
const MAX_RUN_VALUES = 50;

/** Each source's own words for a stage's status; anything else is the default where they are used. */
const EXECUTION_STATUS = new Map<string, TimelineStageStatus>([
  ['Succeeded', 'succeeded'],
  ['Executing', 'running'],
  ['Stopping', 'running'],
]);
const RUN_STATUS = new Map<string, TimelineStageStatus>([
  ['FINISHED', 'succeeded'],
  ['RUNNING', 'running'],
  ['SCHEDULED', 'running'],
]);
const APPROVAL_STATUS = new Map<string, TimelineStageStatus>([
  ['Approved', 'succeeded'],
  ['Rejected', 'failed'],
]);
const ENDPOINT_STATUS = new Map<string, TimelineStageStatus>([
  ['InService', 'succeeded'],
  ['Failed', 'failed'],
]);

const iso = (ms?: number | string) =>
  ms === undefined || ms === ''
    ? undefined
    : new Date(Number(ms)).toISOString();

const stage = (
  s: Omit<TimelineStage, 'details'> & { details?: TimelineDetail[] },
): TimelineStage => ({ ...s, details: s.details ?? [] });

/** A stage whose source failed: the rest of the timeline is still shown. */
const unavailable = (
  kind: TimelineStage['kind'],
  title: string,
  error: Section<unknown>['error'],
): TimelineStage =>
  stage({ kind, title, status: 'unavailable', message: error!.message, error });

/** An annotation's part of a cache key: what it names, or its state when it names nothing usable. */
function annotationKey(bound: Bound<unknown>): string {
  if (bound.state !== 'bound') return bound.state;
  const { value } = bound;
  if (Array.isArray(value)) return value.map(v => v.arn).join(',');
  return typeof value === 'string' ? value : (value as SageMakerArn).arn;
}

/** Only an http(s) URL becomes a link: a tag is anyone's to write, and `javascript:` is not a page. */
function httpUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:'
      ? url.toString()
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The entity's repository, from its own annotations (never from a run tag): `github.com/project-slug`, else a
 * `backstage.io/source-location` of a GitHub-like host.
 */
export function repositoryUrl(entity: Entity): string | undefined {
  const annotations = entity.metadata.annotations ?? {};
  const slug = annotations['github.com/project-slug'];
  if (slug && /^[\w.-]+\/[\w.-]+$/.test(slug))
    return `https://github.com/${slug}`;
  const location = annotations['backstage.io/source-location'];
  const url = httpUrl(location?.replace(/^url:/, ''));
  if (!url) return undefined;
  const { origin, pathname } = new URL(url);
  const [owner, repo] = pathname.split('/').filter(Boolean);
  return owner && repo
    ? `${origin}/${owner}/${repo.replace(/\.git$/, '')}`
    : undefined;
}

/** SageMaker keeps who made a change as a Studio user profile or an IAM identity. */
const who = (user?: UserContext) =>
  user?.UserProfileName ?? user?.IamIdentity?.Arn ?? user?.UserProfileArn;

function deploymentStrategy(described: DescribeEndpointCommandOutput): string {
  const config = described.LastDeploymentConfig;
  if (config?.RollingUpdatePolicy) return 'rolling update';
  const routing = config?.BlueGreenUpdatePolicy?.TrafficRoutingConfiguration;
  if (routing?.Type) return `blue/green, ${routing.Type.toLowerCase()}`;
  return "not recorded (SageMaker's default: blue/green, all at once)";
}

interface RunFacts {
  run: MlflowRun;
  tags: Record<string, string>;
  artifacts: Section<MlflowArtifact[]>;
}

interface EndpointFacts {
  endpoint: SageMakerArn;
  described: Section<{
    configName?: string;
    status?: string;
    lastModified?: string;
    created?: string;
    strategy: string;
    servedModel?: string;
    servedVersion?: string;
  }>;
}

/**
 * One model version's history, oldest first, each stage from its own source and failing on its own (MLflow down
 * leaves the SageMaker stages, and the other way round). Every resource read is one the entity's annotations name:
 * a run tag or version tag naming another pipeline's execution or another group's package is shown, never followed.
 */
export class VersionTimelines {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly pipelines: Pipelines,
  ) {}

  async timeline(
    ctx: EntityContext,
    version: string,
  ): Promise<VersionTimeline> {
    const { modelName, client } = await modelForVersionRead(
      this.deps,
      ctx,
      version,
    );
    return this.deps.cache.get(
      ctx.entityRef,
      // With every resource the stages read: an entity whose annotations change gets a timeline of the new ones.
      `timeline:${ctx.binding.trackingServer}:${modelName}:${version}:${[
        ctx.binding.pipeline,
        ctx.binding.modelPackageGroup,
        ctx.binding.experimentName,
        ctx.binding.endpoints,
      ]
        .map(annotationKey)
        .join(':')}`,
      async () => {
        // The endpoints need only the version's number: MLflow failing leaves them.
        const endpoints = this.endpoints(ctx);
        const mv = await settle(
          () => client.getModelVersion(modelName, version),
          this.deps.logger,
        );
        // A version that does not exist is the route's 404, not a stage's.
        if (mv.error?.code === 'not-found')
          throw new NotFoundError(mv.error.message);
        const modelVersionUrl = `${mlflowModelUrl(
          client.server.uiUrl,
          modelName,
        )}/versions/${encodeURIComponent(version)}`;
        if (mv.error) {
          const failed = (kind: TimelineStage['kind'], title: string) =>
            unavailable(kind, title, mv.error);
          return {
            modelName,
            version,
            stages: [
              failed('commit', 'Git commit'),
              failed('build', 'CI build'),
              failed('pipeline-execution', 'Pipeline execution'),
              failed('mlflow-run', 'MLflow run'),
              failed('registration', 'Registration'),
              failed('approval', 'Approval'),
              ...this.deploymentStages(await endpoints, modelName, version),
              failed('validation', 'Endpoint validations'),
            ],
          };
        }
        const versionTags = tagsOf(mv.data.tags);
        const run = settle(
          () => this.run(ctx, client, mv.data),
          this.deps.logger,
        );
        const [runFacts, execution, approval] = await Promise.all([
          run,
          run.then(r => this.executionStage(ctx, r)),
          settle(
            () => this.approval(ctx, versionTags[TAG_MODEL_PACKAGE_ARN]),
            this.deps.logger,
          ),
        ]);
        return {
          modelName,
          version,
          stages: [
            ...this.sourceStages(ctx, runFacts),
            execution,
            this.runStage(client, runFacts),
            this.registrationStage(ctx, mv.data, modelVersionUrl, versionTags),
            approval.data ??
              unavailable('approval', 'Approval', approval.error),
            ...this.deploymentStages(await endpoints, modelName, version),
            ...this.validationStages(ctx, versionTags, modelVersionUrl),
          ],
        };
      },
      {
        cacheable: t =>
          t.stages.every(
            s => s.status !== 'unavailable' || mayCache({ error: s.error! }),
          ),
      },
    );
  }

  /** The version's source run, only in the entity's own experiment: a version's run id is the version's claim. */
  private async run(
    ctx: EntityContext,
    client: MlflowClient,
    mv: MlflowModelVersion,
  ): Promise<RunFacts | undefined> {
    if (!mv.run_id) return undefined;
    const experimentId = await experimentIdOf(this.deps, ctx);
    const found = await client.searchRuns({
      experimentIds: [experimentId],
      filter: `attributes.run_id = ${mlflowFilterLiteral(mv.run_id)}`,
      maxResults: 1,
    });
    const [run] = found.items;
    if (!run) return undefined;
    // Listed only once the run is known to be in the entity's experiment: nothing of another's run is read.
    const artifacts = await settle(
      () => client.listArtifacts(run.info.run_id),
      this.deps.logger,
    );
    return { run, tags: tagsOf(run.data.tags), artifacts };
  }

  /** The commit and the CI build, as the run's lineage tags record them. */
  private sourceStages(
    ctx: EntityContext,
    facts: Section<RunFacts | undefined>,
  ): TimelineStage[] {
    if (facts.error)
      return [
        unavailable('commit', 'Git commit', facts.error),
        unavailable('build', 'CI build', facts.error),
      ];
    const tags = facts.data?.tags ?? {};
    const time = iso(facts.data?.run.info.start_time);
    const sha = tags[TAG_GIT_SHA] || tags['mlflow.source.git.commit'];
    const repo = repositoryUrl(ctx.entity);
    const commit = sha
      ? stage({
          kind: 'commit',
          title: `Git commit ${sha.slice(0, 12)}`,
          status: 'succeeded',
          details: [
            { label: 'commit', value: sha },
            ...(repo ? [{ label: 'repository', value: repo, url: repo }] : []),
          ],
          // A link only to the entity's own repository, and only for what looks like a commit id.
          url: repo && COMMIT.test(sha) ? `${repo}/commit/${sha}` : repo,
          ...(repo
            ? {}
            : {
                message:
                  'The entity has no github.com/project-slug or backstage.io/source-location annotation to link to',
              }),
        })
      : stage({
          kind: 'commit',
          title: 'Git commit',
          status: 'not-recorded',
          message: `The version's run has no ${TAG_GIT_SHA} tag (a run made outside CI)`,
        });
    const buildUrl = httpUrl(tags[TAG_CI_BUILD_URL]);
    const build = buildUrl
      ? stage({
          kind: 'build',
          title: 'CI build',
          status: 'succeeded',
          time,
          url: buildUrl,
          details: [{ label: 'build', value: buildUrl, url: buildUrl }],
        })
      : stage({
          kind: 'build',
          title: 'CI build',
          status: 'not-recorded',
          message: `The version's run has no ${TAG_CI_BUILD_URL} tag (a run made outside CI, or by a project generated before the template recorded it)`,
        });
    return [commit, build];
  }

  /**
   * The execution the run's tag names, described by the Pipelines service, only when it is an execution of the
   * entity's own pipeline: anyone who can log a run can write the tag.
   */
  private async executionStage(
    ctx: EntityContext,
    facts: Section<RunFacts | undefined>,
  ): Promise<TimelineStage> {
    const kind = 'pipeline-execution';
    const title = 'Pipeline execution';
    if (facts.error) return unavailable(kind, title, facts.error);
    const arn = facts.data?.tags[TAG_PIPELINE_EXECUTION_ARN];
    if (!arn) {
      return stage({
        kind,
        title,
        status: 'not-recorded',
        message: `The version's run has no ${TAG_PIPELINE_EXECUTION_ARN} tag (it was not trained by a pipeline)`,
      });
    }
    const pipeline = ctx.binding.pipeline;
    const prefix =
      pipeline.state === 'bound' ? `${pipeline.value.arn}/execution/` : '';
    const id = arn.slice(prefix.length);
    if (!prefix || !arn.startsWith(prefix) || !EXECUTION_ID.test(id)) {
      return stage({
        kind,
        title,
        status: 'not-followed',
        message: `The run names execution ${arn}, which is not of this entity's pipeline: it was not read`,
        details: [{ label: 'execution', value: arn }],
      });
    }
    const detail = await settle(
      () => this.pipelines.detail(ctx, id),
      this.deps.logger,
    );
    if (detail.error) return unavailable(kind, title, detail.error);
    const { execution, steps } = detail.data!;
    const status = execution.status;
    return stage({
      kind,
      title: `Pipeline execution ${execution.displayName ?? id}`,
      status: EXECUTION_STATUS.get(status) ?? 'failed',
      time: execution.startTime,
      url: execution.consoleUrl,
      ...(execution.failureReason ? { message: execution.failureReason } : {}),
      details: [
        { label: 'status', value: status },
        ...(execution.startedBy
          ? [{ label: 'started by', value: execution.startedBy }]
          : []),
        ...(steps.error
          ? [{ label: 'steps', value: `unavailable: ${steps.error.message}` }]
          : steps.data!.map(s => ({
              label: `step ${s.displayName ?? s.name}`,
              value: [s.status, s.failureReason].filter(Boolean).join(': '),
              ...(s.consoleUrl ? { url: s.consoleUrl } : {}),
            }))),
      ],
    });
  }

  private runStage(
    client: MlflowClient,
    facts: Section<RunFacts | undefined>,
  ): TimelineStage {
    const kind = 'mlflow-run';
    if (facts.error) return unavailable(kind, 'MLflow run', facts.error);
    if (!facts.data) {
      return stage({
        kind,
        title: 'MLflow run',
        status: 'not-recorded',
        message:
          "The version names no run in the entity's experiment (mlflow.org/experiment-name)",
      });
    }
    const { run, artifacts } = facts.data;
    const url = mlflowRunUrl(
      client.server.uiUrl,
      run.info.experiment_id,
      run.info.run_id,
    );
    const status = run.info.status;
    return stage({
      kind,
      title: `MLflow run ${run.info.run_name ?? run.info.run_id}`,
      status: RUN_STATUS.get(status) ?? 'failed',
      time: iso(run.info.start_time),
      url,
      details: [
        { label: 'status', value: status },
        ...(run.data.params ?? []).slice(0, MAX_RUN_VALUES).map(p => ({
          label: `param ${p.key}`,
          value: p.value,
        })),
        ...(run.data.metrics ?? []).slice(0, MAX_RUN_VALUES).map(m => ({
          label: `metric ${m.key}`,
          value: String(m.value),
        })),
        ...(artifacts.error
          ? [
              {
                label: 'artifacts',
                value: `unavailable: ${artifacts.error.message}`,
              },
            ]
          : artifacts.data!.slice(0, MAX_ARTIFACTS).map(a => ({
              label: a.is_dir ? 'artifact folder' : 'artifact',
              value: a.path,
              url: `${url}/artifacts/${a.path}`,
            }))),
      ],
    });
  }

  private registrationStage(
    ctx: EntityContext,
    mv: MlflowModelVersion,
    url: string,
    tags: Record<string, string>,
  ): TimelineStage {
    const packageArn = tags[TAG_MODEL_PACKAGE_ARN];
    const group = ctx.binding.modelPackageGroup;
    const ours =
      packageArn && group.state === 'bound'
        ? belongsToGroup(packageArn, group.value)
        : false;
    const packageVersion = Number(packageArn?.split('/').pop());
    return stage({
      kind: 'registration',
      title: `Registered as version ${mv.version}`,
      status: mv.status === 'FAILED_REGISTRATION' ? 'failed' : 'succeeded',
      time: iso(mv.creation_timestamp),
      url,
      details: [
        { label: 'MLflow status', value: mv.status ?? 'READY', url },
        ...(packageArn
          ? [
              ours && group.state === 'bound'
                ? {
                    label: 'SageMaker model package',
                    value: packageArn,
                    url: modelPackageConsoleUrl(group.value, packageVersion),
                  }
                : {
                    label: 'SageMaker model package',
                    value: `${packageArn} (not in this entity's model package group: not followed)`,
                  },
            ]
          : [{ label: 'SageMaker model package', value: 'none registered' }]),
      ],
    });
  }

  /**
   * The approval decision on the version's model package. SageMaker keeps only the latest decision (status,
   * description, who and when it was last changed); earlier ones are in CloudTrail and the portal's audit log.
   */
  private async approval(
    ctx: EntityContext,
    packageArn: string | undefined,
  ): Promise<TimelineStage> {
    const kind = 'approval';
    const title = 'Approval';
    const group = await readableGroup(this.deps, ctx);
    if (!group)
      return stage({
        kind,
        title,
        status: 'not-recorded',
        message:
          'The entity names no model package group (aws.amazon.com/sagemaker-model-package-group-arn)',
      });
    if (!packageArn)
      return stage({
        kind,
        title,
        status: 'not-recorded',
        message: `The version has no ${TAG_MODEL_PACKAGE_ARN} tag: it was not registered in SageMaker`,
      });
    if (!belongsToGroup(packageArn, group))
      return stage({
        kind,
        title,
        status: 'not-followed',
        message: `The version names model package ${packageArn}, which is not in ${group.arn}: it was not read`,
      });
    const sm = await this.deps.sagemaker.sagemaker(group);
    const pkg = await this.deps.cache.get(
      ctx.entityRef,
      `model-package-approval:${packageArn}`,
      () =>
        awsCall('SageMaker DescribeModelPackage', () =>
          sm.send(
            new DescribeModelPackageCommand({ ModelPackageName: packageArn }),
          ),
        ).then(toApprovalFacts),
    );
    const status = pkg.status;
    return stage({
      kind,
      title: `Approval: ${status}`,
      status: APPROVAL_STATUS.get(status) ?? 'pending',
      time: pkg.decidedAt ?? pkg.createdAt,
      url: modelPackageConsoleUrl(group, pkg.version),
      message: 'SageMaker keeps only the latest decision',
      details: [
        { label: 'status', value: status },
        ...(pkg.description
          ? [{ label: 'comment', value: pkg.description }]
          : []),
        ...(pkg.decidedBy
          ? [{ label: 'decided by', value: pkg.decidedBy }]
          : []),
        ...(pkg.decidedAt
          ? [{ label: 'decided at', value: pkg.decidedAt }]
          : []),
        ...(pkg.createdBy
          ? [{ label: 'registered by', value: pkg.createdBy }]
          : []),
      ],
    });
  }

  /** Each annotated endpoint described (a few at a time), each failing on its own. */
  private async endpoints(
    ctx: EntityContext,
  ): Promise<Section<EndpointFacts[]>> {
    return settle(async () => {
      if (ctx.binding.endpoints.state === 'absent') return [];
      const endpoints = required(
        ctx.binding.endpoints,
        ANNOTATION_ENDPOINT_ARNS,
      );
      const limit = pLimit(ENDPOINT_CONCURRENCY);
      return Promise.all(
        endpoints.map(endpoint =>
          limit(async () => ({
            endpoint,
            described: await settle(async () => {
              await this.deps.bindings.requireForRead(ctx, {
                kind: 'endpoint',
                arn: endpoint,
              });
              return this.deps.cache.get(
                ctx.entityRef,
                `endpoint-deployment:${endpoint.arn}`,
                () => this.describeEndpoint(endpoint),
              );
            }, this.deps.logger),
          })),
        ),
      );
    }, this.deps.logger);
  }

  private async describeEndpoint(endpoint: SageMakerArn) {
    const sm = await this.deps.sagemaker.sagemaker(endpoint);
    const [described, tags] = await Promise.all([
      awsCall('SageMaker DescribeEndpoint', () =>
        sm.send(
          new DescribeEndpointCommand({ EndpointName: endpoint.resourceName }),
        ),
      ),
      awsCall('SageMaker ListTags', () =>
        sm.send(new ListTagsCommand({ ResourceArn: endpoint.arn })),
      ),
    ]);
    const tagMap = Object.fromEntries(
      (tags.Tags ?? []).map(t => [t.Key, t.Value]),
    );
    return {
      configName: described.EndpointConfigName,
      status: described.EndpointStatus,
      lastModified: described.LastModifiedTime?.toISOString(),
      created: described.CreationTime?.toISOString(),
      strategy: deploymentStrategy(described),
      servedModel: tagMap[META_REGISTERED_MODEL_NAME],
      servedVersion: tagMap[META_MODEL_VERSION],
    };
  }

  /**
   * Whether each endpoint serves this version, by the tags the project's deploy step sets. An endpoint records only
   * its current deployment: a version deployed before and replaced since shows as not served.
   */
  private deploymentStages(
    endpoints: Section<EndpointFacts[]>,
    modelName: string,
    version: string,
  ): TimelineStage[] {
    if (endpoints.error)
      return [unavailable('deployment', 'Deployments', endpoints.error)];
    if (endpoints.data!.length === 0)
      return [
        stage({
          kind: 'deployment',
          title: 'Deployments',
          status: 'not-recorded',
          message: `The entity names no endpoints (${ANNOTATION_ENDPOINT_ARNS})`,
        }),
      ];
    return endpoints.data!.map(({ endpoint, described }) => {
      const title = `Deployment to ${endpoint.resourceName}`;
      if (described.error)
        return unavailable('deployment', title, described.error);
      const d = described.data!;
      const serves = d.servedModel === modelName && d.servedVersion === version;
      return stage({
        kind: 'deployment',
        title,
        status: serves
          ? ENDPOINT_STATUS.get(d.status ?? '') ?? 'running'
          : 'not-recorded',
        time: serves ? d.lastModified ?? d.created : undefined,
        url: endpointConsoleUrl(endpoint),
        message: serves
          ? undefined
          : `${endpoint.resourceName} serves ${
              d.servedVersion
                ? `version ${d.servedVersion}${
                    d.servedModel && d.servedModel !== modelName
                      ? ` of ${d.servedModel}`
                      : ''
                  }`
                : 'a version its tags do not name'
            }, not this one (an endpoint records only its current deployment)`,
        details: [
          { label: 'endpoint status', value: d.status ?? 'Unknown' },
          ...(d.configName
            ? [{ label: 'endpoint config', value: d.configName }]
            : []),
          { label: 'deployment strategy', value: d.strategy },
          ...(d.lastModified
            ? [{ label: 'last deployed', value: d.lastModified }]
            : []),
        ],
      });
    });
  }

  /**
   * The validations recorded on the version, one per endpoint of the entity: the model version tag
   * `validation.<endpointName>` (JSON {accuracy, rows, latencyMs, at}) that the portal's validation and the
   * project's validate_endpoint write. A tag for an endpoint the entity does not name is not shown.
   */
  private validationStages(
    ctx: EntityContext,
    tags: Record<string, string>,
    url: string,
  ): TimelineStage[] {
    const endpoints =
      ctx.binding.endpoints.state === 'bound'
        ? ctx.binding.endpoints.value
        : [];
    const stages = endpoints.flatMap(endpoint => {
      const raw = tags[`${TAG_VALIDATION_PREFIX}${endpoint.resourceName}`];
      if (!raw) return [];
      const title = `Validation on ${endpoint.resourceName}`;
      const recorded = parseValidation(raw);
      if (!recorded)
        return [
          stage({
            kind: 'validation',
            title,
            status: 'unavailable',
            url,
            message: `The ${TAG_VALIDATION_PREFIX}${endpoint.resourceName} tag is not a validation record`,
          }),
        ];
      return [
        stage({
          kind: 'validation',
          title,
          status: 'succeeded',
          time: recorded.at,
          url,
          details: [
            { label: 'accuracy', value: String(recorded.accuracy) },
            { label: 'rows', value: String(recorded.rows) },
            ...(recorded.latencyMs !== undefined
              ? [{ label: 'latency', value: `${recorded.latencyMs} ms` }]
              : []),
            {
              label: 'endpoint',
              value: endpoint.resourceName,
              url: endpointConsoleUrl(endpoint),
            },
          ],
        }),
      ];
    });
    return stages.length > 0
      ? stages
      : [
          stage({
            kind: 'validation',
            title: 'Endpoint validations',
            status: 'not-recorded',
            url,
            message:
              'No validation of this version against an endpoint of the entity is recorded',
          }),
        ];
  }
}

function toApprovalFacts(pkg: DescribeModelPackageCommandOutput) {
  return {
    status: pkg.ModelApprovalStatus ?? 'Unknown',
    version: pkg.ModelPackageVersion,
    description: pkg.ApprovalDescription,
    decidedBy: who(pkg.LastModifiedBy),
    decidedAt: pkg.LastModifiedTime?.toISOString(),
    createdBy: who(pkg.CreatedBy),
    createdAt: pkg.CreationTime?.toISOString(),
  };
}

/** A validation tag's JSON, or undefined when it is not one (a tag is anyone's to write). */
function parseValidation(
  raw: string,
):
  | { accuracy: number; rows: number; latencyMs?: number; at?: string }
  | undefined {
  try {
    const v = JSON.parse(raw);
    if (typeof v?.accuracy !== 'number' || typeof v?.rows !== 'number')
      return undefined;
    return {
      accuracy: v.accuracy,
      rows: v.rows,
      ...(typeof v.latencyMs === 'number' ? { latencyMs: v.latencyMs } : {}),
      ...(typeof v.at === 'string' ? { at: v.at } : {}),
    };
  } catch {
    return undefined;
  }
}
