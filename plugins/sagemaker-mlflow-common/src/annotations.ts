import type { Entity } from '@backstage/catalog-model';

/** Catalog annotations that bind a component to its SageMaker and MLflow resources (DESIGN §4). */
export const ANNOTATION_PIPELINE_ARN = 'aws.amazon.com/sagemaker-pipeline-arn';
export const ANNOTATION_MODEL_PACKAGE_GROUP_ARN =
  'aws.amazon.com/sagemaker-model-package-group-arn';
/** Comma-separated endpoint ARNs, e.g. staging and prod. */
export const ANNOTATION_ENDPOINT_ARNS =
  'aws.amazon.com/sagemaker-endpoint-arns';
export const ANNOTATION_REGISTERED_MODEL_NAME =
  'mlflow.org/registered-model-name';
export const ANNOTATION_EXPERIMENT_NAME = 'mlflow.org/experiment-name';
/** A server name from `sagemakerMlflow.mlflow.servers`, never a URL; defaults to `default`. */
export const ANNOTATION_TRACKING_SERVER = 'mlflow.org/tracking-server';

/** Annotations any one of which makes the entity's Model Factory tab meaningful. */
export const RESOURCE_ANNOTATIONS = [
  ANNOTATION_PIPELINE_ARN,
  ANNOTATION_MODEL_PACKAGE_GROUP_ARN,
  ANNOTATION_ENDPOINT_ARNS,
  ANNOTATION_REGISTERED_MODEL_NAME,
  ANNOTATION_EXPERIMENT_NAME,
] as const;

/** True when the entity names at least one SageMaker or MLflow resource. */
export function isSageMakerMlflowAvailable(entity: Entity): boolean {
  const annotations = entity.metadata.annotations ?? {};
  return RESOURCE_ANNOTATIONS.some(name => Boolean(annotations[name]?.trim()));
}
