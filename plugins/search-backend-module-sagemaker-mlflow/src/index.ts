/***/
/**
 * The sagemaker-mlflow backend module for the search plugin.
 *
 * @packageDocumentation
 */

export { searchModuleSagemakerMlflow as default } from './module';
export { MlModelCollatorFactory } from './MlModelCollatorFactory';
export type { MlModelDocument } from './MlModelCollatorFactory';
