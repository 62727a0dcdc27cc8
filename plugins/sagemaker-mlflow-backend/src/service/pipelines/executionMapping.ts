import type {
  PipelineExecutionStep,
  PipelineExecutionSummary,
  UserContext,
} from '@aws-sdk/client-sagemaker';
import type {
  MlflowRunSummary,
  PipelineExecution,
  PipelineStep,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  metricsOf,
  MlflowRun,
  SageMakerArn,
  tagsOf,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import {
  executionConsoleUrl,
  jobConsoleUrl,
  mlflowRunUrl,
} from '../consoleUrls';

/** What SageMaker and MLflow answer about executions, steps and runs, as this API shows them. */

const FINISHED = /^(Succeeded|Failed|Stopped)$/;

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
    metrics: metricsOf(run),
    params: tagsOf(run.data.params),
    url: mlflowRunUrl(uiUrl, run.info.experiment_id, run.info.run_id),
  };
}

export function toStep(step: PipelineExecutionStep): PipelineStep {
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
