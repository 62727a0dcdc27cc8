/***/
/**
 * The sagemaker-mlflow module for @backstage/plugin-scaffolder-backend.
 *
 * @packageDocumentation
 */

export { scaffolderModule as default } from './module';
export { localRepositoryUrlReader } from './localRepositories/localRepositoryUrlReaderService';
