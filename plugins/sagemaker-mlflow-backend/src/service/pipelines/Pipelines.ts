import {
  DescribePipelineCommand,
  DescribePipelineExecutionCommand,
} from '@aws-sdk/client-sagemaker';
import { InputError } from '@backstage/errors';
import type {
  ExecutionDetail,
  ExecutionsPage,
  StartExecutionRequest,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import { ANNOTATION_PIPELINE_ARN } from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  awsCall,
  executionOfRun,
  metricsOf,
  runsOfExecutions,
  SageMakerArn,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import { pipelineConsoleUrl } from '../consoleUrls';
import { EntityContext, required } from '../EntityContext';
import { experimentIdOf } from '../experiments';
import { canonicalPageToken, decodePageToken } from '../pageToken';
import { mayCache, settle } from '../sections';
import type { ServiceDeps } from '../types';
import { allParameters, allSteps } from './executionListings';
import { describedPage } from './executionPages';
import { toExecution, toRunSummary, toStep } from './executionMapping';
import { parseDefinition } from './pipelineDefinition';
import { startExecution, stopExecution } from './pipelineWrites';

const EXECUTION_ID = /^[a-z0-9]{1,64}$/;
const MAX_PAGE_SIZE = 100;

/** The pipeline executions of one entity: pages of them, one in detail, and their starts and stops. */
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

  /**
   * One page of executions from SageMaker and their runs' metrics from MLflow, each a section of its own: either
   * upstream failing (or missing the deadline) leaves the other's data.
   */
  async list(
    ctx: EntityContext,
    pageSize: number,
    pageToken?: string,
  ): Promise<ExecutionsPage> {
    const pipeline = await this.readablePipeline(ctx);
    const size = Math.min(Math.max(pageSize, 1), MAX_PAGE_SIZE);
    const page = decodePageToken(pageToken);
    const { logger } = this.deps;
    // A page with an execution that could not be described is served, not kept.
    let whole = true;
    return this.deps.cache.getPage(
      ctx.entityRef,
      `executions:${pipeline.arn}:${size}:${canonicalPageToken(page)}`,
      pageToken,
      async () => {
        const [executions, runMetrics, binding] = await Promise.all([
          settle(async () => {
            const client = await this.deps.sagemaker.sagemaker(pipeline);
            const described = await describedPage(
              this.deps,
              client,
              pipeline,
              size,
              page,
            );
            whole = described.whole;
            return {
              items: described.items.map(s => toExecution(pipeline, s)),
              ...(described.nextPageToken
                ? { nextPageToken: described.nextPageToken }
                : {}),
            };
          }, logger),
          settle(() => this.runMetricsOfPipeline(ctx, pipeline), logger),
          this.deps.bindings.read(ctx, { kind: 'pipeline', arn: pipeline }),
        ]);
        // A page token SageMaker refused is the caller's mistake, not the section's failure.
        if (executions.error?.code === 'invalid-request') {
          throw new InputError(executions.error.message);
        }
        return {
          page: {
            pipelineArn: pipeline.arn,
            pipelineName: pipeline.resourceName,
            consoleUrl: pipelineConsoleUrl(pipeline),
            executions,
            runMetrics,
            binding,
          },
          nextPageToken: executions.data?.nextPageToken,
        };
      },
      p =>
        whole &&
        mayCache(p.executions, p.runMetrics) &&
        p.binding.state !== 'unknown',
    );
  }

  /**
   * The metrics of the newest run of each of the pipeline's executions, with one MLflow search for all of them (no
   * N+1); the table joins them by execution ARN.
   */
  private async runMetricsOfPipeline(
    ctx: EntityContext,
    pipeline: SageMakerArn,
  ): Promise<Record<string, Record<string, number>>> {
    // The experiment first: an entity that names none has a lasting answer (its missing annotation).
    const experimentId = await experimentIdOf(this.deps, ctx);
    const client = this.deps.mlflow.forServer(ctx.binding.trackingServer);
    const runs = await runsOfExecutions(client, experimentId, {
      pipelineArn: pipeline.arn,
    });
    const byExecution: Record<string, Record<string, number>> = {};
    for (const run of runs) {
      const execution = executionOfRun(run);
      // Newest first: an execution's first run seen is its latest.
      if (execution && !byExecution[execution])
        byExecution[execution] = metricsOf(run);
    }
    return byExecution;
  }

  async detail(ctx: EntityContext, id: string): Promise<ExecutionDetail> {
    const pipeline = await this.readablePipeline(ctx);
    const arn = this.executionArn(ctx, id);
    const { logger } = this.deps;
    // The parameters are merged into the execution, not a section of their own: whether they loaded is kept here.
    let whole = false;
    return this.deps.cache.get(
      ctx.entityRef,
      `execution:${arn}`,
      async () => {
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
            settle(() => allParameters(client, arn), logger),
            settle(
              async () => (await allSteps(client, arn)).map(toStep),
              logger,
            ),
            settle(async () => {
              const res = await awsCall('SageMaker DescribePipeline', () =>
                client.send(
                  new DescribePipelineCommand({
                    PipelineName: pipeline.resourceName,
                  }),
                ),
              );
              return parseDefinition(res.PipelineDefinition).steps;
            }, logger),
            settle(async () => {
              const mlflow = this.deps.mlflow.forServer(
                ctx.binding.trackingServer,
              );
              const runs = await runsOfExecutions(
                mlflow,
                await experimentIdOf(this.deps, ctx),
                { executionArn: arn },
              );
              return runs.map(run => toRunSummary(run, mlflow.server.uiUrl));
            }, logger),
          ]);
        const execution = toExecution(pipeline, {
          ...described,
          StartTime: described.CreationTime,
          PipelineExecutionFailureReason: described.FailureReason,
        });
        if (parameters.data) {
          execution.parameters = Object.fromEntries(
            parameters.data.map(p => [p.Name!, p.Value ?? '']),
          );
        }
        whole = mayCache(parameters, steps, definition, mlflowRuns);
        return { execution, steps, definition, mlflowRuns };
      },
      { cacheable: () => whole },
    );
  }

  start(
    ctx: EntityContext,
    request: StartExecutionRequest,
  ): Promise<{ executionArn: string }> {
    return startExecution(this.deps, ctx, this.pipeline(ctx), request);
  }

  stop(ctx: EntityContext, id: string): Promise<{ executionArn: string }> {
    return stopExecution(
      this.deps,
      ctx,
      this.pipeline(ctx),
      this.executionArn(ctx, id),
    );
  }
}
