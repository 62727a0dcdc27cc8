/**
 * Node library of Model Factory: reads which SageMaker and MLflow resources a catalog entity names.
 *
 * @packageDocumentation
 */
export * from './arn';
export * from './entityBinding';
