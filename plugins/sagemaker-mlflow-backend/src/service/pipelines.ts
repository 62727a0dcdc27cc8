import {
  DescribePipelineCommand,
  DescribePipelineExecutionCommand,
  ListPipelineExecutionStepsCommand,
  ListPipelineExecutionsCommand,
  ListPipelineParametersForExecutionCommand,
  PipelineExecutionStep,
  PipelineExecutionSummary,
  SageMakerClient,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
  UserContext,
} from '@aws-sdk/client-sagemaker';
import { InputError } from '@backstage/errors';
import type {
  ExecutionDetail,
  ExecutionsPage,
  MlflowRunSummary,
  PipelineDefinitionStep,
  PipelineExecution,
  PipelineStep,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import { ANNOTATION_PIPELINE_ARN } from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  awsCall,
  MlflowRun,
  SageMakerArn,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import { randomUUID } from 'crypto';
import pLimit from 'p-limit';
import {
  executionConsoleUrl,
  jobConsoleUrl,
  mlflowRunUrl,
  pipelineConsoleUrl,
} from './consoleUrls';
import { EntityContext, required } from './EntityContext';
import { experimentIdOf } from './experiments';
import type { ServiceDeps } from './types';
import {
  canonicalPageToken,
  decodePageToken,
  encodePageToken,
  PageToken,
} from './pageToken';
import { settle } from './sections';

/** MLflow runs name their pipeline execution with this tag (written by the generated project's steps). */
export const EXECUTION_TAG = 'sagemaker.pipeline_execution_arn';
const EXECUTION_ID = /^[a-z0-9]{1,64}$/;
const MAX_PAGE_SIZE = 100;
// Executions of one page described at once: a page of 20 is two rounds, of 100 ten.
const DESCRIBE_CONCURRENCY = 10;
const FINISHED = /^(Succeeded|Failed|Stopped)$/;
// A succeeded execution never changes again (a failed one may be retried under the same ARN).
const SUCCEEDED_TTL_MS = 24 * 3600_000;

export function toExecution(
  pipeline: SageMakerArn,
  s: PipelineExecutionSummary & {
    LastModifiedTime?: Date | string;
    CreatedBy?: UserContext;
  },
): PipelineExecution {
  const arn = s.PipelineExecutionArn!;
  const id = arn.split('/').pop()!;
  const start = s.StartTime ? new Date(s.StartTime) : undefined;
  const last = s.LastModifiedTime ? new Date(s.LastModifiedTime) : undefined;
  return {
    arn,
    id,
    displayName: s.PipelineExecutionDisplayName,
    description: s.PipelineExecutionDescription,
    status: s.PipelineExecutionStatus ?? 'Unknown',
    startTime: start?.toISOString(),
    lastModifiedTime: last?.toISOString(),
    // Until an execution ends, its last change is not its end: the UI counts a running one from its start.
    durationMs:
      start && last && FINISHED.test(s.PipelineExecutionStatus ?? '')
        ? last.getTime() - start.getTime()
        : undefined,
    startedBy: starterOf(s.CreatedBy),
    // Only a failed or stopped execution has a reason (the emulator fills in the string "None").
    failureReason: /^(Failed|Stopped)$/.test(s.PipelineExecutionStatus ?? '')
      ? s.PipelineExecutionFailureReason
      : undefined,
    consoleUrl: executionConsoleUrl(pipeline, id),
  };
}

/**
 * Who started an execution: the Studio user, else the IAM identity (a CI role's session, say) without its
 * `arn:aws:sts::<account>:` prefix.
 */
function starterOf(createdBy?: UserContext): string | undefined {
  return (
    createdBy?.UserProfileName ??
    (createdBy?.IamIdentity?.Arn?.split(':').slice(5).join(':') || undefined)
  );
}

export function toRunSummary(run: MlflowRun, uiUrl: string): MlflowRunSummary {
  return {
    runId: run.info.run_id,
    runName: run.info.run_name,
    status: run.info.status,
    startTime: run.info.start_time
      ? new Date(run.info.start_time).toISOString()
      : undefined,
    endTime: run.info.end_time
      ? new Date(run.info.end_time).toISOString()
      : undefined,
    metrics: Object.fromEntries(
      (run.data.metrics ?? []).map(m => [m.key, m.value]),
    ),
    params: Object.fromEntries(
      (run.data.params ?? []).map(p => [p.key, p.value]),
    ),
    url: mlflowRunUrl(uiUrl, run.info.experiment_id, run.info.run_id),
  };
}

function toStep(step: PipelineExecutionStep): PipelineStep {
  const meta = step.Metadata ?? {};
  const jobArn =
    meta.TrainingJob?.Arn ??
    meta.ProcessingJob?.Arn ??
    meta.TransformJob?.Arn ??
    meta.TuningJob?.Arn;
  return {
    name: step.StepName ?? '',
    displayName: step.StepDisplayName,
    status: step.StepStatus ?? 'Unknown',
    startTime: step.StartTime?.toISOString(),
    endTime: step.EndTime?.toISOString(),
    failureReason: step.FailureReason,
    cacheHit: Boolean(step.CacheHitResult?.SourcePipelineExecutionArn),
    jobArn,
    consoleUrl: jobArn ? jobConsoleUrl(jobArn) : undefined,
  };
}

export function parseDefinition(definition: string | undefined): {
  steps: PipelineDefinitionStep[];
  parameters: string[];
} {
  const parsed = JSON.parse(definition ?? '{}');
  return {
    steps: flattenSteps(parsed.Steps ?? []),
    parameters: (parsed.Parameters ?? []).map((p: any) => p.Name),
  };
}

/**
 * The definition's steps, with the steps a condition step runs (nested in its IfSteps and ElseSteps, not listed
 * at the top) after it: they follow the condition whatever else they depend on.
 */
function flattenSteps(
  steps: any[],
  branch?: PipelineDefinitionStep['branch'],
): PipelineDefinitionStep[] {
  return steps.flatMap((s: any) => {
    const step: PipelineDefinitionStep = {
      name: s.Name,
      type: s.Type,
      dependsOn: [
        ...(s.DependsOn ?? []),
        ...(branch ? [branch.condition] : []),
      ],
      ...(branch ? { branch } : {}),
    };
    if (s.Type !== 'Condition') return [step];
    const nested = (key: string, outcome: 'if' | 'else') =>
      flattenSteps(s.Arguments?.[key] ?? [], { condition: s.Name, outcome });
    return [step, ...nested('IfSteps', 'if'), ...nested('ElseSteps', 'else')];
  });
}

/** The pipeline executions of one entity, and their starts and stops. */
export class Pipelines {
  constructor(private readonly deps: ServiceDeps) {}

  private pipeline(ctx: EntityContext) {
    return required(ctx.binding.pipeline, ANNOTATION_PIPELINE_ARN);
  }

  /** The annotated pipeline, once `binding.requireForReads` (when set) has let the caller read it. */
  private async readablePipeline(ctx: EntityContext) {
    const pipeline = this.pipeline(ctx);
    await this.deps.bindings.requireForRead(ctx, {
      kind: 'pipeline',
      arn: pipeline,
    });
    return pipeline;
  }

  private executionArn(ctx: EntityContext, id: string) {
    if (!EXECUTION_ID.test(id)) {
      throw new InputError(`'${id}' is not a pipeline execution id`);
    }
    return `${this.pipeline(ctx).arn}/execution/${id}`;
  }

  async list(
    ctx: EntityContext,
    pageSize: number,
    pageToken?: string,
  ): Promise<ExecutionsPage> {
    const pipeline = await this.readablePipeline(ctx);
    const size = Math.min(Math.max(pageSize, 1), MAX_PAGE_SIZE);
    const page = decodePageToken(pageToken);
    return this.deps.cache.getPage(
      ctx.entityRef,
      `executions:${pipeline.arn}:${size}:${canonicalPageToken(page)}`,
      pageToken,
      async () => {
        const client = await this.deps.sagemaker.sagemaker(pipeline);
        const [{ items, nextPageToken }, runs, binding] = await Promise.all([
          this.describedPage(ctx, client, pipeline, size, page),
          // One MLflow search for the runs of all this pipeline's executions: metrics for the table, no N+1.
          settle(() => this.runsOfPipeline(ctx, pipeline), this.deps.logger),
          this.deps.bindings.read(ctx, { kind: 'pipeline', arn: pipeline }),
        ]);
        const runsByExecution = new Map<string, MlflowRunSummary[]>();
        for (const run of runs.data ?? []) {
          const arn = run.tags?.[EXECUTION_TAG];
          if (arn)
            runsByExecution.set(arn, [
              ...(runsByExecution.get(arn) ?? []),
              run.summary,
            ]);
        }
        return {
          pipelineArn: pipeline.arn,
          pipelineName: pipeline.resourceName,
          consoleUrl: pipelineConsoleUrl(pipeline),
          items: items.map(s => {
            const execution = toExecution(pipeline, s);
            const metrics = runsByExecution.get(execution.arn)?.[0]?.metrics;
            return metrics ? { ...execution, metrics } : execution;
          }),
          nextPageToken,
          ...(runs.error ? { mlflowError: runs.error } : {}),
          binding,
        };
      },
    );
  }

  /**
   * One page of executions, newest first. The list has no end time or starter, so each execution of the page is
   * described too, a few at a time (one that cannot be described keeps its list entry).
   */
  private async describedPage(
    ctx: EntityContext,
    client: SageMakerClient,
    pipeline: SageMakerArn,
    size: number,
    page: PageToken,
  ) {
    const res = await awsCall('SageMaker ListPipelineExecutions', () =>
      client.send(
        new ListPipelineExecutionsCommand({
          PipelineName: pipeline.resourceName,
          SortBy: 'CreationTime',
          SortOrder: 'Descending',
          MaxResults: size,
          NextToken: page.upstream,
        }),
      ),
    );
    // Some servers (the emulator) ignore MaxResults: page over what they returned ourselves.
    const all = [...(res.PipelineExecutionSummaries ?? [])].sort(
      (a, b) => (b.StartTime?.getTime() ?? 0) - (a.StartTime?.getTime() ?? 0),
    );
    let nextPageToken: string | undefined;
    if (page.skip + size < all.length) {
      nextPageToken = encodePageToken({
        upstream: page.upstream,
        skip: page.skip + size,
      });
    } else if (res.NextToken) {
      nextPageToken = encodePageToken({ upstream: res.NextToken, skip: 0 });
    }
    const limit = pLimit(DESCRIBE_CONCURRENCY);
    const items = await Promise.all(
      all.slice(page.skip, page.skip + size).map(async summary => ({
        ...summary,
        ...(await limit(() => this.endAndStarter(ctx, client, summary))),
      })),
    );
    return { items, nextPageToken };
  }

  /**
   * When an execution last changed (its end, once finished) and who started it; a succeeded execution's never
   * changes, so it is kept for a day and a page seen again describes only the others.
   */
  private async endAndStarter(
    ctx: EntityContext,
    client: SageMakerClient,
    summary: PipelineExecutionSummary,
  ): Promise<{
    LastModifiedTime?: string;
    CreatedBy?: UserContext;
  }> {
    const describe = () =>
      client
        .send(
          new DescribePipelineExecutionCommand({
            PipelineExecutionArn: summary.PipelineExecutionArn,
          }),
        )
        .then(d => ({
          LastModifiedTime: d.LastModifiedTime?.toISOString(),
          CreatedBy: {
            UserProfileName: d.CreatedBy?.UserProfileName,
            IamIdentity: { Arn: d.CreatedBy?.IamIdentity?.Arn },
          },
        }));
    const described =
      summary.PipelineExecutionStatus === 'Succeeded'
        ? this.deps.cache.get(
            ctx.entityRef,
            `execution-end:${summary.PipelineExecutionArn}`,
            describe,
            SUCCEEDED_TTL_MS,
          )
        : describe();
    // One that cannot be described keeps its list entry (and a failure is never cached).
    return described.catch(() => ({}));
  }

  private async runsOfPipeline(ctx: EntityContext, pipeline: SageMakerArn) {
    const experimentId = await experimentIdOf(this.deps, ctx);
    const mlflow = this.deps.mlflow.forServer(ctx.binding.trackingServer);
    const runs = await mlflow.searchRuns({
      experimentIds: [experimentId],
      filter: `tags.\`${EXECUTION_TAG}\` LIKE '${pipeline.arn}/execution/%'`,
      orderBy: ['attributes.start_time DESC'],
      maxResults: 1000,
    });
    return runs.items.map(run => ({
      tags: Object.fromEntries(
        (run.data.tags ?? []).map(t => [t.key, t.value]),
      ),
      summary: toRunSummary(run, mlflow.server.uiUrl),
    }));
  }

  async detail(ctx: EntityContext, id: string): Promise<ExecutionDetail> {
    const pipeline = await this.readablePipeline(ctx);
    const arn = this.executionArn(ctx, id);
    return this.deps.cache.get(ctx.entityRef, `execution:${arn}`, async () => {
      const client = await this.deps.sagemaker.sagemaker(pipeline);
      const [described, parameters, steps, definition, mlflowRuns] =
        await Promise.all([
          awsCall('SageMaker DescribePipelineExecution', () =>
            client.send(
              new DescribePipelineExecutionCommand({
                PipelineExecutionArn: arn,
              }),
            ),
          ),
          settle(
            () =>
              awsCall('SageMaker ListPipelineParametersForExecution', () =>
                client.send(
                  new ListPipelineParametersForExecutionCommand({
                    PipelineExecutionArn: arn,
                  }),
                ),
              ),
            this.deps.logger,
          ),
          settle(async () => {
            const res = await awsCall(
              'SageMaker ListPipelineExecutionSteps',
              () =>
                client.send(
                  new ListPipelineExecutionStepsCommand({
                    PipelineExecutionArn: arn,
                    SortOrder: 'Ascending',
                  }),
                ),
            );
            return (res.PipelineExecutionSteps ?? []).map(toStep);
          }, this.deps.logger),
          settle(async () => {
            const res = await awsCall('SageMaker DescribePipeline', () =>
              client.send(
                new DescribePipelineCommand({
                  PipelineName: pipeline.resourceName,
                }),
              ),
            );
            return parseDefinition(res.PipelineDefinition).steps;
          }, this.deps.logger),
          settle(() => this.runsOfExecution(ctx, arn), this.deps.logger),
        ]);
      const execution = toExecution(pipeline, {
        ...described,
        StartTime: described.CreationTime,
        PipelineExecutionFailureReason: described.FailureReason,
      });
      execution.parameters = Object.fromEntries(
        (parameters.data?.PipelineParameters ?? []).map(p => [
          p.Name!,
          p.Value ?? '',
        ]),
      );
      return { execution, steps, definition, mlflowRuns };
    });
  }

  private async runsOfExecution(ctx: EntityContext, executionArn: string) {
    const experimentId = await experimentIdOf(this.deps, ctx);
    const mlflow = this.deps.mlflow.forServer(ctx.binding.trackingServer);
    const runs = await mlflow.searchRuns({
      experimentIds: [experimentId],
      filter: `tags.\`${EXECUTION_TAG}\` = '${executionArn}'`,
      maxResults: 100,
    });
    return runs.items.map(run => toRunSummary(run, mlflow.server.uiUrl));
  }

  async start(
    ctx: EntityContext,
    request: { displayName?: string; parameters?: Record<string, string> },
  ): Promise<{ executionArn: string }> {
    const pipeline = this.pipeline(ctx);
    const client = await this.deps.sagemaker.sagemaker(pipeline);
    // Both are reads: the start itself is sent only once the pipeline is known to name this entity.
    const [, described] = await Promise.all([
      this.deps.bindings.requireForWrite(ctx, {
        kind: 'pipeline',
        arn: pipeline,
      }),
      awsCall('SageMaker DescribePipeline', () =>
        client.send(
          new DescribePipelineCommand({ PipelineName: pipeline.resourceName }),
        ),
      ),
    ]);
    const known = parseDefinition(described.PipelineDefinition).parameters;
    const unknown = Object.keys(request.parameters ?? {}).filter(
      name => !known.includes(name),
    );
    if (unknown.length > 0) {
      throw new InputError(
        `Unknown pipeline parameter(s) ${unknown.join(', ')}; ${
          pipeline.resourceName
        } takes: ${known.join(', ') || 'none'}`,
      );
    }
    const res = await awsCall('SageMaker StartPipelineExecution', () =>
      client.send(
        new StartPipelineExecutionCommand({
          PipelineName: pipeline.resourceName,
          PipelineExecutionDisplayName: request.displayName,
          PipelineParameters: Object.entries(request.parameters ?? {}).map(
            ([Name, Value]) => ({ Name, Value }),
          ),
          ClientRequestToken: randomUUID(),
        }),
      ),
    );
    await this.deps.cache.invalidate(ctx.entityRef);
    return { executionArn: res.PipelineExecutionArn! };
  }

  async stop(
    ctx: EntityContext,
    id: string,
  ): Promise<{ executionArn: string }> {
    const pipeline = this.pipeline(ctx);
    const arn = this.executionArn(ctx, id);
    await this.deps.bindings.requireForWrite(ctx, {
      kind: 'pipeline',
      arn: pipeline,
    });
    const client = await this.deps.sagemaker.sagemaker(pipeline);
    const res = await awsCall('SageMaker StopPipelineExecution', () =>
      client.send(
        new StopPipelineExecutionCommand({
          PipelineExecutionArn: arn,
          ClientRequestToken: randomUUID(),
        }),
      ),
    );
    await this.deps.cache.invalidate(ctx.entityRef);
    return { executionArn: res.PipelineExecutionArn ?? arn };
  }
}
