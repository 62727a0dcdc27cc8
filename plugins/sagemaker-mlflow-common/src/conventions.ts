/**
 * What the generated model projects write and the portal reads: tag and metadata names, the key metrics, the
 * entity tab's path. The template's `settings.py` holds the same names (a test compares them); change them only
 * together.
 */

/** An MLflow run's tag naming the SageMaker pipeline execution that ran it. */
export const TAG_PIPELINE_EXECUTION_ARN = 'sagemaker.pipeline_execution_arn';
/** An MLflow model version's tag naming the SageMaker model package registered for it. */
export const TAG_MODEL_PACKAGE_ARN = 'sagemaker.model_package_arn';
/** SageMaker endpoint (and model package) tags naming the MLflow model version it serves. */
export const META_REGISTERED_MODEL_NAME = 'mlflow.registered_model_name';
export const META_MODEL_VERSION = 'mlflow.model_version';
export const META_RUN_ID = 'mlflow.run_id';
/** The validation sample each training run logs as an artifact: feature rows and their true labels. */
export const VALIDATION_SAMPLE_ARTIFACT = 'validation/validation_sample.json';
/** The metrics the template's evaluation step logs, shown as columns and indexed for search. */
export const KEY_METRICS = ['accuracy', 'f1', 'roc_auc'] as const;

/** The path of the entity page's Model Factory tab. */
export const ENTITY_TAB_ROUTE = 'sagemaker-mlflow';

/** The portal path of an entity's Model Factory tab. */
export function entityTabPath(entity: {
  kind: string;
  namespace?: string;
  name: string;
}): string {
  return `/catalog/${encodeURIComponent(
    entity.namespace || 'default',
  )}/${encodeURIComponent(
    entity.kind.toLocaleLowerCase('en-US'),
  )}/${encodeURIComponent(entity.name)}/${ENTITY_TAB_ROUTE}`;
}
