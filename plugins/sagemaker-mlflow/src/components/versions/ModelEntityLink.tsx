import { Link } from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  ANNOTATION_REGISTERED_MODEL_NAME,
  ANNOTATION_TRACKING_SERVER,
  mlflowModelEntityName,
  modelEntityPath,
} from '@model-factory/plugin-sagemaker-mlflow-common';

/**
 * A link to the catalog entity of the entity's registered model (made by the catalog module
 * `sagemaker-mlflow-models`); nothing when the entity names no model or is that entity itself.
 */
export function ModelEntityLink() {
  const { entity } = useEntity();
  const annotations = entity.metadata.annotations ?? {};
  const modelName = annotations[ANNOTATION_REGISTERED_MODEL_NAME]?.trim();
  if (!modelName) return null;
  const name = mlflowModelEntityName(
    annotations[ANNOTATION_TRACKING_SERVER]?.trim() || 'default',
    modelName,
  );
  if (
    entity.kind.toLocaleLowerCase('en-US') === 'resource' &&
    entity.metadata.name === name
  )
    return null;
  return (
    <Link to={modelEntityPath(name)} data-testid="model-entity-link">
      Model in the catalog
    </Link>
  );
}
