import type { Entity } from '@backstage/catalog-model';
import {
  ANNOTATION_ENDPOINT_ARNS,
  ANNOTATION_EXPERIMENT_NAME,
  ANNOTATION_MODEL_PACKAGE_GROUP_ARN,
  ANNOTATION_PIPELINE_ARN,
  ANNOTATION_REGISTERED_MODEL_NAME,
  ANNOTATION_TRACKING_SERVER,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import { parseSageMakerArn, SageMakerArn } from './arn';

/** One annotation's reading: absent, a valid value, or an error that names the annotation. */
export type Bound<T> =
  | { state: 'absent' }
  | { state: 'bound'; value: T }
  | { state: 'invalid'; annotation: string; message: string };

/** The resources an entity's annotations name: the only resources the backend will touch for it. */
export interface EntityBinding {
  pipeline: Bound<SageMakerArn>;
  modelPackageGroup: Bound<SageMakerArn>;
  endpoints: Bound<SageMakerArn[]>;
  registeredModelName: Bound<string>;
  experimentName: Bound<string>;
  trackingServer: string;
}

// MLflow names are free text, but a control character or an over-long value is a typo, not a model; a quote or a
// backslash cannot be written in MLflow's search filters (it takes literals as written).
const MLFLOW_NAME = /^[^\p{Cc}'\\]{1,256}$/u;

function read<T>(
  entity: Entity,
  annotation: string,
  parse: (value: string) => T,
): Bound<T> {
  const raw = entity.metadata.annotations?.[annotation]?.trim();
  if (!raw) return { state: 'absent' };
  try {
    return { state: 'bound', value: parse(raw) };
  } catch (error) {
    return {
      state: 'invalid',
      annotation,
      message: `Annotation ${annotation}: ${(error as Error).message}`,
    };
  }
}

function mlflowName(kind: string) {
  return (value: string) => {
    if (!MLFLOW_NAME.test(value)) {
      throw new Error(
        `'${value}' is not a valid MLflow ${kind} name (no control characters, quotes or backslashes)`,
      );
    }
    return value;
  };
}

/** Reads every resource annotation of the entity; a malformed one is reported, never thrown. */
export function readEntityBinding(entity: Entity): EntityBinding {
  const server =
    entity.metadata.annotations?.[ANNOTATION_TRACKING_SERVER]?.trim() ||
    'default';
  return {
    pipeline: read(entity, ANNOTATION_PIPELINE_ARN, v =>
      parseSageMakerArn(v, 'pipeline'),
    ),
    modelPackageGroup: read(entity, ANNOTATION_MODEL_PACKAGE_GROUP_ARN, v =>
      parseSageMakerArn(v, 'model-package-group'),
    ),
    endpoints: read(entity, ANNOTATION_ENDPOINT_ARNS, v =>
      v
        .split(',')
        .map(s => s.trim())
        .filter(Boolean)
        .map(arn => parseSageMakerArn(arn, 'endpoint')),
    ),
    registeredModelName: read(
      entity,
      ANNOTATION_REGISTERED_MODEL_NAME,
      mlflowName('registered model'),
    ),
    experimentName: read(
      entity,
      ANNOTATION_EXPERIMENT_NAME,
      mlflowName('experiment'),
    ),
    // Only a name: the server's URL and credentials come from config, which rejects unknown names.
    trackingServer: server,
  };
}
