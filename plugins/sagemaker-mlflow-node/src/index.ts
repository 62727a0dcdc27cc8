/**
 * Node library of Model Factory: SageMaker and MLflow clients, and which resources a catalog entity names.
 *
 * @packageDocumentation
 */
export * from './arn';
export * from './clientsService';
export * from './config';
export * from './entityBinding';
export * from './errors';
export * from './resourceBinding';
export * from './mlflow/champion';
export * from './mlflow/MlflowClient';
export * from './mlflow/MlflowClients';
export * from './mlflow/joins';
export * from './mlflow/requestSigner';
export * from './mlflow/types';
export * from './sagemaker/awsErrors';
export * from './sagemaker/EndpointInvoker';
export * from './sagemaker/SageMakerClients';
export * from './sagemaker/modelPackages';
export * from './servicePrincipals';
export * from './faults/CircuitBreaker';
export * from './faults/requestDeadline';
