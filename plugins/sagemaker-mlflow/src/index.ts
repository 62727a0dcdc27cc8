/**
 * Model Factory frontend plugin: SageMaker pipelines, MLflow models and endpoints on the entity page.
 * The New Frontend System form is in `/alpha`.
 *
 * @packageDocumentation
 */
export {
  sagemakerMlflowPlugin,
  EntitySageMakerMlflowContent,
  EntitySageMakerMlflowCard,
  MlModelSearchResultListItem,
  MlflowTrackingServerPickerFieldExtension,
} from './plugin';
export { isSageMakerMlflowAvailable } from '@model-factory/plugin-sagemaker-mlflow-common';
export * from './api/SageMakerMlflowApi';
