import type { SageMakerArn } from '@model-factory/plugin-sagemaker-mlflow-node';

// Deep links into the AWS console (SageMaker Studio opens pipelines from there) and the MLflow UI.
const consoleBase = (arn: SageMakerArn) =>
  `https://${arn.region}.console.aws.amazon.com/sagemaker/home?region=${arn.region}`;

export const pipelineConsoleUrl = (pipeline: SageMakerArn) =>
  `${consoleBase(pipeline)}#/pipelines/${pipeline.resourceName}`;

export const executionConsoleUrl = (
  pipeline: SageMakerArn,
  executionId: string,
) => `${pipelineConsoleUrl(pipeline)}/executions/${executionId}`;

export const modelPackageConsoleUrl = (group: SageMakerArn, version?: number) =>
  `${consoleBase(group)}#/model-packages/${group.resourceName}${
    version ? `/${version}` : ''
  }`;

export const endpointConsoleUrl = (endpoint: SageMakerArn) =>
  `${consoleBase(endpoint)}#/endpoints/${endpoint.resourceName}`;

/** A SageMaker job ARN (training, processing, transform) → its console page. */
export function jobConsoleUrl(jobArn: string): string | undefined {
  const match =
    /^arn:[^:]+:sagemaker:([^:]+):\d{12}:(training-job|processing-job|transform-job)\/(.+)$/.exec(
      jobArn,
    );
  if (!match) return undefined;
  const [, region, type, name] = match;
  const page = {
    'training-job': 'jobs',
    'processing-job': 'processing-jobs',
    'transform-job': 'transform-jobs',
  }[type];
  return `https://${region}.console.aws.amazon.com/sagemaker/home?region=${region}#/${page}/${name}`;
}

export const mlflowRunUrl = (
  uiUrl: string,
  experimentId: string,
  runId: string,
) => `${uiUrl}/#/experiments/${experimentId}/runs/${runId}`;

export const mlflowModelUrl = (uiUrl: string, modelName: string) =>
  `${uiUrl}/#/models/${encodeURIComponent(modelName)}`;
