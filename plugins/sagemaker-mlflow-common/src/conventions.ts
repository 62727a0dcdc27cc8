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
/**
 * Lineage: MLflow run tags, copied into the model package's metadata under the same names (with
 * TAG_PIPELINE_EXECUTION_ARN): the commit, the step and serving images (by digest) and the training data.
 */
export const TAG_GIT_SHA = 'lineage.git_sha';
export const TAG_STEP_IMAGE_URI = 'lineage.step_image_uri';
export const TAG_INFERENCE_IMAGE_URI = 'lineage.inference_image_uri';
export const TAG_TRAINING_DATA_URI = 'lineage.training_data_uri';
/** The CI build that started the pipeline: its page (GitHub Actions run, CodeBuild build), a run tag and package metadata. */
export const TAG_CI_BUILD_URL = 'lineage.ci_build_url';
/**
 * An MLflow model version's tags recording its validation against each endpoint: `validation.<endpointName>`, a JSON
 * object of accuracy, rows, latencyMs and at (ISO time); written by the portal's validation and by the project's
 * validate_endpoint.
 */
export const TAG_VALIDATION_PREFIX = 'validation.';
/** The validation sample each training run logs as an artifact: feature rows and their true labels. */
export const VALIDATION_SAMPLE_ARTIFACT = 'validation/validation_sample.json';
/**
 * A model's champion: the version its CHAMPION_ALIAS names, else (a registry of MLflow 2.x stages, deprecated in
 * MLflow 3) its newest version in CHAMPION_STAGE.
 */
export const CHAMPION_ALIAS = 'champion';
export const CHAMPION_STAGE = 'Production';
/** The metrics the template's evaluation step logs, shown as columns and indexed for search. */
export const KEY_METRICS = ['accuracy', 'f1', 'roc_auc'] as const;

/**
 * The metrics a table shows as columns: the key metrics its rows have; for a model the template did not make (none
 * of them), its own metrics, the most common first, at most `max`.
 */
export function metricColumns(
  rows: Array<Record<string, number> | undefined>,
  max: number = KEY_METRICS.length,
): string[] {
  const counts = new Map<string, number>();
  for (const row of rows)
    for (const key of Object.keys(row ?? {}))
      counts.set(key, (counts.get(key) ?? 0) + 1);
  const key = KEY_METRICS.filter(m => counts.has(m));
  if (key.length > 0) return key;
  return [...counts]
    .sort(([a, m], [b, n]) => n - m || a.localeCompare(b))
    .slice(0, max)
    .map(([name]) => name);
}

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

/** The query parameter of the entity tab that opens one model version's drill-down (timeline, approval). */
export const VERSION_QUERY_PARAM = 'version';

/** The portal path that opens one model version of an entity in its Model Factory tab (notifications link here). */
export function versionPath(
  entity: { kind: string; namespace?: string; name: string },
  version: string,
): string {
  return `${entityTabPath(entity)}?${VERSION_QUERY_PARAM}=${encodeURIComponent(
    version,
  )}`;
}
