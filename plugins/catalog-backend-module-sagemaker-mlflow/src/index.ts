/**
 * The sagemaker-mlflow backend module for the catalog plugin: MLflow registered models and SageMaker model package
 * groups as `kind: Resource`, `spec.type: ml-model` entities, owned through two-way binding.
 *
 * @packageDocumentation
 */

export {
  catalogModuleSagemakerMlflowModels as default,
  createModelEntityProvider,
} from './module';
export { ModelEntityProvider } from './ModelEntityProvider';
export type { ModelProviderRun } from './ModelEntityProvider';
export { mlflowSource, sagemakerSource, ComponentLookup } from './ModelSources';
export type { ModelSource } from './ModelSources';
