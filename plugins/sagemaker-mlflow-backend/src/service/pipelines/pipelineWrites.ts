import {
  DescribePipelineCommand,
  DescribePipelineExecutionCommand,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
} from '@aws-sdk/client-sagemaker';
import { ConflictError, InputError } from '@backstage/errors';
import type { StartExecutionRequest } from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  awsCall,
  SageMakerArn,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import { randomUUID } from 'crypto';
import type { EntityContext } from '../EntityContext';
import type { ServiceDeps } from '../types';
import { parseDefinition } from './pipelineDefinition';

/**
 * Starts an execution of the entity's pipeline, once the pipeline names the entity back and every parameter is one
 * its definition takes.
 */
export async function startExecution(
  deps: ServiceDeps,
  ctx: EntityContext,
  pipeline: SageMakerArn,
  request: StartExecutionRequest,
): Promise<{ executionArn: string }> {
  const client = await deps.sagemaker.sagemaker(pipeline);
  // Both are reads: the start itself is sent only once the pipeline is known to name this entity.
  const [, described] = await Promise.all([
    deps.bindings.requireForWrite(ctx, {
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
  await deps.cache.invalidate(ctx.entityRef);
  return { executionArn: res.PipelineExecutionArn! };
}

/** Stops one of the pipeline's executions, once the pipeline names the entity back. */
export async function stopExecution(
  deps: ServiceDeps,
  ctx: EntityContext,
  pipeline: SageMakerArn,
  arn: string,
): Promise<{ executionArn: string }> {
  await deps.bindings.requireForWrite(ctx, {
    kind: 'pipeline',
    arn: pipeline,
  });
  const client = await deps.sagemaker.sagemaker(pipeline);
  // Only a running execution can be stopped: a 409 that says so, whichever error SageMaker would answer with.
  const { PipelineExecutionStatus: status } = await awsCall(
    'SageMaker DescribePipelineExecution',
    () =>
      client.send(
        new DescribePipelineExecutionCommand({ PipelineExecutionArn: arn }),
      ),
  );
  if (status !== 'Executing') {
    throw new ConflictError(
      `Execution ${arn
        .split('/')
        .pop()} is ${status}: only an executing one can be stopped`,
    );
  }
  const res = await awsCall('SageMaker StopPipelineExecution', () =>
    client.send(
      new StopPipelineExecutionCommand({
        PipelineExecutionArn: arn,
        ClientRequestToken: randomUUID(),
      }),
    ),
  );
  await deps.cache.invalidate(ctx.entityRef);
  return { executionArn: res.PipelineExecutionArn ?? arn };
}
